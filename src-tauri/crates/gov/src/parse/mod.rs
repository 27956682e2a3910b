//! Defensive parsers from each API's JSON to the normalized records of `balcao_core::record`.

mod cnpj;
mod cpf_light;
pub(crate) mod dates;
mod labels;
mod serpro_cpf;
pub(crate) mod value;

pub(crate) use cnpj::parse_cnpj;
pub(crate) use cpf_light::light_entries;
pub(crate) use serpro_cpf::parse_serpro_cpf;

/// Why a body could not become a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ParseError {
    /// Not JSON, or not the JSON shape of this API.
    #[error("resposta em formato inesperado: {0}")]
    Shape(String),
    /// The API answered about another number than the one asked.
    #[error("a resposta trouxe o número {found}, e não o consultado")]
    OtherNumber { found: String },
}

/// The body as JSON, or a `Shape` error naming what came instead.
pub(crate) fn json(body: &str) -> Result<serde_json::Value, ParseError> {
    serde_json::from_str(body.trim_start_matches('\u{feff}')).map_err(|e| {
        let start: String = body.trim().chars().take(40).collect();
        // serde_json's own text is English: say where it broke instead.
        ParseError::Shape(format!("não é JSON (linha {}, coluna {}); início: «{start}»", e.line(), e.column()))
    })
}

/// The API's own short message in an error body (`{"mensagem": …}`, plain text), if it is worth showing.
pub(crate) fn api_message(body: &str) -> Option<String> {
    let trimmed = body.trim();
    let msg = match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(v) => value::text_of(&v, &["mensagem", "message", "error_description", "detail", "error"])?,
        Err(_) if !trimmed.starts_with('<') => trimmed.to_owned(),
        Err(_) => return None,
    };
    let msg: String = msg.split_whitespace().collect::<Vec<_>>().join(" ");
    (!msg.is_empty() && msg.chars().count() <= 200).then_some(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_messages() {
        assert_eq!(api_message("Nenhum registro encontrado. ").as_deref(), Some("Nenhum registro encontrado."));
        assert_eq!(
            api_message(r#"{"mensagem":"CPF <63017285991> inválido!"}"#).as_deref(),
            Some("CPF <63017285991> inválido!")
        );
        assert_eq!(api_message("<html><body>502</body></html>"), None);
        assert_eq!(api_message(""), None);
        assert!(matches!(json("<html>"), Err(ParseError::Shape(m)) if m.contains("<html>")));
    }
}
