//! Local validation of the number column (no call): which column and whether a header, check digits, leading zeros
//! lost by spreadsheets, ambiguous 14 digits, and duplicates (each distinct number is looked up once).

use std::collections::HashMap;

use balcao_core::batch_api::{BatchCounts, BatchOptions, InvalidRow};
use balcao_core::doc::{Detection, detect};
use balcao_core::{AppError, Cnpj, Cpf, DocKind, Document};

use crate::input::{Row, Table, file_error};

/// The most data rows a batch takes.
pub const MAX_ROWS: usize = 1_000_000;
/// The result writes `rows × width` cells (every row padded to the widest): at most this many times the cells the
/// file has, plus [`PAD_SLACK`], so the result stays proportional to the input (one wide row cannot widen them all).
const PAD_FACTOR: usize = 4;
const PAD_SLACK: usize = 65_536;
/// Rows looked at to choose the column and detect the header.
const HEAD_ROWS: usize = 200;
const SAMPLE_ROWS: usize = 5;
const INVALID_SAMPLE: usize = 20;

/// Something the output should tell about how a row's number was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    None,
    /// Digits only, short by one or two leading zeros (a spreadsheet read the number as a number).
    ZerosRestored,
    /// 14 digits that were both a CNPJ and a zero-padded CPF, read as `Plan::ambiguous_as`.
    Ambiguous,
}

/// What one data row holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKind {
    /// The number cell is empty (or the row is shorter than the column).
    Empty,
    /// Not a valid CPF or CNPJ: the pt-BR reason. Never sent.
    Invalid(Box<str>),
    /// A valid number: its index among the distinct numbers.
    Number { idx: u32, note: Note },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRow {
    pub line: u32,
    pub kind: RowKind,
}

/// The file read and validated: one entry per data row, and the distinct numbers in order of first appearance.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Counted from 0.
    pub column: usize,
    pub has_header: bool,
    pub header: Option<Vec<String>>,
    /// The most cells any row has up to its last non-blank one (the output pads every row to it, and drops blank
    /// cells past it).
    pub width: usize,
    pub ambiguous_as: DocKind,
    pub rows: Vec<PlannedRow>,
    pub numbers: Vec<Document>,
    /// Each distinct number's position in `numbers`.
    pub index: HashMap<Document, u32>,
    /// The line where each distinct number first appears.
    pub first_line: Vec<u32>,
    /// How many rows hold each distinct number.
    pub multiplicity: Vec<u32>,
    pub counts: BatchCounts,
    pub sample: Vec<Vec<String>>,
    pub invalid_sample: Vec<InvalidRow>,
}

/// A cell read alone, before ambiguous 14 digits are settled.
enum Read {
    Empty,
    Invalid(Box<str>),
    Doc(Document, Note),
    Ambiguous(Cpf, Cnpj),
}

fn read_cell(cell: Option<&String>) -> Read {
    let Some(cell) = cell.map(|c| c.trim()).filter(|c| !c.is_empty()) else {
        return Read::Empty;
    };
    match detect(cell) {
        Detection::Cpf(c) => Read::Doc(Document::Cpf(c), Note::None),
        Detection::Cnpj(c) => Read::Doc(Document::Cnpj(c), Note::None),
        Detection::Ambiguous { cpf, cnpj } => Read::Ambiguous(cpf, cnpj),
        Detection::Invalid { error, .. } => match restore_zeros(cell) {
            Some(doc) => Read::Doc(doc, Note::ZerosRestored),
            None => Read::Invalid(error.to_string().into_boxed_str()),
        },
    }
}

/// 9–10 digits that are a valid CPF with their leading zeros back, or 12–13 digits that are such a CNPJ.
/// Shorter runs are not guessed at: too many short numbers would pass the check digits by chance.
fn restore_zeros(cell: &str) -> Option<Document> {
    if !cell.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match cell.len() {
        9 | 10 => Cpf::parse(&format!("{cell:0>11}")).ok().map(Document::Cpf),
        12 | 13 => Cnpj::parse(&format!("{cell:0>14}")).ok().map(Document::Cnpj),
        _ => None,
    }
}

