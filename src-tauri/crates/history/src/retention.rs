//! Retention: the stored policy (by age and by count), "purge now", and the secure erase that follows a purge
//! (secure_delete zeroes freed pages, VACUUM rebuilds the file, the WAL is checkpointed and truncated).

use balcao_core::AppError;
use balcao_core::history_api::{AuditEvent, PurgeResult, PurgeScope, RetentionPolicy};
use rusqlite::{OptionalExtension, params};
use time::{Duration, OffsetDateTime};

use crate::export::Actor;
use crate::text::instant;
use crate::{History, error};

const POLICY_KEY: &str = "retention";
/// `record` enforces the retention policy each time the history id reaches a multiple of this.
pub(crate) const TRIM_EVERY: i64 = 100;

impl History {
    /// The stored retention policy (the default one until a policy is set).
    pub fn retention(&self) -> Result<RetentionPolicy, AppError> {
        let err = |e| error::db(e, "ler a política de retenção");
        let json: Option<String> = self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [POLICY_KEY], |r| r.get(0))
            .optional()
            .map_err(err)?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default())
    }

    /// Stores the retention policy. It is enforced by [`History::apply_retention`] and `purge(Policy)`.
    pub fn set_retention(&mut self, policy: &RetentionPolicy) -> Result<(), AppError> {
        let json = serde_json::to_string(policy).unwrap_or_default();
        self.conn
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![POLICY_KEY, json],
            )
            .map_err(|e| error::db(e, "gravar a política de retenção"))?;
        Ok(())
    }

    /// Enforces the stored policy now (call at start-up and after changing it). Audited when it removes anything.
    pub fn apply_retention(&mut self, actor: &Actor) -> Result<PurgeResult, AppError> {
        self.purge_inner(actor, &PurgeScope::Policy, OffsetDateTime::now_utc(), false, true)
    }

    /// Keeps the history within the policy while the app runs: called by `record` every
    /// [`TRIM_EVERY`] entries. Deleted rows are zeroed (secure_delete) but the file is not rebuilt.
    pub(crate) fn trim_to_policy(&mut self, actor: &Actor) -> Result<PurgeResult, AppError> {
        self.purge_inner(actor, &PurgeScope::Policy, OffsetDateTime::now_utc(), false, false)
    }

    /// "Apagar agora": removes history entries and saved batch state (never audit lines or quota counters), erases
    /// them securely and writes an audit line saying who purged what.
    pub fn purge(&mut self, actor: &Actor, scope: &PurgeScope) -> Result<PurgeResult, AppError> {
        self.purge_inner(actor, scope, OffsetDateTime::now_utc(), true, true)
    }

    fn purge_inner(
        &mut self,
        actor: &Actor,
        scope: &PurgeScope,
        now: OffsetDateTime,
        audit_always: bool,
        erase: bool,
    ) -> Result<PurgeResult, AppError> {
        let policy = match scope {
            PurgeScope::All => None,
            PurgeScope::Policy => Some(self.retention()?),
            PurgeScope::OlderThan { days } => Some(RetentionPolicy { max_age_days: Some(*days), max_entries: None }),
        };
        let err = |e| error::db(e, "apagar o histórico");
        let origin = self.origin;
        let running = self.running_batch.clone();
        let running = running.as_deref();
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let mut removed = 0u64;
        // Saved batch state goes with the history it came from: all of it on a full purge, the batches started
        // before the age cutoff, and (when the count limit removed lookups) those started before the oldest kept one; never
        // the batch this process is running.
        let mut batches = 0u64;
        match policy {
            None => {
                removed += tx.execute("DELETE FROM lookups", []).map_err(err)? as u64;
                batches += crate::batch_state::remove_started_before(&tx, None, None).map_err(err)?;
            }
            Some(p) => {
                if let Some(days) = p.max_age_days {
                    let cutoff = instant(age_cutoff(now, days));
                    removed += tx.execute("DELETE FROM lookups WHERE at < ?1", [&cutoff]).map_err(err)? as u64;
                    batches += crate::batch_state::remove_started_before(&tx, Some(&cutoff), running).map_err(err)?;
                }
                if let Some(keep) = p.max_entries {
                    let mut by_count = tx
                        .execute(
                            "DELETE FROM lookups WHERE id < (SELECT id FROM lookups ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                            [i64::from(keep.max(1)) - 1],
                        )
                        .map_err(err)? as u64;
                    if keep == 0 {
                        by_count += tx.execute("DELETE FROM lookups", []).map_err(err)? as u64;
                    }
                    if by_count > 0 {
                        let oldest: Option<String> =
                            tx.query_row("SELECT min(at) FROM lookups", [], |r| r.get(0)).map_err(err)?;
                        batches +=
                            crate::batch_state::remove_started_before(&tx, oldest.as_deref(), running).map_err(err)?;
                    }
                    removed += by_count;
                }
            }
        }
        let remaining: i64 = tx.query_row("SELECT count(*) FROM lookups", [], |r| r.get(0)).map_err(err)?;
        let remaining = remaining.max(0) as u64;
        if removed > 0 || batches > 0 || audit_always {
            let mut detail =
                format!("{}: {removed} consulta(s) apagada(s), {remaining} restante(s)", scope_label(scope));
            if batches > 0 {
                detail.push_str(&format!("; {batches} lote(s) salvo(s) apagado(s)"));
            }
            actor.audit(&tx, (AuditEvent::Purge, origin), &instant(now), &detail).map_err(err)?;
        }
        tx.commit().map_err(err)?;
        if (removed > 0 || batches > 0) && erase {
            self.erase_free_space()?;
        }
        Ok(PurgeResult { removed, remaining })
    }

    /// Rebuilds the name index from the rows that remain (the triggers already removed the purged names from its
    /// pages: see migrations/0004), then the file without the freed pages, and empties the WAL, so no deleted row
    /// survives anywhere.
    fn erase_free_space(&mut self) -> Result<(), AppError> {
        let err = |e| error::db(e, "compactar o histórico");
        self.conn.execute_batch("INSERT INTO lookups_fts (lookups_fts) VALUES ('optimize'); VACUUM;").map_err(err)?;
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(err)?;
        Ok(())
    }
}

/// The instant before which an entry is older than `days` days. `days` comes from settings, the CLI or an old
/// database: it is clamped to the documented bound (100 years), and a date that cannot be represented counts
/// as "the beginning of time" (nothing is that old), so no number of days can panic.
pub(crate) fn age_cutoff(now: OffsetDateTime, days: u32) -> OffsetDateTime {
    let days = days.min(*balcao_core::bounds::DAYS.end());
    now.checked_sub(Duration::days(i64::from(days))).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn scope_label(scope: &PurgeScope) -> String {
    match scope {
        PurgeScope::All => "expurgo total".to_owned(),
        PurgeScope::Policy => "política de retenção".to_owned(),
        PurgeScope::OlderThan { days } => format!("expurgo de consultas com mais de {days} dia(s)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_number_of_days_gives_a_cutoff_without_panicking() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(age_cutoff(now, 30), now - Duration::days(30));
        for days in [0, 1, 36_500, 36_501, 5_000_000, 9_999_999, u32::MAX] {
            let cut = age_cutoff(now, days);
            assert!(cut <= now && cut >= now - Duration::days(36_500), "{days}: {cut}");
        }
        assert_eq!(age_cutoff(time::macros::datetime!(-9999-01-01 0:00 UTC), 10), OffsetDateTime::UNIX_EPOCH);
    }
}
