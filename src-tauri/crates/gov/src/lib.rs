//! balcao-gov: the SERPRO and Conecta gov.br API clients (profiles, OAuth2 tokens, calls, parsing).
//!
//! Entry point: [`GovClient`], built from a [`balcao_core::profile::Profile`] and [`Credentials`]. It turns a
//! valid [`balcao_core::Document`] into a normalized [`balcao_core::record::Lookup`], or a [`CallFailure`] whose
//! coded pt-BR [`balcao_core::AppError`] tells the clerk what to do (and whose `meta` says whether the failed
//! call was billed). Profiles come from the app's settings or from a TOML file ([`load_profiles_toml`]);
//! credentials from the OS keyring ([`credentials_from_store`]) or, for scripts, the environment. A profile may
//! hold one credential per API (Conecta: [`credential_set_from_store`], [`GovClient::with_credentials`]); each
//! credential then has its own token cache, and "Testar" proves them with [`GovClient::check_credentials`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use balcao_core::{Document, profile::Profile, record::ApiKind};
//! use balcao_gov::{Credentials, GovClient};
//!
//! let client = GovClient::new(Profile::demo("http://127.0.0.1:8080"), Credentials::demo())?;
//! client.quota().seed(ApiKind::SerproCpfV2, 12); // from the history
//! client.quota().on_billable(|meta| println!("billable call: {:?}", meta.api));
//! let lookup = client.lookup(&Document::parse("404.428.201-35")?, None).await?;
//! println!("{} {}", lookup.record.number(), lookup.record.status().label);
//! # Ok(()) }
//! ```
//!
//! Behaviour (retries, token cache, quota, TLS) is documented for IT in `docs/profiles.md`.

pub mod answer;
#[cfg(feature = "http")]
mod client;
#[cfg(feature = "http")]
mod credentials;
#[cfg(feature = "http")]
mod endpoints;
mod failure;
mod lifetime;
mod pacing;
mod parse;
#[cfg(feature = "http")]
mod per_api;
#[cfg(feature = "http")]
mod profiles;
#[cfg(feature = "http")]
mod quota;
mod retry;
#[cfg(feature = "http")]
mod token;
#[cfg(feature = "http")]
mod transport;

pub use answer::MAX_BODY;
#[cfg(feature = "http")]
pub use client::{CPF_LIGHT_BATCH, GovClient};
#[cfg(feature = "http")]
pub use credentials::{
    CLIENT_ID_ENV, CLIENT_SECRET_ENV, CredentialBinding, CredentialScope, Credentials, DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET, binding_key, client_id_key, client_secret_key, credential_keys, credentials_from_env,
    credentials_from_store, origin_of, scoped_credentials_from_store, store_credentials, stored_binding,
};
pub use failure::CallFailure;
#[cfg(feature = "http")]
pub use per_api::{
    CredentialCheck, CredentialSet, api_env_vars, credential_set_from_env, credential_set_from_store, env_word,
    profile_apis,
};
#[cfg(feature = "http")]
pub use profiles::{
    MAX_PROFILES, MAX_PROFILES_FILE_BYTES, ProfilesFileError, load_profiles_toml, parse_profiles_in, read_profiles_file,
};
#[cfg(feature = "http")]
pub use quota::{BillableCallback, CentralAsk, CentralQuota, QuotaTracker};
#[cfg(feature = "http")]
pub use token::SERPRO_TRIAL_BEARER;
#[cfg(feature = "http")]
pub use transport::{MAX_EXTRA_CA_BYTES, check_extra_ca_file};
