//! The result CSV: every input row in input order, its cells as read (padded to the widest row, blank cells past it
//! dropped), then the verdict columns. UTF-8 with a BOM, the input's delimiter (`;` for a plain list), so a pt-BR
//! spreadsheet opens it as is. Every cell goes through [`safe_cell`]: one that a spreadsheet would run as a formula
//! (echoed from the input, a name from the API) is written as text.

use std::io::Write;

use balcao_core::csv_cell::safe_cell;
use balcao_core::history_api::Outcome;
use balcao_core::{AppError, DocKind, ErrorCode};

use crate::batch::Batch;
use crate::plan::{Note, RowKind};
use crate::verdict::Verdict;

/// The columns appended to every row.
pub const VERDICT_COLUMNS: [&str; 9] = [
    "balcao_resultado",
    "balcao_documento",
    "balcao_tipo",
    "balcao_situacao_codigo",
    "balcao_situacao",
    "balcao_nome",
    "balcao_erro_codigo",
    "balcao_mensagem",
    "balcao_observacao",
];

/// `balcao_resultado` of a row with a valid number not looked up yet (the batch was stopped or cancelled).
pub const PENDING_LABEL: &str = "Pendente";
pub const INVALID_LABEL: &str = "Inválido";
pub const EMPTY_LABEL: &str = "Sem número";

fn write_failed(reason: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!(
            "Não foi possível gravar o resultado do lote ({reason}). Verifique a pasta escolhida e o espaço em disco."
        ),
    )
}

/// A failed write, in pt-BR from the OS error's kind; the library's own (English) text goes to the log.
fn io_err(e: std::io::Error) -> AppError {
    tracing::warn!(error = %e, "batch result not written");
    write_failed(balcao_core::error::io_reason(&e))
}

fn csv_err(e: csv::Error) -> AppError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => io_err(e),
        other => {
            tracing::warn!(error = ?other, "batch result not written");
            write_failed("erro ao montar o CSV")
        }
    }
}

fn code_name(code: ErrorCode) -> String {
    format!("{code:?}")
}

/// The verdict cells of a row holding a valid number.
fn number_cells(kind: DocKind, formatted: String, verdict: Option<&Verdict>, notes: Vec<String>) -> [String; 9] {
    let mut notes = notes;
    let Some(v) = verdict else {
        return [
            PENDING_LABEL.to_owned(),
            formatted,
            kind.label().to_owned(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            "Não consultado: o lote foi interrompido antes. Retome o lote para concluir.".to_owned(),
            notes.join("; "),
        ];
    };
    if let Some(when) = &v.reused_from {
        notes.push(format!("reaproveitado do histórico (consulta de {when})"));
    }
    let outcome = match v.outcome {
        Outcome::Found => "Encontrado",
        Outcome::Partial => "Encontrado (parcial)",
        Outcome::NotFound => "Não encontrado",
        Outcome::Failed => "Falhou",
    };
    [
        outcome.to_owned(),
        formatted,
        kind.label().to_owned(),
        v.status_code.clone().unwrap_or_default(),
        v.status_label.clone().unwrap_or_default(),
        v.name.clone().unwrap_or_default(),
        v.error_code.map(code_name).unwrap_or_default(),
        v.error_message.clone().unwrap_or_default(),
        notes.join("; "),
    ]
}

/// Writes one record, each cell through [`safe_cell`].
fn write_safe<'a, W: Write>(w: &mut csv::Writer<W>, cells: impl Iterator<Item = &'a str>) -> Result<(), AppError> {
    for cell in cells {
        w.write_field(safe_cell(cell).as_bytes()).map_err(csv_err)?;
    }
    w.write_record(None::<&[u8]>).map_err(csv_err)
}

impl Batch {
    /// Writes the result CSV to `out`; returns how many data rows were written (always every row of the file).
    pub fn write_csv(&self, out: &mut dyn Write) -> Result<u64, AppError> {
        out.write_all(b"\xEF\xBB\xBF").map_err(io_err)?;
        let mut w = csv::WriterBuilder::new().delimiter(self.table.delimiter.byte()).flexible(false).from_writer(out);
        let width = self.plan.width;
        let pad = |mut cells: Vec<String>| {
            cells.resize(width, String::new());
            cells
        };
        let titles = match &self.plan.header {
            Some(h) => pad(h.clone()),
            None => self.plan.column_titles(),
        };
        write_safe(&mut w, titles.iter().map(String::as_str).chain(VERDICT_COLUMNS))?;
        let mut rows = self.table.rows();
        if self.plan.has_header {
            rows.next().transpose()?;
        }
        let mut written = 0u64;
        for (row, planned) in rows.zip(&self.plan.rows) {
            let row = row?;
            if row.line != planned.line {
                return Err(write_failed(format!("a linha {} do arquivo mudou durante o lote", row.line)));
            }
            let extra: [String; 9] = match &planned.kind {
                RowKind::Empty => [
                    EMPTY_LABEL.to_owned(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    "A coluna do número está vazia nesta linha.".to_owned(),
                    String::new(),
                ],
                RowKind::Invalid(msg) => [
                    INVALID_LABEL.to_owned(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    code_name(ErrorCode::InvalidDocument),
                    format!("{msg} Nenhuma consulta foi feita."),
                    String::new(),
                ],
                RowKind::Number { idx, note } => {
                    let i = *idx as usize;
                    let doc = &self.plan.numbers[i];
                    let mut notes = Vec::new();
                    match note {
                        Note::ZerosRestored => notes.push("zeros à esquerda restaurados".to_owned()),
                        Note::Ambiguous => notes.push(format!(
                            "14 dígitos lidos como {} (também seriam um {} válido)",
                            doc.kind().label(),
                            if doc.kind() == DocKind::Cpf { "CNPJ" } else { "CPF" }
                        )),
                        Note::None => {}
                    }
                    let first = self.plan.first_line[i];
                    if first != row.line {
                        notes.push(format!("repetido da linha {first} (consultado uma vez)"));
                    }
                    number_cells(doc.kind(), doc.formatted(), self.verdicts[i].as_ref(), notes)
                }
            };
            write_safe(&mut w, pad(row.cells).iter().chain(extra.iter()).map(String::as_str))?;
            written += 1;
        }
        w.flush().map_err(io_err)?;
        Ok(written)
    }
}
