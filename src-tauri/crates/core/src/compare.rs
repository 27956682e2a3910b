//! Comparison of records: side by side, against a snapshot, declared vs official, and partner membership.
//!
//! All the logic lives here; the UI only renders the result types (exported to TypeScript by ts-rs).

mod declaration;
mod diff;
mod partner;
mod text;

pub use declaration::{Declaration, DeclarationCheck, FieldCheck, MatchLevel, check_declaration};
pub use diff::{DiffItem, DiffSide, FieldDiff, RecordDiff, diff_records};
pub use partner::{PartnerCheck, PartnerMatch, PartnerMatchBy, PartnerQueryKind, PartnerVerdict, find_partner};
pub use text::{CLOSE_THRESHOLD, MATCH_THRESHOLD, normalize_text, similarity};
