//! The batch-validation types the UI and CLI exchange with the batch engine: options, preview, estimate, progress.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::doc::DocKind;
use crate::error::AppError;
use crate::record::{ApiKind, CnpjView};

/// How a batch reads its file and what it may reuse. Every field is optional: absent means "detect" or "no".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchOptions {
    /// The column holding the numbers, counted from 1; absent: the column with the most valid numbers.
    pub column: Option<u32>,
    /// Whether the first line is a header; absent: detected.
    pub has_header: Option<bool>,
    /// Reuse a history answer of the same environment no older than this many days instead of calling again.
    /// Absent: every number is looked up.
    pub reuse_max_age_days: Option<u32>,
    /// How to read 14 digits that are both a valid CNPJ and a valid CPF padded with `000`; absent: as the kind
    /// most other rows of the column have.
    pub ambiguous_as: Option<DocKind>,
    /// Finalidade or protocol number, written in the audit trail of every lookup of the batch.
    pub purpose: Option<String>,
    /// For CNPJs: which view (defaults to the widest the profile has).
    pub view: Option<CnpjView>,
}

/// The text encoding the file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum InputEncoding {
    Utf8,
    /// UTF-16 with a byte-order mark: Excel's "Texto Unicode".
    Utf16,
    /// What pt-BR Excel exports as "CSV (separado por vírgulas)".
    Windows1252,
}

impl InputEncoding {
    pub fn label(self) -> &'static str {
        match self {
            InputEncoding::Utf8 => "UTF-8",
            InputEncoding::Utf16 => "UTF-16",
            InputEncoding::Windows1252 => "Windows-1252",
        }
    }
}

/// The cell separator found in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Delimiter {
    Comma,
    Semicolon,
    Tab,
    /// Plain text: one number per line.
    None,
}

impl Delimiter {
    /// The byte written between cells (plain text input is written back with `;`, what pt-BR spreadsheets open).
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon | Delimiter::None => b';',
            Delimiter::Tab => b'\t',
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Delimiter::Comma => "vírgula",
            Delimiter::Semicolon => "ponto e vírgula",
            Delimiter::Tab => "tabulação",
            Delimiter::None => "nenhum (um número por linha)",
        }
    }
}

/// What the file holds once read and validated locally (no call made).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BatchCounts {
    /// Data rows (the header excluded).
    pub rows: u32,
    /// Rows whose number cell is empty.
    pub empty: u32,
    /// Rows whose number is not a valid CPF or CNPJ (reported, never sent).
    pub invalid: u32,
    /// Rows with a valid number.
    pub valid: u32,
    /// Valid rows that repeat a number of an earlier row (looked up once).
    pub duplicates: u32,
    /// Distinct valid numbers.
    pub unique: u32,
    pub unique_cpf: u32,
    pub unique_cnpj: u32,
    /// Rows whose 14 digits were both a CNPJ and a zero-padded CPF (read as `ambiguousAs`).
    pub ambiguous: u32,
    /// Rows whose number had lost its leading zeros in a spreadsheet and was restored.
    pub zeros_restored: u32,
}

/// Calls one API would take, against what its quota has left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApiEstimate {
    pub api: ApiKind,
    /// Distinct numbers to look up through this API.
    pub numbers: u32,
    /// HTTP calls (CPF Light takes up to 50 CPFs per call).
    pub calls: u32,
    /// Calls left in the profile's quota for this API (absent: no quota configured).
    #[ts(type = "number | null")]
    pub quota_remaining: Option<u64>,
}

/// What the batch would cost, shown before starting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BatchEstimate {
    /// Distinct numbers already answered by an earlier run of this batch (resume).
    pub already_done: u32,
    /// Distinct numbers answered from the history (within `reuseMaxAgeDays`): no call.
    pub reused: u32,
    /// Distinct numbers whose API the profile has not contracted: reported without a call.
    pub not_contracted: u32,
    /// Distinct numbers that will be looked up.
    pub to_look_up: u32,
    /// HTTP calls that will be made (retries aside).
    pub calls: u32,
    /// Calls that may be billed: every call answered 200, 206 or 404 is.
    pub billable_max: u32,
    pub by_api: Vec<ApiEstimate>,
    /// More calls than some API's quota has left: the batch will stop at the quota (and can be resumed).
    pub quota_exceeded: bool,
    /// Seconds at the profile's rate limit (absent when the profile sets none).
    pub seconds: Option<u32>,
}

