//! The embedded data set (data/cpf.json, data/cnpj.json) and how each API's view of a record is rendered.
//!
//! `cpf.json`: an array of persons `{"trial"?, "minor"?, "partial"?, "serpro": {CPF v2 record}, "conecta": {CPF Light
//! record}, "changes"?: [{"serpro"?: patch, "conecta"?: patch}]}`. `cnpj.json`: an array of companies
//! `{"trial"?, "record": {CNPJ v2 /empresa record}, "changes"?: [patch]}`. A patch is a JSON merge patch (RFC 7396);
//! lookup number n (1-based, counted per document) sees the first n − 1 patches applied, so a record with one
//! change answers its original on the first lookup and the changed one from the second on.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde_json::{Map, Value};

const CPF_JSON: &str = include_str!("../data/cpf.json");
const CNPJ_JSON: &str = include_str!("../data/cnpj.json");

/// Keys only CPF v2 returns (removed from v1 answers).
const CPF_V2_ONLY: [&str; 2] = ["nomeSocial", "dataInscricao"];
/// Keys basica omits from an /empresa record (both spellings and positions of the Simples periods included).
const NOT_IN_BASICA: [&str; 4] = ["informacoesAdicionais", "socios", "listaPeriodoSimples", "listaPeriodosSimples"];

/// One person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Served on the `-trial` paths too (the SERPRO trial list).
    #[serde(default)]
    pub trial: bool,
    /// A minor: SERPRO Consulta CPF answers 422 (LGPD), on v1 as on v2 (apis.md §8 A1: the return-code page does
    /// not tie 422 to v2).
    #[serde(default)]
    pub minor: bool,
    /// A minor under 16 (Lei 15.211): SERPRO Consulta CPF answers 451 (apis.md §8 A2, one source).
    #[serde(default)]
    pub under16: bool,
    /// SERPRO CPF v2 answers 206 (a field it treats as mandatory, `dataInscricao`, is missing).
    #[serde(default)]
    pub partial: bool,
    /// The SERPRO CPF v2 record (v1 = the same without `nomeSocial`/`dataInscricao`).
    pub serpro: Value,
    /// The Conecta CPF Light record (PascalCase).
    #[serde(default)]
    pub conecta: Option<Value>,
    #[serde(default)]
    pub changes: Vec<PersonChange>,
}

/// What changes in a person's record from a given lookup on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonChange {
    #[serde(default)]
    pub serpro: Option<Value>,
    #[serde(default)]
    pub conecta: Option<Value>,
}

/// One establishment (matriz or filial).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    #[serde(default)]
    pub trial: bool,
    /// The full CNPJ v2 `/empresa` record.
    pub record: Value,
    #[serde(default)]
    pub changes: Vec<Value>,
}

/// Which CPF API version answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpfVersion {
    V1,
    V2,
}

/// Which CNPJ v2 resource answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CnpjView {
    Basica,
    Qsa,
    Empresa,
}

impl CnpjView {
    pub fn parse(segment: &str) -> Option<Self> {
        match segment {
            "basica" => Some(CnpjView::Basica),
            "qsa" => Some(CnpjView::Qsa),
            "empresa" => Some(CnpjView::Empresa),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CnpjView::Basica => "basica",
            CnpjView::Qsa => "qsa",
            CnpjView::Empresa => "empresa",
        }
    }
}

/// Every person and company, indexed by number.
#[derive(Debug)]
pub struct Dataset {
    persons: HashMap<String, Person>,
    companies: HashMap<String, Company>,
}

impl Dataset {
    /// The embedded data, parsed once per process.
    pub fn embedded() -> Result<Arc<Dataset>, String> {
        static DATA: OnceLock<Result<Arc<Dataset>, String>> = OnceLock::new();
        DATA.get_or_init(|| Dataset::parse(CPF_JSON, CNPJ_JSON).map(Arc::new)).clone()
    }

    /// Parses the two data files; a record without its number, or a number twice, is an error.
    pub fn parse(cpf_json: &str, cnpj_json: &str) -> Result<Dataset, String> {
        let persons: Vec<Person> = serde_json::from_str(cpf_json).map_err(|e| format!("data/cpf.json: {e}"))?;
        let companies: Vec<Company> = serde_json::from_str(cnpj_json).map_err(|e| format!("data/cnpj.json: {e}"))?;
        let mut set = Dataset { persons: HashMap::new(), companies: HashMap::new() };
        for p in persons {
            let ni = p.serpro.get("ni").and_then(Value::as_str).ok_or("data/cpf.json: a person without serpro.ni")?;
            if let Some(k) = &p.conecta
                && k.get("CPF").and_then(Value::as_str) != Some(ni)
            {
                return Err(format!("data/cpf.json: {ni}: conecta.CPF differs from serpro.ni"));
            }
            if set.persons.insert(ni.to_owned(), p.clone()).is_some() {
                return Err(format!("data/cpf.json: {ni} appears twice"));
            }
        }
        for c in companies {
            let ni = c.record.get("ni").and_then(Value::as_str).ok_or("data/cnpj.json: a company without record.ni")?;
            if set.companies.insert(ni.to_owned(), c.clone()).is_some() {
                return Err(format!("data/cnpj.json: {ni} appears twice"));
            }
        }
        Ok(set)
    }

