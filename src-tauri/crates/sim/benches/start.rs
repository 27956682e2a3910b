//! Start-up cost of the simulator (it is embedded in the desktop app and must start well under a second).

use std::net::SocketAddr;

use balcao_sim::{SimConfig, Simulator};
use criterion::{Criterion, criterion_group, criterion_main};

fn start_and_stop(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    c.bench_function("simulator start + shutdown", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let sim = Simulator::start(addr, SimConfig::default()).await.expect("simulator starts");
                sim.shutdown().await;
            })
        })
    });
}

criterion_group!(benches, start_and_stop);
criterion_main!(benches);
