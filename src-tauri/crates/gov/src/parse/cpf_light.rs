//! Conecta API CPF Light: an array of PascalCase entries (integer codes, `Cep` without its leading zero,
//! dates `AAAAMMDD`), with `mensagem` entries for CPFs not found.

use balcao_core::Cpf;
use balcao_core::record::{Address, CodeLabel, CpfRecord, ExtraField, Phone, Status};
use serde_json::Value;

use super::dates::{DigitsOrder, to_iso, year};
use super::labels;
use super::serpro_cpf::{same_number, unknown_status};
use super::value::{code, extras, first, get, text, text_of, yes_no};
use super::{ParseError, json};

/// One entry of a CPF Light answer: the CPF it is about (11 digits, when it says) and its JSON.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LightEntry {
    pub cpf: Option<String>,
    pub value: Value,
}

/// The entries of a CPF Light body: a bare array, an object wrapping one (`listaCpfCompleto`…), or one entry.
pub(crate) fn light_entries(body: &str) -> Result<Vec<LightEntry>, ParseError> {
    let v = json(body)?;
    let items = match v {
        Value::Array(items) => items,
        Value::Object(_) => match first(&v, &["listaCpfCompleto", "listaCpf", "resultado", "dados"]) {
            Some(Value::Array(items)) => items.clone(),
            _ => vec![v],
        },
        _ => return Err(ParseError::Shape("esperava uma lista JSON".into())),
    };
    items
        .into_iter()
        .map(|value| {
            if !value.is_object() {
                return Err(ParseError::Shape("item da lista não é um objeto".into()));
            }
            let cpf = text_of(&value, &["CPF", "ni", "NumeroCpf"])
                .map(|s| super::value::alnum(&s))
                .filter(|s| !s.is_empty() && s.len() <= 11 && s.bytes().all(|b| b.is_ascii_digit()))
                .map(|s| format!("{s:0>11}"));
            Ok(LightEntry { cpf, value })
        })
        .collect()
}

const KNOWN: &[&str] = &[
    "CPF",
    "Nome",
    "NomeSocial",
    "SituacaoCadastral",
    "DescricaoSituacaoCadastral",
    "DataNascimento",
    "AnoObito",
    "DataInscricao",
    "NomeMae",
    "Sexo",
    "TipoLogradouro",
    "Logradouro",
    "NumeroLogradouro",
    "Complemento",
    "Bairro",
    "Cep",
    "UF",
    "CodigoMunicipio",
    "Municipio",
    "DDD",
    "Telefone",
    "ResidenteExterior",
    "Estrangeiro",
    "DataAtualizacao",
    "CodigoPaisExterior",
    "NomePaisExterior",
];

fn extra_label(key: &str) -> Option<&'static str> {
    const LABELS: &[(&str, &str)] = &[
        ("NaturezaOcupacao", "Natureza da ocupação (código)"),
        ("NomeNaturezaOcupacao", "Natureza da ocupação"),
        ("OcupacaoPrincipal", "Ocupação principal (código)"),
        ("NomeOcupacaoPrincipal", "Ocupação principal"),
        ("ExercicioOcupacao", "Exercício da ocupação"),
        ("UnidadeAdministrativa", "Unidade administrativa da RFB (código)"),
        ("NomeUnidadeAdministrativa", "Unidade administrativa da RFB"),
        ("TituloEleitor", "Título de eleitor"),
        ("CodigoPaisNacionalidade", "País de nacionalidade (código)"),
        ("NomePaisNacionalidade", "País de nacionalidade"),
        ("CodigoMunicipioNaturalidade", "Município de naturalidade (código)"),
        ("NomeMunicipioNaturalidade", "Município de naturalidade"),
        ("UFMunicipioNaturalidade", "UF de naturalidade"),
        ("DDI", "DDI"),
    ];
    LABELS.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, l)| *l)
}

fn opt_code_label(code: Option<String>, label: Option<String>) -> Option<CodeLabel> {
    (code.is_some() || label.is_some())
        .then(|| CodeLabel { code: code.unwrap_or_default(), label: label.unwrap_or_default() })
}

impl LightEntry {
    /// The entry's `mensagem` when it carries one instead of data (CPF not found and the like).
    pub(crate) fn message(&self) -> Option<String> {
        let has_data = text_of(&self.value, &["Nome", "SituacaoCadastral"]).is_some();
        text_of(&self.value, &["mensagem", "message", "erro"]).filter(|_| !has_data)
    }

