//! Comparison of records: side by side, against a snapshot, declared vs official, and partner membership.
