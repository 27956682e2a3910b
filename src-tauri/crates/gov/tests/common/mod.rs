//! Shared helpers of the gov integration tests: a simulator per test and clients with fast retry settings.
#![allow(dead_code)]

use balcao_core::profile::{NetworkSettings, Profile};
use balcao_core::{Cnpj, Cpf};
use balcao_gov::{Credentials, GovClient};
use balcao_sim::{LoggedRequest, SimConfig, SimHandle, Simulator};

pub const CLERK: &str = "00000000191";

pub async fn sim() -> SimHandle {
    sim_with(SimConfig::default()).await
}

pub async fn sim_with(config: SimConfig) -> SimHandle {
    Simulator::start("127.0.0.1:0".parse().expect("loopback address"), config).await.expect("simulator starts")
}

/// Timeouts and backoff small enough for tests; two retries as in production.
pub fn fast_network() -> NetworkSettings {
    NetworkSettings {
        connect_timeout_ms: 2_000,
        total_timeout_ms: 5_000,
        max_retries: 2,
        retry_base_ms: 10,
        retry_max_delay_ms: 1_500,
        max_concurrency: 8,
        rate_limit_rps: None,
    }
}

pub fn serpro_profile(sim: &SimHandle) -> Profile {
    Profile { network: fast_network(), ..Profile::demo(&sim.base_url()) }
}

pub fn conecta_profile(sim: &SimHandle) -> Profile {
    Profile { network: fast_network(), ..Profile::demo_conecta(&sim.base_url(), cpf(CLERK)) }
}

pub fn client(profile: Profile) -> GovClient {
    GovClient::new(profile, Credentials::demo()).expect("valid profile")
}

pub fn serpro(sim: &SimHandle) -> GovClient {
    client(serpro_profile(sim))
}

pub fn conecta(sim: &SimHandle) -> GovClient {
    client(conecta_profile(sim))
}

pub fn cpf(s: &str) -> Cpf {
    Cpf::parse(s).expect("valid CPF")
}

pub fn cnpj(s: &str) -> Cnpj {
    Cnpj::parse(s).expect("valid CNPJ")
}

pub fn api_calls(sim: &SimHandle) -> Vec<LoggedRequest> {
    sim.requests().into_iter().filter(LoggedRequest::is_api_call).collect()
}

pub fn token_calls(sim: &SimHandle) -> usize {
    sim.requests().iter().filter(|r| r.is_token_call()).count()
}
