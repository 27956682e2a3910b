//! Reading the history: search (number in any format, or name prefix; date range, profile, outcome), newest
//! first with keyset pagination; single entries; the earlier snapshot of the same number; the audit trail.

use balcao_core::doc::{Detection, detect};
use balcao_core::history_api::{AuditPage, DayRange, HistoryEntry, HistoryPage, HistoryQuery};
use balcao_core::{AppError, Document, ErrorCode};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};

use crate::codec::{self, AUDIT_COLUMNS, ENTRY_COLUMNS, SUMMARY_COLUMNS};
use crate::text::{day_bounds, normalize_name};
use crate::{History, error};

/// Page size when the query gives none, and the largest page served.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;

/// What the search box holds.
#[derive(Debug, PartialEq, Eq)]
enum TextFilter {
    None,
    /// Canonical numbers (two when 14 digits are both a CNPJ and a zero-padded CPF).
    Numbers(Vec<String>),
    /// A normalized name prefix.
    NamePrefix(String),
}

/// Digits mean a number (which must be valid); anything else is the start of a name.
fn text_filter(text: Option<&str>) -> Result<TextFilter, AppError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(TextFilter::None);
    };
    if text.chars().any(|c| c.is_ascii_digit()) {
        return match detect(text) {
            Detection::Cpf(c) => Ok(TextFilter::Numbers(vec![c.to_string()])),
            Detection::Cnpj(c) => Ok(TextFilter::Numbers(vec![c.to_string()])),
            Detection::Ambiguous { cpf, cnpj } => Ok(TextFilter::Numbers(vec![cpf.to_string(), cnpj.to_string()])),
            Detection::Invalid { error, .. } => Err(AppError::new(ErrorCode::InvalidDocument, error.to_string())),
        };
    }
    let prefix = normalize_name(text);
    Ok(if prefix.is_empty() { TextFilter::None } else { TextFilter::NamePrefix(prefix) })
}

/// Builds `WHERE …` clauses and their values.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    fn push(&mut self, clause: &str, values: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause.to_owned());
        self.values.extend(values);
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!("WHERE {}", self.clauses.join(" AND ")) }
    }
}

fn limit_of(limit: Option<u32>) -> u32 {
    limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
}

