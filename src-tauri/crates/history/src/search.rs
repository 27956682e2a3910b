//! Reading the history: search (number in any format, or words and word starts of the name through the FTS5 index;
//! date range, profile, outcome), newest first with keyset pagination; single entries; the earlier snapshot of the same number; the audit trail.

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
/// The most words a name search takes: a full name rarely has more, and each word is one more list to intersect.
pub const MAX_NAME_WORDS: usize = 12;

/// What the search box holds.
#[derive(Debug, PartialEq, Eq)]
enum TextFilter {
    None,
    /// Canonical numbers (two when 14 digits are both a CNPJ and a zero-padded CPF).
    Numbers(Vec<String>),
    /// Normalized words (accents removed, lower case, letters and digits only): each must start a word of the name.
    NameWords(Vec<String>),
}

/// Digits mean a number (which must be valid); anything else is words of a name, each of which may be the start of
/// a word ("silva", "conc" and "conceição" all find "MARIA DA CONCEIÇÃO SILVA").
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
    let words: Vec<String> = normalize_name(text).split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect();
    if words.len() > MAX_NAME_WORDS {
        return Err(error::input(format!(
            "A busca por nome aceita até {MAX_NAME_WORDS} palavras ({} digitadas). Digite só algumas palavras do nome.",
            words.len()
        )));
    }
    Ok(if words.is_empty() { TextFilter::None } else { TextFilter::NameWords(words) })
}

/// The FTS5 query for `words`, built here and never taken from the clerk: each word is one quoted string (a quote
/// inside is doubled) followed by `*` (word start), joined by spaces (all must match). The words hold only letters
/// and digits (`normalize_name`), so no FTS syntax (operators, column filters, NEAR, `^`, `-`) survives in them, and
/// the quoting keeps it so even if that changed.
fn match_expression(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{}\"*", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
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
        // By name, the FTS index drives the query: its matches come newest first (rowid = lookups.id, descending),
        // each joined to its row for the other filters, so the first page stops after the first matches.
        let (from, id) = match text_filter(q.text.as_deref())? {
            TextFilter::None => ("lookups", "id"),
            TextFilter::Numbers(numbers) => {
                let marks = vec!["?"; numbers.len()].join(", ");
                f.push(&format!("number IN ({marks})"), numbers.into_iter().map(Value::Text));
                ("lookups", "id")
            }
            TextFilter::NameWords(words) => {
                f.push("lookups_fts MATCH ?", [Value::Text(match_expression(&words))]);
                ("lookups_fts CROSS JOIN lookups ON lookups.id = lookups_fts.rowid", "lookups_fts.rowid")
            }
        };
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
            f.push(&format!("{id} < ?"), [Value::Integer(b)]);
        }
        let limit = limit_of(q.limit);
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM {from} {} ORDER BY {id} DESC LIMIT {}", f.sql(), limit + 1);
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
    fn search_text_is_a_number_in_any_format_or_words_of_a_name() {
        let n = |s: &str| TextFilter::Numbers(vec![s.to_owned()]);
        assert_eq!(text_filter(Some("404.428.201-35")).unwrap(), n("40442820135"));
        assert_eq!(text_filter(Some("CPF 40442820135")).unwrap(), n("40442820135"));
        assert_eq!(text_filter(Some("12.abc.345/01de-35")).unwrap(), n("12ABC34501DE35"));
        let words = |w: &[&str]| TextFilter::NameWords(w.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(text_filter(Some("  José  da ")).unwrap(), words(&["jose", "da"]));
        assert_eq!(text_filter(Some("\"silva\" OR name:x*")).unwrap(), words(&["silva", "or", "name", "x"]));
        assert_eq!(text_filter(Some("   ")).unwrap(), TextFilter::None);
        assert_eq!(text_filter(Some("--")).unwrap(), TextFilter::None);
        assert_eq!(text_filter(None).unwrap(), TextFilter::None);
        let e = text_filter(Some("404.428.201-36")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidDocument);
        assert!(e.message.contains("dígito verificador"), "{}", e.message);
    }

    #[test]
    fn every_word_is_quoted_as_a_word_start() {
        let w = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(match_expression(&w(&["maria", "conc"])), "\"maria\"* \"conc\"*");
        assert_eq!(match_expression(&w(&["a\"b"])), "\"a\"\"b\"*");
        assert!(text_filter(Some(&"x ".repeat(MAX_NAME_WORDS))).is_ok());
        let e = text_filter(Some(&"x ".repeat(MAX_NAME_WORDS + 1))).unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
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
