//! Helpers shared by the history integration tests: contexts, lookups and outcomes as the app would pass them,
//! and byte-level file checks.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use balcao_core::api::Environment;
use balcao_core::record::{ApiKind, CallMeta, CnpjRecord, CnpjView, CpfRecord, Lookup, Record, Status};
use balcao_core::{AppError, Cnpj, Cpf, Document, ErrorCode, Sensitive};
use balcao_history::{History, LookupContext, LookupOutcome};

pub const KEY: &str = "7f1c0de5a11ce0ffee0ddba11c0ffee07f1c0de5a11ce0ffee0ddba11c0ffee0";
pub const OTHER_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";

pub fn key() -> Sensitive<String> {
    Sensitive::new(KEY.to_owned())
}

/// Opens with both days in Brasília's zone, whatever the machine's (tests/zones.rs covers the machine's zone).
pub fn open(path: &Path) -> History {
    let zones = balcao_history::DayZones::named("America/Sao_Paulo", "America/Sao_Paulo").expect("bundled zone");
    History::open_with_key(path, &key()).expect("history opens").with_zones(zones)
}

/// A raw SQLCipher connection to `path` with the test key, for tests that reach under `History` to the file itself.
pub fn raw_keyed(path: &Path) -> rusqlite::Connection {
    balcao_history::sqlcipher_ready();
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{KEY}'\";")).unwrap();
    conn
}

/// A history at `path` holding one lookup (closed again), then [`raw_keyed`] to it.
pub fn raw_with_one_lookup(path: &Path) -> rusqlite::Connection {
    open(path).record(&ctx(), &found_cpf("40442820135", "Ana"), &doc("40442820135")).unwrap();
    raw_keyed(path)
}

pub fn ctx() -> LookupContext {
    LookupContext {
        profile_id: "demo".into(),
        profile_name: "Demonstração".into(),
        environment: Environment::Demonstracao,
        clerk_cpf: Some(Cpf::parse("111.444.777-35").unwrap()),
        os_user: "atendente1".into(),
        purpose: Some("Protocolo 2026/0042".into()),
        authorization_code: None,
        view: None,
        do_not_record: false,
    }
}

pub fn meta(api: ApiKind, status: u16) -> CallMeta {
    CallMeta {
        api,
        http_status: status,
        latency_ms: 42,
        activity_id: Some(format!("act-{api:?}-{status}")),
        billable: CallMeta::billable(api, status),
    }
}

pub fn cpf_record(number: &str, name: &str, status_code: &str) -> Record {
    Record::Cpf(CpfRecord {
        name: Some(name.to_owned()),
        birth_date: Some("1980-02-29".into()),
        ..CpfRecord::new(Cpf::parse(number).unwrap(), Status::cpf(status_code, None))
    })
}

pub fn cnpj_record(number: &str, legal_name: &str) -> Record {
    Record::Cnpj(CnpjRecord {
        cnpj: Cnpj::parse(number).unwrap(),
        view: CnpjView::Qsa,
        legal_name: Some(legal_name.to_owned()),
        trade_name: Some("Fantasia".into()),
        establishment: None,
        status: Status::cnpj("2", Some("2005-11-03".into()), None),
        legal_nature: None,
        opening_date: None,
        main_activity: None,
        secondary_activities: vec![],
        address: None,
        jurisdiction: None,
        phones: vec![],
        email: None,
        capital_cents: Some(1_000_000),
        size: None,
        special_situation: None,
        special_situation_date: None,
        simples: None,
        mei: None,
        partners: Some(vec![]),
        extra: vec![],
    })
}

pub fn found(record: Record) -> LookupOutcome {
    let api = match record {
        Record::Cpf(_) => ApiKind::SerproCpfV1,
        Record::Cnpj(_) => ApiKind::SerproCnpj,
    };
    let raw = serde_json::json!({"ni": record.number(), "nome": record.display_name()}).to_string();
    Ok(Lookup { record, meta: meta(api, 200), raw, consulted_at: "2026-03-01T12:00:00Z".into(), partial: false })
}

pub fn found_cpf(number: &str, name: &str) -> LookupOutcome {
    found(cpf_record(number, name, "0"))
}

pub fn not_found(api: ApiKind) -> LookupOutcome {
    Err((AppError::from(ErrorCode::NotFound), Some(meta(api, 404))))
}

/// A failure with no billed call (the network was down).
pub fn network_failure() -> LookupOutcome {
    Err((AppError::from(ErrorCode::Network), None))
}

pub fn doc(s: &str) -> Document {
    Document::parse(s).unwrap()
}

/// The database file and its WAL/shared-memory companions.
pub fn db_files(path: &Path) -> Vec<PathBuf> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    ["", "-wal", "-shm", "-journal"].iter().map(|s| path.with_file_name(format!("{name}{s}"))).collect()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every needle found in any of the database's files, as (file, needle).
pub fn plaintext_hits(path: &Path, needles: &[&str]) -> Vec<(String, String)> {
    let mut hits = Vec::new();
    for f in db_files(path) {
        let Ok(bytes) = std::fs::read(&f) else { continue };
        for n in needles {
            if contains(&bytes, n.as_bytes()) {
                hits.push((f.display().to_string(), (*n).to_owned()));
            }
        }
    }
    hits
}

/// A stable fingerprint of the bytes of every companion file (absent files included as such).
pub fn fingerprint(path: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    db_files(path).into_iter().map(|f| (f.display().to_string(), std::fs::read(&f).ok())).collect()
}
