//! The agency store's cost (#18), against the throwaway PostgreSQL of `cargo xtask bench` (or `cargo xtask pg`):
//! the outbox's drain rate with 100 000 lines waiting, and a lookup's latency with the agency-wide quota
//! reservation against the same lookup without an agency store, in one run. Figures: docs/benchmarks.md.

#[path = "../tests/agency/mod.rs"]
mod agency;

use std::time::{Duration, Instant};

use agency::pg::{Role, TestDb};
use agency::{counter, counter_url, counter_with, gateway, request};
use balcao_core::api::Environment;
use balcao_core::{AppError, Cpf, Document, ErrorCode};
use balcao_history::{LookupContext, LookupOutcome};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

const WAITING: u32 = 100_000;

fn ctx() -> LookupContext {
    LookupContext {
        profile_id: agency::ID.into(),
        profile_name: "SERPRO da agência".into(),
        environment: Environment::Producao,
        clerk_cpf: Cpf::parse("111.444.777-35").ok(),
        os_user: "bench".into(),
        purpose: Some("Benchmark".into()),
        authorization_code: None,
        view: None,
        do_not_record: true,
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (db, sim) = rt.block_on(async {
        let db = TestDb::fresh("bench").await;
        balcao_agency::migrate(&db.opts(Role::Owner)).await.expect("migrate");
        (db, gateway().await)
    });
    let with = counter(&sim.base_url(), &counter_url(&db), &db.ca, 5);
    let without = counter_with(&sim.base_url(), None, &db.ca, 5);
    let session = rt.block_on(with.session());
    let plain = rt.block_on(without.session());
    let link = session.agency().expect("a store").clone();
    // 100 000 valid CPFs, each an audit line of a real profile (no history row: "não registrar").
    let numbers: Vec<(LookupOutcome, Document)> = (0..WAITING)
        .map(|i| {
            let cpf = Cpf::with_check_digits(&(700_000_000 + i).to_string()).unwrap();
            (Err((AppError::from(ErrorCode::NotFound), None)), Document::Cpf(cpf))
        })
        .collect();

    let mut group = c.benchmark_group("agency");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(1));
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(u64::from(WAITING)));
    group.bench_function("drain_100k_waiting_lines", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                session.history().lock().unwrap().record_batch(&ctx(), &numbers).expect("queued");
                let started = Instant::now();
                rt.block_on(link.drain_for(Duration::from_secs(600))).expect("drained");
                total += started.elapsed();
                assert_eq!(rt.block_on(link.status()).waiting, 0);
            }
            total
        });
    });
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("lookup_with_agency_quota_reservation", |b| {
        b.iter(|| rt.block_on(session.lookup(request("40442820135"))).expect("answered"));
    });
    group.bench_function("lookup_without_agency_store", |b| {
        b.iter(|| rt.block_on(plain.lookup(request("40442820135"))).expect("answered"));
    });
    group.finish();
    rt.block_on(async {
        session.close().await;
        plain.close().await;
        sim.shutdown().await;
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
