//! Commands of the Comparar screen: pure functions of the core crate, run off the UI thread.

use balcao_command::command;
use balcao_core::compare::{self, Declaration, DeclarationCheck, PartnerCheck, RecordDiff};
use balcao_core::record::{CnpjRecord, CpfRecord, Record};

#[command]
pub fn compare_records(left: Record, right: Record) -> RecordDiff {
    compare::diff_records(&left, &right)
}

#[command]
pub fn check_declaration(record: CpfRecord, declared: Declaration) -> DeclarationCheck {
    compare::check_declaration(&record, &declared)
}

#[command]
pub fn find_partner(record: CnpjRecord, query: String) -> PartnerCheck {
    compare::find_partner(&record, &query)
}
