//! The agency store's outbox (#18): audit lines of real profiles queued in the same transaction as the local line,
//! units spent from the offline allowance, taken in order by the drain and removed once the store has them.

use std::sync::Arc;

use balcao_core::api::Environment;
use balcao_core::history_api::AuditOrigin;
use balcao_core::{AppError, Document};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::text::instant;
use crate::{History, LookupContext, error};

/// Turns a citizen's number into the agency's keyed hash (the key stays with the caller: the outbox never holds the
/// number itself, only what the agency store will keep).
pub type NumberHasher = Arc<dyn Fn(&Document) -> [u8; 32] + Send + Sync>;

/// One audit line as the agency store keeps it (the number as its keyed hash, hex, and its masked form). A field a
/// later version adds reads as empty from lines queued before it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutboxLine {
    pub clerk: String,
    pub api: String,
    pub purpose: Option<String>,
    pub authorization_code: Option<String>,
    pub hash_hex: String,
    pub masked: String,
    pub outcome: String,
}

/// A unit of quota spent while the store could not be reached, to be added to the agency's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineUnit {
    pub credential: String,
    pub api: String,
    /// The gateway's day, `YYYY-MM-DD`.
    pub day: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxPayload {
    Audit(OutboxLine),
    Quota(OfflineUnit),
}

/// One waiting item, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// The counter's order (never reused).
    pub seq: i64,
    /// Its own id (a UUID).
    pub id: String,
    /// When the line was written (RFC 3339, UTC).
    pub at: String,
    pub payload: OutboxPayload,
}

/// The outbox of this history, when the managed policy names an agency store.
#[derive(Clone)]
pub(crate) struct Outbox {
    pub(crate) hasher: NumberHasher,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outbox { hasher: <agency key> }")
    }
}

/// Sent quota units are kept this many days (they count the offline allowance of their day), then removed.
const KEEP_SENT_UNITS_DAYS: i64 = 3;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Queues the audit line just written (same transaction), for real profiles only: Demonstração never leaves the PC.
/// The clerk goes masked as on a receipt (the middle digits tell the agency's clerks apart), with the OS user and
/// where the line came from (the window or `balcao-cli`).
pub(crate) fn queue_line(
    tx: &Transaction<'_>,
    outbox: &Outbox,
    ctx: &LookupContext,
    origin: AuditOrigin,
    (api, outcome): (&str, String),
    number: &Document,
    at: &str,
) -> rusqlite::Result<()> {
    if ctx.environment == Environment::Demonstracao {
        return Ok(());
    }
    let clerk = match ctx.clerk_cpf {
        Some(cpf) => format!("{} / {} / {}", cpf.masked(), ctx.os_user, origin.as_str()),
        None => format!("{} / {}", ctx.os_user, origin.as_str()),
    };
    let text = |t: &Option<String>| t.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let line = OutboxLine {
        clerk,
        api: api.to_owned(),
        purpose: text(&ctx.purpose),
        authorization_code: text(&ctx.authorization_code),
        hash_hex: hex(&(outbox.hasher)(number)),
        masked: number.masked(),
        outcome,
    };
    let payload = serde_json::to_string(&line).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.prepare_cached("INSERT INTO agency_outbox (id, kind, at, payload) VALUES (?1, 'audit', ?2, ?3)")?
        .execute(params![new_id(), at, payload])?;
    Ok(())
}

impl History {
    /// Queues every audit line of a real profile for the agency store from now on (`None`: stops queueing).
    pub fn set_agency_outbox(&mut self, hasher: Option<NumberHasher>) {
        self.outbox = hasher.map(|hasher| Outbox { hasher });
    }

