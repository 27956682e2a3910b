//! The HTTP client of a profile: HTTPS only (plain HTTP only to loopback), OS trust store plus an optional extra CA
//! file, the system proxy, per-phase timeouts, no redirects.

use std::net::IpAddr;
use std::time::Duration;

use balcao_core::profile::Profile;
use balcao_core::{AppError, ErrorCode};
use reqwest::Url;

fn config(profile: &Profile, detail: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!("Perfil «{}»: {detail} Revise o perfil em Configurações ou peça à TI.", profile.id),
    )
}

/// Whether `url` points at this machine (127.0.0.0/8, ::1, `localhost`).
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The profile's gateway root, checked: `https://` anywhere, `http://` only to loopback (the simulator).
pub(crate) fn check_base_url(profile: &Profile) -> Result<Url, AppError> {
    let shown = without_userinfo(profile.base_url.trim());
    let raw = shown.as_str();
    let url = Url::parse(profile.base_url.trim())
        .map_err(|_| config(profile, format!("o endereço do gateway «{raw}» não é uma URL válida.")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config(
            profile,
            format!(
                "o endereço do gateway «{raw}» não pode ter usuário ou senha: as credenciais ficam no cofre de senhas."
            ),
        ));
    }
    if url.host().is_none() {
        return Err(config(profile, format!("o endereço do gateway «{raw}» deve ter só esquema, servidor e caminho.")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config(profile, format!("o endereço do gateway «{raw}» não pode ter «?» nem «#».")));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(config(
            profile,
            format!("o endereço do gateway «{raw}» usa http://; só HTTPS é aceito fora deste computador."),
        )),
        other => Err(config(profile, format!("o esquema «{other}» não é aceito; use HTTPS."))),
    }
}

/// `raw` with any `user:password@` before the host replaced by `…@`, so that an error never echoes a credential.
fn without_userinfo(raw: &str) -> String {
    let (scheme, rest) = raw.split_once("://").map_or(("", raw), |(s, r)| (s, r));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("…{}", authority.get(at..).unwrap_or_default()),
        None => authority.to_owned(),
    };
    if scheme.is_empty() && !raw.contains("://") {
        format!("{authority}{tail}")
    } else {
        format!("{scheme}://{authority}{tail}")
    }
}

/// Builds the profile's HTTP client.
pub(crate) fn build_http(profile: &Profile, base: &Url) -> Result<reqwest::Client, AppError> {
    let n = &profile.network;
    let loopback = is_loopback(base);
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(n.connect_timeout_ms.into()))
        .timeout(Duration::from_millis(n.total_timeout_ms.into()))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Balcao/", env!("CARGO_PKG_VERSION")))
        .https_only(!loopback);
    if loopback {
        // The simulator is on this machine: a system proxy must never see (or break) these calls.
        builder = builder.no_proxy();
    }
    if let Some(path) = profile.extra_ca_file.as_deref().filter(|p| !p.trim().is_empty()) {
        let pem = std::fs::read(path)
            .map_err(|e| config(profile, format!("não foi possível ler o arquivo de certificados «{path}» ({e}).")))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| config(profile, format!("o arquivo «{path}» não contém certificados PEM válidos.")))?;
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| AppError::new(ErrorCode::Tls, format!("{} ({e})", ErrorCode::Tls.default_message())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_url(url: &str) -> Profile {
        Profile::demo(url)
    }

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            "https://gateway.apiserpro.serpro.gov.br",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "https://g.example/prefix",
        ] {
            check_base_url(&with_url(ok)).unwrap_or_else(|e| panic!("{ok}: {}", e.message));
        }
        for bad in [
            "http://gateway.apiserpro.serpro.gov.br",
            "http://10.0.0.1",
            "ftp://x",
            "gateway",
            "https://u:p@x.example",
            "https://x.example?a=1",
            "http://127.0.0.1.evil.example",
        ] {
            let e = check_base_url(&with_url(bad)).unwrap_err();
            assert_eq!(e.code, ErrorCode::Config, "{bad}");
        }
    }

    #[test]
    fn credentials_in_base_url_are_never_echoed() {
        for bad in ["https://ana:S3nha@x.example/p", "https://ana:S3nha@", "ana:S3nha@x.example", "https://:S3nha@x"] {
            let e = check_base_url(&with_url(bad)).unwrap_err();
            assert_eq!(e.code, ErrorCode::Config, "{bad}");
            assert!(!e.message.contains("S3nha") && !e.message.contains("ana:"), "{bad}: {}", e.message);
        }
        assert_eq!(without_userinfo("https://a:b@x.example/p?q"), "https://…@x.example/p?q");
        assert_eq!(without_userinfo("https://x.example/a@b"), "https://x.example/a@b");
    }

    #[test]
    fn extra_ca_file_must_exist_and_hold_certificates() {
        let mut p = with_url("https://x.example");
        p.extra_ca_file = Some("/nonexistent/ca.pem".into());
        let base = check_base_url(&p).unwrap();
        assert_eq!(build_http(&p, &base).unwrap_err().code, ErrorCode::Config);
        let dir = std::env::temp_dir().join(format!("balcao-gov-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("empty.pem");
        std::fs::write(&f, "not a certificate").unwrap();
        p.extra_ca_file = Some(f.to_string_lossy().into_owned());
        let e = build_http(&p, &base).unwrap_err();
        assert!(e.message.contains("não contém certificados"), "{}", e.message);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
