//! Two records side by side (or a record against an earlier snapshot): flattened to labelled pt-BR fields.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::declaration::Date;
use crate::doc::{DocKind, Document};
use crate::record::{
    Address, CnpjRecord, CnpjView, CodeLabel, CpfRecord, Establishment, Partner, Phone, Record, Status, TaxOption,
};

/// Where an item of a list field appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum DiffSide {
    Both,
    /// Only in the left (older) record: removed.
    Left,
    /// Only in the right (newer) record: added.
    Right,
}

/// One item of a list field (a partner, a phone, a secondary CNAE), compared as a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DiffItem {
    pub value: String,
    pub side: DiffSide,
}

/// One labelled field of the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FieldDiff {
    /// Stable key (`name`, `address.cep`, `partners`, `extra.<key>`…).
    pub key: String,
    /// pt-BR label.
    pub label: String,
    /// The value as shown; for list fields the items joined by "; ". Absent when the record does not have it.
    pub left: Option<String>,
    pub right: Option<String>,
    pub changed: bool,
    /// List fields only: every item with the side it is on (left order first, then items only on the right).
    pub items: Vec<DiffItem>,
}

/// Two records compared field by field. Fields absent on both sides are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RecordDiff {
    pub left_kind: DocKind,
    pub right_kind: DocKind,
    /// Formatted numbers.
    pub left_number: String,
    pub right_number: String,
    /// Whether both sides are the same CPF/CNPJ (a record against its snapshot).
    pub same_document: bool,
    pub fields: Vec<FieldDiff>,
    pub changed_count: u32,
}

enum Value {
    Text(Option<String>),
    Set(Option<Vec<String>>),
}

struct Flat {
    key: String,
    label: String,
    value: Value,
}

#[derive(Default)]
struct Fields(Vec<Flat>);

impl Fields {
    fn text(&mut self, key: &str, label: &str, value: Option<String>) {
        let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        self.0.push(Flat { key: key.to_owned(), label: label.to_owned(), value: Value::Text(value) });
    }

    fn set(&mut self, key: &str, label: &str, items: Option<Vec<String>>) {
        self.0.push(Flat { key: key.to_owned(), label: label.to_owned(), value: Value::Set(items) });
    }
}

fn date(s: Option<&str>) -> Option<String> {
    s.map(|s| Date::parse(s).map_or_else(|| s.to_owned(), Date::br))
}

fn yes_no(b: Option<bool>) -> Option<String> {
    b.map(|b| if b { "Sim" } else { "Não" }.to_owned())
}

fn code_label(c: Option<&CodeLabel>) -> Option<String> {
    let c = c?;
    let (code, label) = (c.code.trim(), c.label.trim());
    Some(match (code.is_empty(), label.is_empty()) {
        (_, true) => code.to_owned(),
        (true, false) => label.to_owned(),
        (false, false) => format!("{label} ({code})"),
    })
}

/// `6204-0/00 — Consultoria…` for a seven-digit CNAE.
fn cnae(c: &CodeLabel) -> String {
    let code = c.code.trim();
    let shown = if code.len() == 7 && code.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}/{}", &code[0..4], &code[4..5], &code[5..7])
    } else {
        code.to_owned()
    };
    if c.label.trim().is_empty() { shown } else { format!("{shown} — {}", c.label.trim()) }
}

/// `(61) 2222-2222`; digits only are compared, so masks do not count as changes.
fn phone(p: &Phone) -> String {
    let digits: String = p.number.chars().filter(char::is_ascii_digit).collect();
    let number = match digits.len() {
        8 => format!("{}-{}", &digits[..4], &digits[4..]),
        9 => format!("{}-{}", &digits[..5], &digits[5..]),
        _ => p.number.trim().to_owned(),
    };
    match p.ddd.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(ddd) => format!("({}) {number}", ddd.trim_start_matches('0')),
        None => number,
    }
}

