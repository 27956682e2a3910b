//! Consulta CNPJ v2 (`basica` ⊂ `qsa` ⊂ `empresa`), the same JSON on SERPRO and Conecta, with every documented
//! variant: `telefones`/`telefone`, `listaPeriodo(s)Simples` at the root or in `informacoesAdicionais`,
//! `capitalSocial` as number or string, codes as strings or integers.

use balcao_core::Cnpj;
use balcao_core::record::{
    Address, CnpjRecord, CnpjView, CodeLabel, Establishment, LegalRepresentative, Partner, Period, Phone, Status,
    TaxOption,
};
use serde_json::Value;

use super::dates::{DigitsOrder, to_iso};
use super::labels;
use super::serpro_cpf::same_number;
use super::value::{code, code_label, extras, first, get, text, text_of, yes_no};
use super::{ParseError, json};

const KNOWN: &[&str] = &[
    "ni",
    "tipoEstabelecimento",
    "nomeEmpresarial",
    "nomeFantasia",
    "situacaoCadastral",
    "naturezaJuridica",
    "dataAbertura",
    "cnaePrincipal",
    "cnaeSecundarias",
    "cnaesSecundarias",
    "cnaeSecundaria",
    "endereco",
    "municipioJurisdicao",
    "telefones",
    "telefone",
    "correioEletronico",
    "capitalSocial",
    "porte",
    "porteEmpresa",
    "situacaoEspecial",
    "dataSituacaoEspecial",
    "informacoesAdicionais",
    "listaPeriodoSimples",
    "listaPeriodosSimples",
    "socios",
];

fn extra_label(key: &str) -> Option<&'static str> {
    const LABELS: &[(&str, &str)] =
        &[("orgao", "Órgão"), ("enteFederativo", "Ente federativo"), ("nomeOrgao", "Nome do órgão")];
    LABELS.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, l)| *l)
}

fn iso(v: Option<&Value>) -> Option<String> {
    text(v).and_then(|s| to_iso(&s, DigitsOrder::YearFirst))
}

/// A date the record must not lose: ISO when it parses, the text as received otherwise.
fn iso_or_text(v: Option<&Value>) -> Option<String> {
    text(v).map(|s| to_iso(&s, DigitsOrder::YearFirst).unwrap_or(s))
}

/// Capital social in centavos. Integers (number or digits) are already centavos, as the API documents;
/// a decimal value (`"1500.00"`, `"1.500,00"`, `1500.5`) is read as reais.
fn capital_cents(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| (f * 100.0).round() as i64)),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            if s.bytes().all(|b| b.is_ascii_digit()) {
                return s.parse().ok();
            }
            let normalized = match (s.rfind(','), s.rfind('.')) {
                (Some(c), Some(d)) if c > d => s.replace('.', "").replace(',', "."),
                (Some(_), None) => s.replace(',', "."),
                _ => s.replace(',', ""),
            };
            normalized.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| (f * 100.0).round() as i64)
        }
        _ => None,
    }
}

fn address(v: &Value) -> Option<Address> {
    let e = get(v, "endereco").filter(|e| e.is_object())?;
    let a = Address {
        street_type: text(get(e, "tipoLogradouro")),
        street: text(get(e, "logradouro")),
        number: text(get(e, "numero")),
        complement: text(get(e, "complemento")),
        district: text(get(e, "bairro")),
        cep: code(get(e, "cep"), 8),
        municipality: code_label(get(e, "municipio")),
        uf: text(get(e, "uf")),
        country: code_label(get(e, "pais")),
    };
    (a != Address::default()).then_some(a)
}

fn phones(v: &Value) -> Vec<Phone> {
    let items: Vec<&Value> = match first(v, &["telefones", "telefone"]) {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|p| {
            let number = text(get(p, "numero"))?;
            Some(Phone { ddd: text(get(p, "ddd")), number })
        })
        .collect()
}

fn activities(v: &Value) -> Vec<CodeLabel> {
    match first(v, &["cnaeSecundarias", "cnaesSecundarias", "cnaeSecundaria"]) {
        Some(Value::Array(a)) => a.iter().filter_map(|c| code_label(Some(c))).collect(),
        Some(o @ Value::Object(_)) => code_label(Some(o)).into_iter().collect(),
        _ => Vec::new(),
    }
}

fn periods(list: Option<&Value>) -> Vec<Period> {
    let Some(Value::Array(items)) = list else { return Vec::new() };
    items
        .iter()
        .map(|p| Period { start: iso_or_text(get(p, "dataInicio")), end: iso_or_text(get(p, "dataFim")) })
        .filter(|p| p.start.is_some() || p.end.is_some())
        .collect()
}

