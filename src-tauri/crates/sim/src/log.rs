//! The request log (`LoggedRequest`): every gateway call the simulator answered, for tests to query.

use std::collections::VecDeque;
use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fault::CallKind;

/// How many entries the log keeps (oldest dropped first), so a long Demonstração session stays small.
pub const LOG_CAPACITY: usize = 10_000;

/// One gateway call. JSON (from `GET /__sim/requests`), snake_case:
/// `{"method":"GET","path":"/consulta-cpf-df/v1/cpf/40442820135","query":null,"status":200,"kind":"api",
///   "token":"…","cpf_usuario":null,"activity_id":"…","fault":null,"body":null,"at":"2026-11-20T12:00:00.123Z"}`.
/// Control requests (`/__sim/*`) are never logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    pub method: String,
    /// The path as received (percent-encoding untouched), without the query string.
    pub path: String,
    pub query: Option<String>,
    /// The status sent; 0 when the connection was reset before any response (a `reset` fault).
    pub status: u16,
    pub kind: CallKind,
    /// The bearer token sent (API calls), or the client id used on a token call (HTTP Basic user, or Conecta's
    /// `client_id` form field). `None` when the call carried no credentials.
    pub token: Option<String>,
    /// The `x-cpf-usuario` header, verbatim.
    pub cpf_usuario: Option<String>,
    /// The `activityid` response header of this call.
    pub activity_id: String,
    /// The terminal fault that shaped the response (`"status"`, `"reset"`, …), if any.
    pub fault: Option<String>,
    /// The request body of an API call (UTF-8, at most 4 KiB), e.g. CPF Light's `{"listaCpf": […]}`. Never kept
    /// for token calls.
    pub body: Option<String>,
    #[serde(serialize_with = "ser_time", deserialize_with = "de_time")]
    pub at: SystemTime,
}

impl LoggedRequest {
    pub fn is_token_call(&self) -> bool {
        self.kind == CallKind::Token
    }
    pub fn is_api_call(&self) -> bool {
        self.kind == CallKind::Api
    }
}

fn ser_time<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    let dt = time::OffsetDateTime::from(*t);
    let text = dt.format(&time::format_description::well_known::Rfc3339).map_err(serde::ser::Error::custom)?;
    s.serialize_str(&text)
}

fn de_time<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
    let text = String::deserialize(d)?;
    let dt = time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .map_err(serde::de::Error::custom)?;
    Ok(dt.into())
}

/// The bounded in-memory log.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: VecDeque<LoggedRequest>,
}

impl RequestLog {
    pub fn push(&mut self, entry: LoggedRequest) {
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }
    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries.iter().cloned().collect()
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_the_instant() {
        let entry = LoggedRequest {
            method: "GET".into(),
            path: "/x".into(),
            query: None,
            status: 200,
            kind: CallKind::Api,
            token: Some("t".into()),
            cpf_usuario: None,
            activity_id: "a".into(),
            fault: None,
            body: None,
            at: SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_800_000_000_123),
        };
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["at"], "2027-01-15T08:00:00.123Z");
        assert_eq!(json["kind"], "api");
        let back: LoggedRequest = serde_json::from_value(json).unwrap();
        assert_eq!(back, entry);
    }

    #[test]
    fn log_is_bounded() {
        let mut log = RequestLog::default();
        let entry = |i: usize| LoggedRequest {
            method: "GET".into(),
            path: format!("/{i}"),
            query: None,
            status: 200,
            kind: CallKind::Api,
            token: None,
            cpf_usuario: None,
            activity_id: String::new(),
            fault: None,
            body: None,
            at: SystemTime::now(),
        };
        for i in 0..LOG_CAPACITY + 5 {
            log.push(entry(i));
        }
        assert_eq!(log.len(), LOG_CAPACITY);
        assert_eq!(log.snapshot()[0].path, "/5");
    }
}
