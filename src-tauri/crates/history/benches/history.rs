//! History store benchmark: insert rate, lookup by number and name search (words and word starts, through the FTS5
//! index) on a file of `BALCAO_BENCH_ROWS` rows (default 1 000 000), SQLCipher against the same schema in plain
//! SQLite, in one run.
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

/// A word found in about 1 % of the names (appended to one name in 100). "Conceição", first name and surname, is in
/// 1 − (15/16)⁴ ≈ 23 % of them.
const RARE: &str = "Wanderley";

fn name(rng: &mut impl Rng) -> String {
    let mut name = format!(
        "{} {} {} {}",
        FIRST[rng.random_range(0..16)],
        FIRST[rng.random_range(0..16)],
        LAST[rng.random_range(0..16)],
        LAST[rng.random_range(0..16)]
    );
    if rng.random_range(0..100) == 0 {
        name.push(' ');
        name.push_str(RARE);
    }
    name
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

/// Fills `h` with `n` rows in transactions of 10 000 and returns the bulk rate (rows per second) and the share of
/// names holding [`RARE`] and "Conceição".
fn populate(h: &mut History, n: u64) -> (f64, f64, f64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let started = Instant::now();
    let c = ctx();
    let (mut rare, mut common) = (0u64, 0u64);
    let mut i = 0;
    while i < n {
        let chunk: Vec<_> = (i..n.min(i + 10_000))
            .map(|k| {
                let number = cpf(k);
                let name = name(&mut rng);
                rare += u64::from(name.contains(RARE));
                common += u64::from(name.contains("Conceição"));
                (lookup(number, name), Document::Cpf(number))
            })
            .collect();
        h.record_batch(&c, &chunk).expect("batch");
        i += chunk.len() as u64;
    }
    (n as f64 / started.elapsed().as_secs_f64(), rare as f64 / n as f64, common as f64 / n as f64)
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
        let (rate, rare, common) = populate(&mut h, n);
        println!(
            "populate/{label}: {n} rows in batches of 10000: {rate:.0} rows/s, file {:.1} MB; names with \
             {RARE}: {:.2} %, with Conceição: {:.2} %",
            file_size(&path) as f64 / 1e6,
            rare * 100.0,
            common * 100.0
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

    // Lookup by number with the app's page cache, and on the encrypted file with SQLite's default cache (2 MiB)
    // beside it: what the larger cache buys.
    let runs = [("sqlcipher", 0), ("plain", 1), ("sqlcipher-cache2MiB", 0)];
    let mut g = c.benchmark_group(format!("search_number_{n}"));
    for (label, store) in runs {
        let h = &stores[store].1;
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        set_cache(h, label);
        g.bench_function(BenchmarkId::from_parameter(label), |b| {
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
    for (label, store) in runs {
        let h = &stores[store].1;
        let mut rng = rand::rngs::StdRng::seed_from_u64(10);
        set_cache(h, label);
        g.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter(|| black_box(h.latest_for(&Document::Cpf(cpf(rng.random_range(0..n)))).expect("latest")))
        });
    }
    g.finish();
    set_cache(&stores[0].1, "sqlcipher");

    // Name search as a clerk types it (accents and case ignored), first page of 50, newest first: a word in about
    // 1 % of the rows, one in about 23 %, a word start of the latter, two words, and a full-name start.
    let mut g = c.benchmark_group(format!("search_name_{n}"));
    for (label, h) in stores.iter() {
        for text in ["wanderley", "conceicao", "conc", "maria silva", "MARIA JOSÉ S"] {
            g.bench_function(BenchmarkId::new(*label, text), |b| {
                b.iter(|| {
                    let q = HistoryQuery { text: Some(text.to_owned()), limit: Some(50), ..Default::default() };
                    let page = h.search(&q).expect("search");
                    assert!(!page.items.is_empty());
                    black_box(page)
                })
            });
        }
    }
    g.finish();
}

/// SQLite's default page cache (2 MiB) for the `-cache2MiB` runs, the app's otherwise.
fn set_cache(h: &History, label: &str) {
    let kib = if label.ends_with("-cache2MiB") { 2 * 1024 } else { 32 * 1024 };
    h.set_page_cache_kib_for_benchmarks(kib).expect("cache size");
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(4))
}

criterion_group! { name = history; config = config(); targets = benches }
criterion_main!(history);
