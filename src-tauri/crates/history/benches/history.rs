//! History store benchmark: insert rate, lookup by number and name-prefix search on a file of
//! `BALCAO_BENCH_ROWS` rows (default 1 000 000), SQLCipher against the same schema in plain SQLite, in one run.
//!
//! `cargo bench -p balcao-history --bench history` (set `BALCAO_BENCH_ROWS=20000` for a quick smoke;
//! `BALCAO_BENCH_DIR` picks the directory of the two files, default the system temp dir).

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use balcao_core::api::Environment;
use balcao_core::doc::cpf_check_digits;
use balcao_core::history_api::{HistoryQuery, RetentionPolicy};
use balcao_core::record::{ApiKind, CallMeta, CpfRecord, Lookup, Record, Status};
use balcao_core::{Cpf, Document, Sensitive};
use balcao_history::{History, LookupContext, LookupOutcome};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};

const FIRST: [&str; 16] = [
    "Maria",
    "José",
    "Ana",
    "João",
    "Antônio",
    "Francisca",
    "Carlos",
    "Paulo",
    "Adriana",
    "Lúcia",
    "Márcio",
    "Luiz",
    "Juliana",
    "Sebastião",
    "Conceição",
    "Raimundo",
];
const LAST: [&str; 16] = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Ribeiro",
    "Carvalho",
    "Araújo",
    "Gonçalves",
    "Conceição",
    "Magalhães",
];

fn rows() -> u64 {
    std::env::var("BALCAO_BENCH_ROWS").ok().and_then(|s| s.replace('_', "").parse().ok()).unwrap_or(1_000_000)
}

/// The i-th synthetic CPF: nine digits from `i`, with its real check digits.
fn cpf(i: u64) -> Cpf {
    let base = format!("{:09}", 100_000_000 + (i * 7919) % 800_000_000);
    let b: [u8; 9] = base.as_bytes().try_into().expect("nine digits");
    let d = cpf_check_digits(&b);
    Cpf::parse(&format!("{base}{}{}", d[0] as char, d[1] as char)).expect("valid CPF")
}

fn name(rng: &mut impl Rng) -> String {
    format!(
        "{} {} {} {}",
        FIRST[rng.random_range(0..16)],
        FIRST[rng.random_range(0..16)],
        LAST[rng.random_range(0..16)],
        LAST[rng.random_range(0..16)]
    )
}

fn lookup(cpf: Cpf, name: String) -> LookupOutcome {
    let raw = format!(
        "{{\"ni\":\"{cpf}\",\"nome\":\"{name}\",\"situacao\":{{\"codigo\":\"0\",\"descricao\":\"Regular\"}},\"nascimento\":\"01011980\"}}"
    );
    let record = Record::Cpf(CpfRecord {
        name: Some(name),
        birth_date: Some("1980-01-01".into()),
        ..CpfRecord::new(cpf, Status::cpf("0", None))
    });
    let meta = CallMeta {
        api: ApiKind::SerproCpfV1,
        http_status: 200,
        latency_ms: 180,
        activity_id: Some("5f0c2a8e-6b3d-4f0e-9a51-1c2d3e4f5a6b".into()),
        billable: true,
    };
    Ok(Lookup { record, meta, raw, consulted_at: "2026-03-01T12:00:00Z".into(), partial: false })
}

fn ctx() -> LookupContext {
    LookupContext {
        profile_id: "bench".into(),
        profile_name: "Benchmark".into(),
        environment: Environment::Demonstracao,
        clerk_cpf: Some(Cpf::parse("11144477735").expect("valid")),
        os_user: "bench".into(),
        purpose: Some("benchmark".into()),
        authorization_code: None,
        view: None,
        do_not_record: false,
    }
}

