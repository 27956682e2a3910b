//! Error codes shared with the UI and their pt-BR messages: every failure reaches the clerk as `{code, message}`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What went wrong, as a stable code the UI can branch on. Add a variant only when a consumer uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub enum ErrorCode {
    /// The number typed is not a valid CPF or CNPJ; nothing was sent.
    InvalidDocument,
    /// The number is valid but the base has no record for it (a billed call).
    NotFound,
    /// Credentials rejected or token refused after one refresh.
    Unauthorized,
    /// The API or path is not contracted for this profile.
    Forbidden,
    /// LGPD: the record belongs to a minor and the API withholds it.
    MinorDataBlocked,
    /// The gateway asked us to slow down.
    RateLimited,
    /// The contracted or homologation quota is used up.
    QuotaExhausted,
    /// The gateway or the API answered with an error or an unreadable body.
    Upstream,
    /// The network could not be reached (DNS, connection refused or reset).
    Network,
    /// The gateway took too long to answer.
    Timeout,
    /// The TLS handshake failed (certificate not trusted, proxy CA missing).
    Tls,
    /// The OS keyring (Secret Service, Keychain, Credential Manager) cannot be used.
    KeychainUnavailable,
    /// The history database cannot be opened (wrong key, locked, newer schema).
    HistoryLocked,
    /// A profile or setting is missing or invalid.
    Config,
    /// The agency requires a purpose (or protocol) for each lookup and none was given.
    PurposeRequired,
    /// Another operation (a lookup, a batch, an update) is running and this one must wait for its end.
    Busy,
    /// Anything else: a bug in Balcão.
    Internal,
}

impl ErrorCode {
    /// Every code, in declaration order (for tests and documentation).
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::InvalidDocument,
        ErrorCode::NotFound,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::MinorDataBlocked,
        ErrorCode::RateLimited,
        ErrorCode::QuotaExhausted,
        ErrorCode::Upstream,
        ErrorCode::Network,
        ErrorCode::Timeout,
        ErrorCode::Tls,
        ErrorCode::KeychainUnavailable,
        ErrorCode::HistoryLocked,
        ErrorCode::Config,
        ErrorCode::PurposeRequired,
        ErrorCode::Busy,
        ErrorCode::Internal,
    ];

    /// The default pt-BR message: what happened and what the clerk can do about it.
    pub fn default_message(self) -> &'static str {
        match self {
            ErrorCode::InvalidDocument => "Número inválido. Confira os dígitos digitados; nenhuma consulta foi feita.",
            ErrorCode::NotFound => "Nenhum cadastro encontrado para este número na base consultada.",
            ErrorCode::Unauthorized => {
                "As credenciais deste perfil foram recusadas. Peça à TI para conferir a chave e o segredo em Configurações."
            }
            ErrorCode::Forbidden => {
                "Esta API não está contratada para este perfil. Peça à TI para conferir o contrato ou o caminho configurado."
            }
            ErrorCode::MinorDataBlocked => {
                "Os dados deste CPF pertencem a menor de idade e não podem ser exibidos (LGPD)."
            }
            ErrorCode::RateLimited => "Muitas consultas em pouco tempo. Aguarde alguns segundos e tente de novo.",
            ErrorCode::QuotaExhausted => {
                "A cota de consultas deste perfil acabou. Avise a TI; nenhuma nova consulta será cobrada."
            }
            ErrorCode::Upstream => {
                "O serviço do governo respondeu com erro. Tente de novo em instantes; se persistir, avise a TI."
            }
            ErrorCode::Network => "Sem conexão com o serviço do governo. Verifique a rede e tente de novo.",
            ErrorCode::Timeout => "O serviço do governo demorou demais para responder. Tente de novo em instantes.",
            ErrorCode::Tls => {
                "Conexão segura recusada: o certificado do servidor não é confiável nesta máquina. Avise a TI."
            }
            ErrorCode::KeychainUnavailable => {
                "O cofre de senhas do sistema não está disponível. Desbloqueie sua sessão ou avise a TI; nada foi gravado sem criptografia."
            }
            ErrorCode::HistoryLocked => {
                "Não foi possível abrir o histórico criptografado. Avise a TI; o arquivo não foi alterado."
            }
            ErrorCode::Config => "A configuração deste perfil está incompleta. Revise-a em Configurações.",
            ErrorCode::PurposeRequired => "Informe a finalidade ou o número do protocolo antes de consultar.",
            ErrorCode::Busy => "Há uma operação em andamento. Aguarde o fim dela e tente de novo.",
            ErrorCode::Internal => {
                "Erro inesperado no Balcão. Tente de novo; se persistir, copie o diagnóstico e avise a TI."
            }
        }
    }
}

/// An error as the UI receives it: a code to branch on and a pt-BR message to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl From<ErrorCode> for AppError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code, code.default_message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_code_and_message() {
        let e = AppError::from(ErrorCode::NotFound);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "NotFound");
        assert!(v["message"].as_str().unwrap().starts_with("Nenhum cadastro"));
        assert_eq!(v.as_object().unwrap().len(), 2);
    }

    #[test]
    fn every_code_has_a_distinct_message() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.default_message()), "{c:?} repeats a message");
        }
    }
}
