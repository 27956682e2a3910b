//! The resumable state file: JSON Lines, a header line (how the file was read, which profile) then one line per
//! answered number, appended and synced after every chunk. It never holds a token, a key or a raw response.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use balcao_core::api::Environment;
use balcao_core::record::CnpjView;
use balcao_core::{AppError, DocKind, Document, ErrorCode};
use serde::{Deserialize, Serialize};

use crate::verdict::Verdict;

/// The header's `format`.
pub const FORMAT: &str = "balcao-lote";
pub const VERSION: u32 = 1;

/// The first line: enough to rebuild the same plan from the same file, and to refuse another file or profile.
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

/// One answered number.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    kind: DocKind,
    number: String,
    #[serde(flatten)]
    verdict: Verdict,
}

fn io_error(path: &Path, what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!(
            "Não foi possível {what} o estado do lote em {} ({e}). Verifique a pasta e o espaço em disco.",
            path.display()
        ),
    )
}

/// Opens for writing, readable by the owner only (the file lists names, like the output).
fn open(path: &Path, append: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create(true);
    if append {
        o.append(true);
    } else {
        o.truncate(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

/// The state file being written.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: BufWriter<File>,
}

impl Journal {
    /// Starts a new state file at `path` (replacing any) with its header and the answers already known.
    pub fn create(path: &Path, header: &JournalHeader, known: &[(Document, Verdict)]) -> Result<Journal, AppError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io_error(path, "criar", e))?;
        }
        let file = open(path, false).map_err(|e| io_error(path, "criar", e))?;
        let mut j = Journal { path: path.to_owned(), file: BufWriter::new(file) };
        let line = serde_json::to_string(header).map_err(|e| io_error(path, "gravar", e))?;
        writeln!(j.file, "{line}").map_err(|e| io_error(path, "gravar", e))?;
        j.append(known)?;
        Ok(j)
    }

    /// Reopens an existing state file to append to it, first cutting a last line left incomplete by a crash.
    pub fn reopen(path: &Path) -> Result<Journal, AppError> {
        let data = std::fs::read(path).map_err(|e| io_error(path, "abrir", e))?;
        let file = open(path, true).map_err(|e| io_error(path, "abrir", e))?;
        if !data.is_empty() && !data.ends_with(b"\n") {
            let whole = data.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            file.set_len(whole as u64).map_err(|e| io_error(path, "abrir", e))?;
        }
        Ok(Journal { path: path.to_owned(), file: BufWriter::new(file) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends answers and syncs them to disk before returning.
    pub fn append(&mut self, answers: &[(Document, Verdict)]) -> Result<(), AppError> {
        let err = |e: &dyn std::fmt::Display| io_error(&self.path, "gravar", e);
        for (doc, verdict) in answers {
            let line = Line { kind: doc.kind(), number: doc.as_str().to_owned(), verdict: verdict.clone() };
            let text = serde_json::to_string(&line).map_err(|e| err(&e))?;
            writeln!(self.file, "{text}").map_err(|e| err(&e))?;
        }
        self.file.flush().map_err(|e| err(&e))?;
        self.file.get_ref().sync_data().map_err(|e| err(&e))
    }

    /// Reads a state file: its header and the last answer saved for each number. A last line cut short by a crash
    /// is ignored (that number is simply looked up again).
    pub fn load(path: &Path) -> Result<(JournalHeader, HashMap<Document, Verdict>), AppError> {
        let file = File::open(path).map_err(|e| io_error(path, "ler", e))?;
        let mut lines = BufReader::new(file).lines();
        let not_ours = || {
            AppError::new(
                ErrorCode::Config,
                format!(
                    "{} não é um arquivo de estado de lote do Balcão (ou é de uma versão mais nova).",
                    path.display()
                ),
            )
        };
        let first = lines.next().transpose().map_err(|e| io_error(path, "ler", e))?.ok_or_else(not_ours)?;
        let header: JournalHeader = serde_json::from_str(&first).map_err(|_| not_ours())?;
        if header.format != FORMAT || header.version > VERSION {
            return Err(not_ours());
        }
        let mut answers = HashMap::new();
        let mut pending_error = None;
        for line in lines {
            let line = line.map_err(|e| io_error(path, "ler", e))?;
            if line.trim().is_empty() {
                continue;
            }
            if let Some(e) = pending_error.take() {
                return Err(e);
            }
            match serde_json::from_str::<Line>(&line) {
                Ok(l) => {
                    let doc = match l.kind {
                        DocKind::Cpf => balcao_core::Cpf::parse(&l.number).map(Document::Cpf),
                        DocKind::Cnpj => balcao_core::Cnpj::parse(&l.number).map(Document::Cnpj),
                    };
                    match doc {
                        Ok(doc) => {
                            answers.insert(doc, l.verdict);
                        }
                        Err(_) => return Err(not_ours()),
                    }
                }
                // Only the last line may be damaged: remember the error and fail if another line follows.
                Err(_) => pending_error = Some(not_ours()),
            }
        }
        Ok((header, answers))
    }

    /// The header alone, and how many numbers have an answer (for "lote salvo" at start-up).
    pub fn summary(path: &Path) -> Result<(JournalHeader, usize), AppError> {
        Journal::load(path).map(|(h, a)| (h, a.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn round_trip_last_answer_wins_and_a_torn_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/estado.jsonl");
        let a = Document::parse("40442820135").unwrap();
        let b = Document::parse("34238864000168").unwrap();
        let mut j = Journal::create(&path, &header(), &[(a, found("Ana"))]).unwrap();
        j.append(&[(b, found("Empresa")), (a, found("Ana Maria"))]).unwrap();
        drop(j);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"kind\":\"cpf\",\"numb");
        std::fs::write(&path, &text).unwrap();
        let (h, answers) = Journal::load(&path).unwrap();
        assert_eq!(h, header());
        assert_eq!(answers.len(), 2);
        assert_eq!(answers[&a].name.as_deref(), Some("Ana Maria"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let c = Document::parse("63017285995").unwrap();
        let mut j = Journal::reopen(&path).unwrap();
        j.append(&[(c, found("Caio"))]).unwrap();
        drop(j);
        let (_, answers) = Journal::load(&path).unwrap();
        assert_eq!(answers.len(), 3, "the torn line was cut before appending");
    }

    #[test]
    fn other_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        std::fs::write(&path, "{\"format\":\"outro\"}\n").unwrap();
        assert_eq!(Journal::load(&path).unwrap_err().code, ErrorCode::Config);
        std::fs::write(&path, "nome;cpf\n").unwrap();
        assert!(Journal::load(&path).unwrap_err().message.contains("não é um arquivo de estado"));
    }
}
