//! The resumable state of a batch, kept inside the encrypted history (`History::batch_state_*`, one slot per saved
//! batch): a header (how the file was read, which profile) and the last answer for each number, written after every
//! chunk in the same lock as the lookups. It never holds a token, a key or a raw response. Purge and retention of
//! the history remove it. A plain JSON Lines state file left by an older version is imported once, then erased.

use std::collections::HashMap;
use std::path::Path;

use balcao_core::api::Environment;
use balcao_core::record::CnpjView;
use balcao_core::{AppError, DocKind, Document, ErrorCode};
use balcao_history::History;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::verdict::Verdict;

/// The header's `format`.
pub const FORMAT: &str = "balcao-lote";
pub const VERSION: u32 = 1;

/// Enough to rebuild the same plan from the same file, and to refuse another file or profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalHeader {
    pub format: String,
    pub version: u32,
    pub file_name: String,
    /// [`crate::Table::fingerprint`] of the file's bytes.
    pub fingerprint: String,
    /// Counted from 1.
    pub column: u32,
    pub has_header: bool,
    pub ambiguous_as: DocKind,
    pub reuse_max_age_days: Option<u32>,
    pub purpose: Option<String>,
    pub view: Option<CnpjView>,
    pub profile_id: String,
    pub profile_name: String,
    pub environment: Environment,
    /// RFC 3339, UTC.
    pub started_at: String,
}

/// A saved batch as read back: its header and the last answer for each number.
pub type Saved = (JournalHeader, HashMap<Document, Verdict>);

/// One answered number (the stored answer, and a line of an older version's state file).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    kind: DocKind,
    number: String,
    #[serde(flatten)]
    verdict: Verdict,
}

fn not_ours(slot: &str) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!("O lote salvo ({slot}) não é legível por esta versão do Balcão (é de uma versão mais nova?)."),
    )
}

fn encode(answers: &[(Document, Verdict)]) -> Result<Vec<(String, String)>, AppError> {
    answers
        .iter()
        .map(|(doc, verdict)| {
            let line = Line { kind: doc.kind(), number: doc.as_str().to_owned(), verdict: verdict.clone() };
            serde_json::to_string(&line)
                .map(|json| (doc.as_str().to_owned(), json))
                .map_err(|e| AppError::new(ErrorCode::Internal, format!("estado do lote: {e}")))
        })
        .collect()
}

fn decode(line: &Line) -> Option<Document> {
    match line.kind {
        DocKind::Cpf => balcao_core::Cpf::parse(&line.number).ok().map(Document::Cpf),
        DocKind::Cnpj => balcao_core::Cnpj::parse(&line.number).ok().map(Document::Cnpj),
    }
}

fn header_of(slot: &str, json: &str) -> Result<JournalHeader, AppError> {
    let header: JournalHeader = serde_json::from_str(json).map_err(|_| not_ours(slot))?;
    if header.format != FORMAT || header.version > VERSION {
        return Err(not_ours(slot));
    }
    Ok(header)
}

/// The saved state of one batch: which slot of the history's batch state it writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    slot: String,
}

impl Journal {
    /// Starts the saved state in `slot` (replacing any batch saved there) with its header and the answers already
    /// known.
    pub fn create(
        history: &mut History,
        slot: &str,
        header: &JournalHeader,
        known: &[(Document, Verdict)],
    ) -> Result<Journal, AppError> {
        let json =
            serde_json::to_string(header).map_err(|e| AppError::new(ErrorCode::Internal, format!("lote: {e}")))?;
        history.batch_state_begin(slot, &json, &encode(known)?)?;
        Ok(Journal { slot: slot.to_owned() })
    }

    /// The state already saved in `slot` (to append to after [`Journal::load`]).
    pub fn reopen(slot: &str) -> Journal {
        Journal { slot: slot.to_owned() }
    }

    pub fn slot(&self) -> &str {
        &self.slot
    }