/// The cells of a row up to its last non-blank one.
fn filled(cells: &[String]) -> usize {
    cells.iter().rposition(|c| !c.trim().is_empty()).map_or(0, |p| p + 1)
}

fn is_valid(cell: Option<&String>) -> bool {
    matches!(read_cell(cell), Read::Doc(..) | Read::Ambiguous(..))
}

/// The 0-based column: the one asked for, or the one with the most valid numbers among the first rows.
fn choose_column(head: &[Row], asked: Option<u32>) -> Result<usize, AppError> {
    let width = head.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    if let Some(n) = asked {
        let n = n as usize;
        if n == 0 || n > width.max(1) {
            return Err(file_error(format!(
                "A coluna {n} não existe: as primeiras linhas do arquivo têm {width} coluna(s). Escolha uma coluna de 1 a {width}."
            )));
        }
        return Ok(n - 1);
    }
    let mut best = (0usize, 0usize);
    for col in 0..width {
        let valid = head.iter().filter(|r| is_valid(r.cells.get(col))).count();
        if valid > best.1 {
            best = (col, valid);
        }
    }
    Ok(best.0)
}

/// A first line whose number cell is not valid but holds letters, followed by valid numbers, is a header.
fn detect_header(head: &[Row], column: usize) -> bool {
    let Some(first) = head.first() else { return false };
    let cell = first.cells.get(column).map(|c| c.trim()).unwrap_or_default();
    if is_valid(first.cells.get(column)) || !cell.chars().any(char::is_alphabetic) {
        return false;
    }
    head.iter().skip(1).any(|r| is_valid(r.cells.get(column)))
}

impl Plan {
    /// Reads every row of `table` and validates its number cell.
    pub fn build(table: &Table, opts: &BatchOptions) -> Result<Plan, AppError> {
        let mut rows = table.rows();
        let head: Vec<Row> = rows.by_ref().take(HEAD_ROWS).collect::<Result<_, _>>()?;
        let column = choose_column(&head, opts.column)?;
        let has_header = opts.has_header.unwrap_or_else(|| detect_header(&head, column));
        let mut all = head.into_iter().map(Ok).chain(rows);
        let header = if has_header { all.next().transpose()?.map(|r| r.cells) } else { None };
        let mut width = header.as_deref().map_or(0, filled);
        // The widest row (cells, line) and the cells of the file, for the proportion check.
        let (mut widest, mut cells_in) = ((width, 1u32), width);
        let mut sample = Vec::new();
        let mut invalid_sample = Vec::new();
        let mut read: Vec<(u32, Read)> = Vec::new();
        let (mut cpf_rows, mut cnpj_rows) = (0u32, 0u32);
        for row in all {
            let row = row?;
            if read.len() >= MAX_ROWS {
                return Err(file_error(format!(
                    "O arquivo tem mais de {MAX_ROWS} linhas. Divida a lista em arquivos menores."
                )));
            }
            let n = filled(&row.cells);
            if n > widest.0 {
                widest = (n, row.line);
            }
            width = width.max(n);
            cells_in += n.max(1);
            let r = read_cell(row.cells.get(column));
            match &r {
                Read::Doc(Document::Cpf(_), _) => cpf_rows += 1,
                Read::Doc(Document::Cnpj(_), _) => cnpj_rows += 1,
                Read::Invalid(msg) if invalid_sample.len() < INVALID_SAMPLE => invalid_sample.push(InvalidRow {
                    line: row.line,
                    input: row.cells.get(column).cloned().unwrap_or_default(),
                    message: msg.to_string(),
                }),
                _ => {}
            }
            if sample.len() < SAMPLE_ROWS {
                sample.push(row.cells);
            }
            read.push((row.line, r));
        }
        if read.is_empty() {
            return Err(file_error("O arquivo não tem linhas de dados (só o cabeçalho?)."));
        }
        let width = width.max(column + 1);
        let padded = (read.len() + usize::from(has_header)).saturating_mul(width);
        if padded > cells_in.saturating_mul(PAD_FACTOR).saturating_add(PAD_SLACK) {
            return Err(file_error(format!(
                "A linha {} do arquivo tem {} colunas preenchidas, muito mais que as outras linhas: o resultado teria \
                 todas as linhas com essa largura. Confira essa linha (dados fora do lugar?) e escolha o arquivo de novo.",
                widest.1, widest.0
            )));
        }
        let ambiguous_as = opts.ambiguous_as.unwrap_or(if cpf_rows > cnpj_rows { DocKind::Cpf } else { DocKind::Cnpj });
        let mut plan = Plan {
            column,
            has_header,
            header,
            width,
            ambiguous_as,
            rows: Vec::with_capacity(read.len()),
            numbers: Vec::new(),
            index: HashMap::new(),
            first_line: Vec::new(),
            multiplicity: Vec::new(),
            counts: BatchCounts::default(),
            sample,
            invalid_sample,
        };
        let mut index: HashMap<Document, u32> = HashMap::with_capacity(read.len().min(1 << 16));
        for (line, r) in read {
            let kind = match r {
                Read::Empty => RowKind::Empty,
                Read::Invalid(msg) => RowKind::Invalid(msg),
                Read::Doc(doc, note) => plan.number(&mut index, doc, line, note),
                Read::Ambiguous(cpf, cnpj) => {
                    let doc = if ambiguous_as == DocKind::Cpf { Document::Cpf(cpf) } else { Document::Cnpj(cnpj) };
                    plan.number(&mut index, doc, line, Note::Ambiguous)
                }
            };
            plan.rows.push(PlannedRow { line, kind });
        }
        plan.index = index;
        plan.counts = plan.count();
        Ok(plan)
    }

