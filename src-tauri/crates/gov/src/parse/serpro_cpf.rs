//! SERPRO Consulta CPF v1/v2 (`ni`, `nome`, `situacao{codigo,descricao}`, `nascimento` DDMMAAAA, `obito`, v2 extras).

use balcao_core::Cpf;
use balcao_core::record::{CpfRecord, ExtraField, Severity, Status};
use serde_json::Value;

use super::dates::{DigitsOrder, to_iso, year};
use super::value::{code, extras, get, text, text_of};
use super::{ParseError, json};

const KNOWN: &[&str] = &["ni", "nome", "nomeSocial", "situacao", "nascimento", "obito", "dataInscricao"];

/// The status of a person whose record carries no situação.
pub(crate) fn unknown_status() -> Status {
    Status {
        code: String::new(),
        label: "Não informada".to_owned(),
        severity: Severity::Neutral,
        date: None,
        reason: None,
        unknown: false,
    }
}

/// Checks that the number the API echoes (if it does) is the one asked for.
pub(crate) fn same_number(asked: &str, echoed: Option<String>) -> Result<(), ParseError> {
    let Some(echoed) = echoed else { return Ok(()) };
    let found = super::value::alnum(&echoed);
    let found = format!("{found:0>width$}", width = asked.len());
    if found == asked { Ok(()) } else { Err(ParseError::OtherNumber { found: echoed }) }
}

pub(crate) fn parse_serpro_cpf(cpf: &Cpf, body: &str) -> Result<CpfRecord, ParseError> {
    let v = json(body)?;
    if !v.is_object() {
        return Err(ParseError::Shape("esperava um objeto JSON".into()));
    }
    same_number(cpf.as_str(), text_of(&v, &["ni", "cpf"]))?;
    let status = match get(&v, "situacao") {
        Some(s @ Value::Object(_)) => match code(get(s, "codigo"), 1) {
            Some(c) => Status::cpf(&c, text(get(s, "descricao")).as_deref()),
            None => text(get(s, "descricao")).map_or_else(unknown_status, |label| Status { label, ..unknown_status() }),
        },
        other => code(other, 1).map_or_else(unknown_status, |c| Status::cpf(&c, None)),
    };
    let mut extra = extras(&v, KNOWN, |_| None);
    let birth_raw = text(get(&v, "nascimento"));
    let birth_date = birth_raw.as_deref().and_then(|s| to_iso(s, DigitsOrder::DayFirst));
    if let (Some(raw), None) = (&birth_raw, &birth_date) {
        extra.push(ExtraField {
            key: "nascimento".into(),
            label: "Nascimento (como recebido)".into(),
            value: raw.clone(),
        });
    }
    let registration_date = text(get(&v, "dataInscricao")).map(|s| to_iso(&s, DigitsOrder::DayFirst).unwrap_or(s));
    Ok(CpfRecord {
        name: text(get(&v, "nome")),
        social_name: text(get(&v, "nomeSocial")),
        birth_date,
        death_year: text(get(&v, "obito")).and_then(|s| year(&s, DigitsOrder::DayFirst)),
        registration_date,
        extra,
        ..CpfRecord::new(*cpf, status)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use balcao_core::record::Severity;

    fn cpf(s: &str) -> Cpf {
        Cpf::parse(s).unwrap()
    }

    #[test]
    fn v1_trial_example() {
        let body = r#"{"ni":"40442820135","nome":"Nome do CPF 404.428.201-35","situacao":{"codigo":"0","descricao":"Regular"}}"#;
        let r = parse_serpro_cpf(&cpf("40442820135"), body).unwrap();
        assert_eq!(r.name.as_deref(), Some("Nome do CPF 404.428.201-35"));
        assert_eq!(r.status.code, "0");
        assert_eq!(r.status.label, "Regular");
        assert_eq!(r.status.severity, Severity::Ok);
        assert_eq!(r.birth_date, None);
        assert!(r.extra.is_empty());
    }

    #[test]
    fn v2_full_record_with_integer_code_and_death_year() {
        let body = r#"{"ni":"05137518743","nome":"Fulano","nomeSocial":"Fulana","nascimento":"01011975","obito":"2012",
            "situacao":{"codigo":3,"descricao":"TITULAR FALECIDO"},"dataInscricao":"15031990","novoCampo":"x"}"#;
        let r = parse_serpro_cpf(&cpf("05137518743"), body).unwrap();
        assert_eq!(r.social_name.as_deref(), Some("Fulana"));
        assert_eq!(r.birth_date.as_deref(), Some("1975-01-01"));
        assert_eq!(r.death_year, Some(2012));
        assert_eq!(r.registration_date.as_deref(), Some("1990-03-15"));
        assert_eq!(r.status.label, "Titular falecido");
        assert_eq!(r.status.severity, Severity::Danger);
        assert_eq!(r.extra.len(), 1);
        assert_eq!(r.extra[0].key, "novoCampo");
    }

    #[test]
    fn registration_date_text_is_kept_and_unknown_code_uses_api_label() {
        let body = r#"{"ni":"49852036700","situacao":{"codigo":"6","descricao":"Cancelada por Óbito Sem Espólio"},
            "dataInscricao":"anterior a 10/11/1990","nascimento":"99999999"}"#;
        let r = parse_serpro_cpf(&cpf("49852036700"), body).unwrap();
        assert_eq!(r.registration_date.as_deref(), Some("anterior a 10/11/1990"));
        assert_eq!(r.status.label, "Cancelada por Óbito Sem Espólio");
        assert_eq!(r.birth_date, None);
        assert!(r.extra.iter().any(|e| e.key == "nascimento" && e.value == "99999999"));
        assert_eq!(r.name, None);
    }

    #[test]
    fn missing_status_and_wrong_number() {
        let r = parse_serpro_cpf(&cpf("40442820135"), r#"{"nome":"X"}"#).unwrap();
        assert_eq!(r.status.label, "Não informada");
        let e = parse_serpro_cpf(&cpf("40442820135"), r#"{"ni":"63017285995"}"#).unwrap_err();
        assert!(matches!(e, ParseError::OtherNumber { .. }));
        assert!(parse_serpro_cpf(&cpf("40442820135"), "Nenhum registro encontrado.").is_err());
        assert!(parse_serpro_cpf(&cpf("40442820135"), "[]").is_err());
    }
}
