//! Balcão's encrypted lookup history: one SQLCipher file (`history.db`, private to the user) holding the history,
//! the append-only audit trail, the quota counters and the state of saved batches, keyed by a random key kept in the
//! OS keyring.
//!
//! Open it with [`History::open`] (or [`History::open_default`] for the app's data directory). Every write is
//! one transaction with `synchronous=FULL`: once a call returns, the row is on disk.

mod bases;
mod batch_state;
mod codec;
mod error;
mod export;
mod migrate;
mod open;
mod outbox;
mod record;
mod recovery;
mod retention;
mod search;
mod stats;
mod text;
mod zones;

use rusqlite::Connection;

pub use bases::BaseOutcome;
pub use batch_state::SavedBatchState;
pub use export::Actor;
pub use migrate::SCHEMA_VERSION;
pub use open::{DB_FILE_NAME, KEY_NAME, sqlcipher_ready};
pub use outbox::{NumberHasher, OfflineUnit, OutboxItem, OutboxLine, OutboxPayload};
pub use record::{LookupContext, LookupOutcome};
pub use recovery::{
    Recovered, RecoveryIdentity, RecoveryKey, WRAPPED_FOR_FILE_NAME, WRAPPED_KEY_FILE_NAME, generate_recovery_key,
    unwrap_history_key,
};
pub use text::normalize_name;
pub use zones::{DayZones, GATEWAY_ZONE, zone_named};

/// The open history store. Reads take `&self`, writes `&mut self`; share it behind a `Mutex`.
#[derive(Debug)]
pub struct History {
    conn: Connection,
    /// The zones that turn UTC instants into days: the machine's for the clerk (stats, date filters, exports,
    /// retention), the gateway's for the quota counters.
    zones: DayZones,
    /// Profiles whose quota day is counted in another zone than [`DayZones::quota`] (a profile's `quotaTimeZone`).
    quota_zones: std::collections::HashMap<String, jiff::tz::TimeZone>,
    /// Where this process's audit lines come from (the app unless [`History::with_origin`] says otherwise).
    origin: balcao_core::history_api::AuditOrigin,
    /// The saved batch this process is running now: retention never takes it from under the run.
    running_batch: Option<String>,
    /// The agency store's outbox, when the managed policy names one: every audit line of a real profile is queued.
    outbox: Option<outbox::Outbox>,
}

impl History {
    /// Counts `profile_id`'s quota days in `zone` (a profile naming the gateway's zone), or, with `None`, in the
    /// history's quota zone again.
    pub fn set_quota_zone(&mut self, profile_id: &str, zone: Option<jiff::tz::TimeZone>) {
        match zone {
            Some(z) => {
                self.quota_zones.insert(profile_id.to_owned(), z);
            }
            None => {
                self.quota_zones.remove(profile_id);
            }
        }
    }

    /// The zone of `profile_id`'s quota day.
    pub(crate) fn quota_zone_of(&self, profile_id: &str) -> &jiff::tz::TimeZone {
        self.quota_zones.get(profile_id).unwrap_or(self.zones.quota())
    }

    /// Sets the zones of the clerk's day and of the quota day (default: the machine's zone, read on first use,
    /// and [`GATEWAY_ZONE`]).
    pub fn with_zones(mut self, zones: DayZones) -> Self {
        self.zones = zones;
        self
    }

    /// Marks every audit line this handle writes as coming from `origin` (`balcao-cli` opens with `Cli`).
    /// Names the saved batch this process is running (`None` when it ends): retention by age or count leaves it
    /// alone, so a batch of more numbers than the count limit keeps its own state; a full purge still removes it.
    pub fn set_running_batch(&mut self, slot: Option<&str>) {
        self.running_batch = slot.map(str::to_owned);
    }

    pub fn with_origin(mut self, origin: balcao_core::history_api::AuditOrigin) -> Self {
        self.origin = origin;
        self
    }

    pub fn zones(&self) -> &DayZones {
        &self.zones
    }

    /// A stored instant (`at` of an entry) as the clerk's local `31/03/2026 14:05`.
    pub fn local_datetime(&self, at: &str) -> String {
        text::local_datetime(at, self.zones.local())
    }

    /// The schema version of the open file (equal to [`SCHEMA_VERSION`] once open).
    pub fn schema_version(&self) -> Result<u32, balcao_core::AppError> {
        migrate::user_version(&self.conn).map_err(|e| error::db(e, "ler a versão do histórico"))
    }

    /// `PRAGMA integrity_check`: `Ok(())` when the file is sound, else the problems found.
    pub fn integrity_check(&self) -> Result<(), Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check").map_err(|e| vec![e.to_string()])?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| vec![e.to_string()])?;
        if rows == ["ok"] { Ok(()) } else { Err(rows) }
    }
}