    /// This file's counter id in the agency store, made on first use by `make` (e.g. host name and a random part).
    pub fn agency_counter_id(&mut self, make: impl FnOnce() -> String) -> Result<String, AppError> {
        let err = |e| error::db(e, "ler a identificação deste balcão");
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let found: Option<String> = tx
            .query_row("SELECT counter_id FROM agency_counter WHERE only = 1", [], |r| r.get(0))
            .optional()
            .map_err(err)?;
        let id = match found {
            Some(id) => id,
            None => {
                let id = make();
                tx.execute("INSERT INTO agency_counter (only, counter_id) VALUES (1, ?1)", [&id]).map_err(err)?;
                id
            }
        };
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// How many lines and units wait for the store.
    pub fn outbox_waiting(&self) -> Result<u64, AppError> {
        self.conn
            .query_row("SELECT count(*) FROM agency_outbox WHERE sent_at IS NULL", [], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| error::db(e, "contar as linhas à espera do banco da agência"))
    }

    /// The oldest `limit` waiting items, in the counter's order. A row whose payload cannot be read back (a damaged
    /// file) is set aside ([`History::outbox_reject`]) rather than stop every line after it.
    pub fn outbox_take(&mut self, limit: usize) -> Result<Vec<OutboxItem>, AppError> {
        let err = |e| error::db(e, "ler as linhas à espera do banco da agência");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(i64, String, String, String, String)> = {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT seq, id, kind, at, payload FROM agency_outbox WHERE sent_at IS NULL ORDER BY seq LIMIT ?1",
                )
                .map_err(err)?;
            let rows = stmt.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)));
            rows.and_then(Iterator::collect).map_err(err)?
        };
        let mut items = Vec::with_capacity(rows.len());
        for (seq, id, kind, at, payload) in rows {
            let read = match kind.as_str() {
                "audit" => serde_json::from_str(&payload).map(OutboxPayload::Audit).ok(),
                "quota" => serde_json::from_str(&payload).map(OutboxPayload::Quota).ok(),
                _ => None,
            };
            match read {
                Some(payload) => items.push(OutboxItem { seq, id, at, payload }),
                None => self.outbox_reject(seq, "a linha guardada no histórico não pôde ser lida")?,
            }
        }
        Ok(items)
    }

    /// Sets the item `seq` aside: the store refused it, or it could not be read back. The local audit trail keeps the
    /// line all the same; [`History::outbox_rejected`] counts them for the status bar.
    pub fn outbox_reject(&mut self, seq: i64, reason: &str) -> Result<(), AppError> {
        let err = |e| error::db(e, "separar a linha recusada pelo banco da agência");
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        tx.execute(
            "INSERT OR REPLACE INTO agency_outbox_rejected (seq, id, kind, at, payload, reason, rejected_at)
             SELECT seq, id, kind, at, payload, ?2, ?3 FROM agency_outbox WHERE seq = ?1",
            params![seq, reason, instant(OffsetDateTime::now_utc())],
        )
        .map_err(err)?;
        tx.execute("DELETE FROM agency_outbox WHERE seq = ?1", [seq]).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// How many items were set aside.
    pub fn outbox_rejected(&self) -> Result<u64, AppError> {
        self.conn
            .query_row("SELECT count(*) FROM agency_outbox_rejected", [], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| error::db(e, "contar as linhas recusadas pelo banco da agência"))
    }

    /// The store has every item up to `seq`: audit lines are removed, quota units kept (marked) for the offline
    /// allowance of their day; units older than a few days go.
    pub fn outbox_sent(&mut self, seq: i64) -> Result<(), AppError> {
        let err = |e| error::db(e, "marcar as linhas enviadas ao banco da agência");
        let now = OffsetDateTime::now_utc();
        let old = now.checked_sub(time::Duration::days(KEEP_SENT_UNITS_DAYS)).unwrap_or(now);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        tx.execute("DELETE FROM agency_outbox WHERE seq <= ?1 AND kind = 'audit'", [seq]).map_err(err)?;
        tx.execute(
            "UPDATE agency_outbox SET sent_at = ?2 WHERE seq <= ?1 AND kind = 'quota' AND sent_at IS NULL",
            params![seq, instant(now)],
        )
        .map_err(err)?;
        // Only units the store has: an unsent one still counts, whatever its age.
        tx.execute(
            "DELETE FROM agency_outbox WHERE kind = 'quota' AND sent_at IS NOT NULL AND at < ?1",
            [instant(old)],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Spends one unit of the offline allowance for `unit` (its credential, API and day) if fewer than `allowance`
    /// were spent that day; queues it for the store. Returns how many are spent now, or `None` at the allowance.
    pub fn outbox_spend_offline(&mut self, unit: &OfflineUnit, allowance: u32) -> Result<Option<u32>, AppError> {
        let err = |e| error::db(e, "registrar a cota usada sem conexão");
        let payload =
            serde_json::to_string(unit).map_err(|e| err(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let spent: u32 = tx
            .query_row("SELECT count(*) FROM agency_outbox WHERE kind = 'quota' AND payload = ?1", [&payload], |r| {
                r.get(0)
            })
            .map_err(err)?;
        if spent >= allowance {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO agency_outbox (id, kind, at, payload) VALUES (?1, 'quota', ?2, ?3)",
            params![new_id(), instant(OffsetDateTime::now_utc()), payload],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Some(spent.saturating_add(1)))
    }
}
