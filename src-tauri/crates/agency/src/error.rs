//! PostgreSQL and TLS failures turned into pt-BR `AppError`s that IT can act on (no library text pasted in).

use balcao_core::error::{AppError, ErrorCode};

/// Reads a client error: its SQLSTATE when the server answered, else whether the network or TLS failed.
pub(crate) fn from_pg(e: &tokio_postgres::Error, doing: &str) -> AppError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        return match code {
            "28P01" | "28000" => AppError::new(
                ErrorCode::Unauthorized,
                format!(
                    "O banco da agência não aceitou o usuário ou a senha ao {doing}. Confira as credenciais com a TI."
                ),
            ),
            "42501" => AppError::new(
                ErrorCode::Forbidden,
                format!(
                    "O banco da agência não deu permissão ao {doing}: o papel usado não tem esse privilégio. A TI deve \
                     conferir o papel (o usuário do endereço na política, ou a opção --user do balcao-cli)."
                ),
            ),
            // The server going down or not yet up (admin or crash shutdown, starting up), or a connection
            // failure it reports itself: the store cannot be reached now, as with a network fault.
            c if c.starts_with("08") || c.starts_with("57P0") => unreachable(doing),
            // The server's clock says the gateway day asked for is not today (the PC's clock is off).
            "22008" => AppError::new(
                ErrorCode::Config,
                format!(
                    "O relógio deste computador não bate com o do banco da agência ao {doing}: acerte a data e a \
                     hora do computador (ou avise a TI). Nenhuma consulta foi enviada."
                ),
            ),
            // Momentary conditions of a server that is up: too many connections, a deadlock or cancelled query,
            // a read-only server during a failover. Like a network fault, they pass.
            c if c.starts_with("53") || c.starts_with("40") || c == "57014" || c == "25006" => unreachable(doing),
            // The data of one line (an invalid character, a value out of range, a constraint): that line is refused,
            // not the store; the counter sets it aside and sends the rest.
            c if c.starts_with("22") || c.starts_with("23") => AppError::new(
                ErrorCode::Upstream,
                format!("O banco da agência recusou os dados de uma linha ao {doing} (código SQLSTATE {c})."),
            ),
            "3D000" => AppError::new(
                ErrorCode::Config,
                format!("O banco de dados indicado no endereço do banco da agência não existe (ao {doing})."),
            ),
            _ => AppError::new(
                ErrorCode::Internal,
                format!("O banco da agência recusou a operação ao {doing} (código SQLSTATE {code})."),
            ),
        };
    }
    if is_tls(e) {
        return tls_refused(doing);
    }
    if e.is_closed() || source_is_io(e) {
        return unreachable(doing);
    }
    AppError::new(ErrorCode::Internal, format!("Falha inesperada do banco da agência ao {doing}."))
}

fn unreachable(doing: &str) -> AppError {
    AppError::new(
        ErrorCode::Network,
        format!(
            "Não foi possível falar com o banco da agência ao {doing}: a rede ou o servidor está fora do ar. Tente \
             de novo em instantes."
        ),
    )
}

pub(crate) fn tls_refused(doing: &str) -> AppError {
    AppError::new(
        ErrorCode::Tls,
        format!(
            "A conexão segura (TLS) com o banco da agência falhou ao {doing}: o certificado do servidor não é \
             assinado pela autoridade configurada, ou não vale para este endereço. Nada foi enviado."
        ),
    )
}

fn chain<'a>(e: &'a (dyn std::error::Error + 'static)) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |e| e.source())
}

fn is_tls(e: &tokio_postgres::Error) -> bool {
    chain(e).any(|s| {
        s.downcast_ref::<rustls::Error>().is_some()
            || s.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
    })
}

fn source_is_io(e: &tokio_postgres::Error) -> bool {
    chain(e).any(|s| s.downcast_ref::<std::io::Error>().is_some())
}
