//! What the CLI prints: texts from outside (server answers, profiles, file names, the history) without control
//! characters or terminal escape sequences, always (a pipe today is a terminal tomorrow), shortened on whole
//! characters after cleaning so that a cut never splits a character or a sequence.

use std::io::Write;

use serde_json::Value;

/// Bidirectional formatting characters: they reorder what the terminal shows (a name could hide a number).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Skips a control string (OSC, DCS, SOS, PM, APC) up to its terminator: BEL, ST (`ESC \` or U+009C), or the
/// start of another escape or a line break (a string never ends).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&c) = chars.peek() {
        match c {
            '\u{7}' | '\u{9c}' => {
                chars.next();
                return;
            }
            '\u{1b}' => {
                chars.next();
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            '\n' => return,
            _ => {
                chars.next();
            }
        }
    }
}

/// Skips a CSI sequence's parameters and its final character (0x40–0x7E); stops at anything else.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&c) = chars.peek() {
        chars.next();
        match c {
            '\u{20}'..='\u{3f}' => continue,
            _ => return,
        }
    }
}

/// `s` without escape sequences (CSI, OSC and the other control strings, two-character escapes), C0 and C1
/// control characters and bidirectional overrides. Line breaks and tabs are kept when `keep_breaks`, else they
/// become spaces.
fn strip(s: &str, keep_breaks: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' | '\t' if keep_breaks => out.push(c),
            '\n' | '\t' | '\r' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// A text to print, possibly several lines: control characters and escape sequences removed.
pub fn clean(s: &str) -> String {
    strip(s, true)
}

/// A one-line field (a name, a profile): like [`clean`], line breaks and tabs become spaces.
pub fn clean_line(s: &str) -> String {
    strip(s, false)
}

/// At most `max` characters of the cleaned one-line `s`, ending in `…` when shortened.
pub fn truncate(s: &str, max: usize) -> String {
    // Only a bounded prefix is cleaned: a 50-million-character cell costs no more than a short one.
    let prefix_end = s.char_indices().nth(max.saturating_mul(8).max(64)).map_or(s.len(), |(i, _)| i);
    let s = clean_line(s.get(..prefix_end).unwrap_or(s)) + if prefix_end < s.len() { "…" } else { "" };
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Every string (and key) of a JSON value cleaned, so that a script printing a field prints no escape either.
pub fn clean_json(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(clean(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(clean_json).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (clean(&k), clean_json(v))).collect()),
        other => other,
    }
}

/// `value` as pretty JSON with every string cleaned.
pub fn json_pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .map(clean_json)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| "{\"error\":{\"code\":\"Internal\",\"message\":\"Erro ao gerar o JSON.\"}}".to_owned())
}

/// `value` as one JSON line with every string cleaned.
pub fn json_line<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .map(clean_json)
        .and_then(|v| serde_json::to_string(&v))
        .unwrap_or_else(|_| "{\"error\":{\"code\":\"Internal\",\"message\":\"Erro ao gerar o JSON.\"}}".to_owned())
}

/// `value` as one JSON line that keeps every string exactly (a script can match it to what it sent) while printing
/// no control character: serde escapes C0 controls; DEL, C1 controls and bidirectional overrides are escaped here
/// as `\uXXXX` too (they can only occur inside JSON strings, so the line stays valid JSON).
pub fn json_line_exact<T: serde::Serialize>(value: &T) -> String {
    let text = serde_json::to_string(value)
        .unwrap_or_else(|_| "{\"error\":{\"code\":\"Internal\",\"message\":\"Erro ao gerar o JSON.\"}}".to_owned());
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_bidi_control(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// A writer that drops control characters (but line breaks and tabs) and bidirectional overrides from the UTF-8
/// text passing through it: a CSV of names from the server printed to a terminal carries no escape sequence.
pub struct CleanWriter<W: Write> {
    inner: W,
    /// The start of a character split between two writes.
    pending: Vec<u8>,
}

impl<W: Write> CleanWriter<W> {
    pub fn new(inner: W) -> Self {
        Self { inner, pending: Vec::new() }
    }
}

impl<W: Write> Write for CleanWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let (text, rest) = match std::str::from_utf8(&self.pending) {
            Ok(text) => (text, self.pending.len()),
            Err(e) if e.error_len().is_none() => {
                let valid = e.valid_up_to();
                (std::str::from_utf8(self.pending.get(..valid).unwrap_or_default()).unwrap_or_default(), valid)
            }
            // Not UTF-8: nothing of it is printed.
            Err(_) => ("", self.pending.len()),
        };
        let kept: String = text
            .chars()
            .filter(|c| matches!(c, '\n' | '\r' | '\t') || !(c.is_control() || is_bidi_control(*c)))
            .collect();
        self.inner.write_all(kept.as_bytes())?;
        self.pending.drain(..rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes the cleaned `text` and a line break to standard error (a closed stderr is ignored).
pub fn eprint_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", clean(text));
}

/// Writes the cleaned `text` and a line break to standard output (a closed pipe is ignored).
pub fn print_line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", clean(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_are_removed_whole() {
        assert_eq!(clean_line("\u{1b}]0;título\u{7}Ana\u{1b}[2J Maria"), "Ana Maria");
        assert_eq!(clean_line("a\u{9b}31mb\u{1b}[1;31mc\u{7f}d\u{202e}e"), "abcde");
        assert_eq!(clean_line("x\u{1b}]8;;http://e\u{1b}\\link\u{1b}]8;;\u{1b}\\y"), "xlinky");
        assert_eq!(clean_line("a\u{1b}cb\u{0}c\u{85}d"), "abcd");
        assert_eq!(clean("l1\nl2\r\n\tl3"), "l1\nl2 \n\tl3");
        assert_eq!(clean_line("l1\nl2"), "l1 l2");
        assert_eq!(clean_line("fim\u{1b}["), "fim");
    }

    #[test]
    fn truncation_counts_characters_after_cleaning() {
        assert_eq!(truncate("Conceição", 5), "Conc…");
        assert_eq!(truncate("\u{1b}[31mAna\u{1b}[0m", 3), "Ana");
        assert_eq!(truncate("ção", 3), "ção");
    }

    #[test]
    fn exact_json_escapes_every_control() {
        let line = json_line_exact(&serde_json::json!({"input": "a\u{7}b\u{9b}c\u{202e}d"}));
        assert_eq!(line, r#"{"input":"a\u0007b\u009bc\u202ed"}"#);
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["input"], "a\u{7}b\u{9b}c\u{202e}d");
    }

    #[test]
    fn the_clean_writer_drops_controls_even_split_across_writes() {
        let mut w = CleanWriter::new(Vec::new());
        let text = "Ana\u{1b}[2J;Jos\u{e9}\u{9b}1m\r\n".as_bytes();
        for chunk in text.chunks(1) {
            w.write_all(chunk).unwrap();
        }
        assert_eq!(String::from_utf8(w.inner).unwrap(), "Ana[2J;José1m\r\n");
    }

    #[test]
    fn json_strings_are_cleaned() {
        let v = clean_json(serde_json::json!({"nome": "A\u{1b}[2Jna", "l": ["\u{9b}1mB"], "n": 1}));
        assert_eq!(v, serde_json::json!({"nome": "Ana", "l": ["B"], "n": 1}));
    }
}
