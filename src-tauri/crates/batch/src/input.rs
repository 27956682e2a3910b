//! Reading the file: the encoding (UTF-8, UTF-16 with BOM, else Windows-1252), the delimiter, rows of cells, and the
//! limits that keep a small hostile file from exhausting memory (size, cells per row, row length, cells in all).

use std::io::Read;

use balcao_core::batch_api::{Delimiter, InputEncoding};
use balcao_core::{AppError, ErrorCode};

/// The largest file read (a 100 000-row spreadsheet is a few MB; [`crate::MAX_ROWS`] rows of a few columns fit).
pub const MAX_BYTES: usize = 256 * 1024 * 1024;
/// The most cells one row may have. A clerk's list of CPFs has a handful of columns; 256 leaves room for any real
/// spreadsheet export and keeps the cells of one row (and the result's padding) small.
pub const MAX_CELLS_PER_ROW: usize = 256;
/// The longest row, in bytes of text (line breaks inside quotes included): 64 KiB holds 256 cells of 250 characters.
/// It also stops a quote left open from swallowing the rest of the file into one cell.
pub const MAX_ROW_BYTES: usize = 64 * 1024;
/// The most cells in the whole file: [`crate::MAX_ROWS`] rows of 20 columns.
pub const MAX_TOTAL_CELLS: usize = 20_000_000;

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

fn too_big(mb: Option<usize>) -> AppError {
    let size = mb.map_or_else(|| format!("mais de {} MB", MAX_BYTES / (1024 * 1024)), |mb| format!("{mb} MB"));
    file_error(format!(
        "O arquivo tem {size}; o limite é {} MB. Divida a lista em arquivos menores.",
        MAX_BYTES / (1024 * 1024)
    ))
}

/// Reads a whole input from `reader`, never more than [`MAX_BYTES`] (plus one, to know it is larger): a larger file
/// is refused without being read to its end. For callers that read the file themselves (from the path the clerk
/// chose) before [`crate::Batch::prepare`].
pub fn read_limited(reader: &mut dyn Read) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    reader.take(MAX_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(|e| {
        file_error(format!("Não foi possível ler o arquivo ({e}). Verifique se ele ainda existe e tente de novo."))
    })?;
    if bytes.len() > MAX_BYTES {
        return Err(too_big(None));
    }
    Ok(bytes)
}

fn too_many_cells(line: u64) -> AppError {
    file_error(format!(
        "A linha {line} do arquivo tem mais de {MAX_CELLS_PER_ROW} colunas. Uma lista de CPFs ou CNPJs tem poucas \
         colunas: confira se escolheu o arquivo certo, ou salve a planilha de novo como CSV só com as colunas \
         necessárias."
    ))
}

fn row_too_long(line: u64) -> AppError {
    file_error(format!(
        "A linha {line} do arquivo tem mais de {} KB (aspas sem fechamento juntam as linhas seguintes numa só). \
         Confira se escolheu o arquivo certo, ou salve a planilha de novo como CSV.",
        MAX_ROW_BYTES / 1024
    ))
}

fn too_many_in_all(line: u64) -> AppError {
    file_error(format!(
        "O arquivo passa de {MAX_TOTAL_CELLS} células (na linha {line}). Divida a lista em arquivos menores, ou \
         deixe só as colunas necessárias."
    ))
}

/// Where the scan of a delimited text is, as the csv reader parses it (quotes open only at the start of a cell).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    CellStart,
    InCell,
    InQuotes,
    QuoteInQuotes,
}

/// Checks the shape limits over the text without allocating anything: cells per row, row length, cells in all.
/// Fails at the first row past a limit, naming its line (counted as [`Table::rows`] counts them).
fn check_shape(text: &str, delimiter: Delimiter) -> Result<(), AppError> {
    if delimiter == Delimiter::None {
        let mut total = 0usize;
        for (i, l) in text.lines().enumerate() {
            let line = i as u64 + 1;
            if l.len() > MAX_ROW_BYTES {
                return Err(row_too_long(line));
            }
            if !l.trim().is_empty() {
                total += 1;
                if total > MAX_TOTAL_CELLS {
                    return Err(too_many_in_all(line));
                }
            }
        }
        return Ok(());
    }
    let sep = delimiter.byte();
    let (mut line, mut row_line, mut row_start) = (1u64, 1u64, 0usize);
    let (mut cells, mut total, mut blank) = (1usize, 0usize, true);
    let mut state = Scan::CellStart;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if b == b'\n' {
            line += 1;
        }
        if state == Scan::QuoteInQuotes {
            state = if b == b'"' { Scan::InQuotes } else { Scan::InCell };
            if b == b'"' {
                continue;
            }
        }
        match state {
            Scan::InQuotes => {
                if b == b'"' {
                    state = Scan::QuoteInQuotes;
                }
            }
            _ if b == b'\n' || b == b'\r' => {
                if !blank {
                    total += cells;
                    if total > MAX_TOTAL_CELLS {
                        return Err(too_many_in_all(row_line));
                    }
                }
                (row_line, row_start, cells, blank, state) = (line, i + 1, 1, true, Scan::CellStart);
                continue;
            }
            _ if b == sep => {
                cells += 1;
                blank = false;
                state = Scan::CellStart;
                if cells > MAX_CELLS_PER_ROW {
                    return Err(too_many_cells(row_line));
                }
            }
            Scan::CellStart if b == b'"' => {
                blank = false;
                state = Scan::InQuotes;
            }
            _ => {
                blank = false;
                state = Scan::InCell;
            }
        }
        if i - row_start >= MAX_ROW_BYTES {
            return Err(row_too_long(row_line));
        }
    }
    if !blank && total + cells > MAX_TOTAL_CELLS {
        return Err(too_many_in_all(row_line));
    }
    Ok(())
}

impl Table {
    /// Decodes `bytes`, finds the delimiter and checks the limits (size first, before any decoded copy exists;
    /// then cells per row, row length and cells in all, before any row is split into cells).
    pub fn read(bytes: &[u8]) -> Result<Table, AppError> {
        if bytes.len() > MAX_BYTES {
            return Err(too_big(Some(bytes.len() / (1024 * 1024))));
        }
        let (encoding, text) = decode(bytes);
        if text.trim().is_empty() {
            return Err(file_error("O arquivo está vazio: escolha um CSV ou texto com um número por linha."));
        }
        let delimiter = sniff(&text);
        check_shape(&text, delimiter)?;
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
    // Each line looked at up to the row limit (a longer one is refused by `check_shape` anyway): a hostile first
    // line of 100 MB costs no more than a normal one.
    let head =
        |l: &'_ str| -> usize { (0..=l.len().min(MAX_ROW_BYTES)).rev().find(|&i| l.is_char_boundary(i)).unwrap_or(0) };
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .map(|l| l.get(..head(l)).unwrap_or_default())
        .collect();
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