/// A row whose number is invalid, for the clerk to check before starting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InvalidRow {
    /// The line in the file (1 = the first line).
    pub line: u32,
    pub input: String,
    /// Why it is invalid (pt-BR).
    pub message: String,
}

/// What the clerk confirms before starting: how the file was read, what it holds, what it will cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BatchPreview {
    pub file_name: String,
    pub encoding: InputEncoding,
    pub delimiter: Delimiter,
    pub has_header: bool,
    /// Column titles: the header's cells, or `Coluna 1`, `Coluna 2`…
    pub columns: Vec<String>,
    /// The column holding the numbers, counted from 1.
    pub column: u32,
    /// The first data rows as read (at most 5), to check the column choice.
    pub sample: Vec<Vec<String>>,
    pub counts: BatchCounts,
    /// The first invalid rows (at most 20).
    pub invalid_sample: Vec<InvalidRow>,
    pub estimate: BatchEstimate,
}

/// Where a batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum BatchState {
    /// Read and estimated, not started.
    Ready,
    Running,
    /// Cancel was asked; the calls in flight are finishing.
    Cancelling,
    /// Every row has its verdict.
    Completed,
    /// Cancelled by the clerk; what was done is kept and the batch can be resumed.
    Cancelled,
    /// Stopped by a condition the clerk cannot fix by waiting (quota, credentials…); see `stop`. Resumable.
    Stopped,
}

impl BatchState {
    /// The batch ended with numbers left to look up.
    pub fn is_resumable(self) -> bool {
        matches!(self, BatchState::Cancelled | BatchState::Stopped)
    }
}

/// The progress bar: row counts, call counts, rate and time left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BatchProgress {
    pub state: BatchState,
    /// Data rows in the file.
    pub rows: u32,
    /// Rows with a verdict (invalid and empty rows have one from the start).
    pub done_rows: u32,
    /// Rows whose number was found (200, or 206 partial).
    pub found: u32,
    pub not_found: u32,
    pub invalid: u32,
    pub empty: u32,
    /// Rows whose lookup failed (network, gateway error…); their error code is in the output.
    pub errors: u32,
    /// Rows answered from the history instead of a call.
    pub reused: u32,
    /// Distinct numbers this run looks up, and how many of them are answered.
    pub numbers_total: u32,
    pub numbers_done: u32,
    /// HTTP calls made by this run, and how many were billable.
    pub calls: u32,
    pub billable_calls: u32,
    /// Numbers answered per second (recent average).
    pub per_second: f64,
    pub seconds_left: Option<u32>,
    pub elapsed_seconds: u32,
    /// Why the batch stopped (state `stopped`).
    pub stop: Option<AppError>,
    /// How to resume, in pt-BR (states `stopped` and `cancelled`).
    pub resume_hint: Option<String>,
}

/// An unfinished batch saved on disk (found at start-up): the same file must be chosen again to resume it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BatchSaved {
    pub file_name: String,
    /// When the batch was started (RFC 3339, UTC).
    pub started_at: String,
    pub profile_id: String,
    pub profile_name: String,
    /// Distinct numbers with a verdict saved.
    pub numbers_done: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_default_from_partial_json() {
        let o: BatchOptions = serde_json::from_str(r#"{"column":2,"ambiguousAs":"cpf"}"#).unwrap();
        assert_eq!(o.column, Some(2));
        assert_eq!(o.ambiguous_as, Some(DocKind::Cpf));
        assert_eq!(o.has_header, None);
        assert_eq!(serde_json::to_value(BatchState::Cancelling).unwrap(), "cancelling");
        assert!(BatchState::Stopped.is_resumable() && !BatchState::Completed.is_resumable());
        assert_eq!(Delimiter::None.byte(), b';');
    }
}
