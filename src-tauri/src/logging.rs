//! Logs: daily-rotated files in the data folder's `logs/` (7 kept) plus stderr, with CPF/CNPJ numbers and bearer
//! tokens masked in every line before it is written, whatever the caller logged.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Log files kept (one per day).
pub const KEPT_FILES: usize = 7;
/// File names: `balcao.YYYY-MM-DD.log`.
pub const FILE_PREFIX: &str = "balcao";
pub const FILE_SUFFIX: &str = "log";

/// The log folder inside a data folder.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Starts logging to stderr and, when the folder can be made, to rotating files in `dir`. `BALCAO_LOG` sets the
/// filter (default `warn,balcao=info`). Returns where files go, or why they do not.
pub fn init(dir: &Path) -> Result<PathBuf, String> {
    let filter = || EnvFilter::try_from_env("BALCAO_LOG").unwrap_or_else(|_| "warn,balcao=info,balcao_app=info".into());
    let file = appender(dir);
    let stderr = tracing_subscriber::fmt::layer().with_writer(Masked(io::stderr)).with_filter(filter());
    let result = match file {
        Ok(appender) => {
            let layer =
                tracing_subscriber::fmt::layer().with_ansi(false).with_writer(Masked(appender)).with_filter(filter());
            let _ = tracing_subscriber::registry().with(stderr).with(layer).try_init();
            Ok(dir.to_path_buf())
        }
        Err(e) => {
            let _ = tracing_subscriber::registry().with(stderr).try_init();
            Err(e)
        }
    };
    if let Err(e) = &result {
        tracing::warn!(error = %e, "file logging disabled");
    }
    result
}

/// The rotating file writer in `dir`. Log lines mask numbers but still tell who looked up when, so the files are
/// private to the user: the data folder and `logs/` 0700, files already there 0600 (an older version left them
/// 0644), and the process's file mask 077 so each day's new file, created by the appender at rotation, is 0600 too
/// (Unix; on Windows the profile's ACL applies).
fn appender(dir: &Path) -> Result<RollingFileAppender, String> {
    balcao_platform::restrict_new_files();
    let secure = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(dir);
    balcao_platform::secure_data_dir(secure).map_err(|e| e.message)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    balcao_platform::secure_data_dir(dir).map_err(|e| e.message)?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .filename_suffix(FILE_SUFFIX)
        .max_log_files(KEPT_FILES)
        .build(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))
}

/// The last `n` lines of the newest log files in `dir` (masked again, in case a file came from elsewhere).
pub fn tail(dir: &Path, n: usize) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|f| f.to_str())
                        .is_some_and(|f| f.starts_with(FILE_PREFIX) && f.ends_with(&format!(".{FILE_SUFFIX}")))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut lines = Vec::new();
    for f in files.iter().rev() {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let mut these: Vec<String> = text.lines().map(mask_personal).collect();
        these.extend(lines);
        lines = these;
        if lines.len() >= n {
            break;
        }
    }
    let skip = lines.len().saturating_sub(n);
    lines.split_off(skip)
}

/// A writer factory whose writers mask personal data in what passes through them.
#[derive(Debug, Clone)]
pub struct Masked<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Masked<M> {
    type Writer = MaskedWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskedWriter { inner: self.0.make_writer(), buf: Vec::new() }
    }
}

/// Collects what one event writes and masks it as a whole when flushed or dropped.
#[derive(Debug)]
pub struct MaskedWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> MaskedWriter<W> {
    fn drain(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buf).into_owned();
        self.buf.clear();
        self.inner.write_all(mask_personal(&text).as_bytes())
    }
}

impl<W: Write> Write for MaskedWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for MaskedWriter<W> {
    fn drop(&mut self) {
        let _ = self.drain();
        let _ = self.inner.flush();
    }
}

/// Masks what must never reach a log: CPF- and CNPJ-shaped numbers (formatted or not, alphanumeric CNPJ too) become
/// `***.428.201-**` / `**.***.345/01DE-**`, other runs of 11+ digits become asterisks, and the value after
/// `Bearer ` becomes `<redacted>`.
pub fn mask_personal(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() || (i > 0 && b[i - 1].is_ascii_alphanumeric()) {
            // Copy one char (text may be any UTF-8).
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + len]);
            i += len;
            continue;
        }
        let ends_here = |end: usize| end >= b.len() || !b[end].is_ascii_alphanumeric();
        if let Some(core) = formatted(&b[i..], CPF_SHAPE).filter(|_| ends_here(i + CPF_SHAPE.len())) {
            out.push_str(&mask_core(&core));
            i += CPF_SHAPE.len();
            continue;
        }
        if let Some(core) = formatted(&b[i..], CNPJ_SHAPE).filter(|_| ends_here(i + CNPJ_SHAPE.len())) {
            out.push_str(&mask_core(&core));
            i += CNPJ_SHAPE.len();
            continue;
        }
        let end = (i..b.len()).find(|&j| !b[j].is_ascii_alphanumeric()).unwrap_or(b.len());
        out.push_str(&mask_core(&text[i..end]));
        i = end;
    }
    redact_bearer(&out)
}

