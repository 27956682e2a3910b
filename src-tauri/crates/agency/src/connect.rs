//! Connections to the agency store: TLS always (verified against the agency's CA), never plaintext or a Unix socket.

use std::sync::Arc;
use std::time::Duration;

use balcao_core::error::{AppError, ErrorCode};
use balcao_core::secret::Sensitive;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres::config::{Host, SslMode};

use crate::error::{from_pg, tls_refused};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the store is and how to prove who we are; the password never travels in the URL Balcão keeps.
#[derive(Clone)]
pub struct ConnectOptions {
    config: tokio_postgres::Config,
    tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("hosts", &self.config.get_hosts())
            .field("ports", &self.config.get_ports())
            .field("user", &self.config.get_user())
            .field("dbname", &self.config.get_dbname())
            .finish_non_exhaustive()
    }
}

impl ConnectOptions {
    /// A `postgres://` URL (from the policy), the password (from the machine store) and the PEM of the CA that
    /// signs the server's certificate. A URL that asks for no TLS (`sslmode=disable`) or a Unix socket is refused.
    pub fn new(url: &str, password: Option<Sensitive<String>>, ca_pem: &[u8]) -> Result<Self, AppError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|_| {
            AppError::new(
                ErrorCode::Config,
                "O endereço do banco da agência não é válido. Use a forma postgres://usuario@servidor:5432/banco.",
            )
        })?;
        if config.get_ssl_mode() == SslMode::Disable {
            return Err(AppError::new(
                ErrorCode::Tls,
                "O endereço do banco da agência pede conexão sem TLS (sslmode=disable). O Balcão só conecta com TLS: \
                 tire o sslmode=disable do endereço e ative o TLS no servidor.",
            ));
        }
        if config.get_hosts().is_empty() || config.get_hosts().iter().any(|h| !matches!(h, Host::Tcp(_))) {
            return Err(AppError::new(
                ErrorCode::Config,
                "O endereço do banco da agência precisa indicar um servidor de rede (host): o Balcão não usa \
                 soquetes locais, que não passam por TLS.",
            ));
        }
        config.ssl_mode(SslMode::Require);
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("balcao");
        if let Some(pw) = password {
            config.password(pw.expose().as_bytes());
        }
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem) {
            let cert = cert.map_err(|_| ca_unreadable())?;
            roots.add(cert).map_err(|_| ca_unreadable())?;
        }
        if roots.is_empty() {
            return Err(ca_unreadable());
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|_| AppError::new(ErrorCode::Internal, "Falha ao preparar o TLS do banco da agência."))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self { config, tls: Arc::new(tls) })
    }

    /// One connection, its driver task spawned on the current Tokio runtime.
    pub(crate) async fn connect(&self, doing: &str) -> Result<tokio_postgres::Client, AppError> {
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new((*self.tls).clone());
        let (client, connection) = self.config.connect(tls).await.map_err(|e| {
            let err = from_pg(&e, doing);
            if err.code == ErrorCode::Tls { tls_refused(doing) } else { err }
        })?;
        tokio::spawn(async move {
            // The connection ends when the client is dropped or the server goes away; the next call reports it.
            let _ = connection.await;
        });
        Ok(client)
    }
}

fn ca_unreadable() -> AppError {
    AppError::new(
        ErrorCode::Config,
        "O certificado da autoridade (CA) do banco da agência não pôde ser lido: informe um arquivo PEM com o \
         certificado que assina o do servidor.",
    )
}
