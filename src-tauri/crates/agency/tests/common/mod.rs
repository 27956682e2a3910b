//! The throwaway PostgreSQL cluster `cargo xtask test` starts (xtask/src/pg.rs): a fresh database per test.
#![allow(dead_code)]

use std::sync::Arc;

use balcao_agency::ConnectOptions;
use balcao_core::secret::Sensitive;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

const HOW: &str = "these tests need a PostgreSQL server with TLS. `cargo xtask test` starts one; by hand, run \
                   `cargo xtask pg` in another terminal and export the variables it prints \
                   (BALCAO_TEST_PG_URL, BALCAO_TEST_PG_CA, ...), then `cargo test -p balcao-agency`";

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: {HOW}"))
}

#[derive(Debug, Clone, Copy)]
pub enum Role {
    Owner,
    Counter,
    Reader,
}

impl Role {
    fn login(self) -> (&'static str, &'static str) {
        match self {
            Role::Owner => ("balcao_test_owner", "owner-pw-1"),
            Role::Counter => ("balcao_test_counter", "counter-pw-1"),
            Role::Reader => ("balcao_test_reader", "reader-pw-1"),
        }
    }
}

/// One test's own database on the shared cluster, owned by the test schema owner.
#[derive(Debug)]
pub struct TestDb {
    pub name: String,
    super_url: url::Url,
    pub ca: Vec<u8>,
    pub wrong_ca: Vec<u8>,
}

impl TestDb {
    pub async fn fresh(test: &str) -> Self {
        let super_url: url::Url = var("BALCAO_TEST_PG_URL").parse().expect("BALCAO_TEST_PG_URL is a URL");
        let ca = std::fs::read(var("BALCAO_TEST_PG_CA")).expect("read BALCAO_TEST_PG_CA");
        let wrong_ca = std::fs::read(var("BALCAO_TEST_PG_WRONG_CA")).expect("read BALCAO_TEST_PG_WRONG_CA");
        let name = format!("t_{test}_{}", std::process::id());
        let db = TestDb { name, super_url, ca, wrong_ca };
        let admin = db.superuser("postgres").await;
        // Roles are cluster-wide: created once, whichever test binary gets there first.
        admin.execute("SELECT pg_advisory_lock(4242)", &[]).await.expect("lock");
        for (sql, role) in [
            ("CREATE ROLE balcao_counter NOLOGIN", "balcao_counter"),
            ("CREATE ROLE balcao_reader NOLOGIN", "balcao_reader"),
            ("CREATE ROLE balcao_test_owner LOGIN PASSWORD 'owner-pw-1'", "balcao_test_owner"),
            (
                "CREATE ROLE balcao_test_counter LOGIN PASSWORD 'counter-pw-1' IN ROLE balcao_counter",
                "balcao_test_counter",
            ),
            ("CREATE ROLE balcao_test_reader LOGIN PASSWORD 'reader-pw-1' IN ROLE balcao_reader", "balcao_test_reader"),
        ] {
            let exists = admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role]).await.expect("roles");
            if exists.is_empty() {
                admin.batch_execute(sql).await.expect("create role");
            }
        }
        admin.execute("SELECT pg_advisory_unlock(4242)", &[]).await.expect("unlock");
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", db.name)).await.expect("drop db");
        admin.batch_execute(&format!("CREATE DATABASE {} OWNER balcao_test_owner", db.name)).await.expect("create db");
        db
    }

    fn url_for(&self, user: &str, dbname: &str) -> String {
        let host = self.super_url.host_str().expect("host");
        let port = self.super_url.port().expect("port");
        format!("postgres://{user}@{host}:{port}/{dbname}")
    }

    /// What a role's Balcão is given: the URL without the password, the password apart, the CA's PEM.
    pub fn opts(&self, role: Role) -> ConnectOptions {
        self.opts_with(role, &self.ca.clone(), "")
    }

    pub fn opts_with(&self, role: Role, ca: &[u8], url_suffix: &str) -> ConnectOptions {
        let (user, pw) = role.login();
        let url = format!("{}{url_suffix}", self.url_for(user, &self.name));
        ConnectOptions::new(&url, Some(Sensitive::new(pw.to_owned())), ca).expect("connect options")
    }

    /// A raw TLS client, as the superuser, on `dbname`.
    pub async fn superuser(&self, dbname: &str) -> tokio_postgres::Client {
        let mut url = self.super_url.clone();
        url.set_path(dbname);
        raw_connect(url.as_str(), &self.ca).await.expect("superuser connects")
    }

    /// A raw TLS client as a Balcão role, to try what Balcão's API never does.
    pub async fn raw(&self, role: Role) -> tokio_postgres::Client {
        let (user, pw) = role.login();
        let url = format!("{}?password={pw}", self.url_for(user, &self.name));
        raw_connect(&url, &self.ca).await.expect("role connects")
    }

    pub async fn count(&self, table: &str) -> i64 {
        let c = self.superuser(&self.name).await;
        c.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.expect("count").get(0)
    }
}

pub async fn raw_connect(url: &str, ca: &[u8]) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca) {
        roots.add(c.expect("pem")).expect("root");
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("tls versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut config: tokio_postgres::Config = url.parse().expect("url");
    config.ssl_mode(tokio_postgres::config::SslMode::Require);
    let (client, conn) = config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}
