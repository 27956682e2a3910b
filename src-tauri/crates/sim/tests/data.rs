//! The embedded data files: every number has valid check digits, the trial lists are the reference's, dates and
//! codes are in each API's own format, and the cases the app needs (minor, óbito, changes, partners, Simples
//! variants, alphanumeric CNPJs) are all present.

use std::collections::BTreeSet;

use balcao_core::{Cnpj, Cpf};
use serde_json::Value;
use time::{Date, Month};

const CPF_JSON: &str = include_str!("../data/cpf.json");
const CNPJ_JSON: &str = include_str!("../data/cnpj.json");

fn persons() -> Vec<Value> {
    serde_json::from_str::<Value>(CPF_JSON).unwrap().as_array().unwrap().clone()
}

fn companies() -> Vec<Value> {
    serde_json::from_str::<Value>(CNPJ_JSON).unwrap().as_array().unwrap().clone()
}

/// Every (key, string value) pair anywhere inside `v`.
fn strings<'a>(v: &'a Value, key: &'a str, out: &mut Vec<(&'a str, &'a str)>) {
    match v {
        Value::String(s) => out.push((key, s)),
        Value::Array(items) => items.iter().for_each(|i| strings(i, key, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| strings(v, k, out)),
        _ => {}
    }
}

fn date(y: &str, m: &str, d: &str) -> bool {
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else { return false };
    Month::try_from(m).is_ok_and(|m| Date::from_calendar_date(y, m, d).is_ok())
}

fn ddmmaaaa(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) && date(&s[4..8], &s[2..4], &s[0..2])
}

fn aaaammdd(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) && date(&s[0..4], &s[4..6], &s[6..8])
}

fn iso(s: &str) -> bool {
    s.len() == 10 && &s[4..5] == "-" && &s[7..8] == "-" && date(&s[0..4], &s[5..7], &s[8..10])
}

#[test]
fn every_number_has_valid_check_digits() {
    let mut checked = 0;
    let all: Vec<Value> = persons().into_iter().chain(companies()).collect();
    for record in &all {
        let mut found = Vec::new();
        strings(record, "", &mut found);
        for (key, value) in found {
            match key {
                "ni" if value.len() == 11 => {
                    assert_eq!(Cpf::parse(value).map(|c| c.as_str().to_owned()), Ok(value.to_owned()), "CPF {value}");
                    checked += 1;
                }
                "ni" => {
                    assert_eq!(Cnpj::parse(value).map(|c| c.as_str().to_owned()), Ok(value.to_owned()), "CNPJ {value}");
                    checked += 1;
                }
                // "00000000000" is the documented placeholder for "no legal representative".
                "CPF" | "cpf" if value != "00000000000" => {
                    assert!(value.len() == 11 && value.bytes().all(|b| b.is_ascii_digit()), "{key} {value}");
                    assert!(Cpf::parse(value).is_ok(), "{key} {value} has a wrong check digit");
                    checked += 1;
                }
                "nomeEmpresarial" => {
                    // An MEI's name ends with the owner's CPF.
                    if let Some(tail) =
                        value.rsplit(' ').next().filter(|t| t.len() == 11 && t.bytes().all(|b| b.is_ascii_digit()))
                    {
                        assert!(Cpf::parse(tail).is_ok(), "{value}");
                        checked += 1;
                    }
                }
                _ => {}
            }
        }
    }
    assert!(checked > 100, "only {checked} numbers found");
}