    pub fn person(&self, cpf: &str) -> Option<&Person> {
        self.persons.get(cpf)
    }

    pub fn company(&self, cnpj: &str) -> Option<&Company> {
        self.companies.get(cnpj)
    }

    /// Every person, sorted by CPF.
    pub fn persons(&self) -> Vec<&Person> {
        let mut v: Vec<&Person> = self.persons.values().collect();
        v.sort_by_key(|p| p.cpf().to_owned());
        v
    }

    /// Every company, sorted by CNPJ.
    pub fn companies(&self) -> Vec<&Company> {
        let mut v: Vec<&Company> = self.companies.values().collect();
        v.sort_by_key(|c| c.cnpj().to_owned());
        v
    }
}

impl Person {
    pub fn cpf(&self) -> &str {
        self.serpro.get("ni").and_then(Value::as_str).unwrap_or_default()
    }

    /// The SERPRO CPF answer body at the given (1-based) lookup number.
    pub fn serpro_view(&self, version: CpfVersion, lookup: u64) -> Value {
        let mut v = self.serpro.clone();
        for change in self.changes_up_to(lookup) {
            if let Some(patch) = &change.serpro {
                merge_patch(&mut v, patch);
            }
        }
        if version == CpfVersion::V1
            && let Some(obj) = v.as_object_mut()
        {
            for key in CPF_V2_ONLY {
                obj.remove(key);
            }
        }
        v
    }

    /// The CPF Light entry at the given lookup number, if this person has one.
    pub fn conecta_view(&self, lookup: u64) -> Option<Value> {
        let mut v = self.conecta.clone()?;
        for change in self.changes_up_to(lookup) {
            if let Some(patch) = &change.conecta {
                merge_patch(&mut v, patch);
            }
        }
        Some(v)
    }

    fn changes_up_to(&self, lookup: u64) -> impl Iterator<Item = &PersonChange> {
        self.changes.iter().take(usize::try_from(lookup.saturating_sub(1)).unwrap_or(usize::MAX))
    }
}

impl Company {
    pub fn cnpj(&self) -> &str {
        self.record.get("ni").and_then(Value::as_str).unwrap_or_default()
    }

    /// The CNPJ v2 answer body for a resource at the given (1-based) lookup number.
    /// QSA omits the partners' `cpf`, `dataInclusao` and the legal representative's `cpf`; Básica omits
    /// `informacoesAdicionais`, `socios` and any root-level Simples periods.
    pub fn view(&self, view: CnpjView, lookup: u64) -> Value {
        let mut v = self.record.clone();
        let n = usize::try_from(lookup.saturating_sub(1)).unwrap_or(usize::MAX);
        for patch in self.changes.iter().take(n) {
            merge_patch(&mut v, patch);
        }
        let Some(obj) = v.as_object_mut() else { return v };
        match view {
            CnpjView::Empresa => {}
            CnpjView::Basica => {
                for key in NOT_IN_BASICA {
                    obj.remove(key);
                }
            }
            CnpjView::Qsa => {
                if let Some(Value::Array(socios)) = obj.get_mut("socios") {
                    for socio in socios.iter_mut().filter_map(Value::as_object_mut) {
                        socio.remove("cpf");
                        socio.remove("dataInclusao");
                        if let Some(rep) = socio.get_mut("representanteLegal").and_then(Value::as_object_mut) {
                            rep.remove("cpf");
                        }
                    }
                }
            }
        }
        v
    }
}

/// RFC 7396 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_obj) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target_obj) = target {
        for (key, value) in patch_obj {
            if value.is_null() {
                target_obj.remove(key);
            } else {
                merge_patch(target_obj.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut v = json!({"a": "b", "c": {"d": "e", "f": "g"}, "k": [1, 2]});
        merge_patch(&mut v, &json!({"a": "z", "c": {"f": null, "h": 1}, "k": [3]}));
        assert_eq!(v, json!({"a": "z", "c": {"d": "e", "h": 1}, "k": [3]}));
    }

    #[test]
    fn embedded_data_parses() {
        let data = Dataset::embedded().unwrap();
        assert_eq!(data.persons().iter().filter(|p| p.trial).count(), 22);
        assert_eq!(data.companies().iter().filter(|c| c.trial).count(), 10);
    }
}