    /// Adds answers; once this returns they are on disk, encrypted.
    pub fn append(&self, history: &mut History, answers: &[(Document, Verdict)]) -> Result<(), AppError> {
        history.batch_state_append(&self.slot, &encode(answers)?)
    }

    /// The batch saved in `slot`: its header and the last answer saved for each number; `None` when none is saved.
    pub fn load(history: &History, slot: &str) -> Result<Option<Saved>, AppError> {
        let Some(saved) = history.batch_state(slot)? else { return Ok(None) };
        let header = header_of(slot, &saved.header)?;
        let mut answers = HashMap::with_capacity(saved.answers.len());
        for (_, json) in &saved.answers {
            let line: Line = serde_json::from_str(json).map_err(|_| not_ours(slot))?;
            let doc = decode(&line).ok_or_else(|| not_ours(slot))?;
            answers.insert(doc, line.verdict);
        }
        Ok(Some((header, answers)))
    }

    /// The header alone, and how many numbers have an answer (for "lote salvo" at start-up).
    pub fn summary(history: &History, slot: &str) -> Result<Option<(JournalHeader, u64)>, AppError> {
        match history.batch_state_summary(slot)? {
            Some((json, n)) => Ok(Some((header_of(slot, &json)?, n))),
            None => Ok(None),
        }
    }

    /// Forgets the batch saved in `slot` (its lookups stay in the history). True when there was one.
    pub fn discard(history: &mut History, slot: &str) -> Result<bool, AppError> {
        history.batch_state_discard(slot)
    }

    /// Moves a plain state file left by an older Balcão (JSON Lines at `path`) into `slot` of the encrypted store,
    /// then overwrites it with zeros and deletes it. A file that is not a Balcão state file is left alone. Returns
    /// whether a batch was imported.
    pub fn import_legacy_file(history: &mut History, slot: &str, path: &Path) -> Result<bool, AppError> {
        let data = match std::fs::read(path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(legacy_error(path, &e)),
        };
        // A file that is not one of ours (another program's, by chance under that name) is left alone.
        let Some((header, header_json, answers)) = parse_legacy(&data) else { return Ok(false) };
        let at = OffsetDateTime::parse(&header.started_at, &Rfc3339).unwrap_or_else(|_| OffsetDateTime::now_utc());
        history.batch_state_begin_at(slot, &header_json, &encode(&answers)?, at)?;
        erase_file(path, data.len()).map_err(|e| legacy_error(path, &e))?;
        tracing::info!("batch: plain state file from an older version moved into the history");
        Ok(true)
    }
}

fn legacy_error(path: &Path, e: &std::io::Error) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!(
            "Não foi possível apagar o arquivo de estado de lote de uma versão anterior ({}): {e}. Ele contém CPFs e \
             nomes sem criptografia: apague-o ou avise a TI.",
            path.display()
        ),
    )
}

/// Overwrites the file with zeros, syncs, then deletes it: on a disk that writes in place the old bytes are gone.
/// (A copy-on-write or flash disk may keep old blocks; the history's own file is encrypted for that reason.)
fn erase_file(path: &Path, len: usize) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
    let zeros = vec![0u8; len.min(1 << 20)];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len());
        f.write_all(zeros.get(..n).unwrap_or_default())?;
        left -= n;
    }
    f.sync_all()?;
    drop(f);
    std::fs::remove_file(path)
}

type Answer = (Document, Verdict);

