//! Durability under SIGKILL: a child process (this binary re-run with `BALCAO_CRASH_CHILD_DB`) records lookups in
//! a loop and prints each acknowledged id; the parent kills it at seeded random moments, then checks that the file
//! passes `PRAGMA integrity_check` and holds every acknowledged row. Several rounds on the same file, so each
//! round also recovers the previous round's WAL. Seed: `BALCAO_CRASH_SEED` (default fixed). Custom harness.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use balcao_core::history_api::HistoryQuery;
use common::*;
use rand::{Rng, SeedableRng};

const CHILD_ENV: &str = "BALCAO_CRASH_CHILD_DB";
const ROUNDS: usize = 6;

fn main() {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&path));
        return;
    }
    let seed: u64 = std::env::var("BALCAO_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_ba1c);
    println!("crash: seed {seed}");
    parent(seed);
    println!("crash: 1 passed, 0 failed");
}

/// Writes until killed (bounded: 100 000 writes or 2 minutes), printing `ACK <id>` after each commit.
fn child(path: &Path) {
    let mut h = open(path);
    let out = std::io::stdout();
    let started = Instant::now();
    let mut n = 0u64;
    while n < 100_000 && started.elapsed() < Duration::from_secs(120) {
        let ids = if n % 7 == 3 {
            let items: Vec<_> = (0..5).map(|_| (found_cpf("40442820135", "Lote"), doc("40442820135"))).collect();
            h.record_batch(&ctx(), &items).expect("batch recorded")
        } else {
            let name = format!("Pessoa {n}");
            vec![h.record(&ctx(), &found_cpf("63017285995", &name), &doc("63017285995")).expect("recorded")]
        };
        let mut lock = out.lock();
        for id in ids.into_iter().flatten() {
            writeln!(lock, "ACK {id}").expect("stdout");
        }
        lock.flush().expect("stdout");
        n += 1;
    }
}

fn parent(seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut all_acked: Vec<i64> = Vec::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("child starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<i64>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(id) = line.strip_prefix("ACK ").and_then(|s| s.parse().ok()) {
                    let _ = tx.send(id);
                }
            }
        });
        // Let it get going, then kill it at a random moment of its stream of writes.
        let first = rx.recv_timeout(Duration::from_secs(60)).expect("child acknowledged a first write");
        let delay = Duration::from_millis(rng.random_range(5..400));
        std::thread::sleep(delay);
        child.kill().expect("SIGKILL");
        let status = child.wait().unwrap();
        assert!(!status.success(), "the child was killed, it did not finish");
        reader.join().unwrap();
        let mut acked = vec![first];
        acked.extend(rx.try_iter());

        let h = open(&path);
        h.integrity_check().unwrap_or_else(|e| panic!("round {round}: integrity_check failed: {e:?}"));
        let missing: Vec<i64> = acked.iter().copied().filter(|id| h.get(*id).unwrap().is_none()).collect();
        assert!(missing.is_empty(), "round {round}: acknowledged rows lost: {missing:?}");
        all_acked.extend(&acked);
        // Earlier rounds' rows are all still there, and the audit has a line for each lookup.
        assert!(h.count().unwrap() >= all_acked.len() as u64, "round {round}");
        let newest = h.search(&HistoryQuery { limit: Some(1), ..Default::default() }).unwrap();
        assert!(newest.items[0].id >= *acked.iter().max().unwrap());
        println!(
            "crash: round {round}: killed after {delay:?}, {} acknowledged, all present, integrity ok",
            acked.len()
        );
    }
}
