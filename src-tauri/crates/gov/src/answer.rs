//! Reading one gateway answer with no HTTP stack: (status, headers, body) → records, a retry decision or a coded error.
//!
//! Everything in an answer is chosen by the server (or whoever sits between): this is the one place that reads
//! it, as a pure function, so that it can be fuzzed and property-tested. [`crate::GovClient`] only moves bytes
//! and sleeps for what [`read_answer`] decides.

use std::time::Duration;

use balcao_core::extra_base::{BaseValue, ExtraBase, render_fields};
use balcao_core::profile::NetworkSettings;
use balcao_core::record::{ApiKind, CnpjView, Record};
use balcao_core::{AppError, Cnpj, Cpf, ErrorCode};
use time::OffsetDateTime;

use crate::failure::{Throttle, parse_error, rate_limited_for, status_error, throttle};
pub use crate::lifetime::{MAX_LIFETIME, lifetime as token_lifetime, renew_after};
pub use crate::pacing::interval as pacing_interval;
use crate::parse::{ParseError, light_entries, parse_cnpj, parse_serpro_cpf};
use crate::retry::RetryPolicy;
pub use crate::retry::{AttemptFailure, Idempotency, MAX_RETRY_AFTER, retry_after_value};

/// The largest answer read (CPF Light with 50 records is well under 100 KiB).
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// What the call asked for: the numbers an answer must be about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// Consulta CPF v1/v2: one CPF.
    Cpf(Cpf),
    /// Consulta CNPJ v2: one CNPJ in one view.
    Cnpj(Cnpj, CnpjView),
    /// CPF Light: the CPFs of one call, in input order (duplicates allowed; each gets its own result).
    CpfLight(Vec<Cpf>),
}

impl Asked {
    /// How many results a final reading has.
    pub fn len(&self) -> usize {
        match self {
            Asked::CpfLight(cpfs) => cpfs.len(),
            _ => 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One HTTP answer as received.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub status: u16,
    /// The `Retry-After` header's raw value, if any.
    pub retry_after: Option<&'a [u8]>,
    /// At most [`MAX_BODY`] bytes (empty when `oversized`).
    pub body: &'a [u8],
    /// The body was longer than [`MAX_BODY`] and was not read.
    pub oversized: bool,
}

/// Where the call stands when this answer arrived.
#[derive(Debug, Clone, Copy)]
pub struct CallState {
    pub idempotency: Idempotency,
    /// Retries already made in this call.
    pub retries_done: u32,
    /// A 401 may be answered by asking for a new token once (an issued token not yet replaced in this call).
    pub can_refresh_token: bool,
    /// Time left before the whole-call deadline (`total_timeout_ms`, retries included).
    pub time_left: Duration,
    /// Any number: picks the jitter of the backoff.
    pub jitter: u64,
    /// The clock, for `Retry-After` HTTP-dates.
    pub now: OffsetDateTime,
}

/// A record read from a final answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub record: Record,
    /// The answer as the API sent it (CPF Light with several CPFs: this CPF's entry).
    pub raw: String,
    /// HTTP 206: the base answered only part of the record.
    pub partial: bool,
}

/// What to do with an answer (`T`: what a final answer gives; the records of a CPF/CNPJ call by default).
#[derive(Debug, Clone, PartialEq)]
pub enum Reading<T = Vec<Result<Found, AppError>>> {
    /// Send the same request again after this wait (never longer than `retry_max_delay_ms` nor the time left).
    Retry(Duration),
    /// Ask for a new token, then send again (HTTP 401 with a token that can be replaced).
    RefreshToken,
    /// The answer is final: one result per asked number, in order ([`Asked::len`]).
    Final(T),
}

/// An extra base's final answer read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseRead {
    /// False: one of the base's "nada consta" statuses.
    pub found: bool,
    pub fields: Vec<BaseValue>,
    /// The body as received.
    pub raw: String,
}

