//! `Verdict`: what the batch keeps of one distinct number's answer (the output columns), never the raw response.

use balcao_core::history_api::{HistoryEntry, Outcome};
use balcao_core::{AppError, ErrorCode};
use balcao_history::LookupOutcome;
use serde::{Deserialize, Serialize};

/// One number's answer, as written to the output and to the saved state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The call that produced it was billable (200, 206, 404).
    #[serde(default)]
    pub billable: bool,
    /// The history entry reused instead of a call: its local date and time (`31/03/2026 14:05`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reused_from: Option<String>,
}

impl Verdict {
    /// The verdict of a lookup made by this batch.
    pub fn of_outcome(outcome: &LookupOutcome) -> Verdict {
        match outcome {
            Ok(l) => {
                let status = l.record.status();
                Verdict {
                    outcome: if l.partial { Outcome::Partial } else { Outcome::Found },
                    status_code: Some(status.code.clone()),
                    status_label: Some(status.shown_label()),
                    name: l.record.display_name().map(str::to_owned),
                    error_code: None,
                    error_message: None,
                    billable: l.meta.billable,
                    reused_from: None,
                }
            }
            Err((e, meta)) => Verdict::of_error(e, meta.as_ref().is_some_and(|m| m.billable)),
        }
    }

    pub fn of_error(e: &AppError, billable: bool) -> Verdict {
        Verdict {
            outcome: Outcome::of_error(e.code),
            status_code: None,
            status_label: None,
            name: None,
            error_code: Some(e.code),
            error_message: Some(e.message.clone()),
            billable,
            reused_from: None,
        }
    }

    /// The verdict of a found history entry reused instead of a call (`when`: its local date and time).
    pub fn of_history(entry: &HistoryEntry, when: String) -> Option<Verdict> {
        let s = &entry.summary;
        if !matches!(s.outcome, Outcome::Found | Outcome::Partial) {
            return None;
        }
        Some(Verdict {
            outcome: s.outcome,
            status_code: s.status.as_ref().map(|st| st.code.clone()),
            status_label: s.status.as_ref().map(balcao_core::record::Status::shown_label),
            name: s.name.clone(),
            error_code: None,
            error_message: None,
            billable: false,
            reused_from: Some(when),
        })
    }

    /// The number was found (whole or partial record).
    pub fn is_found(&self) -> bool {
        matches!(self.outcome, Outcome::Found | Outcome::Partial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use balcao_core::record::{ApiKind, CallMeta};

    #[test]
    fn not_found_is_billable_and_serialises_compactly() {
        let meta =
            CallMeta { api: ApiKind::SerproCpfV2, http_status: 404, latency_ms: 3, activity_id: None, billable: true };
        let v = Verdict::of_outcome(&Err((AppError::from(ErrorCode::NotFound), Some(meta))));
        assert_eq!((v.outcome, v.billable, v.error_code), (Outcome::NotFound, true, Some(ErrorCode::NotFound)));
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["outcome"], "notFound");
        assert!(json.get("name").is_none());
        let back: Verdict = serde_json::from_value(json).unwrap();
        assert_eq!(back, v);
        let v = Verdict::of_outcome(&Err((AppError::from(ErrorCode::Network), None)));
        assert_eq!((v.outcome, v.billable), (Outcome::Failed, false));
    }
}
