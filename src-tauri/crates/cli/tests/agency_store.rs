//! `balcao-cli admin migrate-agency-store` against the throwaway PostgreSQL of `cargo xtask test` (xtask/src/pg.rs):
//! the address from the policy, the owner's password from standard input (never the command line), TLS against the
//! given CA; a second run changes nothing; a wrong password or CA changes nothing and says so in pt-BR. Then
//! `admin set-agency-key` and `audit who-looked-up`: lines written with PostgreSQL's own HMAC-SHA256 (pgcrypto) under
//! that key are found by the number, within the dates, and the number never shows in clear.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{Scratch, assert_pt_br};

const HOW: &str = "this test needs a PostgreSQL server with TLS. `cargo xtask test` starts one; by hand, run \
                   `cargo xtask pg` in another terminal and export the variables it prints, then run the test";

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: {HOW}"))
}

/// The superuser's SQL script through the cluster's own Unix socket (trusted, in the throwaway folder).
fn psql(port: &str, db: &str, script: &str) -> String {
    let data = var("BALCAO_TEST_PG_DATA");
    let socket_dir = Path::new(&data).parent().expect("the cluster folder");
    let mut child = Command::new("psql")
        .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-U", "balcao", "-p", port, "-d", db, "-h"])
        .arg(socket_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("psql runs (package postgresql-client)");
    child.stdin.take().expect("stdin").write_all(script.as_bytes()).expect("script");
    let out = child.wait_with_output().expect("psql ends");
    assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn port() -> String {
    let url = var("BALCAO_TEST_PG_URL");
    let after_at = url.rsplit('@').next().expect("host part");
    let host_port = after_at.split('/').next().expect("host:port");
    host_port.rsplit(':').next().expect("port").to_owned()
}

fn cli(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_balcao-cli"))
        .args(args)
        .env("BALCAO_POLICY_DIR", dir)
        .env("BALCAO_MACHINE_GROUP", "root")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("balcao-cli runs");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("stdin written");
    child.wait_with_output().expect("balcao-cli ends")
}

fn text(out: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The roles these tests log in as (cluster-wide: created under the same advisory lock balcao-agency's tests take),
/// and a new database `db` owned by the test schema owner.
fn fresh_database(port: &str, db: &str) {
    psql(
        port,
        "postgres",
        "SELECT pg_advisory_lock(4242);
         DO $$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'balcao_counter') THEN CREATE ROLE balcao_counter NOLOGIN; END IF;
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'balcao_reader') THEN CREATE ROLE balcao_reader NOLOGIN; END IF;
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'balcao_cli_owner') THEN
             CREATE ROLE balcao_cli_owner LOGIN PASSWORD 'cli-owner-pw-1';
           END IF;
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'balcao_cli_reader') THEN
             CREATE ROLE balcao_cli_reader LOGIN PASSWORD 'cli-reader-pw-1' IN ROLE balcao_reader;
           END IF;
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'balcao_cli_counter') THEN
             CREATE ROLE balcao_cli_counter LOGIN PASSWORD 'cli-counter-pw-1' IN ROLE balcao_counter;
           END IF;
         END $$;
         SELECT pg_advisory_unlock(4242);",
    );
    psql(
        port,
        "postgres",
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE);\nCREATE DATABASE {db} OWNER balcao_cli_owner;"),
    );
}

