//! balcao-gov: the SERPRO and Conecta gov.br API clients (profiles, OAuth2 tokens, calls, parsing).
//!
//! Entry point: [`GovClient`], built from a [`balcao_core::profile::Profile`] and [`Credentials`].

mod client;
mod credentials;
mod endpoints;
mod failure;
mod pacing;
mod parse;
mod profiles;
mod quota;
mod retry;
mod token;
mod transport;

pub use client::{CPF_LIGHT_BATCH, GovClient, MAX_BODY};
pub use credentials::{
    CLIENT_ID_ENV, CLIENT_SECRET_ENV, Credentials, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, client_id_key,
    client_secret_key, credentials_from_env, credentials_from_store, store_credentials,
};
pub use failure::CallFailure;
pub use profiles::load_profiles_toml;
pub use quota::{BillableCallback, QuotaTracker};
pub use token::SERPRO_TRIAL_BEARER;