impl History {
    /// One page of history lines, newest first.
    pub fn search(&self, q: &HistoryQuery) -> Result<HistoryPage, AppError> {
        let mut f = Filter::default();
        match text_filter(q.text.as_deref())? {
            TextFilter::None => {}
            TextFilter::Numbers(numbers) => {
                let marks = vec!["?"; numbers.len()].join(", ");
                f.push(&format!("number IN ({marks})"), numbers.into_iter().map(Value::Text));
            }
            TextFilter::NamePrefix(prefix) => {
                // A range on the indexed column: every string that starts with `prefix` sorts inside it.
                let upper = format!("{prefix}{}", char::MAX);
                f.push("name_norm >= ? AND name_norm < ?", [Value::Text(prefix), Value::Text(upper)]);
            }
        }
        if let Some(p) = q.profile_id.as_deref().filter(|p| !p.is_empty()) {
            f.push("profile_id = ?", [Value::Text(p.to_owned())]);
        }
        if let Some(o) = q.outcome {
            f.push("outcome = ?", [Value::Text(o.as_str().to_owned())]);
        }
        let (start, end) = day_bounds(q.from.as_deref(), q.to.as_deref(), self.zones.local())?;
        if let Some(s) = start {
            f.push("at >= ?", [Value::Text(s)]);
        }
        if let Some(e) = end {
            f.push("at < ?", [Value::Text(e)]);
        }
        if let Some(b) = q.before_id {
            f.push("id < ?", [Value::Integer(b)]);
        }
        let limit = limit_of(q.limit);
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM lookups {} ORDER BY id DESC LIMIT {}", f.sql(), limit + 1);
        let err = |e| error::db(e, "pesquisar o histórico");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(err)?;
        let zone = self.zones.local().clone();
        let mut items = stmt
            .query_map(params_from_iter(f.values), |r| codec::summary(r, &zone))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(err)?;
        let next_before_id = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|s| s.id)
        } else {
            None
        };
        Ok(HistoryPage { items, next_before_id })
    }

    /// One entry in full.
    pub fn get(&self, id: i64) -> Result<Option<HistoryEntry>, AppError> {
        self.entry_where("id = ?1", params![id])
    }

    /// The most recent earlier entry of the same number that holds a record ("o que mudou desde a última consulta").
    pub fn previous(&self, id: i64) -> Result<Option<HistoryEntry>, AppError> {
        self.entry_where(
            "number = (SELECT number FROM lookups WHERE id = ?1) AND id < ?1 AND record_json IS NOT NULL",
            params![id],
        )
    }

    /// The most recent entry of `number` that holds a record.
    pub fn latest_for(&self, number: &Document) -> Result<Option<HistoryEntry>, AppError> {
        self.entry_where("number = ?1 AND record_json IS NOT NULL", params![number.as_str()])
    }

    fn entry_where(&self, clause: &str, p: impl rusqlite::Params) -> Result<Option<HistoryEntry>, AppError> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM lookups WHERE {clause} ORDER BY id DESC LIMIT 1");
        let err = |e| error::db(e, "ler o histórico");
        let zone = self.zones.local().clone();
        self.conn.prepare_cached(&sql).map_err(err)?.query_row(p, |r| codec::entry(r, &zone)).optional().map_err(err)
    }

    /// One page of the audit trail, newest first, within `range` (local days, inclusive).
    pub fn audit(&self, range: &DayRange, before_id: Option<i64>, limit: Option<u32>) -> Result<AuditPage, AppError> {
        let mut f = Filter::default();
        let (start, end) = day_bounds(range.from.as_deref(), range.to.as_deref(), self.zones.local())?;
        if let Some(s) = start {
            f.push("at >= ?", [Value::Text(s)]);
        }
        if let Some(e) = end {
            f.push("at < ?", [Value::Text(e)]);
        }
        if let Some(b) = before_id {
            f.push("id < ?", [Value::Integer(b)]);
        }
        let limit = limit_of(limit);
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit {} ORDER BY id DESC LIMIT {}", f.sql(), limit + 1);
        let err = |e| error::db(e, "ler a trilha de auditoria");
        let zone = self.zones.local().clone();
        let mut stmt = self.conn.prepare_cached(&sql).map_err(err)?;
        let mut items = stmt
            .query_map(params_from_iter(f.values), |r| codec::audit(r, &zone))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(err)?;
        let next_before_id = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|a| a.id)
        } else {
            None
        };
        Ok(AuditPage { items, next_before_id })
    }

    /// How many entries the history holds.
    pub fn count(&self) -> Result<u64, AppError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM lookups", [], |r| r.get(0))
            .map_err(|e| error::db(e, "contar o histórico"))?;
        Ok(n.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_a_number_in_any_format_or_a_name_prefix() {
        let n = |s: &str| TextFilter::Numbers(vec![s.to_owned()]);
        assert_eq!(text_filter(Some("404.428.201-35")).unwrap(), n("40442820135"));
        assert_eq!(text_filter(Some("CPF 40442820135")).unwrap(), n("40442820135"));
        assert_eq!(text_filter(Some("12.abc.345/01de-35")).unwrap(), n("12ABC34501DE35"));
        assert_eq!(text_filter(Some("  José  da ")).unwrap(), TextFilter::NamePrefix("jose da".into()));
        assert_eq!(text_filter(Some("   ")).unwrap(), TextFilter::None);
        assert_eq!(text_filter(Some("--")).unwrap(), TextFilter::None);
        assert_eq!(text_filter(None).unwrap(), TextFilter::None);
        let e = text_filter(Some("404.428.201-36")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidDocument);
        assert!(e.message.contains("dígito verificador"), "{}", e.message);
    }

    #[test]
    fn ambiguous_fourteen_digits_search_both_numbers() {
        // "00000226135365" is a valid CNPJ and also the valid CPF 002.261.353-65 padded with three zeros.
        let f = text_filter(Some("00000226135365")).unwrap();
        assert_eq!(f, TextFilter::Numbers(vec!["00226135365".into(), "00000226135365".into()]));
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(limit_of(None), DEFAULT_PAGE);
        assert_eq!(limit_of(Some(0)), 1);
        assert_eq!(limit_of(Some(10_000)), MAX_PAGE);
    }
}
