//! The answers of the «outras bases» (#19): kept with the lookup they were asked after, and their audit lines.

use balcao_core::extra_base::BaseAnswer;
use balcao_core::history_api::Outcome;
use balcao_core::record::CallMeta;
use balcao_core::{AppError, Document};
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use crate::record::{CallLine, write_call_line};
use crate::text::{day_of, instant};
use crate::{History, LookupContext, error};

/// An extra base call's result: its answer, or the error with the call's metadata when a call was made.
pub type BaseOutcome = Result<BaseAnswer, (AppError, Option<CallMeta>)>;

impl History {
    /// Records one call to the extra base `base_id` about `number`, asked after the lookup `lookup_id`: the audit line
    /// always (with the purpose and code, like every call; its detail names the base), a billable call in the quota
    /// counters, and the answer kept with that lookup when the lookup is in the history, is of the same number, and
    /// "não registrar" was not asked. Returns the answer's id when it was kept.
    pub fn record_base(
        &mut self,
        ctx: &LookupContext,
        lookup_id: Option<i64>,
        number: &Document,
        (base_id, base_name): (&str, &str),
        outcome: &BaseOutcome,
    ) -> Result<Option<i64>, AppError> {
        let err = |e| error::db(e, "gravar a consulta à outra base");
        let at = OffsetDateTime::now_utc();
        let (at_s, day) = (instant(at), day_of(at, self.quota_zone_of(&ctx.profile_id)));
        let (origin, outbox) = (self.origin, self.outbox.clone());
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let meta = match outcome {
            Ok(a) => Some(&a.meta),
            Err((_, m)) => m.as_ref(),
        };
        let billable = meta.is_some_and(|m| m.billable);
        let (result, error) = match outcome {
            Ok(a) if a.found => (Outcome::Found, None),
            Ok(_) => (Outcome::NotFound, None),
            Err((e, _)) => (Outcome::of_error(e.code), Some(e)),
        };
        let lookup = match (lookup_id, ctx.do_not_record, outcome) {
            (Some(id), false, Ok(_)) => tx
                .query_row("SELECT id FROM lookups WHERE id = ?1 AND number = ?2", params![id, number.as_str()], |r| {
                    r.get::<_, i64>(0)
                })
                .optional()
                .map_err(err)?,
            _ => None,
        };
        let kept = match (lookup, outcome) {
            (Some(lookup), Ok(answer)) => {
                let json = serde_json::to_string(answer)
                    .map_err(|e| AppError::new(balcao_core::ErrorCode::Internal, e.to_string()))?;
                tx.execute(
                    "INSERT INTO base_answers (lookup_id, at, base_id, base_name, found, answer_json, billable)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![lookup, at_s, base_id, base_name, answer.found, json, billable],
                )
                .map_err(err)?;
                Some(tx.last_insert_rowid())
            }
            _ => None,
        };
        let line = CallLine {
            result,
            error,
            meta,
            recorded: kept.is_some(),
            history_id: lookup,
            detail: Some(format!("outra base «{base_name}» ({base_id})")),
        };
        let agency_api = format!("outra base {base_id}");
        write_call_line(&tx, (ctx, number, &at_s, origin), &line, outbox.as_ref(), &agency_api).map_err(err)?;
        if let (true, Some(m)) = (billable, meta) {
            tx.execute(
                "INSERT INTO quota (profile_id, api, day, count) VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT (profile_id, api, day) DO UPDATE SET count = count + 1",
                params![ctx.profile_id, m.api.as_str(), day],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(kept)
    }

    /// The billable calls made to the extra base `base_id` through profile `profile_id`, from the audit trail (never
    /// purged): the count its quota starts from when the app starts again.
    pub fn base_calls_billed(&self, profile_id: &str, base_id: &str) -> Result<u64, AppError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM audit WHERE profile_id = ?1 AND api = 'extraBase' AND billable = 1
                   AND substr(detail, -(length(?2) + 2)) = '(' || ?2 || ')'",
                params![profile_id, base_id],
                |r| r.get(0),
            )
            .map_err(|e| error::db(e, "ler a cota das outras bases"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The extra bases' answers kept with the lookup `lookup_id`, oldest first (an unreadable one is skipped).
    pub fn base_answers(&self, lookup_id: i64) -> Result<Vec<BaseAnswer>, AppError> {
        self.base_answers_where("lookup_id = ?1 ORDER BY id", lookup_id)
    }

    /// The latest answer of `base_id` kept with an earlier lookup of the same number ("o que mudou desde").
    pub fn previous_base_answer(&self, lookup_id: i64, base_id: &str) -> Result<Option<BaseAnswer>, AppError> {
        let err = |e| error::db(e, "ler as outras bases");
        let raw: Option<String> = self
            .conn
            .query_row(
                "SELECT b.answer_json FROM base_answers b JOIN lookups l ON l.id = b.lookup_id
                 WHERE b.base_id = ?2 AND b.lookup_id < ?1
                   AND l.number = (SELECT number FROM lookups WHERE id = ?1)
                 ORDER BY b.id DESC LIMIT 1",
                params![lookup_id, base_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        Ok(raw.and_then(|j| serde_json::from_str(&j).ok()))
    }

    fn base_answers_where(&self, clause: &str, id: i64) -> Result<Vec<BaseAnswer>, AppError> {
        let err = |e| error::db(e, "ler as outras bases");
        let mut stmt =
            self.conn.prepare_cached(&format!("SELECT answer_json FROM base_answers WHERE {clause}")).map_err(err)?;
        let rows = stmt.query_map(params![id], |r| r.get::<_, String>(0)).map_err(err)?;
        let mut out = Vec::new();
        for raw in rows {
            if let Ok(a) = serde_json::from_str(&raw.map_err(err)?) {
                out.push(a);
            }
        }
        Ok(out)
    }
}