/// Reads one answer of the extra base `base`: the same retry, token and throttling rules as every API; a final
/// answer is its declared fields, "nada consta" for its `not_found` statuses, or a coded error. Pure, like
/// [`read_answer`].
pub fn read_base_answer(
    base: &ExtraBase,
    network: &NetworkSettings,
    state: &CallState,
    answer: &Answer<'_>,
) -> Reading<Result<BaseRead, AppError>> {
    let body = decode(answer.body);
    if answer.status == 401 && state.can_refresh_token {
        return Reading::RefreshToken;
    }
    let retry_after = answer.retry_after.and_then(|raw| retry_after_value(raw, state.now));
    if !base.is_not_found(answer.status)
        && let Some(wait) = retry_wait(answer.status, retry_after, &body, network, state)
    {
        return Reading::Retry(wait);
    }
    if answer.oversized {
        return Reading::Final(Err(answer_error(ApiKind::ExtraBase, answer.status, true, retry_after, &body)));
    }
    if base.is_not_found(answer.status) {
        return Reading::Final(Ok(BaseRead { found: false, fields: Vec::new(), raw: body }));
    }
    if !matches!(answer.status, 200 | 206) {
        return Reading::Final(Err(answer_error(ApiKind::ExtraBase, answer.status, false, retry_after, &body)));
    }
    Reading::Final(render_fields(base, &body).map(|fields| BaseRead { found: true, fields, raw: body }))
}

/// Reads one answer. Pure: the same inputs give the same reading; no input can make it panic.
pub fn read_answer(
    api: ApiKind,
    asked: &Asked,
    network: &NetworkSettings,
    state: &CallState,
    answer: &Answer<'_>,
) -> Reading {
    let body = decode(answer.body);
    if answer.status == 401 && state.can_refresh_token {
        return Reading::RefreshToken;
    }
    let retry_after = answer.retry_after.and_then(|raw| retry_after_value(raw, state.now));
    if let Some(wait) = retry_wait(answer.status, retry_after, &body, network, state) {
        return Reading::Retry(wait);
    }
    Reading::Final(final_results(api, asked, answer.status, answer.oversized, retry_after, body))
}

/// The wait before retrying after a transport failure (no answer), or `None` when the call ends here.
pub fn transport_retry(failure: AttemptFailure, network: &NetworkSettings, state: &CallState) -> Option<Duration> {
    let policy = RetryPolicy::new(network);
    if !failure.retryable(state.idempotency) || state.retries_done >= policy.max_retries {
        return None;
    }
    Some(policy.backoff_with(state.retries_done, state.jitter)).filter(|w| *w < state.time_left)
}

/// The wait before retrying this status, or `None` when the answer is final.
fn retry_wait(
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
    network: &NetworkSettings,
    state: &CallState,
) -> Option<Duration> {
    let policy = RetryPolicy::new(network);
    if state.retries_done >= policy.max_retries
        || matches!(throttle(status, body), Some(Throttle::Quota | Throttle::Blocked))
        || !AttemptFailure::Status(status).retryable(state.idempotency)
    {
        return None;
    }
    let wait = match retry_after {
        Some(asked) => policy.honour_retry_after(asked).ok()?,
        None => policy.backoff_with(state.retries_done, state.jitter),
    };
    // A wait that outlasts the whole-call deadline would only end in Timeout: answer with what came instead.
    (wait < state.time_left).then_some(wait)
}

fn final_results(
    api: ApiKind,
    asked: &Asked,
    status: u16,
    oversized: bool,
    retry_after: Option<Duration>,
    body: String,
) -> Vec<Result<Found, AppError>> {
    if oversized || !matches!(status, 200 | 206) {
        let e = answer_error(api, status, oversized, retry_after, &body);
        return vec![Err(e); asked.len()];
    }
    let partial = status == 206;
    let one = |parsed: Result<Record, ParseError>, body: String| {
        vec![parsed.map(|record| Found { record, raw: body, partial }).map_err(|e| parse_error(api, &e))]
    };
    match asked {
        Asked::Cpf(cpf) => one(parse_serpro_cpf(cpf, &body).map(Record::Cpf), body),
        Asked::Cnpj(cnpj, view) => one(parse_cnpj(cnpj, *view, &body).map(Record::Cnpj), body),
        Asked::CpfLight(cpfs) => light_results(api, cpfs, partial, body),
    }
}