/// `R$ 1.234.567,89`.
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let reais = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in reais.chars().enumerate() {
        if i > 0 && (reais.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("{sign}R$ {grouped},{:02}", abs % 100)
}

fn cep(c: &str) -> String {
    let digits: String = c.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 8 { format!("{}-{}", &digits[..5], &digits[5..]) } else { c.to_owned() }
}

fn status(f: &mut Fields, s: &Status) {
    let label = if s.code.is_empty() { s.label.clone() } else { format!("{} ({})", s.label, s.code) };
    f.text("status", "Situação cadastral", Some(label));
    f.text("status.date", "Data da situação", date(s.date.as_deref()));
    f.text("status.reason", "Motivo da situação", s.reason.clone());
}

fn address(f: &mut Fields, a: Option<&Address>) {
    let a = a.cloned().unwrap_or_default();
    let street = [a.street_type.as_deref(), a.street.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    f.text("address.street", "Logradouro", Some(street));
    f.text("address.number", "Número", a.number);
    f.text("address.complement", "Complemento", a.complement);
    f.text("address.district", "Bairro", a.district);
    f.text("address.cep", "CEP", a.cep.as_deref().map(cep));
    f.text("address.municipality", "Município", code_label(a.municipality.as_ref()));
    f.text("address.uf", "UF", a.uf);
    f.text("address.country", "País", code_label(a.country.as_ref()));
}

fn phones(f: &mut Fields, p: &[Phone]) {
    f.set("phones", "Telefones", (!p.is_empty()).then(|| p.iter().map(phone).collect()));
}

fn tax(t: Option<&TaxOption>) -> Option<String> {
    let t = t?;
    let opted = match t.opted {
        Some(true) => "Optante",
        Some(false) => "Não optante",
        None => "Opção não informada",
    };
    let periods: Vec<String> = t
        .periods
        .iter()
        .map(|p| {
            let start = date(p.start.as_deref()).unwrap_or_else(|| "?".into());
            let end = date(p.end.as_deref()).unwrap_or_else(|| "atual".into());
            format!("{start} a {end}")
        })
        .collect();
    Some(if periods.is_empty() { opted.to_owned() } else { format!("{opted} — períodos: {}", periods.join(", ")) })
}

fn document_shown(doc: &str) -> String {
    Document::parse(doc).map_or_else(|_| doc.trim().to_owned(), |d| d.formatted())
}

fn has_document(p: &Partner) -> bool {
    p.document.as_deref().is_some_and(|d| d.chars().any(|c| c.is_ascii_alphanumeric() && c != '0'))
}

fn partner(p: &Partner, with_documents: bool) -> String {
    let mut s = p.name.trim().to_owned();
    if let Some(role) = code_label(Some(&p.role)) {
        s.push_str(" — ");
        s.push_str(&role);
    }
    if with_documents && let Some(d) = p.document.as_deref().filter(|_| has_document(p)) {
        s.push_str(" — ");
        s.push_str(&document_shown(d));
    }
    if let Some(rep) = p.legal_representative.as_ref().filter(|r| !r.name.trim().is_empty()) {
        s.push_str(" — representante: ");
        s.push_str(rep.name.trim());
    }
    s
}

fn extra(f: &mut Fields, extra: &[crate::record::ExtraField]) {
    for e in extra {
        f.text(&format!("extra.{}", e.key), &e.label, Some(e.value.clone()));
    }
}

fn flatten_cpf(r: &CpfRecord) -> Fields {
    let mut f = Fields::default();
    f.text("cpf", "CPF", Some(r.cpf.formatted()));
    f.text("name", "Nome", r.name.clone());
    f.text("socialName", "Nome social", r.social_name.clone());
    status(&mut f, &r.status);
    f.text("birthDate", "Data de nascimento", date(r.birth_date.as_deref()));
    f.text("deathYear", "Ano de óbito", r.death_year.map(|y| y.to_string()));
    f.text("registrationDate", "Data de inscrição", date(r.registration_date.as_deref()));
    f.text("motherName", "Nome da mãe", r.mother_name.clone());
    f.text("sex", "Sexo", r.sex.clone());
    address(&mut f, r.address.as_ref());
    phones(&mut f, &r.phones);
    f.text("residentAbroad", "Residente no exterior", yes_no(r.resident_abroad));
    f.text("foreigner", "Estrangeiro", yes_no(r.foreigner));
    f.text("updatedOn", "Atualizado na base em", date(r.updated_on.as_deref()));
    extra(&mut f, &r.extra);
    f
}

fn flatten_cnpj(r: &CnpjRecord, partners_with_documents: bool) -> Fields {
    let mut f = Fields::default();
    f.text("cnpj", "CNPJ", Some(r.cnpj.formatted()));
    let view = match r.view {
        CnpjView::Basica => "Básica",
        CnpjView::Qsa => "QSA",
        CnpjView::Empresa => "Empresa",
    };
    f.text("view", "Visão consultada", Some(view.to_owned()));
    f.text("legalName", "Nome empresarial", r.legal_name.clone());
    f.text("tradeName", "Nome fantasia", r.trade_name.clone());
    let est = r.establishment.map(|e| match e {
        Establishment::Matriz => "Matriz".to_owned(),
        Establishment::Filial => "Filial".to_owned(),
    });
    f.text("establishment", "Matriz ou filial", est);
    status(&mut f, &r.status);
    f.text("legalNature", "Natureza jurídica", code_label(r.legal_nature.as_ref()));
    f.text("openingDate", "Data de abertura", date(r.opening_date.as_deref()));
    f.text("mainActivity", "Atividade principal (CNAE)", r.main_activity.as_ref().map(cnae));
    let secondary = (!r.secondary_activities.is_empty()).then(|| r.secondary_activities.iter().map(cnae).collect());
    f.set("secondaryActivities", "Atividades secundárias (CNAE)", secondary);
    address(&mut f, r.address.as_ref());
    f.text("jurisdiction", "Unidade de jurisdição", code_label(r.jurisdiction.as_ref()));
    phones(&mut f, &r.phones);
    f.text("email", "E-mail", r.email.clone());
    f.text("capital", "Capital social", r.capital_cents.map(money));
    f.text("size", "Porte", code_label(r.size.as_ref()));
    f.text("specialSituation", "Situação especial", r.special_situation.clone());
    f.text("specialSituationDate", "Data da situação especial", date(r.special_situation_date.as_deref()));
    f.text("simples", "Simples Nacional", tax(r.simples.as_ref()));
    f.text("mei", "MEI", tax(r.mei.as_ref()));
    let partners = r.partners.as_ref().map(|ps| ps.iter().map(|p| partner(p, partners_with_documents)).collect());
    f.set("partners", "Sócios (QSA)", partners);
    extra(&mut f, &r.extra);
    f
}

fn partners_have_documents(r: &Record) -> bool {
    match r {
        Record::Cnpj(c) => c.partners.as_ref().is_some_and(|ps| ps.iter().any(has_document)),
        Record::Cpf(_) => false,
    }
}

fn flatten(r: &Record, partners_with_documents: bool) -> Fields {
    match r {
        Record::Cpf(c) => flatten_cpf(c),
        Record::Cnpj(c) => flatten_cnpj(c, partners_with_documents),
    }
}

fn formatted_number(r: &Record) -> String {
    match r {
        Record::Cpf(c) => c.cpf.formatted(),
        Record::Cnpj(c) => c.cnpj.formatted(),
    }
}

/// Set items compare by their text with case and spacing ignored (a phone's mask never counts as a change).
fn item_key(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

fn merge(key: String, label: String, left: Value, right: Value) -> Option<FieldDiff> {
    match (left, right) {
        (Value::Text(l), Value::Text(r)) => {
            if l.is_none() && r.is_none() {
                return None;
            }
            let changed = l.as_deref().map(item_key) != r.as_deref().map(item_key);
            Some(FieldDiff { key, label, left: l, right: r, changed, items: vec![] })
        }
        (Value::Set(l), Value::Set(r)) => {
            if l.is_none() && r.is_none() {
                return None;
            }
            let (lv, rv) = (l.clone().unwrap_or_default(), r.clone().unwrap_or_default());
            let (lk, rk): (Vec<String>, Vec<String>) =
                (lv.iter().map(|s| item_key(s)).collect(), rv.iter().map(|s| item_key(s)).collect());
            let mut items: Vec<DiffItem> = lv
                .iter()
                .zip(&lk)
                .map(|(v, k)| DiffItem {
                    value: v.clone(),
                    side: if rk.contains(k) { DiffSide::Both } else { DiffSide::Left },
                })
                .collect();
            items.extend(
                rv.iter()
                    .zip(&rk)
                    .filter(|(_, k)| !lk.contains(k))
                    .map(|(v, _)| DiffItem { value: v.clone(), side: DiffSide::Right }),
            );
            let changed = l.is_some() != r.is_some() || items.iter().any(|i| i.side != DiffSide::Both);
            let join =
                |v: Option<Vec<String>>| v.map(|v| if v.is_empty() { "Nenhum".to_owned() } else { v.join("; ") });
            Some(FieldDiff { key, label, left: join(l), right: join(r), changed, items })
        }
        (l, r) => {
            let text = |v: Value| match v {
                Value::Text(t) => t,
                Value::Set(s) => s.map(|s| s.join("; ")),
            };
            let (l, r) = (text(l), text(r));
            Some(FieldDiff { key, label, changed: l != r, left: l, right: r, items: vec![] })
        }
    }
}

/// Compares two records (two lookups side by side, or a record against an earlier snapshot of it).
///
/// Both are flattened to the same labelled fields; partners, phones and secondary CNAEs are compared as sets
/// of readable values. Partner documents take part only when both sides carry them (a `qsa` view has none).
pub fn diff_records(a: &Record, b: &Record) -> RecordDiff {
    let with_documents = partners_have_documents(a) && partners_have_documents(b);
    let left = flatten(a, with_documents).0;
    let mut right: Vec<Option<Flat>> = flatten(b, with_documents).0.into_iter().map(Some).collect();
    let mut fields = Vec::new();
    for l in left {
        let r = right.iter_mut().find(|r| r.as_ref().is_some_and(|r| r.key == l.key)).and_then(Option::take);
        let rv = r.map_or_else(|| empty_like(&l.value), |r| r.value);
        fields.extend(merge(l.key, l.label, l.value, rv));
    }
    for r in right.into_iter().flatten() {
        let lv = empty_like(&r.value);
        fields.extend(merge(r.key, r.label, lv, r.value));
    }
    let changed_count = fields.iter().filter(|f| f.changed).count() as u32;
    RecordDiff {
        left_kind: a.kind(),
        right_kind: b.kind(),
        left_number: formatted_number(a),
        right_number: formatted_number(b),
        same_document: a.number() == b.number(),
        fields,
        changed_count,
    }
}

fn empty_like(v: &Value) -> Value {
    match v {
        Value::Text(_) => Value::Text(None),
        Value::Set(_) => Value::Set(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Cnpj, Cpf};
    use crate::record::{ExtraField, Period};

    fn cnpj_record() -> CnpjRecord {
        let cl = |c: &str, l: &str| CodeLabel { code: c.into(), label: l.into() };
        CnpjRecord {
            cnpj: Cnpj::parse("34238864000168").unwrap(),
            view: CnpjView::Empresa,
            legal_name: Some("EMPRESA EXEMPLO".into()),
            trade_name: None,
            establishment: Some(Establishment::Matriz),
            status: Status::cnpj("2", Some("2019-06-19".into()), Some(String::new())),
            legal_nature: Some(cl("2011", "Empresa Pública")),
            opening_date: Some("1967-06-30".into()),
            main_activity: Some(cl("6204000", "Consultoria em tecnologia da informação")),
            secondary_activities: vec![cl("6201501", "Desenvolvimento de programas")],
            address: Some(Address { cep: Some("70836900".into()), uf: Some("DF".into()), ..Address::default() }),
            jurisdiction: None,
            phones: vec![Phone { ddd: Some("61".into()), number: "22222222".into() }],
            email: Some("EMPRESA@XXXXXX.BR".into()),
            capital_cents: Some(123_456_789),
            size: Some(cl("05", "Demais")),
            special_situation: None,
            special_situation_date: None,
            simples: Some(TaxOption {
                opted: Some(false),
                periods: vec![Period { start: Some("2010-01-01".into()), end: None }],
            }),
            mei: None,
            partners: Some(vec![Partner {
                kind: cl("2", "Pessoa física"),
                name: "LUIZA ARAUJO DE OLIVEIRA".into(),
                document: Some("07119488449".into()),
                role: cl("49", "Sócio-Administrador"),
                since: Some("2014-01-01".into()),
                country: None,
                legal_representative: None,
            }]),
            extra: vec![],
        }
    }

    fn field<'a>(d: &'a RecordDiff, key: &str) -> &'a FieldDiff {
        d.fields.iter().find(|f| f.key == key).unwrap_or_else(|| panic!("no field {key}"))
    }

    #[test]
    fn identical_records_have_no_changes() {
        let r = Record::Cnpj(cnpj_record());
        let d = diff_records(&r, &r);
        assert_eq!(d.changed_count, 0);
        assert!(d.same_document);
        assert_eq!(field(&d, "capital").left.as_deref(), Some("R$ 1.234.567,89"));
        assert_eq!(
            field(&d, "mainActivity").left.as_deref(),
            Some("6204-0/00 — Consultoria em tecnologia da informação")
        );
        assert_eq!(field(&d, "phones").items, vec![DiffItem { value: "(61) 2222-2222".into(), side: DiffSide::Both }]);
        assert_eq!(field(&d, "address.cep").left.as_deref(), Some("70836-900"));
        assert_eq!(field(&d, "openingDate").left.as_deref(), Some("30/06/1967"));
        assert_eq!(field(&d, "simples").left.as_deref(), Some("Não optante — períodos: 01/01/2010 a atual"));
        assert!(d.fields.iter().all(|f| f.key != "tradeName"), "absent on both sides is left out");
        assert!(field(&d, "partners").left.as_deref().unwrap().contains("071.194.884-49"));
    }

    #[test]
    fn snapshot_changes_and_sets() {
        let old = cnpj_record();
        let mut new = old.clone();
        new.status = Status::cnpj("8", Some("2024-03-01".into()), Some("Extinção".into()));
        new.phones = vec![
            Phone { ddd: Some("061".into()), number: "2222-2222".into() },
            Phone { ddd: Some("61".into()), number: "999998888".into() },
        ];
        new.secondary_activities.clear();
        new.partners.as_mut().unwrap()[0].role = CodeLabel { code: "05".into(), label: "Administrador".into() };
        new.extra.push(ExtraField { key: "x".into(), label: "Campo novo".into(), value: "1".into() });
        let d = diff_records(&Record::Cnpj(old), &Record::Cnpj(new));
        assert_eq!(field(&d, "status").right.as_deref(), Some("Baixada (8)"));
        let phones = field(&d, "phones");
        assert!(phones.changed);
        assert_eq!(phones.items.iter().map(|i| i.side).collect::<Vec<_>>(), [DiffSide::Both, DiffSide::Right]);
        let sec = field(&d, "secondaryActivities");
        assert_eq!((sec.changed, sec.right.as_deref()), (true, None));
        assert_eq!(sec.items[0].side, DiffSide::Left);
        let partners = field(&d, "partners");
        assert_eq!(partners.items.iter().map(|i| i.side).collect::<Vec<_>>(), [DiffSide::Left, DiffSide::Right]);
        assert_eq!(field(&d, "extra.x").left, None);
        let changed: Vec<&str> = d.fields.iter().filter(|f| f.changed).map(|f| f.key.as_str()).collect();
        assert_eq!(
            changed,
            ["status", "status.date", "status.reason", "secondaryActivities", "phones", "partners", "extra.x"]
        );
        assert_eq!(d.changed_count, 7);
    }

    #[test]
    fn qsa_against_empresa_ignores_partner_documents() {
        let empresa = cnpj_record();
        let mut qsa = empresa.clone();
        qsa.view = CnpjView::Qsa;
        qsa.partners.as_mut().unwrap()[0].document = None;
        let d = diff_records(&Record::Cnpj(qsa), &Record::Cnpj(empresa));
        assert!(!field(&d, "partners").changed);
        assert!(field(&d, "view").changed);
        assert_eq!(d.changed_count, 1);
    }

    #[test]
    fn two_different_people() {
        let person = |cpf: &str, name: &str| {
            Record::Cpf(CpfRecord {
                name: Some(name.into()),
                birth_date: Some("1975-01-01".into()),
                resident_abroad: Some(false),
                ..CpfRecord::new(Cpf::parse(cpf).unwrap(), Status::cpf("0", None))
            })
        };
        let d = diff_records(&person("40442820135", "ANA"), &person("63017285995", "ANA  "));
        assert!(!d.same_document);
        assert_eq!(d.left_number, "404.428.201-35");
        let changed: Vec<&str> = d.fields.iter().filter(|f| f.changed).map(|f| f.key.as_str()).collect();
        assert_eq!(changed, ["cpf"]);
        assert_eq!(field(&d, "residentAbroad").left.as_deref(), Some("Não"));
        let mixed = diff_records(&person("40442820135", "ANA"), &Record::Cnpj(cnpj_record()));
        assert_eq!((mixed.left_kind, mixed.right_kind), (DocKind::Cpf, DocKind::Cnpj));
        assert!(field(&mixed, "legalName").changed);
    }

    #[test]
    fn money_and_phone_formats() {
        assert_eq!(money(0), "R$ 0,00");
        assert_eq!(money(5), "R$ 0,05");
        assert_eq!(money(100_000), "R$ 1.000,00");
        assert_eq!(money(-12_345), "-R$ 123,45");
        assert_eq!(phone(&Phone { ddd: None, number: "12345".into() }), "12345");
    }
}