#[test]
fn admin_migrate_agency_store_then_audit_who_looked_up_answer_from_the_real_server_with_secrets_from_stdin_only() {
    let port = port();
    let db = format!("cli_migrate_{}", std::process::id());
    fresh_database(&port, &db);

    let s = Scratch::new("agency-store");
    std::fs::set_permissions(s.dir(), std::fs::Permissions::from_mode(0o755)).expect("0755");
    std::fs::write(
        s.path("policy.toml"),
        format!("[agency_store]\nurl = \"postgres://balcao_counter_pc@127.0.0.1:{port}/{db}\"\n"),
    )
    .expect("policy");
    let ca = var("BALCAO_TEST_PG_CA");
    let migrate = ["admin", "migrate-agency-store", "--user", "balcao_cli_owner", "--ca", ca.as_str()];

    let wrong = cli(s.dir(), &migrate, "not-the-password\n");
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong));
    assert!(text(&wrong).contains("senha") && !text(&wrong).contains("not-the-password"), "{}", text(&wrong));
    assert_pt_br(&text(&wrong));
    let wrong_ca = var("BALCAO_TEST_PG_WRONG_CA");
    let mut with_wrong_ca = migrate;
    with_wrong_ca[5] = wrong_ca.as_str();
    let refused = cli(s.dir(), &with_wrong_ca, "cli-owner-pw-1\n");
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("TLS"), "{}", text(&refused));
    let nothing = psql(&port, &db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'balcao';");
    assert_eq!(nothing, "0", "a refused run created nothing");

    let first = cli(s.dir(), &migrate, "cli-owner-pw-1\n");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(text(&first).contains("da versão 0 para a 2"), "{}", text(&first));
    let second = cli(s.dir(), &migrate, "cli-owner-pw-1\n");
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    assert!(text(&second).contains("já está na versão 2; nada mudou"), "{}", text(&second));
    assert_eq!(
        psql(&port, &db, "SELECT string_agg(version::text, ',' ORDER BY version) FROM balcao.schema_version;"),
        "1,2"
    );

    let argv = cli(s.dir(), &["admin", "migrate-agency-store", "--ca", ca.as_str(), "--password", "s3cr3t"], "");
    assert_eq!(argv.status.code(), Some(2), "{}", text(&argv));
    assert!(!text(&argv).contains("s3cr3t"), "{}", text(&argv));

    // The agency key: refused unless hex of at least 32 bytes; stored in the machine store of the policy folder.
    let short = cli(s.dir(), &["admin", "set-agency-key"], "abcd\n");
    assert_eq!(short.status.code(), Some(1), "{}", text(&short));
    let key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let set = cli(s.dir(), &["admin", "set-agency-key"], &format!("{key}\n"));
    assert_eq!(set.status.code(), Some(0), "{}", text(&set));
    assert!(!std::fs::read_to_string(s.path("policy.toml")).expect("policy").contains(key), "never in the policy");

    // Three lines as counters write them, the number hashed by PostgreSQL's own HMAC-SHA256 under the same key.
    let append = |seq: u32, at: &str, cpf: &str, masked: &str| {
        format!(
            "SELECT balcao.append_audit_line(gen_random_uuid(), 'balcao-07', {seq}, '{at}', 'joao.lima', 'consulta-cpf', \
             'Atendimento presencial', 'ECAC-{seq}', hmac('{cpf}', decode('{key}', 'hex'), 'sha256'), '{masked}', 'ok');"
        )
    };
    psql(
        &port,
        &db,
        &format!(
            "CREATE EXTENSION IF NOT EXISTS pgcrypto;\n{}\n{}\n{}",
            append(1, "2026-03-10 13:00+00", "52998224725", "***.982.247-**"),
            append(2, "2026-03-11 09:00+00", "11144477735", "***.444.777-**"),
            append(3, "2026-05-01 10:30+00", "52998224725", "***.982.247-**"),
        ),
    );
    let who = ["audit", "who-looked-up", "529.982.247-25", "--user", "balcao_cli_reader", "--ca", ca.as_str()];
    let all = cli(s.dir(), &who, "cli-reader-pw-1\n");
    assert_eq!(all.status.code(), Some(0), "{}", text(&all));
    let t = text(&all);
    assert!(t.contains("2 consulta(s) de ***.982.247-**"), "{t}");
    assert!(t.contains("2026-03-10 13:00:00 UTC  balcão balcao-07  atendente joao.lima  API consulta-cpf"), "{t}");
    assert!(t.contains("autorização e-CAC: ECAC-3"), "{t}");
    assert!(!t.contains("52998224725") && !t.contains("529.982.247-25") && !t.contains("***.444.777-**"), "{t}");
    let mut march = who.to_vec();
    march.extend(["--from", "2026-03-01", "--to", "2026-03-10"]);
    let t = text(&cli(s.dir(), &march, "cli-reader-pw-1\n"));
    assert!(t.contains("1 consulta(s)") && t.contains("ECAC-1") && !t.contains("ECAC-3"), "{t}");
    let bad_day = cli(s.dir(), &[&who[..], &["--from", "10/03/2026"]].concat(), "cli-reader-pw-1\n");
    assert_eq!(bad_day.status.code(), Some(2), "{}", text(&bad_day));
    // A wrong reader password: refused by the database, nothing listed.
    let as_owner_pw = cli(s.dir(), &who, "cli-owner-pw-1\n");
    assert_eq!(as_owner_pw.status.code(), Some(1), "{}", text(&as_owner_pw));
    psql(&port, "postgres", &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE);"));
}

