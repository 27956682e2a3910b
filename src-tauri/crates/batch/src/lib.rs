//! balcao-batch: batch validation of CPF/CNPJ lists (issue 8), shared by the app (through balcao-service) and the CLI.
//!
//! 1. [`Batch::prepare`] reads the file (UTF-8, UTF-16 or Windows-1252; `,` `;` tab or one number per line; the
//!    column and the header detected unless given) and validates every row locally: invalid numbers are reported and
//!    never sent, duplicates are looked up once, leading zeros lost by spreadsheets are restored.
//! 2. [`Batch::reuse_history`] answers recent found numbers from the history (no call); [`Batch::preview`] and
//!    [`Batch::estimate`] give the counts and the cost (calls, CPF Light packing 50 CPFs per call, quota left).
//! 3. [`Batch::start_journal`] saves the batch in the encrypted history (a slot of its batch state, never a plain
//!    file), [`Batch::run`] looks the rest up through the profile's [`balcao_gov::GovClient`] (bounded concurrency,
//!    its pacing, retries and quota), records every call in the history and audit trail, and stops cleanly on
//!    [`Cancel`] or at the quota. [`Batch::resume`] continues from the saved state; nothing answered is ever looked
//!    up again. Purge and retention of the history remove saved batches too.
//! 4. [`Batch::write_csv`] writes every input row, in order, with the verdict columns appended.
//!
//! ```no_run
//! # async fn demo(client: balcao_gov::GovClient, history: std::sync::Arc<std::sync::Mutex<balcao_history::History>>,
//! #               ctx: balcao_history::LookupContext) -> Result<(), balcao_core::AppError> {
//! use balcao_batch::{Batch, Cancel};
//! let bytes = std::fs::read("lista.csv").unwrap();
//! let mut batch = Batch::prepare("lista.csv", &bytes, &Default::default())?;
//! println!("{} chamadas", batch.estimate(&client).calls);
//! batch.start_journal(&mut history.lock().unwrap(), "lista", &ctx)?;
//! let done = batch.run(&client, history, &ctx, &Cancel::new(), &|p| eprintln!("{}/{}", p.done_rows, p.rows)).await?;
//! batch.write_csv(&mut std::fs::File::create("resultado.csv").unwrap())?;
//! # let _ = done; Ok(()) }
//! ```

mod batch;
mod estimate;
mod input;
mod journal;
mod output;
mod plan;
mod progress;
mod reuse;
mod run;
mod verdict;

pub use batch::{Batch, RESUME_HINT};
pub use input::{MAX_BYTES, MAX_CELLS_PER_ROW, MAX_ROW_BYTES, MAX_TOTAL_CELLS, Row, Table, read_limited};
pub use journal::{Journal, JournalHeader};
pub use output::{EMPTY_LABEL, INVALID_LABEL, PENDING_LABEL, VERDICT_COLUMNS};
pub use plan::{MAX_ROWS, Note, Plan, PlannedRow, RowKind};
pub use progress::Cancel;
pub use verdict::Verdict;

/// The plain state file older versions kept next to an output file (`resultado.csv` → `resultado.csv.lote.jsonl`):
/// today only looked for, to import it into the encrypted history and erase it ([`Journal::import_legacy_file`]).
pub fn state_path_for(output: &std::path::Path) -> std::path::PathBuf {
    let mut name = output.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "resultado.csv".into());
    name.push(".lote.jsonl");
    output.with_file_name(name)
}
