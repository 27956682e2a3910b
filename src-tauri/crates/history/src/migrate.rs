//! Embedded schema migrations, applied in one transaction with `PRAGMA user_version`, and the
//! forward-compatibility guard that refuses a file written by a newer Balcão.

use balcao_core::AppError;
use rusqlite::{Connection, TransactionBehavior};

/// Migration `i` (0-based) takes the schema from version `i` to `i + 1`. Append only; never edit a shipped one.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_batch_state.sql"),
    include_str!("../migrations/0003_audit_origin.sql"),
    include_str!("../migrations/0004_name_search.sql"),
    include_str!("../migrations/0005_agency_outbox.sql"),
    include_str!("../migrations/0006_extra_bases.sql"),
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// The pt-BR refusal for a file whose schema is newer than this build's.
pub(crate) fn newer_schema(found: u32) -> AppError {
    crate::error::locked(format!(
        "Este histórico foi gravado por uma versão mais nova do Balcão (esquema {found}; esta versão conhece até o \
         {SCHEMA_VERSION}). Atualize o Balcão para abri-lo. O arquivo não foi alterado."
    ))
}

/// Refuses (without writing) a file whose schema is newer than this build's.
pub(crate) fn guard(conn: &Connection) -> Result<u32, AppError> {
    let v = user_version(conn).map_err(|e| crate::error::db(e, "ler a versão do histórico"))?;
    if v > SCHEMA_VERSION {
        return Err(newer_schema(v));
    }
    Ok(v)
}

/// Brings the schema to [`SCHEMA_VERSION`] in one immediate transaction (all or nothing).
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), AppError> {
    if guard(conn)? == SCHEMA_VERSION {
        return Ok(());
    }
    let err = |e| crate::error::db(e, "atualizar a estrutura do histórico");
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
    // Re-read under the write lock: another process may have migrated meanwhile.
    let current = user_version(&tx).map_err(err)?;
    if current > SCHEMA_VERSION {
        return Err(newer_schema(current));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(sql).map_err(err)?;
        tracing::info!(to = i + 1, "history schema migrated");
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(err)?;
    tx.commit().map_err(err)
}
