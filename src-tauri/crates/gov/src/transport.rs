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

/// The largest `extra_ca_file` read (a CA bundle is a few KiB; the OS trust store itself is under 1 MiB).
pub const MAX_EXTRA_CA_BYTES: u64 = 1024 * 1024;

fn not_pem(profile: &Profile, path: &str) -> AppError {
    config(profile, format!("o arquivo de certificados «{path}» não contém certificados PEM válidos."))
}

/// A network path (`\\server\share`, `//server/share`, `\\?\UNC\…`, `\\.\pipe\…`): two separators at the
/// start, in either direction.
fn is_network_path(path: &str) -> bool {
    let mut chars = path.chars();
    matches!((chars.next(), chars.next()), (Some('/' | '\\'), Some('/' | '\\')))
}

/// Whether `pem` holds at least one `CERTIFICATE` block whose body is base64 (the whole check the TLS stack's
/// parser then repeats).
fn has_pem_certificate(pem: &[u8]) -> bool {
    use base64::Engine as _;
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(pem);
    let mut rest = text.as_ref();
    while let Some((_, after)) = rest.split_once(BEGIN) {
        let Some((body, tail)) = after.split_once(END) else { return false };
        let body: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if !body.is_empty() && base64::engine::general_purpose::STANDARD.decode(body.as_bytes()).is_ok() {
            return true;
        }
        rest = tail;
    }
    false
}

/// Checks a profile's `extra_ca_file` and returns its contents (`None` when the profile has none): a regular
/// file (no folder, device, FIFO or socket), not on a network path, at most [`MAX_EXTRA_CA_BYTES`], holding PEM
/// certificates. The file's type and size are checked before it is opened (a FIFO would block the open) and
/// again on the open handle, and it is never read past the cap. Called when a profile is saved, when a profiles
/// file is loaded and when the client is built.
pub fn check_extra_ca_file(profile: &Profile) -> Result<Option<Vec<u8>>, AppError> {
    use std::io::Read as _;
    let Some(path) = profile.extra_ca_file.as_deref().map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    if is_network_path(path) {
        return Err(config(
            profile,
            format!(
                "o arquivo de certificados «{path}» está numa pasta de rede; copie-o para uma pasta deste computador."
            ),
        ));
    }
    let unreadable = |e: std::io::Error| {
        config(profile, format!("não foi possível ler o arquivo de certificados «{path}» ({}).", io_reason(&e)))
    };
    let not_regular = || {
        config(
            profile,
            format!("o arquivo de certificados «{path}» não é um arquivo comum (é uma pasta ou um dispositivo)."),
        )
    };
    let too_large = || {
        config(
            profile,
            format!("o arquivo de certificados «{path}» é maior que {} MiB.", MAX_EXTRA_CA_BYTES / (1024 * 1024)),
        )
    };
    let check = |meta: &std::fs::Metadata| {
        if !meta.is_file() {
            Err(not_regular())
        } else if meta.len() > MAX_EXTRA_CA_BYTES {
            Err(too_large())
        } else {
            Ok(())
        }
    };
    check(&std::fs::metadata(path).map_err(unreadable)?)?;
    let file = std::fs::File::open(path).map_err(unreadable)?;
    check(&file.metadata().map_err(unreadable)?)?;
    let mut pem = Vec::new();
    file.take(MAX_EXTRA_CA_BYTES + 1).read_to_end(&mut pem).map_err(unreadable)?;
    if pem.len() as u64 > MAX_EXTRA_CA_BYTES {
        return Err(too_large());
    }
    if !has_pem_certificate(&pem) {
        return Err(not_pem(profile, path));
    }
    Ok(Some(pem))
}

/// A pt-BR reason for a file that could not be read (no English OS text in the message).
fn io_reason(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "o arquivo não existe",
        std::io::ErrorKind::PermissionDenied => "sem permissão de leitura",
        _ => "erro de leitura",
    }
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
    if let Some(pem) = check_extra_ca_file(profile)? {
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| not_pem(profile, profile.extra_ca_file.as_deref().unwrap_or_default()))?;
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
