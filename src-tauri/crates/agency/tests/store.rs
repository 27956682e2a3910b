//! The agency store against a real PostgreSQL server (TLS, three roles): migrations, version refusal, privileges,
//! idempotent audit lines, the quota race, TLS refusals, no CPF in clear.

mod common;

use balcao_agency::{
    AuditLine, CounterStore, DocumentKey, QuotaKey, ReaderStore, Reservation, SCHEMA_VERSION, migrate,
};
use balcao_core::doc::Document;
use balcao_core::error::ErrorCode;
use balcao_core::secret::Sensitive;
use common::{Role, TestDb};
use time::macros::{date, datetime};
use uuid::Uuid;

const CPF: &str = "52998224725";

fn key() -> DocumentKey {
    DocumentKey::new(Sensitive::new(b"an agency key of thirty-two bytes or more!".to_vec())).expect("key")
}

fn line(seq: i64) -> AuditLine {
    let doc = Document::parse(CPF).expect("valid CPF");
    AuditLine {
        id: Uuid::new_v4(),
        counter_id: "balcao-03".to_owned(),
        seq,
        at: datetime!(2026-12-07 14:30:00 UTC),
        clerk: "maria.souza".to_owned(),
        api: "consulta-cpf".to_owned(),
        purpose: Some("Atendimento presencial".to_owned()),
        authorization_code: Some("ECAC-7781".to_owned()),
        document: key().reference(&doc),
        outcome: "ok".to_owned(),
    }
}

/// Today in Brasília, the gateway's day (no daylight saving time there since 2019).
fn today() -> time::Date {
    time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(-3)).date()
}

async fn ready(test: &str) -> TestDb {
    let db = TestDb::fresh(test).await;
    migrate(&db.opts(Role::Owner)).await.expect("migrate");
    db
}

#[tokio::test]
async fn migrations_from_an_empty_database_reach_the_current_version_and_a_rerun_changes_nothing() {
    let db = TestDb::fresh("migrate").await;
    let first = migrate(&db.opts(Role::Owner)).await.expect("first run");
    assert_eq!((first.from, first.to), (0, SCHEMA_VERSION));
    let second = migrate(&db.opts(Role::Owner)).await.expect("second run");
    assert_eq!((second.from, second.to), (SCHEMA_VERSION, SCHEMA_VERSION));
    assert_eq!(db.count("balcao.schema_version").await, i64::from(SCHEMA_VERSION));
    CounterStore::open(&db.opts(Role::Counter)).await.expect("a counter opens the migrated store");
}

#[tokio::test]
async fn a_counter_refuses_a_store_that_was_never_migrated() {
    let db = TestDb::fresh("unprepared").await;
    let err = CounterStore::open(&db.opts(Role::Counter)).await.expect_err("refused");
    assert_eq!(err.code, ErrorCode::Config);
    assert!(err.message.contains("migrate-agency-store"), "{}", err.message);
}

#[tokio::test]
async fn a_store_with_a_newer_schema_is_refused_by_counters_readers_and_migrate_and_nothing_is_written() {
    let db = ready("newer").await;
    let sup = db.superuser(&db.name).await;
    sup.batch_execute("INSERT INTO balcao.schema_version (version) VALUES (99)").await.expect("bump");

    let err = CounterStore::open(&db.opts(Role::Counter)).await.expect_err("counter refuses");
    assert_eq!(err.code, ErrorCode::Config);
    assert!(err.message.contains("mais nova") && err.message.contains("nada foi gravado"), "{}", err.message);
    let err = ReaderStore::open(&db.opts(Role::Reader)).await.expect_err("reader refuses");
    assert!(err.message.contains("mais nova"), "{}", err.message);
    let err = migrate(&db.opts(Role::Owner)).await.expect_err("migrate refuses");
    assert!(err.message.contains("mais nova"), "{}", err.message);

    assert_eq!(db.count("balcao.audit_line").await, 0);
    assert_eq!(db.count("balcao.quota_use").await, 0);
    assert_eq!(db.count("balcao.schema_version").await, i64::from(SCHEMA_VERSION) + 1, "migrate changed nothing");
}