    /// The normalized record of this entry, which must be about `cpf`.
    pub(crate) fn record(&self, cpf: &Cpf) -> Result<CpfRecord, ParseError> {
        let v = &self.value;
        same_number(cpf.as_str(), self.cpf.clone())?;
        let status = code(get(v, "SituacaoCadastral"), 1)
            .map_or_else(unknown_status, |c| Status::cpf(&c, text(get(v, "DescricaoSituacaoCadastral")).as_deref()));
        let mut extra = extras(v, KNOWN, extra_label);
        let date = |key: &str, extra: &mut Vec<ExtraField>| {
            let raw = text(get(v, key))?;
            let iso = to_iso(&raw, DigitsOrder::YearFirst);
            if iso.is_none() && raw.trim_matches('0').is_empty() {
                return None;
            }
            if iso.is_none() {
                extra.push(ExtraField { key: key.to_owned(), label: format!("{key} (como recebido)"), value: raw });
            }
            iso
        };
        let birth_date = date("DataNascimento", &mut extra);
        let updated_on = date("DataAtualizacao", &mut extra);
        let registration_date = text(get(v, "DataInscricao")).map(|s| to_iso(&s, DigitsOrder::YearFirst).unwrap_or(s));
        let address = Address {
            street_type: text(get(v, "TipoLogradouro")),
            street: text(get(v, "Logradouro")),
            number: text(get(v, "NumeroLogradouro")),
            complement: text(get(v, "Complemento")),
            district: text(get(v, "Bairro")),
            cep: code(get(v, "Cep"), 8).filter(|c| !c.trim_matches('0').is_empty()),
            municipality: opt_code_label(code(get(v, "CodigoMunicipio"), 4), text(get(v, "Municipio"))),
            uf: text(get(v, "UF")),
            country: opt_code_label(code(get(v, "CodigoPaisExterior"), 3), text(get(v, "NomePaisExterior"))),
        };
        let phones = text(get(v, "Telefone"))
            .filter(|n| !n.trim_matches('0').is_empty())
            .map(|number| vec![Phone { ddd: text(get(v, "DDD")).filter(|d| !d.trim_matches('0').is_empty()), number }])
            .unwrap_or_default();
        Ok(CpfRecord {
            cpf: *cpf,
            name: text(get(v, "Nome")),
            social_name: text(get(v, "NomeSocial")),
            status,
            birth_date,
            death_year: text(get(v, "AnoObito")).and_then(|s| year(&s, DigitsOrder::YearFirst)),
            registration_date,
            mother_name: text(get(v, "NomeMae")),
            sex: text(get(v, "Sexo")).map(|s| labels::sex(&s)),
            address: (address != Address::default()).then_some(address),
            phones,
            resident_abroad: yes_no(get(v, "ResidenteExterior")),
            foreigner: yes_no(get(v, "Estrangeiro")),
            updated_on,
            extra,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use balcao_core::record::Severity;

    const REAL_SHAPE: &str = r#"[{"CPF":"77689062768","Nome":"MARIA DA SILVA","SituacaoCadastral":5,"ResidenteExterior":"N",
        "NomeMae":"JOSEFA DA SILVA","DataNascimento":"19380123","Sexo":2,"NaturezaOcupacao":0,"OcupacaoPrincipal":0,
        "ExercicioOcupacao":2017,"TipoLogradouro":"RUA","Logradouro":"DAS FLORES","NumeroLogradouro":"10","Complemento":"",
        "Bairro":"CENTRO","Cep":4215000,"UF":"SP","CodigoMunicipio":7107,"Municipio":"SAO PAULO","DDD":"11","Telefone":"55551234",
        "UnidadeAdministrativa":819600,"NomeUnidadeAdministrativa":"SAO PAULO","Estrangeiro":"N","DataAtualizacao":"20200415",
        "AnoObito":"0000"}]"#;

    #[test]
    fn real_record_shape() {
        let entries = light_entries(REAL_SHAPE).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].cpf.as_deref(), Some("77689062768"));
        assert_eq!(entries[0].message(), None);
        let r = entries[0].record(&Cpf::parse("77689062768").unwrap()).unwrap();
        assert_eq!(r.status.label, "Cancelada por multiplicidade");
        assert_eq!(r.status.severity, Severity::Danger);
        assert_eq!(r.birth_date.as_deref(), Some("1938-01-23"));
        assert_eq!(r.updated_on.as_deref(), Some("2020-04-15"));
        assert_eq!(r.sex.as_deref(), Some("Feminino"));
        assert_eq!(r.death_year, None);
        let a = r.address.unwrap();
        assert_eq!(a.cep.as_deref(), Some("04215000"));
        assert_eq!(a.municipality, Some(CodeLabel { code: "7107".into(), label: "SAO PAULO".into() }));
        assert_eq!(a.complement, None);
        assert_eq!(r.phones, vec![Phone { ddd: Some("11".into()), number: "55551234".into() }]);
        assert_eq!(r.resident_abroad, Some(false));
        assert_eq!(r.foreigner, Some(false));
        let ex: Vec<_> = r.extra.iter().map(|e| e.label.as_str()).collect();
        assert!(ex.contains(&"Unidade administrativa da RFB"), "{ex:?}");
        assert!(ex.contains(&"Exercício da ocupação"), "{ex:?}");
    }

    #[test]
    fn integer_cpf_with_lost_leading_zero_and_message_entries() {
        let body = r#"[{"CPF":272,"mensagem":"CPF não encontrado"},{"cpf":"000.000.003-53","nome":"X","situacaoCadastral":"0"}]"#;
        let e = light_entries(body).unwrap();
        assert_eq!(e[0].cpf.as_deref(), Some("00000000272"));
        assert_eq!(e[0].message().as_deref(), Some("CPF não encontrado"));
        assert_eq!(e[1].cpf.as_deref(), Some("00000000353"));
        let r = e[1].record(&Cpf::parse("00000000353").unwrap()).unwrap();
        assert_eq!(r.name.as_deref(), Some("X"));
        assert_eq!(r.status.label, "Regular");
        assert!(e[1].record(&Cpf::parse("00000000434").unwrap()).is_err());
    }

    #[test]
    fn wrapped_and_single_object_bodies() {
        let w = light_entries(r#"{"listaCpfCompleto":[{"CPF":"00000000191","Nome":"A"}]}"#).unwrap();
        assert_eq!(w.len(), 1);
        let s = light_entries(r#"{"CPF":"00000000191","Nome":"A"}"#).unwrap();
        assert_eq!(s[0].cpf.as_deref(), Some("00000000191"));
        assert!(light_entries("[1,2]").is_err());
        assert!(light_entries("\"x\"").is_err());
    }
}
