//! balcao-sim: an in-process simulator of the SERPRO (Consulta CPF v1/v2, Consulta CNPJ v2, trial) and Conecta
//! gov.br (CPF Light, CNPJ Básica/QSA/Empresa) gateways, with fault injection, quota, rate limit and a request log.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use balcao_sim::{Fault, SimConfig, Simulator};
//! let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), SimConfig::default()).await?;
//! let cpf_url = format!("{}/consulta-cpf-df-trial/v1/cpf/40442820135", sim.base_url());
//! sim.inject(Fault::status(503).times(2));
//! // ... call cpf_url with `Authorization: Bearer 06aef429-a981-3ec5-a1f8-71d38d86481e` ...
//! assert!(sim.requests().iter().all(|r| !r.is_token_call()));
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! HTTP control endpoints on the same server, when `SimConfig::control_routes` is on (tests, `balcao-cli sim`; off
//! in the app unless `BALCAO_SIM_CONTROL=1`): `GET /__sim/health`, `GET|DELETE /__sim/requests`,
//! `GET|POST|DELETE /__sim/faults`, `POST /__sim/expire-tokens`, `GET /__sim/usage`, `POST /__sim/reset`.

mod auth;
mod bases;
pub mod config;
mod control;
pub mod data;
pub mod fault;
mod gateway;
pub mod log;
mod lookup;
mod reply;
mod routes;
mod server;
mod state;

pub use config::{ConfigError, Contracted, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SimConfig};
pub use fault::{CallKind, Fault, FaultKind, FaultScope};
pub use log::LoggedRequest;
pub use lookup::CPF_LIGHT_MAX;
pub use routes::{CONECTA_TOKEN_PATH, SERPRO_TOKEN_PATH, SERPRO_TRIAL_BEARER};
pub use server::{SimHandle, Simulator};
