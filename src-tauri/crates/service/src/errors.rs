//! The service's error boundary: a typed cause (I/O, an interrupted task, a library's error) becomes a pt-BR
//! `{code, message}` for the window and the CLI, and its whole cause chain goes to the log, never to the message.

use std::path::Path;

use balcao_core::error::io_reason;
use balcao_core::{AppError, ErrorCode};

/// An error and every cause under it, `: `-separated: what the log gets (never the clerk).
pub fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// A file that could not be written or read: `doing` is the pt-BR action ("Não foi possível gravar"), the reason
/// is the pt-BR one for the I/O error's kind; the OS's own text goes to the log.
pub(crate) fn io_failure(code: ErrorCode, doing: &str, path: &Path, e: &std::io::Error) -> AppError {
    tracing::warn!(path = %path.display(), error = %cause_chain(e), "{doing}");
    AppError::new(code, format!("{doing} {}: {}.", path.display(), io_reason(e)))
}

/// A background task that ended without an answer (it panicked or was cancelled): `what` is the pt-BR name of
/// the task ("A verificação do PIN").
pub(crate) fn interrupted(what: &str, e: &tokio::task::JoinError) -> AppError {
    tracing::error!(error = %e, "{what}: task interrupted");
    AppError::new(ErrorCode::Internal, format!("{what} foi interrompida. Tente de novo."))
}

/// A library's failure the clerk cannot act on: a pt-BR `message`, the library's error in the log.
pub(crate) fn internal(message: &str, e: &dyn std::error::Error) -> AppError {
    tracing::error!(error = %cause_chain(e), "{message}");
    AppError::new(ErrorCode::Internal, message)
}