/// Fills `h` with `n` rows in transactions of 10 000 and returns the bulk rate (rows per second).
fn populate(h: &mut History, n: u64) -> f64 {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let started = Instant::now();
    let c = ctx();
    let mut i = 0;
    while i < n {
        let chunk: Vec<_> = (i..n.min(i + 10_000))
            .map(|k| {
                let number = cpf(k);
                (lookup(number, name(&mut rng)), Document::Cpf(number))
            })
            .collect();
        h.record_batch(&c, &chunk).expect("batch");
        i += chunk.len() as u64;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn file_size(path: &Path) -> u64 {
    ["", "-wal"].iter().filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok()).map(|m| m.len()).sum()
}

fn benches(c: &mut Criterion) {
    let n = rows();
    let base = std::env::var_os("BALCAO_BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(base).expect("bench dir");
    let key = Sensitive::new("3b9f".repeat(16));
    let mut stores = Vec::new();
    for label in ["sqlcipher", "plain"] {
        let path = dir.path().join(format!("{label}.db"));
        let mut h = match label {
            "sqlcipher" => History::open_with_key(&path, &key).expect("open sqlcipher"),
            _ => History::open_unencrypted(&path).expect("open plain"),
        };
        // The default policy keeps 20 000 entries and trims while recording: the bench measures a full store.
        h.set_retention(&RetentionPolicy { max_age_days: None, max_entries: None }).expect("no retention limit");
        let rate = populate(&mut h, n);
        println!(
            "populate/{label}: {n} rows in batches of 10000: {rate:.0} rows/s, file {:.1} MB",
            file_size(&path) as f64 / 1e6
        );
        stores.push((label, h));
    }

    let mut g = c.benchmark_group(format!("insert_single_{n}"));
    g.throughput(Throughput::Elements(1));
    for (label, h) in stores.iter_mut() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let c = ctx();
        g.bench_function(BenchmarkId::from_parameter(*label), |b| {
            b.iter(|| {
                let number = cpf(rng.random_range(0..n));
                h.record(&c, &lookup(number, name(&mut rng)), &Document::Cpf(number)).expect("record")
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group(format!("insert_batch100_{n}"));
    g.throughput(Throughput::Elements(100));
    for (label, h) in stores.iter_mut() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        let c = ctx();
        g.bench_function(BenchmarkId::from_parameter(*label), |b| {
            b.iter(|| {
                let items: Vec<_> = (0..100)
                    .map(|_| {
                        let number = cpf(rng.random_range(0..n));
                        (lookup(number, name(&mut rng)), Document::Cpf(number))
                    })
                    .collect();
                h.record_batch(&c, &items).expect("batch")
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group(format!("search_number_{n}"));
    for (label, h) in stores.iter() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        g.bench_function(BenchmarkId::from_parameter(*label), |b| {
            b.iter(|| {
                let q = HistoryQuery { text: Some(cpf(rng.random_range(0..n)).formatted()), ..Default::default() };
                let page = h.search(&q).expect("search");
                assert!(!page.items.is_empty());
                black_box(page)
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group(format!("latest_for_{n}"));
    for (label, h) in stores.iter() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(10);
        g.bench_function(BenchmarkId::from_parameter(*label), |b| {
            b.iter(|| black_box(h.latest_for(&Document::Cpf(cpf(rng.random_range(0..n)))).expect("latest")))
        });
    }
    g.finish();

    // A prefix as a clerk types it (accents and case ignored): about 1/256 of the rows match "maria jose s".
    let mut g = c.benchmark_group(format!("search_name_prefix_{n}"));
    for (label, h) in stores.iter() {
        for prefix in ["MARIA JOSÉ S", "conceicao luiz magalhaes"] {
            g.bench_function(BenchmarkId::new(*label, prefix), |b| {
                b.iter(|| {
                    let q = HistoryQuery { text: Some(prefix.to_owned()), limit: Some(50), ..Default::default() };
                    let page = h.search(&q).expect("search");
                    assert!(!page.items.is_empty());
                    black_box(page)
                })
            });
        }
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(4))
}

criterion_group! { name = history; config = config(); targets = benches }
criterion_main!(history);
