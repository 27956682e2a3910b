//! Recording lookups: one transaction per lookup writes the history row (unless "não registrar" or an unbilled
//! failure), the audit line (always) and the quota counter (billable calls).

use balcao_core::api::Environment;
use balcao_core::history_api::{AuditEvent, AuditOrigin, Outcome};
use balcao_core::record::{CallMeta, CnpjView, Lookup};
use balcao_core::{AppError, Cpf, Document};
use rusqlite::{Transaction, params};
use time::OffsetDateTime;

use crate::codec::enum_str;
use crate::outbox::{Outbox, queue_line};
use crate::text::{day_of, instant, normalize_name};
use crate::{History, error};

/// What the app knows about a lookup besides its result: who asked, for what, through which profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupContext {
    pub profile_id: String,
    pub profile_name: String,
    pub environment: Environment,
    /// The clerk's CPF (sent as `x-cpf-usuario` on Conecta), when the profile has one.
    pub clerk_cpf: Option<Cpf>,
    /// The OS account (see `balcao_platform::os_user_name`).
    pub os_user: String,
    /// Finalidade or protocol number.
    pub purpose: Option<String>,
    /// e-CAC authorisation code, when the citizen gave one.
    pub authorization_code: Option<String>,
    /// The CNPJ view asked for (the record says which one answered when there is a record).
    pub view: Option<CnpjView>,
    /// "Não registrar": no history row; the audit line and the quota count are still written.
    pub do_not_record: bool,
}

/// A lookup's result as the API client returns it: the lookup, or the error with the call's metadata when a call
/// was made (a 404 is `Err((NotFound, Some(meta with billable = true)))`).
pub type LookupOutcome = Result<Lookup, (AppError, Option<CallMeta>)>;

impl History {
    /// Records one lookup of `number`. Returns the history id, or `None` when no history row was kept
    /// ("não registrar", or a failure that was not billed). The audit line is always written; a billable call
    /// also counts against the profile's quota. When this returns `Ok`, everything is on disk.
    pub fn record(
        &mut self,
        ctx: &LookupContext,
        outcome: &LookupOutcome,
        number: &Document,
    ) -> Result<Option<i64>, AppError> {
        self.record_at(ctx, outcome, number, OffsetDateTime::now_utc())
    }

    /// [`History::record`] at a given instant (imports, tests).
    pub fn record_at(
        &mut self,
        ctx: &LookupContext,
        outcome: &LookupOutcome,
        number: &Document,
        at: OffsetDateTime,
    ) -> Result<Option<i64>, AppError> {
        let (quota_zone, origin, outbox) =
            (self.quota_zone_of(&ctx.profile_id).clone(), self.origin, self.outbox.clone());
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| error::db(e, "gravar a consulta"))?;
        let id = insert(&tx, ctx, outcome, number, at, (&quota_zone, origin, outbox.as_ref()), true)
            .map_err(|e| error::db(e, "gravar a consulta"))?;
        tx.commit().map_err(|e| error::db(e, "gravar a consulta"))?;
        if id.is_some_and(|i| i % crate::retention::TRIM_EVERY == 0) {
            self.trim_after_record(ctx);
        }
        Ok(id)
    }

    /// Records many lookups made under one context in a single transaction (batch lookups, imports).
    pub fn record_batch(
        &mut self,
        ctx: &LookupContext,
        items: &[(LookupOutcome, Document)],
    ) -> Result<Vec<Option<i64>>, AppError> {
        let (quota_zone, origin, at, outbox) =
            (self.quota_zone_of(&ctx.profile_id).clone(), self.origin, OffsetDateTime::now_utc(), self.outbox.clone());
        let err = |e| error::db(e, "gravar as consultas");
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        let mut ids = Vec::with_capacity(items.len());
        // One HTTP call can answer many numbers (CPF Light: up to 50): its lookups share one CallMeta, and the
        // call counts once against the quota, as the gateway and the client count it.
        let mut calls = std::collections::HashSet::new();
        for (outcome, number) in items {
            let meta = match outcome {
                Ok(l) => Some(&l.meta),
                Err((_, m)) => m.as_ref(),
            };
            // Without a request id two calls cannot be told apart: each counts (never under-count a quota).
            let first_of_its_call = meta.and_then(call_key).is_none_or(|k| calls.insert(k));
            let zone = (&quota_zone, origin, outbox.as_ref());
            ids.push(insert(&tx, ctx, outcome, number, at, zone, first_of_its_call).map_err(err)?);
        }
        tx.commit().map_err(err)?;
        let every = crate::retention::TRIM_EVERY;
        let (first, last) = (ids.iter().flatten().min(), ids.iter().flatten().max());
        if let (Some(a), Some(b)) = (first, last)
            && b / every > (a - 1) / every
        {
            self.trim_after_record(ctx);
        }
        Ok(ids)
    }

    /// The lookup is already on disk: a failure to trim is logged, never reported as a failed lookup.
    fn trim_after_record(&mut self, ctx: &LookupContext) {
        let actor = crate::Actor { clerk_cpf: ctx.clerk_cpf, os_user: ctx.os_user.clone() };
        if let Err(e) = self.trim_to_policy(&actor) {
            tracing::warn!(code = ?e.code, "history: retention trim failed: {}", e.message);
        }
    }
}

/// What identifies one HTTP call among the lookups of a batch: its request id (`activityid`) and API.
fn call_key(m: &CallMeta) -> Option<(String, &'static str)> {
    m.activity_id.clone().map(|id| (id, m.api.as_str()))
}

