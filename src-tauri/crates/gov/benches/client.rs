//! HTTP cost of `GovClient` against the simulator: lookups per second at a fixed concurrency, next to a bare
//! reqwest GET of the same URL with the same headers (the HTTP floor the client adds its work on top of).
//!
//! Endpoint: SERPRO trial Consulta CPF v1 (`/consulta-cpf-df-trial/v1/cpf/40442820135`, fixed public bearer, no
//! token call), so `wrk` can load exactly the same request. Each iteration is one lookup; `c` workers share the
//! iterations, each sending its next request when the previous answer is in (as `wrk -c` does).
//!
//! - `BALCAO_BENCH_SIM_URL=http://127.0.0.1:PORT`: load an already running simulator (`balcao-cli sim`, as
//!   `cargo xtask bench` does, so the server runs in its own process as it does for `wrk`); default: start one
//!   in this process on its own runtime.
//! - `BALCAO_BENCH_CONCURRENCY=1,4` (default): the concurrencies measured.
//!
//! Bench ids: `gov_http/client_c{N}` and `gov_http/reqwest_c{N}`; criterion's time per iteration is the time per
//! lookup at that concurrency, so lookups/s = 1 / time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use balcao_core::Cpf;
use balcao_core::api::Environment;
use balcao_core::profile::{CpfApi, NetworkSettings, Profile};
use balcao_gov::{Credentials, GovClient, SERPRO_TRIAL_BEARER};
use balcao_sim::{SimConfig, SimHandle, Simulator};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use reqwest::header::{ACCEPT, AUTHORIZATION};
use tokio::runtime::Runtime;

const CPF: &str = "40442820135";
const PATH: &str = "/consulta-cpf-df-trial/v1/cpf/40442820135";

/// The SERPRO trial profile on the simulator: fixed bearer, v1 CPF, no pacing, concurrency not capped.
fn trial_profile(base: &str, concurrency: usize) -> Profile {
    let mut p = Profile::demo(base);
    p.id = "bench-trial".to_owned();
    p.name = "Bench (SERPRO trial)".to_owned();
    p.environment = Environment::SerproTrial;
    p.cpf_api = Some(CpfApi::SerproV1);
    p.network = NetworkSettings {
        max_concurrency: u32::try_from(concurrency).unwrap_or(u32::MAX),
        rate_limit_rps: None,
        ..NetworkSettings::default()
    };
    p
}

fn concurrencies() -> Vec<usize> {
    std::env::var("BALCAO_BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "1,4".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .filter(|&c| c > 0)
        .collect()
}

/// Runs `iters` calls of `one` spread over `concurrency` workers; returns the wall time of the whole batch.
async fn batch<F, Fut>(concurrency: usize, iters: u64, one: F) -> Duration
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let left = Arc::new(AtomicU64::new(iters));
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let left = left.clone();
        let one = one.clone();
        workers.spawn(async move {
            while left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
                one().await;
            }
        });
    }
    while let Some(r) = workers.join_next().await {
        r.expect("bench worker");
    }
    start.elapsed()
}

struct Target {
    base: String,
    _sim: Option<SimHandle>,
}

fn target(rt: &Runtime) -> Target {
    match std::env::var("BALCAO_BENCH_SIM_URL") {
        Ok(url) => Target { base: url.trim_end_matches('/').to_owned(), _sim: None },
        Err(_) => {
            let sim = rt
                .block_on(Simulator::start(([127, 0, 0, 1], 0).into(), SimConfig::default()))
                .expect("simulator starts");
            Target { base: sim.base_url(), _sim: Some(sim) }
        }
    }
}

fn http_throughput(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let target = target(&rt);
    let cpf = Cpf::parse(CPF).expect("valid CPF");
    let url = format!("{}{PATH}", target.base);
    let http = reqwest::Client::builder().build().expect("reqwest client");

    let mut g = c.benchmark_group("gov_http");
    g.sampling_mode(SamplingMode::Flat).throughput(Throughput::Elements(1));
    for conc in concurrencies() {
        let client = GovClient::new(trial_profile(&target.base, conc), Credentials::demo()).expect("valid profile");
        let first = rt.block_on(client.lookup_cpf(&cpf)).expect("the simulator answers the trial lookup");
        assert_eq!(first.meta.http_status, 200);
        g.bench_function(format!("client_c{conc}"), |b| {
            b.iter_custom(|iters| {
                let client = client.clone();
                rt.block_on(batch(conc, iters, move || {
                    let client = client.clone();
                    async move {
                        let lookup = client.lookup_cpf(&cpf).await.expect("lookup");
                        std::hint::black_box(lookup);
                    }
                }))
            })
        });
        g.bench_function(format!("reqwest_c{conc}"), |b| {
            b.iter_custom(|iters| {
                let (http, url) = (http.clone(), url.clone());
                rt.block_on(batch(conc, iters, move || {
                    let (http, url) = (http.clone(), url.clone());
                    async move {
                        let resp = http
                            .get(&url)
                            .header(AUTHORIZATION, format!("Bearer {SERPRO_TRIAL_BEARER}"))
                            .header(ACCEPT, "application/json")
                            .send()
                            .await
                            .expect("GET");
                        assert_eq!(resp.status().as_u16(), 200);
                        std::hint::black_box(resp.bytes().await.expect("body"));
                    }
                }))
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = http_throughput
}
criterion_main!(benches);