/// `balcao-cli lookup` as one counter (its own data folder and keyring service) under the policy folder `dir`.
fn counter_lookup(dir: &Path, counter: &str, cpf: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_balcao-cli"))
        .args(["lookup", "--profile", "agencia-serpro", "cpf", cpf])
        .env("BALCAO_POLICY_DIR", dir)
        .env("BALCAO_MACHINE_GROUP", "root")
        .env("BALCAO_DATA_DIR", dir.join(counter))
        .env("BALCAO_KEYRING_SERVICE", format!("br.gov.balcao.test.cli-agency-race-{counter}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("balcao-cli runs")
}

#[test]
fn two_counter_processes_racing_for_the_agencys_last_units_get_exactly_the_limit_and_every_line_reaches_the_store() {
    const LIMIT: usize = 4;
    let port = port();
    let db = format!("cli_race_{}", std::process::id());
    fresh_database(&port, &db);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = balcao_sim::SimConfig {
        serpro_credentials: vec![("agencia-id".into(), "agencia-segredo".into())],
        ..balcao_sim::SimConfig::default()
    };
    let sim = rt.block_on(balcao_sim::Simulator::start("127.0.0.1:0".parse().unwrap(), config)).unwrap();

    let s = Scratch::new("agency-race");
    std::fs::set_permissions(s.dir(), std::fs::Permissions::from_mode(0o755)).expect("0755");
    std::fs::copy(var("BALCAO_TEST_PG_CA"), s.path("agency-ca.pem")).expect("the agency's CA");
    std::fs::write(
        s.path("policy.toml"),
        format!(
            "purpose_required = false\n\n[agency_store]\nurl = \"postgres://balcao_cli_counter@127.0.0.1:{port}/{db}\"\n\n\
             [[profile]]\nid = \"agencia-serpro\"\nname = \"SERPRO da agência\"\nprovider = \"serpro\"\n\
             environment = \"producao\"\nbase_url = \"{}\"\ncpf_api = \"serpro_v2\"\n[profile.network]\nmax_retries = 0\n",
            sim.base_url()
        ),
    )
    .expect("policy");
    let ca = var("BALCAO_TEST_PG_CA");
    let migrate = ["admin", "migrate-agency-store", "--user", "balcao_cli_owner", "--ca", ca.as_str()];
    assert_eq!(cli(s.dir(), &migrate, "cli-owner-pw-1\n").status.code(), Some(0));
    psql(&port, &db, &format!("INSERT INTO balcao.quota_limit VALUES ('agencia-serpro', 'serproCpfV2', {LIMIT});"));
    let key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    for (args, input) in [
        (&["admin", "set-credentials", "--profile", "agencia-serpro"][..], "agencia-id\nagencia-segredo\n".to_owned()),
        (&["admin", "set-agency-key"][..], format!("{key}\n")),
        (&["admin", "set-agency-password"][..], "cli-counter-pw-1\n".to_owned()),
    ] {
        let out = cli(s.dir(), args, &input);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    }

    // Each counter's history exists before the race (a Demonstração lookup, never sent to the agency): processes
    // creating the same new history at the same instant are a different race (each refuses, nothing written).
    for pc in ["pc-a", "pc-b"] {
        let mut demo = Command::new(env!("CARGO_BIN_EXE_balcao-cli"));
        demo.args(["lookup", "cpf", "40442820135"])
            .env("BALCAO_POLICY_DIR", s.dir())
            .env("BALCAO_MACHINE_GROUP", "root")
            .env("BALCAO_DATA_DIR", s.dir().join(pc))
            .env("BALCAO_KEYRING_SERVICE", format!("br.gov.balcao.test.cli-agency-race-{pc}"));
        assert!(demo.output().expect("runs").status.success());
    }
    assert_eq!(psql(&port, &db, "SELECT count(*) FROM balcao.audit_line;"), "0", "Demonstração stays on the PC");
    // Two counters, five lookups each, all at once: the agency's limit is four.
    let cpfs = ["40442820135", "91708635203", "58136053391", "63017285995", "47123586964"];
    let children: Vec<_> =
        ["pc-a", "pc-b"].iter().flat_map(|pc| cpfs.iter().map(|cpf| counter_lookup(s.dir(), pc, cpf))).collect();
    let outs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().expect("ends")).collect();
    let granted = outs.iter().filter(|o| o.status.code() == Some(0)).count();
    let refused: Vec<&Output> = outs.iter().filter(|o| o.status.code() == Some(16)).collect();
    assert_eq!(granted, LIMIT, "exactly the limit: {:?}", outs.iter().map(text).collect::<Vec<_>>());
    assert_eq!(refused.len(), 10 - LIMIT);
    assert!(refused.iter().all(|o| text(o).contains("cota da agência")), "{}", text(refused[0]));
    let api_calls = sim.requests().iter().filter(|r| !r.is_token_call()).count();
    assert_eq!(api_calls, LIMIT, "the refused calls never left");
    // Each process sent its line before it exited (the refusals are audited too).
    assert_eq!(psql(&port, &db, "SELECT count(*) FROM balcao.audit_line;"), "10");
    assert_eq!(psql(&port, &db, "SELECT count(DISTINCT counter_id) FROM balcao.audit_line;"), "2");
    assert_eq!(psql(&port, &db, "SELECT sum(used) FROM balcao.quota_use;"), LIMIT.to_string());
    // IT's report of the day, as the reader.
    let report =
        cli(s.dir(), &["audit", "quota", "--user", "balcao_cli_reader", "--ca", ca.as_str()], "cli-reader-pw-1\n");
    assert_eq!(report.status.code(), Some(0), "{}", text(&report));
    assert!(
        text(&report).contains(&format!("credencial agencia-serpro  API serproCpfV2  usadas {LIMIT}")),
        "{}",
        text(&report)
    );
    let as_counter =
        cli(s.dir(), &["audit", "quota", "--user", "balcao_cli_counter", "--ca", ca.as_str()], "cli-counter-pw-1\n");
    assert_eq!(as_counter.status.code(), Some(1), "a counter's login cannot read the report: {}", text(&as_counter));
    assert_pt_br(&text(&as_counter));
    rt.block_on(sim.shutdown());
    psql(&port, "postgres", &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE);"));
}
