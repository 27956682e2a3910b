//! Reading the file: the encoding (UTF-8, UTF-16 with BOM, else Windows-1252), the delimiter, and rows of cells.

use balcao_core::batch_api::{Delimiter, InputEncoding};
use balcao_core::{AppError, ErrorCode};

/// The largest file read (a 100 000-row spreadsheet is a few MB).
pub const MAX_BYTES: usize = 256 * 1024 * 1024;

/// Lines looked at to find the delimiter.
const SNIFF_LINES: usize = 64;

/// The decoded file: its text and how to split it. Rows are parsed on demand (twice: to plan, to write).
#[derive(Debug, Clone)]
pub struct Table {
    pub encoding: InputEncoding,
    pub delimiter: Delimiter,
    text: String,
}

/// One line of the file as cells (`line` counts from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u32,
    pub cells: Vec<String>,
}

pub(crate) fn file_error(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::Config, message)
}

impl Table {
    /// Decodes `bytes` and finds the delimiter.
    pub fn read(bytes: &[u8]) -> Result<Table, AppError> {
        if bytes.len() > MAX_BYTES {
            return Err(file_error(format!(
                "O arquivo tem {} MB; o limite é {} MB. Divida a lista em arquivos menores.",
                bytes.len() / (1024 * 1024),
                MAX_BYTES / (1024 * 1024)
            )));
        }
        let (encoding, text) = decode(bytes);
        if text.trim().is_empty() {
            return Err(file_error("O arquivo está vazio: escolha um CSV ou texto com um número por linha."));
        }
        let delimiter = sniff(&text);
        Ok(Table { encoding, delimiter, text })
    }

    /// The rows, in file order (blank lines skipped).
    pub fn rows(&self) -> impl Iterator<Item = Result<Row, AppError>> + '_ {
        let delimited: Box<dyn Iterator<Item = Result<Row, AppError>>> = match self.delimiter {
            Delimiter::None => {
                Box::new(self.text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).map(|(i, l)| {
                    Ok(Row { line: u32::try_from(i + 1).unwrap_or(u32::MAX), cells: vec![l.to_owned()] })
                }))
            }
            d => {
                let reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .delimiter(d.byte())
                    .from_reader(self.text.as_bytes());
                // Lines are counted here: the csv crate's own count lags on CRLF files (what Excel writes).
                let text = self.text.as_bytes();
                let (mut at, mut line) = (0usize, 1u32);
                Box::new(reader.into_records().map(move |r| {
                    let record = r.map_err(|e| file_error(format!("Não foi possível ler o CSV: {e}.")))?;
                    let mut start = record.position().map_or(at, |p| usize::try_from(p.byte()).unwrap_or(at)).max(at);
                    // A record's reported start may sit on the line break that ended the previous one.
                    while start < text.len() && matches!(text[start], b'\r' | b'\n') {
                        start += 1;
                    }
                    let skipped = text[at..start.min(text.len())].iter().filter(|&&b| b == b'\n').count();
                    line = line.saturating_add(u32::try_from(skipped).unwrap_or(u32::MAX));
                    at = start;
                    Ok(Row { line, cells: record.iter().map(str::to_owned).collect() })
                }))
            }
        };
        delimited
    }

    /// A cheap identity of the file's bytes (FNV-1a, 64 bits, and the length): resuming checks the same file was chosen.
    pub fn fingerprint(bytes: &[u8]) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("fnv1a64:{h:016x}:{}", bytes.len())
    }
}

/// UTF-8 (BOM dropped) when valid, UTF-16 when a BOM says so (Excel's "Texto Unicode"), else Windows-1252.
fn decode(bytes: &[u8]) -> (InputEncoding, String) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (InputEncoding::Utf8, String::from_utf8_lossy(rest).into_owned());
    }
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes)
        && (enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE)
    {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom..]);
        return (InputEncoding::Utf16, text.into_owned());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (InputEncoding::Utf8, s.to_owned()),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (InputEncoding::Windows1252, text.into_owned())
        }
    }
}

