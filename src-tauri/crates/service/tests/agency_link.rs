//! A counter's lookups under an agency store (#18), against a real PostgreSQL: every line reaches the store through
//! the outbox, the agency's limit stops a call before it leaves, an unreachable store allows only the offline
//! allowance, and a store with a newer schema is refused with nothing sent or written.

mod agency;

use agency::pg::{Role, TestDb};
use agency::{api_calls, counter, counter_url, gateway, request};
use balcao_core::ErrorCode;
use std::time::Duration;

const CPFS: [&str; 3] = ["40442820135", "91708635203", "58136053391"];

async fn ready(test: &str) -> TestDb {
    let db = TestDb::fresh(test).await;
    balcao_agency::migrate(&db.opts(Role::Owner)).await.expect("migrate");
    db
}

#[tokio::test(flavor = "multi_thread")]
async fn every_lookup_reaches_the_agency_store_once_with_its_clerk_purpose_and_no_number_in_clear() {
    let db = ready("link_lines").await;
    let sim = gateway().await;
    let c = counter(&sim.base_url(), &counter_url(&db), &db.ca, 5);
    let session = c.session().await;
    for n in CPFS {
        session.lookup(request(n)).await.expect("answered");
    }
    let link = session.agency().expect("the policy names a store").clone();
    assert_eq!(link.status().await.waiting, 3, "queued in the outbox");
    link.drain_for(Duration::from_secs(20)).await.expect("drained");
    assert_eq!(link.status().await.waiting, 0);
    link.drain_for(Duration::from_secs(5)).await.expect("nothing left");
    let sup = db.superuser(&db.name).await;
    let rows = sup
        .query("SELECT seq, clerk, purpose, document_masked, api FROM balcao.audit_line ORDER BY seq", &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "each line once");
    for r in &rows {
        let clerk: String = r.get(1);
        assert!(clerk.contains("cli"), "the line says it came from the CLI: {clerk}");
        assert!(clerk.starts_with("***.444.777-**"), "the clerk, masked as on a receipt: {clerk}");
        assert_eq!(r.get::<_, Option<String>>(2).as_deref(), Some("Atendimento presencial"));
        assert!(r.get::<_, String>(3).contains('*'));
    }
    let dump = sup.query_one("SELECT string_agg(t::text, ' ') FROM balcao.audit_line t", &[]).await.unwrap();
    let dump: String = dump.get(0);
    for n in CPFS {
        assert!(!dump.contains(n), "no number in clear");
    }
    let used: i32 = sup.query_one("SELECT sum(used)::int FROM balcao.quota_use", &[]).await.unwrap().get(0);
    assert_eq!(used, 3, "each call reserved one unit of the agency's quota");
    session.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn at_the_agencys_limit_the_call_is_refused_before_it_leaves() {
    let db = ready("link_limit").await;
    let sup = db.superuser(&db.name).await;
    sup.batch_execute("INSERT INTO balcao.quota_limit VALUES ('agencia-serpro', 'serproCpfV2', 2)").await.unwrap();
    let sim = gateway().await;
    let c = counter(&sim.base_url(), &counter_url(&db), &db.ca, 5);
    let session = c.session().await;
    session.lookup(request(CPFS[0])).await.expect("first");
    session.lookup(request(CPFS[1])).await.expect("second");
    let e = session.lookup(request(CPFS[2])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::QuotaExhausted, "{}", e.message);
    assert!(e.message.contains("cota da agência"), "{}", e.message);
    assert_eq!(api_calls(&sim), 2, "the third call never left");
    session.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_store_allows_only_the_offline_allowance_with_a_visible_state() {
    let db = TestDb::fresh("link_offline").await;
    let sim = gateway().await;
    // Nothing listens on port 9 of the loopback: the store cannot be reached.
    let url = format!("postgres://balcao_test_counter@127.0.0.1:9/{}", db.name);
    let c = counter(&sim.base_url(), &url, &db.ca, 2);
    let session = c.session().await;
    session.lookup(request(CPFS[0])).await.expect("first offline unit");
    session.lookup(request(CPFS[1])).await.expect("second offline unit");
    let e = session.lookup(request(CPFS[2])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::QuotaExhausted);
    assert!(e.message.contains("sem") || e.message.contains("não responde"), "{}", e.message);
    assert_eq!(api_calls(&sim), 2, "the allowance, and not one call more");
    let status = session.agency().unwrap().status().await;
    assert!(!status.reachable);
    assert_eq!((status.offline_spent, status.offline_allowance), (2, 2));
    assert_eq!(status.waiting, 5, "three audit lines (the refusal too) and two offline units wait");
    // A second process on the same PC (a new session on the same file) has no fresh allowance.
    let again = c.session().await;
    assert_eq!(again.lookup(request(CPFS[0])).await.unwrap_err().code, ErrorCode::QuotaExhausted);
    assert_eq!(api_calls(&sim), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_with_a_newer_schema_is_refused_and_nothing_is_sent_or_written_there() {
    let db = ready("link_newer").await;
    let sup = db.superuser(&db.name).await;
    sup.batch_execute("INSERT INTO balcao.schema_version (version) VALUES (99)").await.unwrap();
    let sim = gateway().await;
    let c = counter(&sim.base_url(), &counter_url(&db), &db.ca, 5);
    let session = c.session().await;
    let e = session.lookup(request(CPFS[0])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Config, "{}", e.message);
    assert!(e.message.contains("mais nova"), "{}", e.message);
    assert_eq!(api_calls(&sim), 0);
    assert!(session.agency().unwrap().drain_for(Duration::from_secs(5)).await.is_err());
    assert_eq!(db.count("balcao.audit_line").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ca_file_others_could_replace_is_refused_and_no_call_leaves_uncounted() {
    use std::os::unix::fs::PermissionsExt;
    let db = ready("link_ca").await;
    let sim = gateway().await;
    let c = counter(&sim.base_url(), &counter_url(&db), &db.ca, 5);
    let ca = c.policy.path().join("agency-ca.pem");
    std::fs::set_permissions(&ca, std::fs::Permissions::from_mode(0o666)).unwrap();
    let session = c.session().await;
    let e = session.lookup(request(CPFS[0])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Config, "{}", e.message);
    assert!(e.message.contains("agency-ca.pem") && e.message.contains("administrador"), "{}", e.message);
    assert_eq!(api_calls(&sim), 0, "no call without the agency's count");
    let status = session.agency().unwrap().status().await;
    assert!(status.problem.is_some_and(|p| p.contains("agency-ca.pem")));
}

/// The window's path: the app drains in the background, and the store names each signed-in clerk (#23) in turn.
#[tokio::test(flavor = "multi_thread")]
async fn in_the_app_each_signed_in_clerks_lookups_reach_the_store_in_the_background_naming_that_clerk() {
    use balcao_core::{Cpf, Sensitive};
    let db = ready("link_app").await;
    let sim = gateway().await;
    let c = counter(&sim.base_url(), &counter_url(&db), &db.ca, 5);
    let b = c.app().await;
    b.profiles().activate(agency::ID).await.expect("the agency's profile");
    let (ana, bruno) = (Cpf::parse("111.444.777-35").unwrap(), Cpf::parse("529.982.247-25").unwrap());
    b.lock().clerk_add(ana.as_str(), "Ana Souza", Sensitive::new("482913".into())).await.unwrap();
    b.lock().clerk_add(bruno.as_str(), "Bruno Lima", Sensitive::new("731906".into())).await.unwrap();
    b.lock().clerk_switch();
    b.lock().clerk_sign_in(ana.as_str(), Sensitive::new("482913".into())).await.unwrap();
    b.lookup().lookup(request(CPFS[0])).await.expect("Ana's lookup");
    b.lock().lock_now();
    b.lock().clerk_sign_in(bruno.as_str(), Sensitive::new("731906".into())).await.unwrap();
    b.lookup().lookup(request(CPFS[1])).await.expect("Bruno's lookup");

    // Nobody drains by hand here: the app's background drain sends the lines.
    let mut waited = 0;
    loop {
        let agency = b.lookup().status_info().await.agency.expect("the status bar shows the store");
        if agency.waiting == 0 && db.count("balcao.audit_line").await == 2 {
            assert!(agency.reachable);
            break;
        }
        waited += 1;
        assert!(waited < 100, "the background drain sent the lines: {agency:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sup = db.superuser(&db.name).await;
    let clerks: Vec<String> = sup
        .query("SELECT clerk FROM balcao.audit_line ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(clerks[0].starts_with(&ana.masked()) && clerks[0].ends_with("/ app"), "{clerks:?}");
    assert!(clerks[1].starts_with(&bruno.masked()) && clerks[1].ends_with("/ app"), "{clerks:?}");
}

/// A counter started before IT stored the agency key refuses real lookups (none uncounted); once the key is stored,
/// «Tentar de novo» links it without a restart, and the lines then drain in the background.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_stored_after_start_is_taken_by_retry_without_a_restart() {
    let db = ready("link_retry").await;
    let sim = gateway().await;
    let c = counter(&sim.base_url(), &counter_url(&db), &db.ca, 5);
    c.machine.delete(balcao_service::agency_store::AGENCY_KEY_ENTRY).unwrap();
    let b = c.app().await;
    b.profiles().activate(agency::ID).await.expect("the agency's profile");
    let e = b.lookup().lookup(request(CPFS[0])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Config, "{}", e.message);
    assert!(e.message.contains("set-agency-key"), "{}", e.message);
    assert_eq!(api_calls(&sim), 0);
    let issues = b.health().await;
    let issue = issues.iter().find(|i| i.area == balcao_core::lock_api::HealthArea::AgencyStore).expect("said");
    assert!(issue.message.contains("set-agency-key"), "{}", issue.message);
    balcao_service::agency_store::set_agency_key(
        c.machine.as_ref(),
        balcao_core::Sensitive::new(agency::KEY_HEX.into()),
    )
    .unwrap();
    let issues = b.retry().await;
    assert!(issues.iter().all(|i| i.area != balcao_core::lock_api::HealthArea::AgencyStore), "{issues:?}");
    b.lookup().lookup(request(CPFS[0])).await.expect("answered once the key is there");
    let mut waited = 0;
    while db.count("balcao.audit_line").await < 1 {
        waited += 1;
        assert!(waited < 100, "the background drain started after the retry");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A store that answers but refuses (a wrong password, a foreign certificate) is not "unreachable": no offline unit
/// is spent, the call is refused with what to fix.
#[tokio::test(flavor = "multi_thread")]
async fn a_refusing_store_is_not_worked_around_with_the_offline_allowance() {
    let db = ready("link_refusing").await;
    let sim = gateway().await;
    let c = counter(&sim.base_url(), &counter_url(&db), &db.ca, 5);
    balcao_service::agency_link::set_agency_password(c.machine.as_ref(), balcao_core::Sensitive::new("wrong".into()))
        .unwrap();
    let session = c.session().await;
    let e = session.lookup(request(CPFS[0])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthorized, "{}", e.message);
    assert_eq!(api_calls(&sim), 0);
    assert_eq!(session.agency().unwrap().status().await.offline_spent, 0, "no offline unit spent");

    let foreign = counter(&sim.base_url(), &counter_url(&db), &db.wrong_ca, 5);
    let session = foreign.session().await;
    let e = session.lookup(request(CPFS[0])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Tls, "{}", e.message);
    assert_eq!(api_calls(&sim), 0, "a server with another authority's certificate gets nothing");
}

/// A line the store refuses (here a constraint IT added) is set aside; the lines after it still arrive, and
/// reservations keep going to the store (none is spent from the offline allowance).
#[tokio::test(flavor = "multi_thread")]
async fn a_line_the_store_refuses_is_set_aside_and_neither_stops_the_rest_nor_sends_reservations_offline() {
    let db = ready("link_poison").await;
    let sup = db.superuser(&db.name).await;
    sup.batch_execute(
        "ALTER TABLE balcao.audit_line ADD CONSTRAINT no_poison CHECK (purpose IS DISTINCT FROM 'veneno')",
    )
    .await
    .unwrap();
    let sim = gateway().await;
    let c = counter(&sim.base_url(), &counter_url(&db), &db.ca, 5);
    let session = c.session().await;
    for purpose in ["primeira", "veneno", "terceira"] {
        let req = balcao_core::api::LookupRequest { purpose: Some(purpose.into()), ..request(CPFS[0]) };
        session.lookup(req).await.expect("answered");
    }
    let link = session.agency().unwrap().clone();
    link.drain_for(Duration::from_secs(20)).await.expect("the drain goes on past the refused line");
    let purposes: Vec<String> = sup
        .query("SELECT purpose FROM balcao.audit_line ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(purposes, ["primeira", "terceira"]);
    let status = link.status().await;
    assert_eq!(status.waiting, 0);
    assert!(status.reachable);
    assert!(status.problem.as_deref().is_some_and(|p| p.contains("1 linha")), "{:?}", status.problem);
    session.lookup(request(CPFS[1])).await.expect("the next lookup");
    assert_eq!(link.status().await.offline_spent, 0, "the reservation went to the store, not offline");
    let used: i32 = sup.query_one("SELECT sum(used)::int FROM balcao.quota_use", &[]).await.unwrap().get(0);
    assert_eq!(used, 4);
}