/// One result per CPF of a CPF Light answer.
fn light_results(api: ApiKind, cpfs: &[Cpf], partial: bool, body: String) -> Vec<Result<Found, AppError>> {
    let entries = match light_entries(&body) {
        Ok(e) => e,
        Err(e) => return vec![Err(parse_error(api, &e)); cpfs.len()],
    };
    let mut unique: Vec<&str> = Vec::with_capacity(cpfs.len());
    for c in cpfs {
        if !unique.contains(&c.as_str()) {
            unique.push(c.as_str());
        }
    }
    let single = unique.len() == 1;
    let lone = match entries.as_slice() {
        [only] if single && only.cpf.is_none() => Some(only),
        _ => None,
    };
    cpfs.iter()
        .map(|cpf| {
            let entry = entries.iter().find(|e| e.cpf.as_deref() == Some(cpf.as_str())).or(lone);
            let Some(entry) = entry else {
                return Err(parse_error(api, &ParseError::Shape("a resposta não trouxe este CPF".into())));
            };
            if let Some(msg) = entry.message() {
                return Err(light_message_error(&msg));
            }
            let record = entry.record(cpf).map_err(|e| parse_error(api, &e))?;
            let raw = if single { body.clone() } else { entry.value.to_string() };
            Ok(Found { record: Record::Cpf(record), raw, partial })
        })
        .collect()
}

/// The error of an answer that is not a record.
fn answer_error(api: ApiKind, status: u16, oversized: bool, retry_after: Option<Duration>, body: &str) -> AppError {
    if oversized {
        return AppError::new(
            ErrorCode::Upstream,
            format!(
                "{} ({}: resposta maior que {} MiB, descartada).",
                ErrorCode::Upstream.default_message(),
                api.label(),
                MAX_BODY / (1024 * 1024)
            ),
        );
    }
    match (throttle(status, body), retry_after) {
        (Some(Throttle::Quota), _) => AppError::new(
            ErrorCode::QuotaExhausted,
            format!("O gateway informou que a cota de consultas de {} deste perfil acabou. Avise a TI.", api.label()),
        ),
        (Some(Throttle::Blocked), _) => AppError::new(
            ErrorCode::Forbidden,
            format!(
                "O gateway bloqueou as chamadas deste perfil a {} (HTTP {status}, código 900805 do gerenciador de \
                 APIs). Avise a TI.",
                api.label()
            ),
        ),
        (Some(Throttle::Rate), Some(after)) => rate_limited_for(after.as_secs().max(1)),
        (Some(Throttle::Rate), None) => AppError::from(ErrorCode::RateLimited),
        (None, _) => status_error(api, status, body),
    }
}

