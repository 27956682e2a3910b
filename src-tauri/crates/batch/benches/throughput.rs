//! Batch throughput against the simulator over loopback, at its rate limit: numbers answered per second, end to end
//! (plan, paced calls, history/audit writes and saved state in SQLCipher). Figures and the command: docs/benchmarks-batch.md.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use balcao_batch::{Batch, Cancel};
use balcao_core::batch_api::{BatchOptions, BatchState};
use balcao_core::profile::Profile;
use balcao_core::{Cpf, Sensitive};
use balcao_gov::{Credentials, GovClient};
use balcao_history::{History, LookupContext};
use balcao_sim::{SimConfig, Simulator};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};

/// One scenario: a gateway rate limit, the profile's own pacing, the CPF API, and the list.
struct Scenario {
    name: &'static str,
    gateway_rps: Option<f64>,
    profile_rps: Option<f64>,
    light: bool,
    unique: u32,
    rows: u32,
}

const SCENARIOS: [Scenario; 4] = [
    Scenario {
        name: "serpro_cpf_v2_paced_at_gateway_limit_50rps",
        gateway_rps: Some(50.0),
        profile_rps: Some(50.0),
        light: false,
        unique: 250,
        rows: 500,
    },
    Scenario {
        name: "serpro_cpf_v2_unpaced_gateway_limit_50rps",
        gateway_rps: Some(50.0),
        profile_rps: None,
        light: false,
        unique: 250,
        rows: 500,
    },
    Scenario {
        name: "conecta_cpf_light_paced_at_gateway_limit_10rps",
        gateway_rps: Some(10.0),
        profile_rps: Some(10.0),
        light: true,
        unique: 2_500,
        rows: 5_000,
    },
    Scenario {
        name: "serpro_cpf_v2_no_limit_10k_rows",
        gateway_rps: None,
        profile_rps: None,
        light: false,
        unique: 3_000,
        rows: 10_000,
    },
];

/// `rows` lines over `unique` valid CPFs unknown to the simulator (404, billed), each repeated.
fn list(unique: u32, rows: u32) -> Vec<u8> {
    let cpfs: Vec<String> =
        (0..unique).map(|i| Cpf::with_check_digits(&(800_000_000 + i).to_string()).unwrap().to_string()).collect();
    let mut s = String::from("nome;cpf\n");
    for i in 0..rows {
        s.push_str(&format!("Pessoa {i};{}\n", cpfs[(i % unique) as usize]));
    }
    s.into_bytes()
}

fn ctx(p: &Profile) -> LookupContext {
    LookupContext {
        profile_id: p.id.clone(),
        profile_name: p.name.clone(),
        environment: p.environment,
        clerk_cpf: p.clerk_cpf,
        os_user: "bench".into(),
        purpose: None,
        authorization_code: None,
        view: None,
        do_not_record: false,
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = Sensitive::new("b7".repeat(32));
    let history = Arc::new(Mutex::new(History::open_with_key(&dir.path().join("history.db"), &key).unwrap()));
    let mut group = c.benchmark_group("batch");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(1));
    for s in &SCENARIOS {
        let bytes = list(s.unique, s.rows);
        group.throughput(Throughput::Elements(u64::from(s.unique)));
        group.measurement_time(Duration::from_secs(if s.gateway_rps.is_some() { 60 } else { 20 }));
        let mut refused = 0usize;
        let mut calls = 0u32;
        group.bench_function(s.name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    let (elapsed, r, n) = rt.block_on(async {
                        let config = SimConfig { rate_limit_rps: s.gateway_rps, ..SimConfig::default() };
                        let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
                        let mut profile = if s.light {
                            Profile::demo_conecta(&sim.base_url(), Cpf::parse("11144477735").unwrap())
                        } else {
                            Profile::demo(&sim.base_url())
                        };
                        profile.network.rate_limit_rps = s.profile_rps;
                        let client = GovClient::new(profile.clone(), Credentials::demo()).unwrap();
                        let started = Instant::now();
                        let mut batch = Batch::prepare("bench.csv", &bytes, &BatchOptions::default()).unwrap();
                        let state = format!("{}-{i}", s.name);
                        batch.start_journal(&mut history.lock().unwrap(), &state, &ctx(&profile)).unwrap();
                        let end =
                            batch.run(&client, history.clone(), &ctx(&profile), &Cancel::new(), &|_| {}).await.unwrap();
                        let elapsed = started.elapsed();
                        assert_eq!(end.state, BatchState::Completed, "{end:?}");
                        let refused = sim.requests().iter().filter(|r| r.status == 429).count();
                        sim.shutdown().await;
                        let _ = history.lock().unwrap().batch_state_discard(&state);
                        (elapsed, refused, end.calls)
                    });
                    total += elapsed;
                    refused = r;
                    calls = n;
                }
                total
            });
        });
        eprintln!(
            "  {}: {} numbers, {} rows, {calls} calls, {refused} refused by the gateway (429) in the last run",
            s.name, s.unique, s.rows
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
