//! Balcão's domain core: document numbers, normalized records, comparison, coded errors and secrets.

pub mod api;
pub mod batch_api;
pub mod bounds;
pub mod compare;
pub mod csv_cell;
pub mod doc;
pub mod error;
pub mod extra_base;
pub mod history_api;
pub mod lock_api;
pub mod profile;
pub mod record;
pub mod secret;

pub use doc::{Cnpj, Cpf, DocError, DocKind, Document};
pub use error::{AppError, ErrorCode};
pub use secret::Sensitive;