    fn number(&mut self, index: &mut HashMap<Document, u32>, doc: Document, line: u32, note: Note) -> RowKind {
        let next = u32::try_from(self.numbers.len()).unwrap_or(u32::MAX);
        let idx = *index.entry(doc).or_insert(next);
        if idx == next {
            self.numbers.push(doc);
            self.first_line.push(line);
            self.multiplicity.push(0);
        }
        self.multiplicity[idx as usize] += 1;
        RowKind::Number { idx, note }
    }

    fn count(&self) -> BatchCounts {
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        let of = |f: &dyn Fn(&RowKind) -> bool| n(self.rows.iter().filter(|r| f(&r.kind)).count());
        let valid = of(&|k| matches!(k, RowKind::Number { .. }));
        let unique = n(self.numbers.len());
        BatchCounts {
            rows: n(self.rows.len()),
            empty: of(&|k| matches!(k, RowKind::Empty)),
            invalid: of(&|k| matches!(k, RowKind::Invalid(_))),
            valid,
            duplicates: valid - unique,
            unique,
            unique_cpf: n(self.numbers.iter().filter(|d| d.kind() == DocKind::Cpf).count()),
            unique_cnpj: n(self.numbers.iter().filter(|d| d.kind() == DocKind::Cnpj).count()),
            ambiguous: of(&|k| matches!(k, RowKind::Number { note: Note::Ambiguous, .. })),
            zeros_restored: of(&|k| matches!(k, RowKind::Number { note: Note::ZerosRestored, .. })),
        }
    }

