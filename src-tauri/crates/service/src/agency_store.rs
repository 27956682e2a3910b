//! The agency's central store (#18) from the service: IT's `admin migrate-agency-store` and `admin set-agency-key`,
//! and the reader's `audit who-looked-up`.

use std::path::Path;

use balcao_agency::{ConnectOptions, DocumentKey, LookupRecord, QuotaUse, ReaderStore, migrate};
use balcao_core::{AppError, Document, ErrorCode, Sensitive};
use balcao_platform::SecretStore;
use time::OffsetDateTime;

use crate::agency_credentials::policy_of;

/// The store's address from the policy of `dir`, as `user` when given, without any password it may hold.
fn store_url(dir: &Path, user: Option<&str>) -> Result<String, AppError> {
    let policy = policy_of(dir)?.ok_or_else(|| {
        AppError::new(ErrorCode::Config, "Não há política da agência neste computador (policy.toml): nada foi feito.")
    })?;
    let store = policy.agency_store.ok_or_else(|| {
        AppError::new(
            ErrorCode::Config,
            "A política da agência não indica o banco central ([agency_store] url = \"postgres://…\"): nada foi feito.",
        )
    })?;
    let bad = || AppError::new(ErrorCode::Config, "O endereço do banco da agência na política não é válido.");
    let mut url = url::Url::parse(store.url.expose()).map_err(|_| bad())?;
    url.set_password(None).map_err(|()| bad())?;
    if let Some(user) = user {
        url.set_username(user).map_err(|()| bad())?;
    }
    Ok(url.into())
}

/// Applies the missing schema migrations as the schema owner (`user`, else the URL's user), with `password` and the
/// CA that signs the server's certificate. Returns the pt-BR line for IT.
pub async fn migrate_agency_store(
    dir: &Path,
    user: Option<&str>,
    password: Sensitive<String>,
    ca_pem: &[u8],
) -> Result<String, AppError> {
    let url = store_url(dir, user)?;
    let opts = ConnectOptions::new(&url, Some(password), ca_pem)?;
    let done = migrate(&opts).await?;
    Ok(if done.from == done.to {
        format!("O esquema do banco da agência já está na versão {}; nada mudou.", done.to)
    } else {
        format!("Esquema do banco da agência preparado: da versão {} para a {}.", done.from, done.to)
    })
}

/// Where the agency's hash key lives in the machine store (never in the policy file, which clerks read).
pub const AGENCY_KEY_ENTRY: &str = "balcao.agency-store.hash-key";

/// Stores the agency's hash key (hex, at least 32 bytes: `openssl rand -hex 32`), the same on every counter.
pub fn set_agency_key(store: &dyn SecretStore, hex: Sensitive<String>) -> Result<String, AppError> {
    let trimmed = Sensitive::new(hex.expose().trim().to_ascii_lowercase());
    decode_key(&trimmed)?;
    store.set(AGENCY_KEY_ENTRY, &trimmed)?;
    Ok("Gravada a chave de identificação da agência no cofre de credenciais da máquina.".to_owned())
}

/// The agency's hash key from the machine store.
pub fn agency_key(store: &dyn SecretStore) -> Result<DocumentKey, AppError> {
    let hex = store.get(AGENCY_KEY_ENTRY)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::Config,
            "A chave de identificação da agência não está no cofre da máquina: grave-a com \
             balcao-cli admin set-agency-key (a mesma em todos os balcões).",
        )
    })?;
    decode_key(&hex)
}

fn decode_key(hex: &Sensitive<String>) -> Result<DocumentKey, AppError> {
    let text = hex.expose().as_bytes();
    let bad = || {
        AppError::new(
            ErrorCode::Config,
            "A chave de identificação da agência deve ser hexadecimal, com pelo menos 64 dígitos (32 bytes), \
             como a que `openssl rand -hex 32` gera. Nada foi gravado.",
        )
    };
    if !text.len().is_multiple_of(2) {
        return Err(bad());
    }
    let bytes: Option<Vec<u8>> = text
        .chunks_exact(2)
        .map(|pair| std::str::from_utf8(pair).ok().and_then(|s| u8::from_str_radix(s, 16).ok()))
        .collect();
    DocumentKey::new(Sensitive::new(bytes.ok_or_else(bad)?)).map_err(|_| bad())
}

/// Every lookup of `doc` in the agency store within `[from, to)`, as the reader `user`, with its password and CA.
pub async fn who_looked_up(
    dir: &Path,
    store: &dyn SecretStore,
    reader: (Option<&str>, Sensitive<String>, &[u8]),
    doc: &Document,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
) -> Result<Vec<LookupRecord>, AppError> {
    let (user, password, ca_pem) = reader;
    let key = agency_key(store)?;
    let url = store_url(dir, user)?;
    let opts = ConnectOptions::new(&url, Some(password), ca_pem)?;
    let reader = ReaderStore::open(&opts).await?;
    reader.who_looked_up(&key.reference(doc), from, to).await
}

/// The agency's quota use per credential, API and gateway day, newest day first, as the reader `user`.
pub async fn quota_use(
    dir: &Path,
    reader: (Option<&str>, Sensitive<String>, &[u8]),
) -> Result<Vec<QuotaUse>, AppError> {
    let (user, password, ca_pem) = reader;
    let url = store_url(dir, user)?;
    let opts = ConnectOptions::new(&url, Some(password), ca_pem)?;
    ReaderStore::open(&opts).await?.quota_use().await
}