/// Decodes a body: UTF-8 as the gateways declare, Latin-1 when it is not valid UTF-8.
pub(crate) fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The error of a CPF Light entry that carries a `mensagem` instead of data.
fn light_message_error(msg: &str) -> AppError {
    let lower = msg.to_lowercase();
    let said = format!(" O serviço informou: «{msg}».");
    if lower.contains("menor") {
        AppError::new(ErrorCode::MinorDataBlocked, format!("{}{said}", ErrorCode::MinorDataBlocked.default_message()))
    } else if lower.contains("inválid") || lower.contains("invalid") {
        AppError::new(ErrorCode::InvalidDocument, format!("O serviço recusou o CPF como inválido.{said}"))
    } else {
        AppError::new(ErrorCode::NotFound, format!("{}{said}", ErrorCode::NotFound.default_message()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cadunico() -> ExtraBase {
        serde_json::from_value(serde_json::json!({
            "id": "cadunico", "name": "CadÚnico", "path": "/v1/situacaoCadastral/{cpf}", "appliesTo": ["cpf"],
            "notFound": [404, 204],
            "field": [{"pointer": "/cadastrado", "label": "Cadastrado", "type": "flag"}]
        }))
        .unwrap()
    }

    fn base_reading(status: u16, body: &str, retries_done: u32) -> Reading<Result<BaseRead, AppError>> {
        let answer = Answer { status, retry_after: None, body: body.as_bytes(), oversized: false };
        read_base_answer(&cadunico(), &NetworkSettings::default(), &state(retries_done), &answer)
    }

    #[test]
    fn a_base_answer_is_its_fields_or_nada_consta_or_a_coded_error() {
        let Reading::Final(Ok(read)) = base_reading(200, r#"{"cadastrado": "S"}"#, 0) else { panic!("final") };
        assert!(read.found);
        assert_eq!(read.fields[0].value.as_deref(), Some("Sim"));
        let Reading::Final(Ok(none)) = base_reading(204, "", 0) else { panic!("final") };
        assert!(!none.found && none.fields.is_empty());
        assert!(matches!(base_reading(503, "", 0), Reading::Retry(_)), "5xx is retried like every API");
        let Reading::Final(Err(e)) = base_reading(503, "", 9) else { panic!("final") };
        assert_eq!(e.code, ErrorCode::Upstream);
        let Reading::Final(Err(e)) = base_reading(403, "", 0) else { panic!("final") };
        assert_eq!(e.code, ErrorCode::Forbidden);
        let Reading::Final(Err(e)) = base_reading(200, "<html>", 0) else { panic!("final") };
        assert_eq!(e.code, ErrorCode::Upstream);
    }

    fn state(retries_done: u32) -> CallState {
        CallState {
            idempotency: Idempotency::Idempotent,
            retries_done,
            can_refresh_token: false,
            time_left: Duration::from_secs(30),
            jitter: 7,
            now: OffsetDateTime::now_utc(),
        }
    }

    fn cpf() -> Cpf {
        Cpf::parse("40442820135").unwrap()
    }

    fn answer<'a>(status: u16, retry_after: Option<&'a [u8]>, body: &'a [u8]) -> Answer<'a> {
        Answer { status, retry_after, body, oversized: false }
    }

    #[test]
    fn bodies_decode_as_utf8_or_latin1() {
        assert_eq!(decode("São Paulo".as_bytes()), "São Paulo");
        assert_eq!(decode(b"S\xe3o Paulo"), "São Paulo");
        let quota = |body: &str| throttle(429, body) == Some(Throttle::Quota);
        assert!(quota(r#"{"mensagem":"Cota de chamadas da API x esgotada"}"#));
        assert!(!quota(r#"{"mensagem":"Limite de requisições por segundo excedido"}"#));
    }

    #[test]
    fn light_messages_map_to_codes() {
        assert_eq!(light_message_error("CPF não encontrado").code, ErrorCode::NotFound);
        assert_eq!(light_message_error("Dados de menor de idade").code, ErrorCode::MinorDataBlocked);
        assert_eq!(light_message_error("CPF inválido").code, ErrorCode::InvalidDocument);
    }

    #[test]
    fn retry_decisions() {
        let n = NetworkSettings::default();
        let asked = Asked::Cpf(cpf());
        let api = ApiKind::SerproCpfV2;
        let read = |st: &CallState, a: &Answer<'_>| read_answer(api, &asked, &n, st, a);
        assert!(matches!(read(&state(0), &answer(503, None, b"")), Reading::Retry(_)));
        assert_eq!(read(&state(0), &answer(429, Some(b"2"), b"")), Reading::Retry(Duration::from_secs(2)));
        assert!(matches!(read(&state(2), &answer(503, None, b"")), Reading::Final(_)), "max_retries reached");
        let Reading::Final(r) = read(&state(0), &answer(429, Some(b"1e20"), b"")) else { panic!("final") };
        assert_eq!(r[0].as_ref().unwrap_err().code, ErrorCode::RateLimited);
        let Reading::Final(r) = read(&state(0), &answer(429, None, "cota esgotada".as_bytes())) else {
            panic!("final")
        };
        assert_eq!(r[0].as_ref().unwrap_err().code, ErrorCode::QuotaExhausted);
        let short = CallState { time_left: Duration::from_millis(500), ..state(0) };
        let Reading::Final(r) = read(&short, &answer(429, Some(b"2"), b"")) else { panic!("no time left") };
        assert_eq!(r[0].as_ref().unwrap_err().code, ErrorCode::RateLimited);
        let refresh = CallState { can_refresh_token: true, ..state(0) };
        assert_eq!(read(&refresh, &answer(401, None, b"")), Reading::RefreshToken);
        let mut post = state(0);
        post.idempotency = Idempotency::BilledPost;
        assert!(matches!(read(&post, &answer(503, None, b"")), Reading::Final(_)));
        assert_eq!(transport_retry(AttemptFailure::Transfer, &n, &post), None);
        assert!(transport_retry(AttemptFailure::Connect, &n, &post).is_some());
        let none_left = CallState { time_left: Duration::ZERO, ..state(0) };
        assert_eq!(transport_retry(AttemptFailure::Connect, &n, &none_left), None);
    }

    #[test]
    fn oversized_and_light_answers() {
        let n = NetworkSettings::default();
        let big = Answer { status: 200, retry_after: None, body: b"", oversized: true };
        let Reading::Final(r) = read_answer(ApiKind::SerproCpfV2, &Asked::Cpf(cpf()), &n, &state(0), &big) else {
            panic!("final")
        };
        assert!(r[0].as_ref().unwrap_err().message.contains("MiB"));
        let other = Cpf::parse("11144477735").unwrap();
        let asked = Asked::CpfLight(vec![cpf(), other, cpf()]);
        let body = br#"[{"CPF":"40442820135","Nome":"MARIA","SituacaoCadastral":0},{"CPF":"11144477735","mensagem":"CPF nao encontrado"}]"#;
        let Reading::Final(r) = read_answer(ApiKind::ConectaCpfLight, &asked, &n, &state(0), &answer(200, None, body))
        else {
            panic!("final")
        };
        assert_eq!(r.len(), 3);
        assert!(r[0].is_ok() && r[2].is_ok(), "{r:?}");
        assert_eq!(r[1].as_ref().unwrap_err().code, ErrorCode::NotFound);
    }

    /// Every numeric setting at its extremes, plus a pool of usual values.
    fn extreme_u32() -> impl Strategy<Value = u32> {
        prop_oneof![Just(0u32), Just(1), Just(2), Just(u32::MAX), Just(u32::MAX - 1), any::<u32>(), 0u32..100_000]
    }

    fn extreme_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(1.0),
            Just(-1.0),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(f64::MIN_POSITIVE),
            Just(f64::MAX),
            Just(1e-300),
            Just(1e300),
            any::<f64>(),
        ]
    }

    fn network() -> impl Strategy<Value = NetworkSettings> {
        (
            extreme_u32(),
            extreme_u32(),
            extreme_u32(),
            extreme_u32(),
            extreme_u32(),
            extreme_u32(),
            proptest::option::of(extreme_f64()),
        )
            .prop_map(|(c, t, r, b, d, m, rps)| NetworkSettings {
                connect_timeout_ms: c,
                total_timeout_ms: t,
                max_retries: r,
                retry_base_ms: b,
                retry_max_delay_ms: d,
                max_concurrency: m,
                rate_limit_rps: rps,
            })
    }

    /// `Retry-After` values: numbers of every shape (huge exponents, negative, NaN), dates, junk bytes.
    fn retry_after() -> impl Strategy<Value = Option<Vec<u8>>> {
        proptest::option::of(prop_oneof![
            any::<u64>().prop_map(|v| v.to_string().into_bytes()),
            any::<i64>().prop_map(|v| v.to_string().into_bytes()),
            extreme_f64().prop_map(|v| v.to_string().into_bytes()),
            (any::<u32>(), -400i32..400).prop_map(|(m, e)| format!("{m}e{e}").into_bytes()),
            Just(b"1e20".to_vec()),
            Just(b"Fri, 31 Dec 9999 23:59:59 GMT".to_vec()),
            Just(b"Mon, 01 Jan 0001 00:00:00 GMT".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..40),
        ])
    }

    fn call_state() -> impl Strategy<Value = CallState> {
        (any::<bool>(), extreme_u32(), any::<bool>(), any::<u64>(), any::<u64>(), -400_000_000_000i64..400_000_000_000)
            .prop_map(|(post, retries_done, refresh, left_ms, jitter, now)| CallState {
                idempotency: if post { Idempotency::BilledPost } else { Idempotency::Idempotent },
                retries_done,
                can_refresh_token: refresh,
                time_left: Duration::from_millis(left_ms),
                jitter,
                now: OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// No setting, header or state can make reading an answer panic, and every reading is sensible: a retry
        /// waits at most `retry_max_delay_ms` (clamped to its bound) and less than the time left, only while
        /// retries remain; a final reading has one result per number asked.
        #[test]
        fn reading_any_answer_with_any_settings_is_sensible(
            n in network(),
            st in call_state(),
            status in prop_oneof![Just(200u16), Just(206), Just(401), Just(429), Just(503), 100u16..600],
            ra in retry_after(),
            body in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..64),
                Just(br#"{"ni":"40442820135","nome":"A","situacao":{"codigo":"0"}}"#.to_vec()),
                Just(br#"[{"CPF":"40442820135","Nome":"A"}]"#.to_vec()),
            ],
            light in any::<bool>(),
        ) {
            let asked = if light { Asked::CpfLight(vec![cpf(), cpf()]) } else { Asked::Cpf(cpf()) };
            let api = if light { ApiKind::ConectaCpfLight } else { ApiKind::SerproCpfV2 };
            let a = Answer { status, retry_after: ra.as_deref(), body: &body, oversized: false };
            match read_answer(api, &asked, &n, &st, &a) {
                Reading::Retry(wait) => {
                    prop_assert!(wait < st.time_left);
                    prop_assert!(wait <= Duration::from_millis((*balcao_core::bounds::RETRY_MAX_DELAY_MS.end()).into()));
                    prop_assert!(st.retries_done < *balcao_core::bounds::MAX_RETRIES.end());
                }
                Reading::RefreshToken => prop_assert!(status == 401 && st.can_refresh_token),
                Reading::Final(results) => {
                    prop_assert_eq!(results.len(), asked.len());
                    for r in results.iter().filter_map(|r| r.as_ref().err()) {
                        prop_assert!(!r.message.contains("panicked"));
                    }
                }
            }
            for f in [AttemptFailure::Connect, AttemptFailure::Transfer, AttemptFailure::TotalTimeout] {
                if let Some(wait) = transport_retry(f, &n, &st) {
                    prop_assert!(wait < st.time_left);
                }
            }
        }

        /// Any `Retry-After` bytes give nothing or a delay of at most a day.
        #[test]
        fn any_retry_after_is_at_most_a_day(ra in retry_after(), now in -400_000_000_000i64..400_000_000_000) {
            let now = OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            if let Some(d) = ra.and_then(|raw| retry_after_value(&raw, now)) {
                prop_assert!(d <= crate::retry::MAX_RETRY_AFTER);
            }
        }

        /// Any token lifetime the server states is read as at most the cap, never a panic.
        #[test]
        fn any_token_lifetime_is_capped(
            expires_in in proptest::option::of(prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(0i64), any::<i64>()]),
            exp in prop_oneof![Just(i64::MAX), Just(i64::MIN), any::<i64>()],
            iat in proptest::option::of(prop_oneof![Just(i64::MAX), Just(i64::MIN), any::<i64>()]),
            conecta in any::<bool>(),
        ) {
            use base64::Engine as _;
            let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let claims = match iat {
                Some(iat) => format!(r#"{{"exp":{exp},"iat":{iat}}}"#),
                None => format!(r#"{{"exp":{exp}}}"#),
            };
            let token = format!("{}.{}.sig", e.encode("{}"), e.encode(claims));
            let provider =
                if conecta { balcao_core::api::Provider::Conecta } else { balcao_core::api::Provider::Serpro };
            let l = crate::lifetime::lifetime(provider, &token, expires_in);
            prop_assert!(l <= crate::lifetime::MAX_LIFETIME);
            let renew = crate::lifetime::renew_after(l);
            prop_assert!(renew <= l);
        }

        /// Any pacing rate gives no pacing (non-positive, NaN, inf: refused by validation) or an interval of
        /// 1 ms to 100 s.
        #[test]
        fn any_rate_limit_gives_a_bounded_interval(rps in extreme_f64()) {
            if let Some(i) = crate::pacing::interval(rps) {
                prop_assert!(i >= Duration::from_millis(1) && i <= Duration::from_secs(100), "{rps}: {i:?}");
            }
        }
    }
}
