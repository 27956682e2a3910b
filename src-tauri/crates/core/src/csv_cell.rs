//! Spreadsheet-safe CSV cells: the one rule every CSV writer of Balcão applies against formula injection.

use std::borrow::Cow;

/// The first characters a spreadsheet may read as the start of a formula (OWASP "CSV Injection"): `=`, `+`, `-`,
/// `@`, tab and carriage return.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as it may be written to a CSV that a clerk or supervisor opens in a spreadsheet: a cell beginning with one
/// of [`FORMULA_STARTS`] gets a single quote in front, so `=HYPERLINK(...)` typed as a purpose, returned as a name by
/// an API or echoed from a batch input shows as text and never runs. Every other cell is returned unchanged.
pub fn safe_cell(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_formula_start_is_quoted_and_nothing_else_changes() {
        for c in FORMULA_STARTS {
            let cell = format!("{c}HYPERLINK(\"http://x\";\"y\")");
            assert_eq!(safe_cell(&cell), format!("'{cell}"));
        }
        for cell in ["", "Ana", "404.428.201-35", "1+1", " =1", "'=1", "José=1", "Não encontrado"] {
            assert!(matches!(safe_cell(cell), Cow::Borrowed(c) if c == cell), "{cell:?}");
        }
    }
}
