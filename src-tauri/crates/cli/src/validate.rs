//! `balcao-cli validate`: checks CPFs and CNPJs locally (no call) and prints one JSON object per input.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use balcao_core::api::Validation;
use balcao_core::{AppError, DocKind, ErrorCode};
use serde::Serialize;

use crate::exit::{EXIT_INVALID_INPUT, EXIT_USAGE};
use crate::text::eprint_line;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// CPFs ou CNPJs, com ou sem máscara. Sem nenhum, lê um por linha da entrada padrão (linhas em branco são puladas).
    #[arg(value_name = "NÚMERO")]
    pub inputs: Vec<String>,
}

/// One output line: `kind` is always present (null when the input looks like neither);
/// `canonical`/`formatted` only when valid, `error` only when not.
#[derive(Debug, Serialize)]
struct Line<'a> {
    input: &'a str,
    kind: Option<DocKind>,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    canonical: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    formatted: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a AppError>,
}

impl<'a> From<&'a Validation> for Line<'a> {
    fn from(v: &'a Validation) -> Self {
        Self {
            input: &v.input,
            kind: v.kind,
            valid: v.valid,
            canonical: v.canonical.as_deref(),
            formatted: v.formatted.as_deref(),
            error: v.error.as_ref(),
        }
    }
}

/// Longest line read from standard input: a masked CNPJ has 18 characters; 1 KiB leaves room for spaces and a
/// spreadsheet's stray columns while a hostile line (hundreds of MB, no line break) is skipped, not stored.
const MAX_LINE_BYTES: usize = 1024;
/// How much of a refused line is echoed back in `input`.
const ECHO_CHARS: usize = 40;

/// One line of standard input, read without ever holding more than [`MAX_LINE_BYTES`] of it.
enum StdinLine {
    Text(String),
    TooLong { bytes: u64, head: String },
    NotUtf8 { head: String },
}

/// Reads the next line (without its `\n` or `\r\n`); `None` at the end of the input.
fn next_line(reader: &mut impl BufRead) -> std::io::Result<Option<StdinLine>> {
    let mut kept: Vec<u8> = Vec::new();
    let mut total: u64 = 0;
    let mut seen_any = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        seen_any = true;
        let (chunk, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (buf.get(..i).unwrap_or_default(), Some(i + 1)),
            None => (buf, None),
        };
        total = total.saturating_add(chunk.len() as u64);
        let room = (MAX_LINE_BYTES + 1).saturating_sub(kept.len()).min(chunk.len());
        kept.extend_from_slice(chunk.get(..room).unwrap_or_default());
        let used = done.unwrap_or(buf.len());
        reader.consume(used);
        if done.is_some() {
            break;
        }
    }
    if !seen_any {
        return Ok(None);
    }
    if kept.last() == Some(&b'\r') && total as usize == kept.len() {
        kept.pop();
        total = total.saturating_sub(1);
    }
    let head = |bytes: &[u8]| -> String {
        let lossy = String::from_utf8_lossy(bytes);
        crate::text::truncate(&lossy, ECHO_CHARS)
    };
    if total > MAX_LINE_BYTES as u64 {
        return Ok(Some(StdinLine::TooLong { bytes: total, head: head(&kept) }));
    }
    Ok(Some(match String::from_utf8(kept) {
        Ok(text) => StdinLine::Text(text),
        Err(e) => StdinLine::NotUtf8 { head: head(e.as_bytes()) },
    }))
}

/// The answer for a line that is not a number at all (too long, not UTF-8).
fn refused_line(number: u64, head: &str, reason: String) -> String {
    let error =
        AppError::new(ErrorCode::InvalidDocument, format!("Linha {number}: {reason} Nenhuma consulta foi feita."));
    let line = Line { input: head, kind: None, valid: false, canonical: None, formatted: None, error: Some(&error) };
    crate::text::json_line_exact(&line)
}

/// Exit 0 when every input is valid, 1 when any is not, 2 on a usage error (nothing to validate, unreadable stdin).
/// Each answer echoes its input exactly, every control character escaped (`\u001b`), never raw. Standard input is read one line at a time and each answer is printed as soon as its line is read.
pub fn run(args: Args) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let mut all_valid = true;
    let mut answer = |text: String, valid: bool, out: &mut std::io::StdoutLock<'_>| -> bool {
        all_valid &= valid;
        // A closed pipe (the reader went away) stops the run quietly; the status still tells the result so far.
        writeln!(out, "{text}").and_then(|()| out.flush()).is_ok()
    };
    if !args.inputs.is_empty() {
        for input in &args.inputs {
            let v = Validation::of(input);
            if !answer(crate::text::json_line_exact(&Line::from(&v)), v.valid, &mut out) {
                break;
            }
        }
        return if all_valid { ExitCode::SUCCESS } else { ExitCode::from(EXIT_INVALID_INPUT) };
    }
    let stdin = std::io::stdin();
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, stdin.lock());
    let (mut number, mut answered) = (0u64, 0u64);
    loop {
        let line = match next_line(&mut reader) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                eprint_line(&format!(
                    "Não foi possível ler a entrada padrão (linha {}): {}.",
                    number + 1,
                    balcao_core::error::io_reason(&e)
                ));
                return ExitCode::from(EXIT_USAGE);
            }
        };
        number += 1;
        let (text, valid) = match line {
            StdinLine::Text(t) if t.trim().is_empty() => continue,
            StdinLine::Text(t) => {
                let v = Validation::of(&t);
                (crate::text::json_line_exact(&Line::from(&v)), v.valid)
            }
            StdinLine::TooLong { bytes, head } => {
                let reason = format!("linha longa demais ({bytes} bytes; no máximo {MAX_LINE_BYTES}).");
                (refused_line(number, &head, reason), false)
            }
            StdinLine::NotUtf8 { head } => {
                (refused_line(number, &head, "o texto não está em UTF-8 (salve a lista em UTF-8).".to_owned()), false)
            }
        };
        answered += 1;
        if !answer(text, valid, &mut out) {
            break;
        }
    }
    if answered == 0 {
        eprint_line(
            "Nenhum número informado. Uso: balcao-cli validate <CPF ou CNPJ>... (ou um por linha na entrada padrão)",
        );
        return ExitCode::from(EXIT_USAGE);
    }
    if all_valid { ExitCode::SUCCESS } else { ExitCode::from(EXIT_INVALID_INPUT) }
}