#[tokio::test]
async fn the_counters_role_cannot_select_update_delete_or_insert_audit_lines_directly() {
    let db = ready("privileges").await;
    let mut store = CounterStore::open(&db.opts(Role::Counter)).await.expect("open");
    assert!(store.append(&line(1)).await.expect("append through the function"));

    let raw = db.raw(Role::Counter).await;
    for sql in [
        "SELECT * FROM balcao.audit_line",
        "SELECT count(*) FROM balcao.audit_line",
        "UPDATE balcao.audit_line SET clerk = 'x'",
        "DELETE FROM balcao.audit_line",
        "TRUNCATE balcao.audit_line",
        "INSERT INTO balcao.audit_line (id, counter_id, seq, at, clerk, api, document_hash, document_masked, outcome) \
         VALUES (gen_random_uuid(), 'c', 9, now(), 'x', 'a', decode(repeat('00', 32), 'hex'), '***', 'ok')",
        "SELECT * FROM balcao.quota_use",
        "UPDATE balcao.quota_use SET used = 0",
        "DELETE FROM balcao.quota_use",
    ] {
        let err = raw.batch_execute(sql).await.expect_err(sql);
        let code = err.as_db_error().map(|d| d.code().code().to_owned());
        assert_eq!(code.as_deref(), Some("42501"), "{sql}: {err:?}");
    }
    // The reader reads, but cannot append.
    let reader = db.raw(Role::Reader).await;
    reader.batch_execute("SELECT count(*) FROM balcao.audit_line").await.expect("reader reads");
    let err = reader
        .batch_execute("SELECT balcao.reserve_quota('c', 'a', current_date, 10)")
        .await
        .expect_err("reader cannot reserve");
    assert_eq!(err.as_db_error().map(|d| d.code().code().to_owned()).as_deref(), Some("42501"));
    assert_eq!(db.count("balcao.audit_line").await, 1);
}

#[tokio::test]
async fn a_retried_audit_line_is_stored_once_and_the_reader_finds_it_by_the_number() {
    let db = ready("retry").await;
    let mut store = CounterStore::open(&db.opts(Role::Counter)).await.expect("open");
    let l = line(7);
    assert!(store.append(&l).await.expect("first"));
    assert!(!store.append(&l).await.expect("retry"), "the retry reports it was already there");
    let mut again = CounterStore::open(&db.opts(Role::Counter)).await.expect("reopen");
    assert!(!again.append(&l).await.expect("retry from a new connection"));
    assert_eq!(db.count("balcao.audit_line").await, 1);

    let reader = ReaderStore::open(&db.opts(Role::Reader)).await.expect("reader");
    let doc = Document::parse(CPF).expect("cpf");
    let found = reader.who_looked_up(&key().reference(&doc), None, None).await.expect("who");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].clerk, "maria.souza");
    assert_eq!(found[0].authorization_code.as_deref(), Some("ECAC-7781"));
    assert_eq!(found[0].document_masked, "***.982.247-**");
    let later = reader
        .who_looked_up(&key().reference(&doc), Some(datetime!(2026-12-08 00:00 UTC)), None)
        .await
        .expect("who, from tomorrow");
    assert!(later.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_racing_for_the_last_units_get_exactly_the_limit() {
    let db = ready("race").await;
    let key = QuotaKey { credential: "cred-A".into(), api: "consulta-cpf".into(), gateway_day: today() };
    const LIMIT: u32 = 1000;
    // 960 already used by other counters today: 40 units left for eight counters asking 15 times each.
    let sup = db.superuser(&db.name).await;
    sup.execute(
        "INSERT INTO balcao.quota_use (credential, api, gateway_day, used) VALUES ($1, $2, $3, 960)",
        &[&key.credential, &key.api, &key.gateway_day],
    )
    .await
    .expect("seed");
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let opts = db.opts(Role::Counter);
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let store = CounterStore::open(&opts).await.expect("open");
            let mut granted = 0u32;
            for _ in 0..15 {
                if store.reserve(&key, LIMIT).await.expect("reserve") == Reservation::Granted {
                    granted += 1;
                }
            }
            granted
        }));
    }
    let mut granted = 0;
    for t in tasks {
        granted += t.await.expect("task");
    }
    assert_eq!(granted, 40);
    let used: i32 =
        sup.query_one("SELECT used FROM balcao.quota_use WHERE credential = 'cred-A'", &[]).await.expect("used").get(0);
    assert_eq!(used, 1000);
    // Another gateway day starts from zero; a zero limit grants nothing.
    let store = CounterStore::open(&db.opts(Role::Counter)).await.expect("open");
    let tomorrow = QuotaKey { gateway_day: today().next_day().unwrap(), ..key.clone() };
    assert_eq!(store.reserve(&tomorrow, LIMIT).await.expect("tomorrow"), Reservation::Granted);
    assert_eq!(store.reserve(&QuotaKey { api: "cnpj".into(), ..key }, 0).await.expect("zero"), Reservation::Refused);
    let reader = ReaderStore::open(&db.opts(Role::Reader)).await.expect("reader");
    let report = reader.quota_use().await.expect("report");
    assert_eq!(report.len(), 2);
    assert_eq!((report[0].gateway_day, report[0].used), (today().next_day().unwrap(), 1));
}