/// Simples Nacional and MEI from `informacoesAdicionais` (and the Simples periods from any of their four places).
fn tax_options(v: &Value) -> (TaxOption, TaxOption) {
    let info = get(v, "informacoesAdicionais").filter(|i| i.is_object());
    let in_info = |keys: &[&str]| info.and_then(|i| first(i, keys));
    const SIMPLES: &[&str] = &["listaPeriodoSimples", "listaPeriodosSimples"];
    const MEI: &[&str] = &["listaPeriodoMei", "listaPeriodosMei"];
    let simples = TaxOption {
        opted: yes_no(in_info(&["optanteSimples"]).or_else(|| get(v, "optanteSimples"))),
        periods: periods(in_info(SIMPLES).or_else(|| first(v, SIMPLES))),
    };
    let mei = TaxOption {
        opted: yes_no(in_info(&["optanteMei"]).or_else(|| get(v, "optanteMei"))),
        periods: periods(in_info(MEI).or_else(|| first(v, MEI))),
    };
    (simples, mei)
}

/// A document the API gives, unless it is the "none" placeholder (all zeros, empty).
fn real_document(v: Option<&Value>) -> Option<String> {
    text(v).filter(|s| s.chars().any(|c| c.is_ascii_alphanumeric() && c != '0'))
}

fn legal_representative(p: &Value) -> Option<LegalRepresentative> {
    let r = get(p, "representanteLegal").filter(|r| r.is_object())?;
    let cpf = real_document(get(r, "cpf"));
    let name = text(get(r, "nome"));
    let role = code(get(r, "qualificacao"), 2).filter(|c| !c.trim_matches('0').is_empty());
    if cpf.is_none() && name.is_none() && role.is_none() {
        return None;
    }
    Some(LegalRepresentative {
        cpf,
        name: name.unwrap_or_default(),
        role: labels::qualification_label(role.as_deref().unwrap_or("00")),
    })
}

fn partner(p: &Value) -> Partner {
    Partner {
        kind: labels::partner_kind(&code(get(p, "tipoSocio"), 1).unwrap_or_default()),
        name: text(get(p, "nome")).unwrap_or_default(),
        document: real_document(first(p, &["cpf", "cnpj", "ni"])),
        role: labels::qualification_label(&code(get(p, "qualificacao"), 2).unwrap_or_else(|| "00".into())),
        since: iso_or_text(get(p, "dataInclusao")),
        country: code_label(get(p, "pais")),
        legal_representative: legal_representative(p),
    }
}

fn status(v: &Value) -> Status {
    let s = get(v, "situacaoCadastral");
    match s {
        Some(o @ Value::Object(_)) => Status::cnpj(
            &code(get(o, "codigo"), 1).unwrap_or_default(),
            iso_or_text(get(o, "data")),
            text(get(o, "motivo")),
        ),
        other => Status::cnpj(&code(other, 1).unwrap_or_default(), None, None),
    }
}

