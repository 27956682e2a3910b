//! The agency's central store (#18) from the service: IT's `balcao-cli admin migrate-agency-store`.

use std::path::Path;

use balcao_agency::{ConnectOptions, migrate};
use balcao_core::{AppError, ErrorCode, Sensitive};

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