#[tokio::test]
async fn a_url_asking_for_plaintext_is_refused_and_the_server_refuses_plaintext_too() {
    let db = ready("plaintext").await;
    let url = format!("postgres://balcao_test_counter@127.0.0.1:5432/{}?sslmode=disable", db.name);
    let err = balcao_agency::ConnectOptions::new(&url, None, &db.ca).expect_err("refused before connecting");
    assert_eq!(err.code, ErrorCode::Tls);
    let host = format!("postgres://balcao_test_counter@/{}?host=/tmp", db.name);
    let err = balcao_agency::ConnectOptions::new(&host, None, &db.ca).expect_err("no Unix socket");
    assert_eq!(err.code, ErrorCode::Config);

    // Whatever a client asks, the test server (like the one IT is told to set up) rejects a plaintext session.
    let super_url: url::Url = std::env::var("BALCAO_TEST_PG_URL").expect("url").parse().expect("url");
    let plain = format!("{super_url}?sslmode=disable");
    let plain = plain.parse::<tokio_postgres::Config>().expect("config");
    assert!(plain.connect(tokio_postgres::NoTls).await.is_err());
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused() {
    let db = ready("wrongca").await;
    let err = CounterStore::open(&db.opts_with(Role::Counter, &db.wrong_ca.clone(), "")).await.expect_err("refused");
    assert_eq!(err.code, ErrorCode::Tls, "{}", err.message);
    let err = migrate(&db.opts_with(Role::Owner, &db.wrong_ca.clone(), "")).await.expect_err("refused");
    assert_eq!(err.code, ErrorCode::Tls, "{}", err.message);
    let err = balcao_agency::ConnectOptions::new("postgres://u@127.0.0.1/x", None, b"not a pem").expect_err("no CA");
    assert_eq!(err.code, ErrorCode::Config);
}

#[tokio::test]
async fn the_stored_row_holds_no_cpf_in_clear_only_the_keyed_hash_and_the_masked_form() {
    let db = ready("noclear").await;
    let mut store = CounterStore::open(&db.opts(Role::Counter)).await.expect("open");
    store.append(&line(1)).await.expect("append");
    // A clerk who typed the number into the purpose (and a CNPJ into the outcome).
    let typed = AuditLine {
        purpose: Some(format!("Pedido do titular CPF 529.982.247-25 / {CPF}")),
        outcome: "ok 11.222.333/0001-81".to_owned(),
        ..line(2)
    };
    store.append(&typed).await.expect("append");
    let sup = db.superuser(&db.name).await;
    // Every column as text (bytea as hex), in the row's JSON and each column on its own; digits read past separators.
    let row: String = sup
        .query_one("SELECT string_agg(row_to_json(a)::text, ' ') FROM balcao.audit_line a", &[])
        .await
        .expect("rows")
        .get(0);
    let columns = sup
        .query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'balcao' AND table_name = 'audit_line'",
            &[],
        )
        .await
        .expect("columns");
    let mut texts = vec![row];
    for c in &columns {
        let name: String = c.get(0);
        let sql = format!("SELECT string_agg({name}::text, ' ') FROM balcao.audit_line");
        texts.push(sup.query_one(&sql, &[]).await.expect("column").get::<_, Option<String>>(0).unwrap_or_default());
    }
    assert!(columns.len() >= 11, "every column read");
    for t in &texts {
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        assert!(!t.contains(CPF) && !t.contains("529.982.247-25"), "CPF in clear in {t}");
        assert!(!digits.contains(CPF), "CPF digits in {t}");
        assert!(!digits.contains("11222333000181"), "CNPJ digits in {t}");
    }
    // The hash is keyed: another key gives another hash, so a table of every CPF's plain hash finds nothing.
    let doc = Document::parse(CPF).expect("cpf");
    let other = DocumentKey::new(Sensitive::new(vec![7u8; 32])).expect("key");
    assert_ne!(other.reference(&doc).hash, key().reference(&doc).hash);
    let stored: Vec<u8> =
        sup.query_one("SELECT document_hash FROM balcao.audit_line WHERE seq = 1", &[]).await.expect("h").get(0);
    assert_eq!(stored, key().reference(&doc).hash.to_vec());
    assert!(DocumentKey::new(Sensitive::new(vec![1u8; 8])).is_err(), "a short key is refused");
}

