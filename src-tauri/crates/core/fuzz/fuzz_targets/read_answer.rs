//! Fuzz target: balcao-gov's pure reading of a gateway answer (status, `Retry-After`, body, every network knob,
//! the call's state, a token lifetime) never panics and always gives a sensible reading.

#![no_main]

use std::time::Duration;

use balcao_core::api::Provider;
use balcao_core::profile::NetworkSettings;
use balcao_core::record::{ApiKind, CnpjView};
use balcao_core::{Cnpj, Cpf};
use balcao_gov::answer::{
    Answer, Asked, AttemptFailure, CallState, Idempotency, MAX_LIFETIME, MAX_RETRY_AFTER, Reading, pacing_interval,
    read_answer, renew_after, retry_after_value, token_lifetime, transport_retry,
};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

/// Reads fixed-size numbers off the front of the input (zeros once it runs out).
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.take())
    }
    fn f64(&mut self) -> f64 {
        f64::from_le_bytes(self.take())
    }
    /// Up to `max` bytes, the length given by the next byte.
    fn slice(&mut self, max: usize) -> &'a [u8] {
        let n = usize::from(self.u8()).min(max).min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
}

/// Small numbers are likelier to be interesting than uniformly random u32s: mix both.
fn knob(b: &mut Bytes<'_>) -> u32 {
    match b.u8() % 4 {
        0 => u32::from(b.u8()),
        1 => u32::MAX - u32::from(b.u8()),
        _ => b.u32(),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let network = NetworkSettings {
        connect_timeout_ms: knob(&mut b),
        total_timeout_ms: knob(&mut b),
        max_retries: knob(&mut b),
        retry_base_ms: knob(&mut b),
        retry_max_delay_ms: knob(&mut b),
        max_concurrency: knob(&mut b),
        rate_limit_rps: if b.u8() % 2 == 0 { None } else { Some(b.f64()) },
    };
    let state = CallState {
        idempotency: if b.u8() % 2 == 0 { Idempotency::Idempotent } else { Idempotency::BilledPost },
        retries_done: knob(&mut b),
        can_refresh_token: b.u8() % 2 == 0,
        time_left: Duration::from_millis(b.u64()),
        jitter: b.u64(),
        now: OffsetDateTime::from_unix_timestamp(b.i64() % 250_000_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH),
    };
    let status = match b.u8() % 6 {
        0 => 200,
        1 => 206,
        2 => 429,
        3 => 503,
        4 => 401,
        _ => b.u16(),
    };
    let cpf = Cpf::parse("40442820135").expect("valid CPF");
    let other = Cpf::parse("11144477735").expect("valid CPF");
    let (api, asked) = match b.u8() % 4 {
        0 => (ApiKind::SerproCpfV2, Asked::Cpf(cpf)),
        1 => (ApiKind::SerproCpfV1, Asked::Cpf(cpf)),
        2 => (ApiKind::ConectaCpfLight, Asked::CpfLight(vec![cpf, other, cpf])),
        _ => (ApiKind::SerproCnpj, Asked::Cnpj(Cnpj::parse("34238864000168").expect("valid CNPJ"), CnpjView::Qsa)),
    };
    let retry_after = if b.u8() % 3 == 0 { None } else { Some(b.slice(48)) };
    let lifetime_input = (b.i64(), b.i64(), b.u8());
    let oversized = b.u8() == 0xff;
    let body = b.0;

    let answer = Answer { status, retry_after, body, oversized };
    match read_answer(api, &asked, &network, &state, &answer) {
        Reading::Retry(wait) => {
            assert!(wait < state.time_left, "{wait:?} >= {:?}", state.time_left);
            assert!(wait <= Duration::from_secs(300));
            assert!(state.retries_done < 10);
        }
        Reading::RefreshToken => assert!(status == 401 && state.can_refresh_token),
        Reading::Final(results) => {
            assert_eq!(results.len(), asked.len());
            for e in results.iter().filter_map(|r| r.as_ref().err()) {
                assert!(!e.message.is_empty());
            }
        }
    }
    for f in [AttemptFailure::Connect, AttemptFailure::Transfer, AttemptFailure::TotalTimeout, AttemptFailure::Tls] {
        if let Some(wait) = transport_retry(f, &network, &state) {
            assert!(wait < state.time_left);
        }
    }
    if let Some(raw) = retry_after
        && let Some(d) = retry_after_value(raw, state.now)
    {
        assert!(d <= MAX_RETRY_AFTER);
    }
    if let Some(rps) = network.rate_limit_rps
        && let Some(i) = pacing_interval(rps)
    {
        assert!(i >= Duration::from_millis(1) && i <= Duration::from_secs(100));
    }
    // A token answer: the body as the token (a JWT or not), the numbers as `expires_in`.
    let (expires_in, _, which) = lifetime_input;
    let token = String::from_utf8_lossy(body);
    let provider = if which % 2 == 0 { Provider::Serpro } else { Provider::Conecta };
    let life = token_lifetime(provider, &token, (which & 2 == 0).then_some(expires_in));
    assert!(life <= MAX_LIFETIME);
    assert!(renew_after(life) <= life);
});
