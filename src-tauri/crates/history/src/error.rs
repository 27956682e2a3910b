//! Maps SQLite/SQLCipher failures to the coded, pt-BR `AppError`s the clerk sees.

use balcao_core::{AppError, ErrorCode};
use rusqlite::ErrorCode as SqliteCode;

/// A failure while using an open history (`action` says what was being done, in pt-BR, after "ao").
pub(crate) fn db(e: rusqlite::Error, action: &str) -> AppError {
    match e.sqlite_error_code() {
        Some(SqliteCode::DatabaseBusy | SqliteCode::DatabaseLocked) => AppError::new(
            ErrorCode::HistoryLocked,
            format!(
                "O histórico está em uso por outro programa e não foi possível {action}. Feche outras janelas do Balcão \
                 (ou o balcao-cli) e tente de novo."
            ),
        ),
        Some(SqliteCode::DiskFull) => AppError::new(
            ErrorCode::Internal,
            format!("Sem espaço em disco: não foi possível {action}. Libere espaço ou avise a TI."),
        ),
        Some(SqliteCode::ReadOnly | SqliteCode::CannotOpen | SqliteCode::PermissionDenied) => AppError::new(
            ErrorCode::HistoryLocked,
            format!("Sem permissão para {action} no arquivo do histórico. Avise a TI."),
        ),
        _ => AppError::new(
            ErrorCode::Internal,
            format!("Erro no histórico: não foi possível {action} ({e}). Tente de novo; se persistir, avise a TI."),
        ),
    }
}

/// A failure while opening: always `HistoryLocked`, and the file was not changed.
pub(crate) fn locked(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::HistoryLocked, message)
}

/// An input the caller gave that cannot be used (a malformed date, a bad search text).
pub(crate) fn input(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::Config, message)
}
