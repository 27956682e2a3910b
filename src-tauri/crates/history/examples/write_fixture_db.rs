//! Writes a real `history.db` through this build's `History` API, for the migration tests of the next schema:
//! `cargo run -p balcao-history --example write_fixture_db -- tests/fixtures/history_vN.db` (N = this build's
//! `SCHEMA_VERSION`). Keyed with the fixed test key of `tests/common` (never a real key). The file it writes is
//! committed once per schema and never rewritten: the next schema's migration must carry exactly that file forward.

use balcao_core::api::Environment;
use balcao_core::history_api::RetentionPolicy;
use balcao_core::record::{ApiKind, CallMeta, CpfRecord, Lookup, Record, Status};
use balcao_core::{AppError, Cpf, Document, ErrorCode, Sensitive};
use balcao_history::{Actor, History, LookupContext, SCHEMA_VERSION};
use time::macros::datetime;

/// The same key as `tests/common::KEY`.
const KEY: &str = "7f1c0de5a11ce0ffee0ddba11c0ffee07f1c0de5a11ce0ffee0ddba11c0ffee0";

fn main() -> Result<(), AppError> {
    let Some(path) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        return Err(AppError::new(ErrorCode::Config, "uso: write_fixture_db CAMINHO.db"));
    };
    if path.exists() {
        return Err(AppError::new(ErrorCode::Config, format!("{} já existe: não sobrescrevo", path.display())));
    }
    let mut h = History::open_with_key(&path, &Sensitive::new(KEY.to_owned()))?;
    let ctx = LookupContext {
        profile_id: "demo".into(),
        profile_name: "Demonstração".into(),
        environment: Environment::Demonstracao,
        clerk_cpf: Cpf::parse("11144477735").ok(),
        os_user: "atendente1".into(),
        purpose: Some("Protocolo 1".into()),
        authorization_code: None,
        view: None,
        do_not_record: false,
    };
    let meta = |status: u16, id: Option<&str>| CallMeta {
        api: ApiKind::SerproCpfV1,
        http_status: status,
        latency_ms: 120,
        activity_id: id.map(str::to_owned),
        billable: true,
    };
    let jose = Cpf::parse("40442820135").map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?;
    let found = Lookup {
        record: Record::Cpf(CpfRecord {
            name: Some("José da Silva".into()),
            ..CpfRecord::new(jose, Status::cpf("0", None))
        }),
        meta: meta(200, Some("fixture-activity-1")),
        raw: r#"{"ni":"40442820135","nome":"José da Silva","situacao":{"codigo":"0","descricao":"Regular"}}"#.into(),
        consulted_at: "2026-03-01T15:00:00Z".into(),
        partial: false,
    };
    h.record_at(&ctx, &Ok(found), &Document::Cpf(jose), datetime!(2026-03-01 15:00 UTC))?;
    let other = Document::parse("63017285995").map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?;
    let not_found = Err((AppError::from(ErrorCode::NotFound), Some(meta(404, Some("fixture-activity-2")))));
    h.record_at(&ctx, &not_found, &other, datetime!(2026-03-01 15:05 UTC))?;
    h.set_retention(&RetentionPolicy { max_age_days: None, max_entries: Some(1000) })?;
    h.audit_file_export("lote «fixture.csv»", 2, &Actor { clerk_cpf: ctx.clerk_cpf, os_user: "atendente1".into() })?;
    h.integrity_check().map_err(|e| AppError::new(ErrorCode::Internal, e.join("; ")))?;
    drop(h);
    println!("{} escrito no esquema {SCHEMA_VERSION}", path.display());
    Ok(())
}
