//! How long a token answer says its token lives (`expires_in`, the JWT's `exp`/`iat`), read defensively: every
//! number comes from the server, so subtractions are checked and the result is capped.

use std::time::Duration;

use balcao_core::api::Provider;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::Value;
use time::OffsetDateTime;

/// Longest margin before expiry at which a cached token stops being used.
const MAX_MARGIN: Duration = Duration::from_secs(300);

/// The longest lifetime believed from a token answer: Conecta's documented 2 h plus a margin of 30 min. A server
/// that says `expires_in: 1e20` or a JWT `exp` in year 9999 gets its token renewed after this at the latest
/// (a token that really lives longer is simply renewed early; a 401 renews it anyway).
pub const MAX_LIFETIME: Duration = Duration::from_secs(9_000);

fn lenient_b64() -> GeneralPurpose {
    GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

pub(crate) fn as_i64(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `(exp, iat)` of a JWT, read without verifying it (only to know when to renew).
fn jwt_times(token: &str) -> Option<(i64, Option<i64>)> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    let claims: Value = serde_json::from_slice(&lenient_b64().decode(payload).ok()?).ok()?;
    Some((as_i64(claims.get("exp"))?, as_i64(claims.get("iat"))))
}

/// How long a freshly issued token lives: Conecta reads the JWT `exp` (relative to `iat` when present, so a wrong
/// local clock does not matter) and falls back to `expires_in`; SERPRO reads `expires_in` and falls back to the JWT.
/// When neither says, the documented lifetimes (SERPRO ≈ 55 min, Conecta 2 h) are assumed; a 401 corrects it.
/// Every number here comes from the server: subtractions are checked (an overflow counts as "not said") and the
/// result is between zero and [`MAX_LIFETIME`].
pub fn lifetime(provider: Provider, token: &str, expires_in: Option<i64>) -> Duration {
    let from_jwt = || {
        jwt_times(token).and_then(|(exp, iat)| match iat {
            Some(iat) => exp.checked_sub(iat),
            None => exp.checked_sub(OffsetDateTime::now_utc().unix_timestamp()),
        })
    };
    let secs = match provider {
        Provider::Conecta => from_jwt().or(expires_in).unwrap_or(7200),
        Provider::Serpro => expires_in.or_else(from_jwt).unwrap_or(3300),
    };
    Duration::from_secs(secs.max(0).unsigned_abs()).min(MAX_LIFETIME)
}

/// The instant-offset at which a token of this lifetime is renewed: a tenth of its life early, at most 5 minutes.
pub fn renew_after(lifetime: Duration) -> Duration {
    lifetime.saturating_sub((lifetime / 10).min(MAX_MARGIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", e.encode(r#"{"alg":"RS512","typ":"JWT"}"#), e.encode(claims))
    }

    #[test]
    fn conecta_reads_jwt_exp_minus_iat_then_expires_in() {
        let t = jwt(r#"{"iat":1000,"exp":8200,"aud":"conectagov-aud"}"#);
        assert_eq!(lifetime(Provider::Conecta, &t, Some(60)), Duration::from_secs(7200));
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let t = jwt(&format!(r#"{{"exp":{}}}"#, now + 600));
        let l = lifetime(Provider::Conecta, &t, None).as_secs();
        assert!((595..=600).contains(&l), "{l}");
        assert_eq!(lifetime(Provider::Conecta, "opaque", Some(90)), Duration::from_secs(90));
        assert_eq!(lifetime(Provider::Conecta, "opaque", None), Duration::from_secs(7200));
    }

    #[test]
    fn serpro_reads_expires_in_first() {
        let t = jwt(r#"{"iat":0,"exp":7200}"#);
        assert_eq!(lifetime(Provider::Serpro, &t, Some(3295)), Duration::from_secs(3295));
        assert_eq!(lifetime(Provider::Serpro, &t, None), Duration::from_secs(7200));
        assert_eq!(lifetime(Provider::Serpro, "c66a7def1c96f7008a0c397dc588b6d7", None), Duration::from_secs(3300));
        assert_eq!(lifetime(Provider::Serpro, "x", Some(-5)), Duration::ZERO);
    }

    #[test]
    fn renewal_margin_is_a_tenth_capped_at_five_minutes() {
        assert_eq!(renew_after(Duration::from_secs(7200)), Duration::from_secs(6900));
        assert_eq!(renew_after(Duration::from_secs(3295)), Duration::from_secs(2995));
        assert_eq!(renew_after(Duration::from_secs(10)), Duration::from_secs(9));
        assert_eq!(renew_after(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn hostile_lifetimes_are_capped_and_never_overflow() {
        for expires_in in [i64::MAX, i64::MAX - 1, 1 << 62, 100_000_000] {
            assert_eq!(lifetime(Provider::Serpro, "x", Some(expires_in)), MAX_LIFETIME, "{expires_in}");
        }
        assert_eq!(lifetime(Provider::Serpro, "x", Some(i64::MIN)), Duration::ZERO);
        let now = OffsetDateTime::now_utc().unix_timestamp();
        for claims in [
            format!(r#"{{"exp":{}}}"#, i64::MAX),
            format!(r#"{{"exp":{},"iat":{}}}"#, i64::MAX, i64::MIN),
            format!(r#"{{"exp":{},"iat":{}}}"#, i64::MIN, i64::MAX),
            format!(r#"{{"exp":{}}}"#, i64::MIN),
            format!(r#"{{"exp":{},"iat":{now}}}"#, now + 10 * 365 * 86_400),
            r#"{"exp":1e300,"iat":-1e300}"#.to_owned(),
            r#"{"exp":"9223372036854775807","iat":"-9223372036854775808"}"#.to_owned(),
        ] {
            for provider in [Provider::Conecta, Provider::Serpro] {
                let l = lifetime(provider, &jwt(&claims), None);
                assert!(l <= MAX_LIFETIME, "{claims}: {l:?}");
            }
        }
        assert_eq!(lifetime(Provider::Conecta, &jwt(&format!(r#"{{"exp":{}}}"#, i64::MAX)), None), MAX_LIFETIME);
    }
}
