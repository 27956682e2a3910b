//! Saved batch state inside the encrypted file: per slot, a header and the last answer for each number, as JSON the
//! batch crate writes and reads (this crate does not interpret it). Removed by purge and retention with the history.

use balcao_core::AppError;
use rusqlite::{OptionalExtension, Transaction, params};
use time::OffsetDateTime;

use crate::text::instant;
use crate::{History, error};

/// A saved batch as stored: its header, when it started, and its answers (number → answer), oldest first.
#[derive(Clone, PartialEq, Eq)]
pub struct SavedBatchState {
    pub header: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    pub answers: Vec<(String, String)>,
}

impl std::fmt::Debug for SavedBatchState {
    // The answers hold names and numbers: counts only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedBatchState")
            .field("started_at", &self.started_at)
            .field("answers", &self.answers.len())
            .finish_non_exhaustive()
    }
}

fn put_answers(tx: &Transaction<'_>, slot: &str, answers: &[(String, String)]) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO batch_answers (slot, number, answer) VALUES (?1, ?2, ?3)
         ON CONFLICT (slot, number) DO UPDATE SET answer = excluded.answer",
    )?;
    for (number, answer) in answers {
        stmt.execute(params![slot, number, answer])?;
    }
    Ok(())
}

impl History {
    /// Starts the saved state of `slot` (replacing any batch saved there) with its header and the answers already
    /// known, in one transaction.
    pub fn batch_state_begin(
        &mut self,
        slot: &str,
        header: &str,
        answers: &[(String, String)],
    ) -> Result<(), AppError> {
        self.batch_state_begin_at(slot, header, answers, OffsetDateTime::now_utc())
    }

    /// [`History::batch_state_begin`] at a given instant (tests of retention; imports of an older state file).
    pub fn batch_state_begin_at(
        &mut self,
        slot: &str,
        header: &str,
        answers: &[(String, String)],
        at: OffsetDateTime,
    ) -> Result<(), AppError> {
        let err = |e| error::db(e, "gravar o estado do lote");
        let at = instant(at);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        tx.execute("DELETE FROM batch_answers WHERE slot = ?1", [slot]).map_err(err)?;
        tx.execute(
            "INSERT INTO batch_state (slot, header, started_at, updated_at) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (slot) DO UPDATE SET header = excluded.header, started_at = excluded.started_at,
             updated_at = excluded.updated_at",
            params![slot, header, at],
        )
        .map_err(err)?;
        put_answers(&tx, slot, answers).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Adds answers to the saved state of `slot` (a number answered again keeps its last answer). Fails when
    /// nothing is saved in `slot` (discarded, purged or expired meanwhile): the caller stops instead of writing to
    /// a batch that no longer exists.
    pub fn batch_state_append(&mut self, slot: &str, answers: &[(String, String)]) -> Result<(), AppError> {
        let err = |e| error::db(e, "gravar o estado do lote");
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let updated = tx
            .execute(
                "UPDATE batch_state SET updated_at = ?2 WHERE slot = ?1",
                params![slot, instant(OffsetDateTime::now_utc())],
            )
            .map_err(err)?;
        if updated == 0 {
            return Err(AppError::new(
                balcao_core::ErrorCode::Config,
                "O estado deste lote foi apagado (descartado, expurgado ou expirado pela política de retenção) \
                 enquanto ele rodava. O que já foi consultado está no histórico; comece um lote novo para o restante.",
            ));
        }
        put_answers(&tx, slot, answers).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// The batch saved in `slot`, if any.
    pub fn batch_state(&self, slot: &str) -> Result<Option<SavedBatchState>, AppError> {
        let err = |e| error::db(e, "ler o estado do lote");
        let Some((header, started_at)) = self
            .conn
            .query_row("SELECT header, started_at FROM batch_state WHERE slot = ?1", [slot], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .optional()
            .map_err(err)?
        else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT number, answer FROM batch_answers WHERE slot = ?1 ORDER BY number")
            .map_err(err)?;
        let answers = stmt
            .query_map([slot], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(err)?;
        Ok(Some(SavedBatchState { header, started_at, answers }))
    }

    /// The header of the batch saved in `slot` and how many numbers it has an answer for.
    pub fn batch_state_summary(&self, slot: &str) -> Result<Option<(String, u64)>, AppError> {
        let err = |e| error::db(e, "ler o estado do lote");
        self.conn
            .query_row(
                "SELECT header, (SELECT count(*) FROM batch_answers a WHERE a.slot = s.slot) FROM batch_state s
                 WHERE slot = ?1",
                [slot],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64)),
            )
            .optional()
            .map_err(err)
    }

    /// Forgets the batch saved in `slot` (its lookups stay in the history). True when there was one.
    pub fn batch_state_discard(&mut self, slot: &str) -> Result<bool, AppError> {
        let err = |e| error::db(e, "apagar o estado do lote");
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        tx.execute("DELETE FROM batch_answers WHERE slot = ?1", [slot]).map_err(err)?;
        let n = tx.execute("DELETE FROM batch_state WHERE slot = ?1", [slot]).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(n > 0)
    }
}

/// Inside a purge: removes every saved batch started before `cutoff` (all of them when `None`), except the one
/// named `running` (the batch this process is running). Returns how many.
pub(crate) fn remove_started_before(
    tx: &Transaction<'_>,
    cutoff: Option<&str>,
    running: Option<&str>,
) -> rusqlite::Result<u64> {
    let n = match cutoff {
        None => {
            tx.execute("DELETE FROM batch_answers", [])?;
            tx.execute("DELETE FROM batch_state", [])?
        }
        Some(c) => {
            let running = running.unwrap_or("");
            tx.execute(
                "DELETE FROM batch_answers WHERE slot IN
                 (SELECT slot FROM batch_state WHERE started_at < ?1 AND slot <> ?2)",
                [c, running],
            )?;
            tx.execute("DELETE FROM batch_state WHERE started_at < ?1 AND slot <> ?2", [c, running])?
        }
    };
    Ok(n as u64)
}