/// `d` a digit, `a` a digit or an upper-case letter (alphanumeric CNPJ), anything else literal.
const CPF_SHAPE: &[u8] = b"ddd.ddd.ddd-dd";
const CNPJ_SHAPE: &[u8] = b"aa.aaa.aaa/aaaa-dd";

/// The number's characters when `b` starts with `shape`.
fn formatted(b: &[u8], shape: &[u8]) -> Option<String> {
    if b.len() < shape.len() {
        return None;
    }
    let mut core = String::new();
    for (&c, &s) in b.iter().zip(shape) {
        let ok = match s {
            b'd' => c.is_ascii_digit(),
            b'a' => c.is_ascii_digit() || c.is_ascii_uppercase(),
            lit => c == lit,
        };
        if !ok {
            return None;
        }
        if matches!(s, b'd' | b'a') {
            core.push(char::from(c));
        }
    }
    Some(core)
}

/// Masks one run of letters and digits when it has the shape of a CPF, a CNPJ, or is a long number.
fn mask_core(core: &str) -> String {
    let digits = core.bytes().filter(u8::is_ascii_digit).count();
    let upper_alnum = core.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    if core.len() == 11 && digits == 11 {
        return format!("***.{}.{}-**", &core[3..6], &core[6..9]);
    }
    if core.len() == 14 && upper_alnum && core[12..].bytes().all(|b| b.is_ascii_digit()) && digits >= 4 {
        return format!("**.***.{}/{}-**", &core[5..8], &core[8..12]);
    }
    if digits == core.len() && digits >= 11 {
        return "*".repeat(core.len());
    }
    core.to_owned()
}

fn redact_bearer(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("Bearer ") {
        let after = &rest[i + "Bearer ".len()..];
        out.push_str(&rest[..i]);
        out.push_str("Bearer <redacted>");
        let end = after.find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',')).unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpf_and_cnpj_shapes_are_masked_in_any_format() {
        assert_eq!(mask_personal("cpf 404.428.201-35 ok"), "cpf ***.428.201-** ok");
        assert_eq!(mask_personal("path=/cpf/40442820135 status=200"), "path=/cpf/***.428.201-** status=200");
        assert_eq!(mask_personal("cnpj 12.345.678/0001-95"), "cnpj **.***.678/0001-**");
        assert_eq!(mask_personal("x 12ABC34501DE35 y"), "x **.***.345/01DE-** y");
        assert_eq!(mask_personal("tel 5561999998888"), "tel *************");
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for s in [
            "WARN balcao: start-up incomplete code=Network",
            "version 0.1.0 took 1234 ms on 2026-11-26T10:00:00Z",
            "BALCAO_UI_READY_MS=412.5",
            "/home/maria/.local/share/br.gov.balcao/logs",
        ] {
            assert_eq!(mask_personal(s), s);
        }
    }

    #[test]
    fn bearer_tokens_are_redacted() {
        assert_eq!(
            mask_personal("authorization: Bearer eyJhbGciOi.abc-def, next"),
            "authorization: Bearer <redacted>, next"
        );
    }

    #[cfg(unix)]
    #[test]
    fn log_folder_and_files_are_private_to_the_user_old_ones_included() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let set = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
        let data = tempfile::tempdir().unwrap();
        let dir = log_dir(data.path());
        std::fs::create_dir_all(&dir).unwrap();
        set(data.path(), 0o755);
        set(&dir, 0o755);
        let old = dir.join("balcao.2026-11-01.log");
        std::fs::write(&old, "old\n").unwrap();
        set(&old, 0o644);
        let appender = appender(&dir).unwrap();
        {
            let mut w = appender.make_writer();
            writeln!(w, "a line").unwrap();
            w.flush().unwrap();
        }
        assert_eq!(mode(data.path()), 0o700, "data folder");
        assert_eq!(mode(&dir), 0o700, "log folder");
        let files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
        assert!(files.len() >= 2, "{files:?}");
        for f in files {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
    }

    #[test]
    fn the_writer_masks_what_one_event_writes_and_tail_reads_the_newest_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("balcao.2026-11-26.log");
        {
            let file = std::fs::File::create(&path).unwrap();
            let mut w = MaskedWriter { inner: file, buf: Vec::new() };
            for i in 0..30 {
                writeln!(w, "line {i} lookup 404.428.201-35").unwrap();
            }
            w.flush().unwrap();
        }
        std::fs::write(dir.path().join("balcao.2026-11-25.log"), "old 1\nold 2\n").unwrap();
        std::fs::write(dir.path().join("other.txt"), "not a log\n").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("404.428.201-35") && text.contains("***.428.201-**"));
        let last = tail(dir.path(), 3);
        assert_eq!(
            last,
            vec!["line 27 lookup ***.428.201-**", "line 28 lookup ***.428.201-**", "line 29 lookup ***.428.201-**"]
        );
        let all = tail(dir.path(), 100);
        assert_eq!(all.len(), 32);
        assert_eq!(all[0], "old 1");
    }
}