    /// Column titles for the preview and the output: the header's cells, or `Coluna N`.
    pub fn column_titles(&self) -> Vec<String> {
        (0..self.width)
            .map(|i| {
                self.header
                    .as_ref()
                    .and_then(|h| h.get(i))
                    .filter(|t| !t.trim().is_empty())
                    .cloned()
                    .unwrap_or_else(|| format!("Coluna {}", i + 1))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str, opts: &BatchOptions) -> Plan {
        Plan::build(&Table::read(text.as_bytes()).unwrap(), opts).unwrap()
    }

    #[test]
    fn header_column_duplicates_and_invalid_rows() {
        let text = "nome;cpf;obs\nAna;404.428.201-35;x\nBia;40442820135;\nCai;404.428.201-36;\nDan;;\nEva;34.238.864/0001-68;\n";
        let p = plan(text, &BatchOptions::default());
        assert_eq!((p.column, p.has_header), (1, true));
        assert_eq!(p.header.as_deref(), Some(&["nome".to_owned(), "cpf".to_owned(), "obs".to_owned()][..]));
        let c = &p.counts;
        assert_eq!((c.rows, c.valid, c.unique, c.duplicates, c.invalid, c.empty), (5, 3, 2, 1, 1, 1));
        assert_eq!((c.unique_cpf, c.unique_cnpj), (1, 1));
        assert_eq!(p.multiplicity, vec![2, 1]);
        assert_eq!(p.first_line, vec![2, 6]);
        assert_eq!(p.invalid_sample.len(), 1);
        assert_eq!(p.invalid_sample[0].line, 4);
        assert!(p.invalid_sample[0].message.contains("dígito verificador"), "{}", p.invalid_sample[0].message);
        assert_eq!(p.column_titles(), vec!["nome", "cpf", "obs"]);
    }

    #[test]
    fn explicit_column_and_no_header() {
        let p = plan("x,40442820135\ny,63017285995\n", &BatchOptions { column: Some(2), ..Default::default() });
        assert_eq!((p.column, p.has_header, p.counts.unique), (1, false, 2));
        assert_eq!(p.column_titles(), vec!["Coluna 1", "Coluna 2"]);
        let e = Plan::build(
            &Table::read(b"x,40442820135\n").unwrap(),
            &BatchOptions { column: Some(3), ..Default::default() },
        )
        .unwrap_err();
        assert!(e.message.contains("A coluna 3 não existe"), "{}", e.message);
    }

    #[test]
    fn leading_zeros_lost_by_spreadsheets_are_restored() {
        // 07691852312 and 01648527949 read as numbers by a spreadsheet; 06115832000130 likewise.
        let p = plan("7691852312\n1648527949\n6115832000130\n191\n", &BatchOptions::default());
        assert_eq!(p.counts.zeros_restored, 3);
        assert_eq!(
            p.numbers.iter().map(Document::as_str).collect::<Vec<_>>(),
            ["07691852312", "01648527949", "06115832000130"]
        );
        assert_eq!(p.counts.invalid, 1, "three digits are not guessed at");
    }

    #[test]
    fn ambiguous_fourteen_digits_follow_the_column_majority() {
        // A CPF starting with 00 keeps its check digits when read as a CNPJ padded with `000` (the weights differ
        // only on those two digits).
        let amb = (1_234_567u32..2_000_000)
            .find_map(|i| {
                let cpf = Cpf::with_check_digits(&format!("{i:09}")).ok()?;
                let padded = format!("000{cpf}");
                Cnpj::parse(&padded).ok().map(|_| padded)
            })
            .expect("some zero-padded CPF is also a CNPJ");
        let p = plan(&format!("40442820135\n63017285995\n{amb}\n"), &BatchOptions::default());
        assert_eq!(p.counts.ambiguous, 1);
        assert_eq!(p.numbers[2].kind(), DocKind::Cpf);
        let p = plan(&format!("{amb}\n"), &BatchOptions { ambiguous_as: Some(DocKind::Cnpj), ..Default::default() });
        assert_eq!(p.numbers[0].kind(), DocKind::Cnpj);
    }

    #[test]
    fn header_only_is_refused() {
        let e = Plan::build(
            &Table::read(b"cpf\n").unwrap(),
            &BatchOptions { has_header: Some(true), ..Default::default() },
        );
        assert!(e.unwrap_err().message.contains("não tem linhas de dados"));
    }
}
