//! Errors thrown in the page (`window.onerror`, unhandled promise rejections), written to Balcão's log.

use std::sync::atomic::{AtomicU32, Ordering};

use balcao_command::command;

/// Page errors written per run: a page failing in a loop does not fill the disk.
const MAX_REPORTS: u32 = 50;
/// Characters kept of each text the page sends.
const MAX_CHARS: usize = 2000;

static REPORTED: AtomicU32 = AtomicU32::new(0);

/// Writes an error thrown in the page to the log. The log's writer masks CPF/CNPJ numbers and tokens in every line
/// (logging.rs), so a number in an error's text is hidden like anywhere else; the page's texts are cut and kept on
/// one line, so they cannot forge other lines.
#[command]
pub fn page_error(kind: String, message: String, source: String) {
    let Some(n) = take_slot(&REPORTED) else { return };
    let kind = match kind.as_str() {
        "error" | "rejection" => kind.as_str(),
        _ => "other",
    };
    if n + 1 == MAX_REPORTS {
        tracing::error!(target: "balcao::page", kind, message = %one_line(&message), source = %one_line(&source), "page error (the last one logged in this run)");
    } else {
        tracing::error!(target: "balcao::page", kind, message = %one_line(&message), source = %one_line(&source), "page error");
    }
}

/// The number of this report, or `None` once [`MAX_REPORTS`] were written.
fn take_slot(counter: &AtomicU32) -> Option<u32> {
    counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n < MAX_REPORTS).then(|| n.saturating_add(1))).ok()
}

/// At most [`MAX_CHARS`] characters, control characters (line breaks among them) turned into spaces.
fn one_line(text: &str) -> String {
    text.chars().take(MAX_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_error_stays_on_one_bounded_line() {
        let forged = "boom\n2026-01-01T00:00:00Z  INFO balcao: forged\r\u{1b}[31m";
        let line = one_line(forged);
        assert!(!line.contains(['\n', '\r', '\u{1b}']), "{line:?}");
        assert!(line.starts_with("boom 2026"));
        assert_eq!(one_line(&"é".repeat(MAX_CHARS + 10)).chars().count(), MAX_CHARS);
    }

    #[test]
    fn page_errors_stop_being_logged_after_the_cap() {
        let counter = AtomicU32::new(0);
        let taken: Vec<u32> = (0..MAX_REPORTS + 5).filter_map(|_| take_slot(&counter)).collect();
        assert_eq!(taken.len(), MAX_REPORTS as usize);
        assert_eq!(taken.last().copied(), Some(MAX_REPORTS - 1));
        assert_eq!(take_slot(&counter), None);
    }
}