/// Writes one lookup; `count_quota` is false for the second and later numbers answered by the same call.
fn insert(
    tx: &Transaction<'_>,
    ctx: &LookupContext,
    outcome: &LookupOutcome,
    number: &Document,
    at: OffsetDateTime,
    (quota_zone, origin, outbox): (&jiff::tz::TimeZone, AuditOrigin, Option<&Outbox>),
    count_quota: bool,
) -> rusqlite::Result<Option<i64>> {
    let at_s = instant(at);
    let meta = match outcome {
        Ok(l) => Some(&l.meta),
        Err((_, m)) => m.as_ref(),
    };
    let billable = meta.is_some_and(|m| m.billable);
    let (result, error) = match outcome {
        Ok(l) if l.partial => (Outcome::Partial, None),
        Ok(_) => (Outcome::Found, None),
        Err((e, _)) => (Outcome::of_error(e.code), Some(e)),
    };
    let keep = !ctx.do_not_record && (outcome.is_ok() || billable);
    let api = meta.map(|m| m.api.as_str());
    let view = match outcome {
        Ok(Lookup { record: balcao_core::record::Record::Cnpj(r), .. }) => Some(r.view),
        _ => ctx.view.filter(|_| number.kind() == balcao_core::DocKind::Cnpj),
    };
    let history_id = if keep {
        let lookup = outcome.as_ref().ok();
        let name = lookup.and_then(|l| l.record.display_name()).map(str::to_owned);
        let name_norm = name.as_deref().map(normalize_name).filter(|n| !n.is_empty());
        let status = lookup.map(|l| serde_json::to_string(l.record.status())).transpose().map_err(json_err)?;
        let record = lookup.map(|l| serde_json::to_string(&l.record)).transpose().map_err(json_err)?;
        tx.prepare_cached(
            "INSERT INTO lookups (at, profile_id, profile_name, environment, api, view, kind, number, name, name_norm,
                 status_json, outcome, error_code, error_message, record_json, raw, consulted_at, partial, http_status,
                 latency_ms, activity_id, billable)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
        )?
        .execute(params![
                at_s,
                ctx.profile_id,
                ctx.profile_name,
                enum_str(&ctx.environment),
                api,
                view.map(|v| v.as_str()),
                enum_str(&number.kind()),
                number.as_str(),
                name,
                name_norm,
                status,
                result.as_str(),
                error.map(|e| enum_str(&e.code)),
                error.map(|e| e.message.as_str()),
                record,
                lookup.map(|l| l.raw.as_str()),
                lookup.map(|l| l.consulted_at.as_str()),
                lookup.is_some_and(|l| l.partial),
                meta.map(|m| m.http_status),
                meta.map(|m| m.latency_ms),
                meta.and_then(|m| m.activity_id.as_deref()),
                billable,
            ])?;
        Some(tx.last_insert_rowid())
    } else {
        None
    };
    let line = CallLine { result, error, meta, recorded: history_id.is_some(), history_id, detail: None };
    write_call_line(tx, (ctx, number, &at_s, origin), &line, outbox, api.unwrap_or("-"))?;
    if let (true, true, Some(api)) = (billable, count_quota, api) {
        tx.prepare_cached(
            "INSERT INTO quota (profile_id, api, day, count) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (profile_id, api, day) DO UPDATE SET count = count + 1",
        )?
        // The quota day is the gateway's (GATEWAY_ZONE unless told otherwise), whatever the machine's zone.
        .execute(params![ctx.profile_id, api, day_of(at, quota_zone)])?;
    }
    Ok(history_id)
}

/// The audit line of one call (a lookup, or an extra base's call): what came of it and what the history kept.
pub(crate) struct CallLine<'a> {
    pub(crate) result: Outcome,
    pub(crate) error: Option<&'a AppError>,
    pub(crate) meta: Option<&'a CallMeta>,
    pub(crate) recorded: bool,
    pub(crate) history_id: Option<i64>,
    /// What else the line names (the extra base).
    pub(crate) detail: Option<String>,
}

/// Writes `line` to the audit trail and, under an agency store, queues it for the store (naming the call
/// `agency_api` there), in the caller's transaction.
pub(crate) fn write_call_line(
    tx: &Transaction<'_>,
    (ctx, number, at_s, origin): (&LookupContext, &Document, &str, AuditOrigin),
    line: &CallLine<'_>,
    outbox: Option<&Outbox>,
    agency_api: &str,
) -> rusqlite::Result<()> {
    let meta = line.meta;
    tx.prepare_cached(
        "INSERT INTO audit (at, event, clerk_cpf, os_user, profile_id, profile_name, environment, kind, number_masked,
             purpose, authorization_code, outcome, error_code, api, http_status, activity_id, billable, recorded,
             history_id, origin, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    )?
    .execute(params![
        at_s,
        AuditEvent::Lookup.as_str(),
        ctx.clerk_cpf.map(|c| c.to_string()),
        ctx.os_user,
        ctx.profile_id,
        ctx.profile_name,
        enum_str(&ctx.environment),
        enum_str(&number.kind()),
        number.masked(),
        ctx.purpose.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        ctx.authorization_code.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        line.result.as_str(),
        line.error.map(|e| enum_str(&e.code)),
        meta.map(|m| m.api.as_str()),
        meta.map(|m| m.http_status),
        meta.and_then(|m| m.activity_id.as_deref()),
        meta.is_some_and(|m| m.billable),
        line.recorded,
        line.history_id,
        origin.as_str(),
        line.detail,
    ])?;
    if let Some(outbox) = outbox {
        let outcome_text = match line.error {
            Some(e) => format!("{} ({})", line.result.as_str(), enum_str(&e.code)),
            None => line.result.as_str().to_owned(),
        };
        queue_line(tx, outbox, ctx, origin, (agency_api, outcome_text), number, at_s)?;
    }
    Ok(())
}

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}
