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

/// Why a file could not be read or written, in pt-BR, from the OS error's kind (the OS's own English text, such as
/// "Is a directory (os error 21)", belongs in the log, never in a message).
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let reason = match e.kind() {
        K::NotFound => "o arquivo ou a pasta não existe",
        K::PermissionDenied => "sem permissão de acesso",
        K::IsADirectory => "é uma pasta, não um arquivo",
        K::NotADirectory => "um trecho do caminho não é uma pasta",
        K::AlreadyExists => "o arquivo já existe",
        K::StorageFull => "o disco está cheio",
        K::FileTooLarge => "o arquivo passou do tamanho máximo permitido pelo sistema",
        K::ReadOnlyFilesystem => "o disco é somente leitura",
        K::InvalidData => "o conteúdo não é texto válido",
        K::InvalidFilename => "o nome do arquivo é inválido",
        K::Interrupted | K::WouldBlock | K::TimedOut => "a operação foi interrompida",
        K::BrokenPipe => "a saída foi fechada",
        K::AddrInUse => "o endereço já está em uso",
        K::AddrNotAvailable => "o endereço não pertence a este computador",
        _ => return format!("erro do sistema nº {}", e.raw_os_error().unwrap_or(0)),
    };
    reason.to_owned()
}

/// What went wrong with one value of a configuration file, read from the parser's error (serde's own words are
/// English and stay in the log): `field` is the key when the error names one (a missing or unknown key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: Option<String>,
    /// A pt-BR clause: "falta o campo obrigatório", "tipo errado"…
    pub problem: String,
}

impl FieldProblem {
    /// Classifies a serde error message ("missing field `x`", "invalid type: …", "unknown variant `y`…").
    pub fn from_serde(message: &str) -> FieldProblem {
        let quoted = || message.split('`').nth(1).map(str::to_owned);
        let (field, problem) = if message.starts_with("missing field") {
            (quoted(), "falta o campo obrigatório".to_owned())
        } else if message.starts_with("unknown field") {
            (quoted(), "campo desconhecido (confira a grafia)".to_owned())
        } else if message.starts_with("unknown variant") {
            let got = quoted().unwrap_or_default();
            (None, format!("o valor «{got}» não está entre os aceitos"))
        } else if message.starts_with("invalid type") {
            (None, format!("tipo de valor errado ({})", expected_pt(message)))
        } else if message.starts_with("invalid length") {
            (None, "quantidade de itens errada".to_owned())
        } else if message.starts_with("duplicate field") {
            (quoted(), "campo repetido".to_owned())
        } else {
            (None, "valor inválido".to_owned())
        };
        FieldProblem { field, problem }
    }
}

/// The kind of value serde expected, in pt-BR (from the "expected …" tail of its message).
fn expected_pt(message: &str) -> &'static str {
    let tail = message.rsplit("expected").next().unwrap_or_default();
    if ["u8", "u16", "u32", "u64", "i32", "i64", "integer"].iter().any(|t| tail.contains(t)) {
        "esperado um número inteiro"
    } else if tail.contains("f64") || tail.contains("float") {
        "esperado um número"
    } else if tail.contains("bool") {
        "esperado true ou false"
    } else if tail.contains("sequence") || tail.contains("array") {
        "esperada uma lista"
    } else if tail.contains("map") || tail.contains("struct") || tail.contains("table") {
        "esperada uma tabela"
    } else if tail.contains("string") || tail.contains("str") || tail.contains("variant") {
        "esperado um texto entre aspas"
    } else {
        "outro tipo esperado"
    }
}

/// The 1-based line and column of byte `offset` in `text`.
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
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
    fn serde_problems_and_io_reasons_are_pt_br() {
        let p = FieldProblem::from_serde("missing field `baseUrl`");
        assert_eq!((p.field.as_deref(), p.problem.as_str()), (Some("baseUrl"), "falta o campo obrigatório"));
        let p = FieldProblem::from_serde("invalid type: string \"três\", expected u32");
        assert_eq!(p.field, None);
        assert!(p.problem.contains("número inteiro"), "{}", p.problem);
        let p = FieldProblem::from_serde("unknown variant `marte`, expected one of `producao`");
        assert!(p.problem.contains("«marte»"), "{}", p.problem);
        let dir = std::io::Error::from(std::io::ErrorKind::IsADirectory);
        assert_eq!(io_reason(&dir), "é uma pasta, não um arquivo");
        assert_eq!(line_and_column("a\nbc\nd", 4), (2, 3));
    }

    #[test]
    fn every_code_has_a_distinct_message() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.default_message()), "{c:?} repeats a message");
        }
    }
}
