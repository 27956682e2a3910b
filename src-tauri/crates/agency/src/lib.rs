//! The agency's central PostgreSQL store (issue #18): TLS-only connections, migrations, the counter's and the reader's doors.
//!
//! Three roles use it: the schema owner ([`migrate`], run by `balcao-cli admin migrate-agency-store`, never at a
//! counter's start-up), a counter ([`CounterStore`]: append audit lines and reserve quota, through SECURITY DEFINER
//! functions only, no table privilege) and the reader ([`ReaderStore`]: who looked up a number, quota use).

mod connect;
mod counter;
mod document;
mod error;
mod reader;
mod schema;

pub use connect::ConnectOptions;
pub use counter::{AuditLine, CounterStore, QuotaKey, Reservation};
pub use document::{DocumentKey, DocumentRef, scrub_numbers};
pub use reader::{LookupRecord, QuotaUse, ReaderStore};
pub use schema::{MigrationOutcome, SCHEMA_VERSION, migrate};