/// How many times `sep` occurs outside double quotes in `line`.
fn count_outside_quotes(line: &str, sep: char) -> usize {
    let mut quoted = false;
    line.chars()
        .filter(|&c| {
            if c == '"' {
                quoted = !quoted;
            }
            !quoted && c == sep
        })
        .count()
}

/// The delimiter that splits most of the first lines into the same number of cells; none for a plain list.
fn sniff(text: &str) -> Delimiter {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(SNIFF_LINES).collect();
    let mut best = (0usize, Delimiter::None);
    for (sep, d) in [(';', Delimiter::Semicolon), ('\t', Delimiter::Tab), (',', Delimiter::Comma)] {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, sep)).collect();
        let mut freq = std::collections::BTreeMap::new();
        for &c in counts.iter().filter(|&&c| c > 0) {
            *freq.entry(c).or_insert(0usize) += 1;
        }
        let agreeing = freq.values().copied().max().unwrap_or(0);
        if agreeing * 2 >= lines.len() && agreeing > best.0 {
            best = (agreeing, d);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(t: &Table) -> Vec<Vec<String>> {
        t.rows().map(|r| r.unwrap().cells).collect()
    }

    #[test]
    fn utf8_with_bom_and_semicolons() {
        let t = Table::read("\u{FEFF}nome;cpf\nJoão;404.428.201-35\n".as_bytes()).unwrap();
        assert_eq!((t.encoding, t.delimiter), (InputEncoding::Utf8, Delimiter::Semicolon));
        assert_eq!(cells(&t), vec![vec!["nome", "cpf"], vec!["João", "404.428.201-35"]]);
    }

    #[test]
    fn windows_1252_when_not_utf8() {
        let t =
            Table::read(b"nome,cpf\r\nJo\xe3o,40442820135\r\n\r\nConcei\xe7\xe3o,\"1,2\"\r\nX,\"a\r\nb\"\r\nY,1\r\n")
                .unwrap();
        assert_eq!((t.encoding, t.delimiter), (InputEncoding::Windows1252, Delimiter::Comma));
        assert_eq!(cells(&t)[2], vec!["Conceição", "1,2"]);
        let rows: Vec<u32> = t.rows().map(|r| r.unwrap().line).collect();
        assert_eq!(rows, vec![1, 2, 4, 5, 7], "file lines, blank lines and quoted line breaks counted");
    }

    #[test]
    fn utf16_with_bom_and_tabs() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "cpf\tnome\n40442820135\tJoão\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let t = Table::read(&bytes).unwrap();
        assert_eq!((t.encoding, t.delimiter), (InputEncoding::Utf16, Delimiter::Tab));
        assert_eq!(cells(&t)[1], vec!["40442820135", "João"]);
    }

    #[test]
    fn plain_list_has_no_delimiter_and_skips_blank_lines() {
        let t = Table::read(b"404.428.201-35\n\n34.238.864/0001-68\n  \n12ABC34501DE35").unwrap();
        assert_eq!(t.delimiter, Delimiter::None);
        let rows: Vec<(u32, String)> = t.rows().map(|r| r.unwrap()).map(|r| (r.line, r.cells[0].clone())).collect();
        assert_eq!(rows[1], (3, "34.238.864/0001-68".to_owned()));
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn a_stray_comma_does_not_make_a_list_a_csv() {
        let t = Table::read(b"40442820135\n63017285995\n91708635203, veja obs\n58136053391\n").unwrap();
        assert_eq!(t.delimiter, Delimiter::None);
    }

    #[test]
    fn empty_file_is_refused_and_fingerprints_differ() {
        assert_eq!(Table::read(b" \n\n").unwrap_err().code, ErrorCode::Config);
        assert_ne!(Table::fingerprint(b"a"), Table::fingerprint(b"b"));
        assert!(Table::fingerprint(b"abc").ends_with(":3"));
    }
}