#[test]
fn trial_lists_are_the_references() {
    let trial_cpfs: BTreeSet<String> = persons()
        .iter()
        .filter(|p| p["trial"] == true)
        .map(|p| p["serpro"]["ni"].as_str().unwrap().to_owned())
        .collect();
    // apis.md §1.2 (S3, current quick start: 16 CPFs) and §8 A2 (the v2 guide's six: 422, 451 and 206).
    let expected: BTreeSet<String> =
        "40442820135 63017285995 91708635203 58136053391 40532176871 47123586964 07691852312 \
        10975384600 01648527949 47893062592 98302514705 18025346790 64913872591 52389071686 05137518743 08849979878 \
        30272095079 14898746071 20803407009 78411139000 88373571094 47460609080"
            .split_whitespace()
            .map(str::to_owned)
            .collect();
    assert_eq!(trial_cpfs, expected);
    let trial_cnpjs: BTreeSet<String> = companies()
        .iter()
        .filter(|c| c["trial"] == true)
        .map(|c| c["record"]["ni"].as_str().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> = "34238864000168 54447820000155 46768703000165 31151791000184 34428654000132 \
        06115832000130 78078291000128 52293473000128 07781066000105 60367129000164"
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(trial_cnpjs, expected);
    // 44356113000108 answered 404 on the trial in the recording: keep it unknown.
    assert!(companies().iter().all(|c| c["record"]["ni"] != "44356113000108"));
    // Trial CNPJ names are letter-scrambled: none of them reads as plain Portuguese.
    for c in companies().iter().filter(|c| c["trial"] == true) {
        let name = c["record"]["nomeEmpresarial"].as_str().unwrap();
        assert!(!name.contains("LTDA") && !name.contains(" DE "), "{name}");
    }
}

#[test]
fn cpf_records_use_each_apis_formats() {
    for p in persons() {
        let s = &p["serpro"];
        let ni = s["ni"].as_str().unwrap();
        assert!(s["situacao"]["codigo"].is_string(), "{ni}: SERPRO codes are strings");
        // apis.md §1.2 and §8 A3: no table defines any other code (the 2018 list's "7" was none of them).
        let defined = ["0", "1", "2", "3", "4", "5", "8", "9"];
        assert!(defined.contains(&s["situacao"]["codigo"].as_str().unwrap()), "{ni}: a code no table defines");
        assert!(s["situacao"]["descricao"].is_string());
        if let Some(n) = s.get("nascimento") {
            assert!(ddmmaaaa(n.as_str().unwrap()), "{ni} nascimento {n}");
        }
        if let Some(d) = s.get("dataInscricao").and_then(Value::as_str) {
            assert!(ddmmaaaa(d) || d == "anterior a 10/11/1990", "{ni} dataInscricao {d}");
        }
        if let Some(o) = s.get("obito").and_then(Value::as_str) {
            assert!(o.len() == 4 && o.parse::<u16>().is_ok(), "{ni} obito {o}");
        }
        if p["trial"] == true {
            let formatted = format!("{}.{}.{}-{}", &ni[0..3], &ni[3..6], &ni[6..9], &ni[9..]);
            assert_eq!(s["nome"], format!("Nome do CPF {formatted}"));
        }
        let k = &p["conecta"];
        assert_eq!(k["CPF"], ni);
        assert_eq!(k["Nome"], s["nome"]);
        let code = k["SituacaoCadastral"].as_u64().unwrap_or_else(|| panic!("{ni}: CPF Light codes are integers"));
        assert_eq!(code.to_string(), s["situacao"]["codigo"].as_str().unwrap());
        for key in ["DataNascimento", "DataAtualizacao", "DataInscricao"] {
            if let Some(d) = k.get(key).and_then(Value::as_str) {
                assert!(aaaammdd(d), "{ni} {key} {d}");
            }
        }
        for key in ["Cep", "CodigoMunicipio", "Sexo", "UnidadeAdministrativa"] {
            assert!(k[key].is_u64(), "{ni} {key} is an integer");
        }
        if let (Some(n), Some(d)) = (s.get("nascimento").and_then(Value::as_str), k["DataNascimento"].as_str()) {
            assert_eq!(format!("{}{}{}", &n[4..8], &n[2..4], &n[0..2]), d, "{ni}: same birth date in both APIs");
        }
        if let Some(o) = s.get("obito") {
            assert_eq!(k["AnoObito"].as_u64().map(|y| y.to_string()).as_deref(), o.as_str());
        }
    }
}

#[test]
fn cnpj_records_use_v2_formats() {
    for c in companies() {
        let r = &c["record"];
        let ni = r["ni"].as_str().unwrap();
        assert!(["1", "2", "3", "4", "8"].contains(&r["situacaoCadastral"]["codigo"].as_str().unwrap()), "{ni}");
        assert!(["1", "2"].contains(&r["tipoEstabelecimento"].as_str().unwrap()));
        assert!(iso(r["dataAbertura"].as_str().unwrap()), "{ni} dataAbertura");
        assert!(iso(r["situacaoCadastral"]["data"].as_str().unwrap()));
        let especial = r["dataSituacaoEspecial"].as_str().unwrap();
        assert!(especial.is_empty() || iso(especial));
        assert_eq!(r["naturezaJuridica"]["codigo"].as_str().unwrap().len(), 4);
        assert_eq!(r["cnaePrincipal"]["codigo"].as_str().unwrap().len(), 7);
        assert_eq!(r["endereco"]["cep"].as_str().unwrap().len(), 8);
        assert_eq!(r["endereco"]["municipio"]["codigo"].as_str().unwrap().len(), 4);
        let mut found = Vec::new();
        strings(r, "", &mut found);
        for (key, value) in found {
            if ["dataInicio", "dataFim", "dataInclusao"].contains(&key) {
                assert!(iso(value), "{ni} {key} {value}");
            }
        }
        if r["naturezaJuridica"]["codigo"] == "2135" {
            assert!(r.get("socios").is_none(), "{ni}: an empresário individual has no socios group");
        }
    }
}

#[test]
fn the_cases_the_app_needs_are_present() {
    let persons = persons();
    let companies = companies();
    assert!(persons.iter().any(|p| p["minor"] == true));
    assert!(persons.iter().any(|p| p["partial"] == true && p["serpro"].get("dataInscricao").is_none()));
    assert!(persons.iter().any(|p| p["trial"] != true && p["serpro"].get("obito").is_some()));
    assert!(persons.iter().any(|p| p["serpro"].get("nomeSocial").is_some()));
    assert!(persons.iter().any(|p| p["changes"].is_array()));
    assert!(companies.iter().any(|c| c["changes"].is_array()));
    for cpf in ["00000000272", "00000000353", "00000000434", "77689062768"] {
        let p = persons.iter().find(|p| p["serpro"]["ni"] == cpf).unwrap_or_else(|| panic!("homologation CPF {cpf}"));
        assert!(p["conecta"].as_object().unwrap().len() >= 25, "{cpf}: a complete CPF Light record");
    }
    let nis: BTreeSet<&str> = companies.iter().map(|c| c["record"]["ni"].as_str().unwrap()).collect();
    assert!(nis.contains("12ABC34501DE35") && nis.contains("A1B2C3D4000193"));
    assert!(companies.iter().any(|c| c["record"]["tipoEstabelecimento"] == "2"));

    let trial: BTreeSet<&str> =
        persons.iter().filter(|p| p["trial"] == true).map(|p| p["serpro"]["ni"].as_str().unwrap()).collect();
    let partner_check = companies.iter().any(|c| {
        let socios = c["record"]["socios"].as_array().map(Vec::as_slice).unwrap_or_default();
        c["trial"] != true
            && socios.iter().filter(|s| s["cpf"].as_str().is_some_and(|cpf| trial.contains(cpf))).count() >= 2
    });
    assert!(partner_check, "a company with trial CPFs among its partners");

    let capital_strings = companies.iter().filter(|c| c["record"]["capitalSocial"].is_string()).count();
    let capital_numbers = companies.iter().filter(|c| c["record"]["capitalSocial"].is_number()).count();
    assert_eq!(capital_strings, 1);
    assert_eq!(capital_numbers, companies.len() - 1);
    let with_secondary =
        companies.iter().filter(|c| c["record"]["cnaeSecundarias"].as_array().is_some_and(|a| !a.is_empty())).count();
    assert!(with_secondary >= 5);
}