/// An older version's state file: the header line then one answer per line (a torn last line ignored).
fn parse_legacy(data: &[u8]) -> Option<(JournalHeader, String, Vec<Answer>)> {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let first = lines.next()?;
    let header: JournalHeader = serde_json::from_str(first).ok()?;
    if header.format != FORMAT || header.version > VERSION {
        return None;
    }
    let mut answers: HashMap<Document, Verdict> = HashMap::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let Ok(l) = serde_json::from_str::<Line>(line) else { continue };
        if let Some(doc) = decode(&l) {
            answers.insert(doc, l.verdict);
        }
    }
    Some((header, first.to_owned(), answers.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use balcao_core::Sensitive;
    use balcao_core::history_api::Outcome;

    fn header() -> JournalHeader {
        JournalHeader {
            format: FORMAT.into(),
            version: VERSION,
            file_name: "lista.csv".into(),
            fingerprint: "fnv1a64:0:1".into(),
            column: 2,
            has_header: true,
            ambiguous_as: DocKind::Cpf,
            reuse_max_age_days: None,
            purpose: Some("Recadastramento".into()),
            view: None,
            profile_id: "demonstracao".into(),
            profile_name: "Demonstração".into(),
            environment: Environment::Demonstracao,
            started_at: "2026-11-20T12:00:00Z".into(),
        }
    }

    fn found(name: &str) -> Verdict {
        Verdict {
            outcome: Outcome::Found,
            status_code: Some("0".into()),
            status_label: Some("Regular".into()),
            name: Some(name.into()),
            error_code: None,
            error_message: None,
            billable: true,
            reused_from: None,
        }
    }

    fn history(dir: &Path) -> History {
        History::open_with_key(&dir.join("history.db"), &Sensitive::new("5a".repeat(32))).unwrap()
    }

    #[test]
    fn round_trip_last_answer_wins_and_discard_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = history(dir.path());
        let a = Document::parse("40442820135").unwrap();
        let b = Document::parse("34238864000168").unwrap();
        let j = Journal::create(&mut h, "app", &header(), &[(a, found("Ana"))]).unwrap();
        j.append(&mut h, &[(b, found("Empresa")), (a, found("Ana Maria"))]).unwrap();
        let (hd, answers) = Journal::load(&h, "app").unwrap().unwrap();
        assert_eq!(hd, header());
        assert_eq!(answers.len(), 2);
        assert_eq!(answers[&a].name.as_deref(), Some("Ana Maria"));
        assert_eq!(Journal::summary(&h, "app").unwrap().map(|(_, n)| n), Some(2));
        assert!(Journal::load(&h, "other").unwrap().is_none());
        assert!(Journal::discard(&mut h, "app").unwrap());
        assert!(Journal::load(&h, "app").unwrap().is_none());
        assert_eq!(j.append(&mut h, &[(a, found("Ana"))]).unwrap_err().code, ErrorCode::Config, "discarded meanwhile");
    }

    #[test]
    fn an_older_versions_plain_file_is_imported_then_erased() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = history(dir.path());
        let path = dir.path().join("lote/estado.jsonl");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let a = Document::parse("40442820135").unwrap();
        let line = |d: Document, v: Verdict| {
            serde_json::to_string(&Line { kind: d.kind(), number: d.as_str().into(), verdict: v }).unwrap()
        };
        let text = format!(
            "{}\n{}\n{}\n{{\"kind\":\"cpf\",\"numb",
            serde_json::to_string(&header()).unwrap(),
            line(a, found("Ana")),
            line(a, found("Ana Maria"))
        );
        std::fs::write(&path, &text).unwrap();
        assert!(Journal::import_legacy_file(&mut h, "app", &path).unwrap());
        assert!(!path.exists());
        let (hd, answers) = Journal::load(&h, "app").unwrap().unwrap();
        assert_eq!(hd, header());
        assert_eq!(answers[&a].name.as_deref(), Some("Ana Maria"));
        // Not a Balcão state file: left alone, nothing imported.
        std::fs::write(&path, "nome;cpf\nAna;40442820135\n").unwrap();
        assert!(!Journal::import_legacy_file(&mut h, "cli", &path).unwrap());
        assert!(path.exists());
        std::fs::remove_file(&path).unwrap();
        assert!(!Journal::import_legacy_file(&mut h, "cli", &path).unwrap(), "nothing to import");
    }
}