pub(crate) fn parse_cnpj(cnpj: &Cnpj, view: CnpjView, body: &str) -> Result<CnpjRecord, ParseError> {
    let v = json(body)?;
    if !v.is_object() {
        return Err(ParseError::Shape("esperava um objeto JSON".into()));
    }
    same_number(cnpj.as_str(), text_of(&v, &["ni", "cnpj"]))?;
    let has_tax_block = view != CnpjView::Basica
        || get(&v, "informacoesAdicionais").is_some()
        || first(&v, &["listaPeriodoSimples", "listaPeriodosSimples"]).is_some();
    let (simples, mei) = tax_options(&v);
    let partners = match get(&v, "socios") {
        Some(Value::Array(items)) => Some(items.iter().filter(|p| p.is_object()).map(partner).collect()),
        _ => None,
    };
    Ok(CnpjRecord {
        cnpj: *cnpj,
        view,
        legal_name: text(get(&v, "nomeEmpresarial")),
        trade_name: text(get(&v, "nomeFantasia")),
        establishment: match code(get(&v, "tipoEstabelecimento"), 1).as_deref() {
            Some("1") => Some(Establishment::Matriz),
            Some("2") => Some(Establishment::Filial),
            _ => None,
        },
        status: status(&v),
        legal_nature: code_label(get(&v, "naturezaJuridica")),
        opening_date: iso_or_text(get(&v, "dataAbertura")),
        main_activity: code_label(get(&v, "cnaePrincipal")),
        secondary_activities: activities(&v),
        address: address(&v),
        jurisdiction: code_label(get(&v, "municipioJurisdicao")),
        phones: phones(&v),
        email: text(get(&v, "correioEletronico")),
        capital_cents: capital_cents(get(&v, "capitalSocial")),
        size: code(first(&v, &["porte", "porteEmpresa"]), 2).map(|c| labels::size(&c)),
        special_situation: text(get(&v, "situacaoEspecial")),
        special_situation_date: iso(get(&v, "dataSituacaoEspecial")).or_else(|| text(get(&v, "dataSituacaoEspecial"))),
        simples: has_tax_block.then_some(simples),
        mei: has_tax_block.then_some(mei),
        partners,
        extra: extras(&v, KNOWN, extra_label),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use balcao_core::record::Severity;

    /// The trimmed real trial `/empresa` answer of the reference (S4, 2023).
    pub(crate) const EMPRESA: &str = r#"{"ni":"34238864000168","tipoEstabelecimento":"1","nomeEmpresarial":"UHIEQKX WHNHIWD NH FIXKHUUWPHMVX NH NWNXU (UHIFIX)","nomeFantasia":"UHIFIX",
 "situacaoCadastral":{"codigo":"2","data":"2019-06-19","motivo":""},
 "naturezaJuridica":{"codigo":"2011","descricao":"Empresa Pública"},"dataAbertura":"1967-06-30",
 "cnaePrincipal":{"codigo":"6204000","descricao":"Consultoria em tecnologia da informação"},
 "endereco":{"tipoLogradouro":"SETOR","logradouro":"WHVXI","numero":"Q.601","complemento":"LOTE V","cep":"70836900",
  "bairro":"ASA NORTE","municipio":{"codigo":"9701","descricao":"BRASILIA"},"uf":"DF","pais":{"codigo":"105","descricao":"BRASIL"}},
 "municipioJurisdicao":{"codigo":"0110100","descricao":"BRASÍLIA"},
 "telefones":[{"ddd":"61","numero":"22222222"}],"correioEletronico":"EMPRESA@XXXXXX.BR","capitalSocial":0,"porte":"05",
 "situacaoEspecial":"","dataSituacaoEspecial":"","informacoesAdicionais":{},
 "socios":[{"tipoSocio":"2","cpf":"07119488449","nome":"LUIZA ARAUJO DE OLIVEIRA","qualificacao":"49","dataInclusao":"2014-01-01",
   "pais":{"codigo":"105","descricao":"BRASIL"},"representanteLegal":{"cpf":"00000000000","nome":"","qualificacao":"00"}}]}"#;

    fn cnpj() -> Cnpj {
        Cnpj::parse("34238864000168").unwrap()
    }

    #[test]
    fn real_empresa_answer() {
        let r = parse_cnpj(&cnpj(), CnpjView::Empresa, EMPRESA).unwrap();
        assert_eq!(r.establishment, Some(Establishment::Matriz));
        assert_eq!(r.status.label, "Ativa");
        assert_eq!(r.status.severity, Severity::Ok);
        assert_eq!(r.status.date.as_deref(), Some("2019-06-19"));
        assert_eq!(r.status.reason, None);
        assert_eq!(r.legal_nature.as_ref().unwrap().code, "2011");
        assert_eq!(r.opening_date.as_deref(), Some("1967-06-30"));
        assert_eq!(r.main_activity.as_ref().unwrap().code, "6204000");
        assert!(r.secondary_activities.is_empty());
        let a = r.address.as_ref().unwrap();
        assert_eq!(a.cep.as_deref(), Some("70836900"));
        assert_eq!(a.municipality.as_ref().unwrap().label, "BRASILIA");
        assert_eq!(a.country.as_ref().unwrap().code, "105");
        assert_eq!(r.jurisdiction.as_ref().unwrap().code, "0110100");
        assert_eq!(r.phones, vec![Phone { ddd: Some("61".into()), number: "22222222".into() }]);
        assert_eq!(r.capital_cents, Some(0));
        assert_eq!(r.size.as_ref().unwrap().label, "Demais");
        assert_eq!(r.special_situation, None);
        assert_eq!(r.special_situation_date, None);
        assert_eq!(r.simples, Some(TaxOption::default()));
        let p = &r.partners.as_ref().unwrap()[0];
        assert_eq!(p.kind.label, "Pessoa física");
        assert_eq!(p.document.as_deref(), Some("07119488449"));
        assert_eq!(p.role, CodeLabel { code: "49".into(), label: "Sócio-Administrador".into() });
        assert_eq!(p.since.as_deref(), Some("2014-01-01"));
        assert_eq!(p.legal_representative, None);
        assert!(r.extra.is_empty(), "{:?}", r.extra);
    }

    #[test]
    fn basica_has_no_partners_nor_tax_options() {
        let mut v: Value = serde_json::from_str(EMPRESA).unwrap();
        v.as_object_mut().unwrap().remove("socios");
        v.as_object_mut().unwrap().remove("informacoesAdicionais");
        let r = parse_cnpj(&cnpj(), CnpjView::Basica, &v.to_string()).unwrap();
        assert_eq!(r.partners, None);
        assert_eq!(r.simples, None);
        assert_eq!(r.mei, None);
    }

    #[test]
    fn spec_variants_telefone_string_capital_integer_codes_and_simples_in_four_places() {
        let body = r#"{"ni":"34238864000168","tipoEstabelecimento":2,"situacaoCadastral":{"codigo":8,"data":"20200101","motivo":"01"},
            "telefone":[{"ddd":"61","numero":"33333333"},{"ddd":"","numero":""}],"capitalSocial":"1500000","porte":1,
            "cnaeSecundarias":[{"codigo":"6201501","descricao":"Desenvolvimento"}],
            "informacoesAdicionais":{"optanteSimples":"S","optanteMei":"N",
              "listaPeriodosSimples":[{"dataInicio":"2007-07-01","dataFim":"2010-12-31"}]},
            "socios":[{"tipoSocio":"1","nome":"HOLDING SA","qualificacao":22,"pais":{"codigo":"105","descricao":"BRASIL"},
              "representanteLegal":{"cpf":"40442820135","nome":"PROCURADORA","qualificacao":"17"}}],
            "orgao":"X"}"#;
        let r = parse_cnpj(&cnpj(), CnpjView::Qsa, body).unwrap();
        assert_eq!(r.establishment, Some(Establishment::Filial));
        assert_eq!(r.status.label, "Baixada");
        assert_eq!(r.status.date.as_deref(), Some("2020-01-01"));
        assert_eq!(r.status.reason.as_deref(), Some("01"));
        assert_eq!(r.phones.len(), 1);
        assert_eq!(r.capital_cents, Some(1_500_000));
        assert_eq!(r.size.as_ref().unwrap().code, "01");
        assert_eq!(r.secondary_activities.len(), 1);
        let s = r.simples.as_ref().unwrap();
        assert_eq!(s.opted, Some(true));
        assert_eq!(s.periods, vec![Period { start: Some("2007-07-01".into()), end: Some("2010-12-31".into()) }]);
        assert_eq!(r.mei.as_ref().unwrap().opted, Some(false));
        let p = &r.partners.as_ref().unwrap()[0];
        assert_eq!(p.kind.label, "Pessoa jurídica");
        assert_eq!(p.document, None);
        assert_eq!(p.role.label, "Sócio");
        let rep = p.legal_representative.as_ref().unwrap();
        assert_eq!(rep.role.label, "Procurador");
        assert_eq!(rep.cpf.as_deref(), Some("40442820135"));
        assert_eq!(r.extra[0].label, "Órgão");

        for (place, key) in
            [("root", "listaPeriodoSimples"), ("root", "listaPeriodosSimples"), ("info", "listaPeriodoSimples")]
        {
            let list = serde_json::json!([{"dataInicio": "2018-01-01", "dataFim": ""}]);
            let mut v = serde_json::json!({"ni": "34238864000168", "informacoesAdicionais": {}});
            if place == "root" {
                v[key] = list;
            } else {
                v["informacoesAdicionais"][key] = list;
            }
            let r = parse_cnpj(&cnpj(), CnpjView::Empresa, &v.to_string()).unwrap();
            assert_eq!(
                r.simples.unwrap().periods,
                vec![Period { start: Some("2018-01-01".into()), end: None }],
                "{place} {key}"
            );
        }
    }

    #[test]
    fn capital_in_every_shape() {
        use serde_json::json;
        for (v, want) in [
            (json!(0), Some(0)),
            (json!(123456), Some(123456)),
            (json!("123456"), Some(123456)),
            (json!("1.500,50"), Some(150050)),
            (json!("1500.50"), Some(150050)),
            (json!(1500.5), Some(150050)),
            (json!(""), None),
            (json!("abc"), None),
        ] {
            assert_eq!(capital_cents(Some(&v)), want, "{v}");
        }
    }

    #[test]
    fn wrong_number_and_html_bodies_are_errors() {
        assert!(matches!(
            parse_cnpj(&cnpj(), CnpjView::Basica, r#"{"ni":"54447820000155"}"#),
            Err(ParseError::OtherNumber { .. })
        ));
        assert!(parse_cnpj(&cnpj(), CnpjView::Basica, "Nenhum registro encontrado. ").is_err());
        let alnum = Cnpj::parse("12ABC34501DE35").unwrap();
        assert!(parse_cnpj(&alnum, CnpjView::Basica, r#"{"ni":"12abc34501de35"}"#).is_ok());
    }
}
