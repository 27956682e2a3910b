//! Column encodings: serde enums as their JSON string names, and the row → summary/entry/audit mappings.

use balcao_core::history_api::{AuditEntry, AuditEvent, AuditOrigin, HistoryEntry, HistorySummary, Outcome};
use balcao_core::record::{CallMeta, Lookup, Record};
use balcao_core::{AppError, DocKind, Document};
use jiff::tz::TimeZone;
use rusqlite::Row;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::text::day_of_instant;

/// A unit-like serde enum as the string it serialises to (`Environment::SerproTrial` → `serproTrial`).
pub(crate) fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

pub(crate) fn enum_from<T: DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

fn opt_enum<T: DeserializeOwned>(s: Option<String>) -> Option<T> {
    s.as_deref().and_then(enum_from)
}

/// The columns a summary needs, in this order (see [`summary`]).
pub(crate) const SUMMARY_COLUMNS: &str = "id, at, profile_id, profile_name, environment, api, view, kind, number, \
     name, status_json, outcome, error_code, http_status, billable";

/// The summary columns followed by the ones a full entry adds.
pub(crate) const ENTRY_COLUMNS: &str = "id, at, profile_id, profile_name, environment, api, view, kind, number, \
     name, status_json, outcome, error_code, http_status, billable, \
     error_message, record_json, raw, consulted_at, partial, latency_ms, activity_id";

fn formatted(kind: DocKind, number: &str) -> String {
    match Document::parse(number) {
        Ok(d) if d.kind() == kind => d.formatted(),
        _ => number.to_owned(),
    }
}

pub(crate) fn summary(row: &Row<'_>, zone: &TimeZone) -> rusqlite::Result<HistorySummary> {
    let at: String = row.get(1)?;
    let kind: DocKind = enum_from(&row.get::<_, String>(7)?).unwrap_or(DocKind::Cpf);
    let number: String = row.get(8)?;
    let status_json: Option<String> = row.get(10)?;
    Ok(HistorySummary {
        id: row.get(0)?,
        day: day_of_instant(&at, zone),
        at,
        profile_id: row.get(2)?,
        profile_name: row.get(3)?,
        environment: enum_from(&row.get::<_, String>(4)?).unwrap_or(balcao_core::api::Environment::Custom),
        api: opt_enum(row.get(5)?),
        view: opt_enum(row.get(6)?),
        kind,
        formatted: formatted(kind, &number),
        number,
        name: row.get(9)?,
        status: status_json.as_deref().and_then(|s| serde_json::from_str(s).ok()),
        outcome: Outcome::parse(&row.get::<_, String>(11)?).unwrap_or(Outcome::Failed),
        error_code: opt_enum(row.get(12)?),
        http_status: row.get(13)?,
        billable: row.get(14)?,
    })
}

pub(crate) fn entry(row: &Row<'_>, zone: &TimeZone) -> rusqlite::Result<HistoryEntry> {
    let summary = summary(row, zone)?;
    let error_message: Option<String> = row.get(15)?;
    let record_json: Option<String> = row.get(16)?;
    let raw: Option<String> = row.get(17)?;
    let consulted_at: Option<String> = row.get(18)?;
    let partial: bool = row.get(19)?;
    let latency_ms: Option<u32> = row.get(20)?;
    let activity_id: Option<String> = row.get(21)?;
    let meta = summary.api.map(|api| CallMeta {
        api,
        http_status: summary.http_status.unwrap_or(0),
        latency_ms: latency_ms.unwrap_or(0),
        activity_id: activity_id.clone(),
        billable: summary.billable,
    });
    let record: Option<Record> = record_json.as_deref().and_then(|s| serde_json::from_str(s).ok());
    let lookup = match (record, &meta) {
        (Some(record), Some(meta)) => Some(Lookup {
            record,
            meta: meta.clone(),
            raw: raw.clone().unwrap_or_default(),
            consulted_at: consulted_at.unwrap_or_else(|| summary.at.clone()),
            partial,
        }),
        _ => None,
    };
    let error = summary.error_code.map(|code| AppError::new(code, error_message.unwrap_or_default()));
    Ok(HistoryEntry { summary, lookup, error, meta, raw })
}

/// The columns of [`audit`], in order.
pub(crate) const AUDIT_COLUMNS: &str = "id, at, event, clerk_cpf, os_user, profile_id, profile_name, environment, \
     kind, number_masked, purpose, authorization_code, outcome, error_code, api, http_status, billable, recorded, detail, origin";

pub(crate) fn audit(row: &Row<'_>, zone: &TimeZone) -> rusqlite::Result<AuditEntry> {
    let at: String = row.get(1)?;
    Ok(AuditEntry {
        id: row.get(0)?,
        day: day_of_instant(&at, zone),
        at,
        event: AuditEvent::parse(&row.get::<_, String>(2)?).unwrap_or(AuditEvent::Lookup),
        clerk_cpf: row.get(3)?,
        os_user: row.get(4)?,
        profile_id: row.get(5)?,
        profile_name: row.get(6)?,
        environment: opt_enum(row.get(7)?),
        kind: opt_enum(row.get(8)?),
        number_masked: row.get(9)?,
        purpose: row.get(10)?,
        authorization_code: row.get(11)?,
        outcome: row.get::<_, Option<String>>(12)?.as_deref().and_then(Outcome::parse),
        error_code: opt_enum(row.get(13)?),
        api: opt_enum(row.get(14)?),
        http_status: row.get(15)?,
        billable: row.get(16)?,
        recorded: row.get(17)?,
        detail: row.get(18)?,
        origin: row.get::<_, Option<String>>(19)?.as_deref().and_then(AuditOrigin::parse),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use balcao_core::ErrorCode;
    use balcao_core::api::Environment;
    use balcao_core::record::ApiKind;

    #[test]
    fn enums_round_trip_as_their_serde_names() {
        assert_eq!(enum_str(&Environment::SerproTrial), "serproTrial");
        assert_eq!(enum_from::<Environment>("serproTrial"), Some(Environment::SerproTrial));
        assert_eq!(enum_str(&ApiKind::ConectaCpfLight), ApiKind::ConectaCpfLight.as_str());
        assert_eq!(enum_str(&ErrorCode::NotFound), "NotFound");
        assert_eq!(enum_from::<ErrorCode>("NotFound"), Some(ErrorCode::NotFound));
        assert_eq!(enum_str(&DocKind::Cnpj), "cnpj");
        assert_eq!(enum_from::<DocKind>("nope"), None);
    }
}
