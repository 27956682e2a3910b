//! The agency store stopped in the middle of a run of lookups, cleanly and as a crash (`pg_ctl stop -m fast` and
//! `-m immediate`), then started again: every audit line arrives exactly once, in the counter's order, and the
//! agency's count holds every unit, online and offline. Its own test binary: it stops the shared test cluster.

mod agency;

use std::process::Command;
use std::time::Duration;

use agency::pg::{Role, TestDb};
use agency::{counter, counter_url, gateway, request};

fn pg_ctl(args: &[&str]) {
    let ctl = std::env::var("BALCAO_TEST_PG_CTL").expect("BALCAO_TEST_PG_CTL");
    let data = std::env::var("BALCAO_TEST_PG_DATA").expect("BALCAO_TEST_PG_DATA");
    let run_as = std::env::var("BALCAO_TEST_PG_RUN_AS").unwrap_or_default();
    let mut cmd = if run_as.is_empty() {
        Command::new(&ctl)
    } else {
        let mut c = Command::new("runuser");
        c.args(["-u", &run_as, "--"]).arg(&ctl);
        c
    };
    let log = std::path::Path::new(&data).with_file_name("log");
    cmd.arg("-D").arg(&data).arg("-l").arg(log).args(args);
    let status = cmd.stdout(std::process::Stdio::null()).status().expect("pg_ctl runs");
    assert!(status.success(), "pg_ctl {args:?}");
}

const CPFS: [&str; 4] = ["40442820135", "91708635203", "58136053391", "63017285995"];

#[tokio::test(flavor = "multi_thread")]
async fn lines_arrive_exactly_once_and_in_order_across_a_clean_stop_and_a_crash_of_the_store() {
    let db = TestDb::fresh("faults").await;
    balcao_agency::migrate(&db.opts(Role::Owner)).await.expect("migrate");
    let sim = gateway().await;
    let c = counter(&sim.base_url(), &counter_url(&db), &db.ca, 100);
    let session = c.session().await;
    let link = session.agency().expect("a store").clone();
    let mut made = 0;
    for stop in ["fast", "immediate"] {
        for n in CPFS {
            session.lookup(request(n)).await.expect("answered while the store is up");
            made += 1;
        }
        // Part of what waits goes now; then the store goes away with lines still waiting.
        link.drain_for(Duration::from_secs(20)).await.expect("drained while up");
        for n in CPFS {
            session.lookup(request(n)).await.expect("answered while the store is up");
            made += 1;
        }
        pg_ctl(&["-m", stop, "-w", "stop"]);
        for n in CPFS {
            session.lookup(request(n)).await.expect("answered from the offline allowance");
            made += 1;
        }
        assert!(link.drain_for(Duration::from_secs(5)).await.is_err(), "the store is down ({stop})");
        assert!(link.status().await.waiting >= 8, "the lines wait in the outbox");
        pg_ctl(&["-w", "start"]);
        // The link finds the store again (its old connection died with the server).
        let mut tries = 0;
        while link.drain_for(Duration::from_secs(20)).await.is_err() {
            tries += 1;
            assert!(tries < 20, "the store came back ({stop})");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert_eq!(link.status().await.waiting, 0, "everything arrived after the {stop} stop");
    }
    let sup = db.superuser(&db.name).await;
    let rows = sup.query("SELECT seq, id FROM balcao.audit_line ORDER BY received_at, seq", &[]).await.unwrap();
    assert_eq!(rows.len(), made, "each line exactly once");
    let seqs: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(seqs, sorted, "in the counter's order, no line twice");
    let used: i32 = sup.query_one("SELECT sum(used)::int FROM balcao.quota_use", &[]).await.unwrap().get(0);
    assert_eq!(used, i32::try_from(made).unwrap(), "online reservations and offline units reconciled, each once");
    let offline: i64 = sup.query_one("SELECT count(*) FROM balcao.quota_offline", &[]).await.unwrap().get(0);
    assert_eq!(offline, 8, "the units spent while the store was down");
    session.close().await;
}