#[tokio::test]
async fn the_servers_daily_limit_caps_whatever_limit_a_counter_asks_for() {
    let db = ready("server_limit").await;
    let sup = db.superuser(&db.name).await;
    sup.batch_execute("INSERT INTO balcao.quota_limit VALUES ('agencia', 'consulta-cpf', 3)").await.expect("limit");
    let store = CounterStore::open(&db.opts(Role::Counter)).await.expect("open");
    let key = QuotaKey { credential: "agencia".into(), api: "consulta-cpf".into(), gateway_day: today() };
    let mut granted = 0;
    for _ in 0..10 {
        if store.reserve(&key, 1_000_000).await.expect("reserve") == Reservation::Granted {
            granted += 1;
        }
    }
    assert_eq!(granted, 3, "a counter asking for a million gets the server's three");
    let raw = db.raw(Role::Counter).await;
    raw.batch_execute("UPDATE balcao.quota_limit SET daily_limit = 100").await.expect_err("a counter cannot raise it");
}

#[tokio::test]
async fn an_offline_unit_reported_twice_counts_once_and_is_added_to_the_days_use() {
    let db = ready("offline").await;
    let store = CounterStore::open(&db.opts(Role::Counter)).await.expect("open");
    let key = QuotaKey { credential: "agencia".into(), api: "consulta-cpf".into(), gateway_day: today() };
    assert_eq!(store.reserve(&key, 10).await.expect("reserve"), Reservation::Granted);
    let id = Uuid::new_v4();
    assert!(store.record_offline_use(id, "balcao-03", &key).await.expect("first report"));
    assert!(!store.record_offline_use(id, "balcao-03", &key).await.expect("retry"), "a retry is not counted again");
    let reader = ReaderStore::open(&db.opts(Role::Reader)).await.expect("reader");
    let used = reader.quota_use().await.expect("use");
    assert_eq!(used.len(), 1);
    assert_eq!(used[0].used, 2, "one reserved online, one spent offline");
}

#[tokio::test]
async fn lines_appended_together_keep_their_order_each_names_the_login_that_wrote_it_and_a_replay_adds_nothing() {
    let db = ready("append_all").await;
    let mut store = CounterStore::open(&db.opts(Role::Counter)).await.expect("open");
    let lines: Vec<AuditLine> = (1..=50).map(line).collect();
    assert_eq!(store.append_all(&lines).await.expect("append"), 50);
    assert_eq!(store.append_all(&lines[10..20]).await.expect("replay"), 0, "a replayed chunk adds nothing");
    let sup = db.superuser(&db.name).await;
    let rows =
        sup.query("SELECT seq, written_by FROM balcao.audit_line ORDER BY received_at, seq", &[]).await.expect("rows");
    let seqs: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>());
    assert!(rows.iter().all(|r| r.get::<_, String>(1) == "balcao_test_counter"), "the login is recorded");
    // A history restored from a backup numbers its new lines again from an old point: kept, never refused.
    assert_eq!(store.append_all(&[line(5)]).await.expect("a repeated number with a new id"), 1);
    assert_eq!(db.count("balcao.audit_line").await, 51);
}

#[tokio::test]
async fn a_gateway_day_the_servers_clock_does_not_allow_is_refused_with_the_clock_to_fix() {
    let db = ready("clock").await;
    let store = CounterStore::open(&db.opts(Role::Counter)).await.expect("open");
    let far = QuotaKey { credential: "agencia".into(), api: "consulta-cpf".into(), gateway_day: date!(2020 - 01 - 01) };
    let e = store.reserve(&far, 10).await.expect_err("a day long gone");
    assert_eq!(e.code, ErrorCode::Config);
    assert!(e.message.contains("relógio"), "{}", e.message);
    let future = QuotaKey { gateway_day: today().checked_add(time::Duration::days(5)).unwrap(), ..far.clone() };
    assert!(store.record_offline_use(Uuid::new_v4(), "pc", &future).await.is_err(), "no unit for a day to come");
    let last_week = QuotaKey { gateway_day: today().checked_sub(time::Duration::days(7)).unwrap(), ..far };
    assert!(store.record_offline_use(Uuid::new_v4(), "pc", &last_week).await.expect("after an outage"));
    assert_eq!(db.count("balcao.quota_use").await, 1, "only last week's unit");
}
