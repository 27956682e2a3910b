//! The normalized records (one per kind) that the UI, history, comparison and exports share, whatever API produced them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::doc::{Cnpj, Cpf, DocKind};

/// A code with its pt-BR label (CNAE, natureza jurídica, qualificação, município…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CodeLabel {
    pub code: String,
    pub label: String,
}

/// How the UI should colour a status; always shown with its text too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Warning,
    Danger,
    Neutral,
}

/// Situação cadastral: the API's code, a pt-BR label and a severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub code: String,
    pub label: String,
    pub severity: Severity,
    /// ISO 8601 date of the status, when the API gives it (CNPJ).
    pub date: Option<String>,
    /// Reason (motivo), when the API gives one.
    pub reason: Option<String>,
    /// The code is in no table Balcão knows: `label` is the API's own text (or "Situação <code>"), shown with
    /// the code and flagged, never passed off as a known status. Absent in records stored before this field.
    #[serde(default)]
    pub unknown: bool,
}

impl Status {
    /// The label as a file shows it (exports, batch results): an unknown code keeps the API's label with its code and
    /// the flag, as the window's verdict says it (`statusText` in the UI).
    pub fn shown_label(&self) -> String {
        if self.unknown {
            format!("{} (código {}, não reconhecido)", self.label, self.code)
        } else {
            self.label.clone()
        }
    }

    /// CPF situação cadastral: codes 0, 1, 2, 3, 4, 5, 8 and 9 of SERPRO's table (apis.md §1.2, S1/S3; CPF Light
    /// uses the same codes, §2.3). Any other code is kept with the API's own label and flagged `unknown`.
    pub fn cpf(code: &str, api_label: Option<&str>) -> Self {
        let (label, severity) = match code.trim() {
            "0" => ("Regular", Severity::Ok),
            "1" => ("Cancelada por encerramento de espólio", Severity::Danger),
            "2" => ("Suspensa", Severity::Warning),
            "3" => ("Titular falecido", Severity::Danger),
            "4" => ("Pendente de regularização", Severity::Warning),
            "5" => ("Cancelada por multiplicidade", Severity::Danger),
            "8" => ("Nula", Severity::Danger),
            "9" => ("Cancelada de ofício", Severity::Danger),
            _ => ("", Severity::Neutral),
        };
        let unknown = label.is_empty();
        let label = if unknown {
            api_label
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map_or_else(|| format!("Situação {}", code.trim()), str::to_owned)
        } else {
            label.to_owned()
        };
        Self { code: code.trim().to_owned(), label, severity, date: None, reason: None, unknown }
    }

    /// CNPJ situação cadastral (1 Nula, 2 Ativa, 3 Suspensa, 4 Inapta, 8 Baixada: apis.md §1.3, S5). The API
    /// sends no label for it, so any other code is shown as "Situação <code>" and flagged `unknown`.
    pub fn cnpj(code: &str, date: Option<String>, reason: Option<String>) -> Self {
        let (label, severity, unknown) = match code.trim() {
            "1" => ("Nula".to_owned(), Severity::Danger, false),
            "2" => ("Ativa".to_owned(), Severity::Ok, false),
            "3" => ("Suspensa".to_owned(), Severity::Warning, false),
            "4" => ("Inapta".to_owned(), Severity::Warning, false),
            "8" => ("Baixada".to_owned(), Severity::Danger, false),
            other => (format!("Situação {other}"), Severity::Neutral, true),
        };
        Self { code: code.trim().to_owned(), label, severity, date, reason, unknown }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub street_type: Option<String>,
    pub street: Option<String>,
    pub number: Option<String>,
    pub complement: Option<String>,
    pub district: Option<String>,
    /// Eight digits, leading zeros restored.
    pub cep: Option<String>,
    /// Municipality with its RFB/SIAFI code (not IBGE).
    pub municipality: Option<CodeLabel>,
    pub uf: Option<String>,
    pub country: Option<CodeLabel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Phone {
    pub ddd: Option<String>,
    pub number: String,
}

/// A field the API gave that has no dedicated place in the record, kept so the clerk sees everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExtraField {
    pub key: String,
    pub label: String,
    pub value: String,
}

/// A person, from SERPRO Consulta CPF (v1/v2) or Conecta CPF Light.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CpfRecord {
    pub cpf: Cpf,
    pub name: Option<String>,
    pub social_name: Option<String>,
    pub status: Status,
    /// ISO 8601.
    pub birth_date: Option<String>,
    pub death_year: Option<u16>,
    /// ISO 8601, or the API's text when it gives one ("anterior a 10/11/1990").
    pub registration_date: Option<String>,
    pub mother_name: Option<String>,
    pub sex: Option<String>,
    pub address: Option<Address>,
    pub phones: Vec<Phone>,
    pub resident_abroad: Option<bool>,
    pub foreigner: Option<bool>,
    /// ISO 8601 date of the last update in the base, when given.
    pub updated_on: Option<String>,
    pub extra: Vec<ExtraField>,
}

impl CpfRecord {
    /// A record with its number and status and nothing else; the fields an API gives are set on top of it.
    pub fn new(cpf: Cpf, status: Status) -> Self {
        Self {
            cpf,
            name: None,
            social_name: None,
            status,
            birth_date: None,
            death_year: None,
            registration_date: None,
            mother_name: None,
            sex: None,
            address: None,
            phones: Vec::new(),
            resident_abroad: None,
            foreigner: None,
            updated_on: None,
            extra: Vec::new(),
        }
    }
}

/// Which Consulta CNPJ v2 view produced the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum CnpjView {
    Basica,
    Qsa,
    Empresa,
}

impl CnpjView {
    pub fn as_str(self) -> &'static str {
        match self {
            CnpjView::Basica => "basica",
            CnpjView::Qsa => "qsa",
            CnpjView::Empresa => "empresa",
        }
    }
}

/// Matriz or filial, exactly as the API states it (never inferred from the number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Establishment {
    Matriz,
    Filial,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    pub start: Option<String>,
    pub end: Option<String>,
}

/// Simples Nacional or MEI: whether the company opted in, and the periods.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TaxOption {
    pub opted: Option<bool>,
    pub periods: Vec<Period>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LegalRepresentative {
    pub cpf: Option<String>,
    pub name: String,
    pub role: CodeLabel,
}

/// A partner (sócio) in the QSA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Partner {
    /// 1 pessoa jurídica, 2 pessoa física, 3 estrangeiro.
    pub kind: CodeLabel,
    pub name: String,
    /// The partner's CPF (or CNPJ); absent in the `qsa` view, present in `empresa`.
    pub document: Option<String>,
    pub role: CodeLabel,
    /// ISO 8601.
    pub since: Option<String>,
    pub country: Option<CodeLabel>,
    pub legal_representative: Option<LegalRepresentative>,
}

/// A company establishment, from SERPRO or Conecta Consulta CNPJ v2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CnpjRecord {
    pub cnpj: Cnpj,
    pub view: CnpjView,
    pub legal_name: Option<String>,
    pub trade_name: Option<String>,
    pub establishment: Option<Establishment>,
    pub status: Status,
    pub legal_nature: Option<CodeLabel>,
    /// ISO 8601.
    pub opening_date: Option<String>,
    pub main_activity: Option<CodeLabel>,
    pub secondary_activities: Vec<CodeLabel>,
    pub address: Option<Address>,
    pub jurisdiction: Option<CodeLabel>,
    pub phones: Vec<Phone>,
    pub email: Option<String>,
    /// Capital social in centavos (the API's unit), shown in reais.
    pub capital_cents: Option<i64>,
    pub size: Option<CodeLabel>,
    pub special_situation: Option<String>,
    pub special_situation_date: Option<String>,
    /// Absent in the `basica` view.
    pub simples: Option<TaxOption>,
    pub mei: Option<TaxOption>,
    /// Absent in the `basica` view (and for an empresário individual).
    pub partners: Option<Vec<Partner>>,
    pub extra: Vec<ExtraField>,
}

/// One normalized record (`OfficialRecord` in TypeScript, where `Record` is a built-in type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[ts(rename = "OfficialRecord")]
// A record is built once per lookup and moved whole to the UI or the history: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum Record {
    Cpf(CpfRecord),
    Cnpj(CnpjRecord),
}

impl Record {
    pub fn kind(&self) -> DocKind {
        match self {
            Record::Cpf(_) => DocKind::Cpf,
            Record::Cnpj(_) => DocKind::Cnpj,
        }
    }

    /// The canonical number.
    pub fn number(&self) -> String {
        match self {
            Record::Cpf(r) => r.cpf.to_string(),
            Record::Cnpj(r) => r.cnpj.to_string(),
        }
    }

    /// The name to show and search: the person's name, or the company's legal name.
    pub fn display_name(&self) -> Option<&str> {
        match self {
            Record::Cpf(r) => r.name.as_deref(),
            Record::Cnpj(r) => r.legal_name.as_deref(),
        }
    }

    pub fn status(&self) -> &Status {
        match self {
            Record::Cpf(r) => &r.status,
            Record::Cnpj(r) => &r.status,
        }
    }
}

/// Which API answered a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ApiKind {
    SerproCpfV1,
    SerproCpfV2,
    SerproCnpj,
    ConectaCpfLight,
    ConectaCnpj,
    /// One of the profile's "outras bases" (#19), named by the call's `BaseAnswer`.
    ExtraBase,
}

impl ApiKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKind::SerproCpfV1 => "serproCpfV1",
            ApiKind::SerproCpfV2 => "serproCpfV2",
            ApiKind::SerproCnpj => "serproCnpj",
            ApiKind::ConectaCpfLight => "conectaCpfLight",
            ApiKind::ConectaCnpj => "conectaCnpj",
            ApiKind::ExtraBase => "extraBase",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ApiKind::SerproCpfV1 => "SERPRO Consulta CPF v1",
            ApiKind::SerproCpfV2 => "SERPRO Consulta CPF v2",
            ApiKind::SerproCnpj => "SERPRO Consulta CNPJ v2",
            ApiKind::ConectaCpfLight => "Conecta CPF Light",
            ApiKind::ConectaCnpj => "Conecta Consulta CNPJ v2",
            ApiKind::ExtraBase => "outra base",
        }
    }
}

/// What one HTTP call to a government API cost and returned, for history, audit and quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CallMeta {
    pub api: ApiKind,
    /// The HTTP status (0 when no response arrived).
    pub http_status: u16,
    pub latency_ms: u32,
    /// The gateway's `activityid` header (SERPRO's request id).
    pub activity_id: Option<String>,
    /// Whether the gateway bills this answer ([`CallMeta::billable`]).
    pub billable: bool,
}

impl CallMeta {
    /// Whether `api` bills an answer with this status.
    ///
    /// SERPRO Consulta CPF (v1 and v2): every status but 400, 401, 403, 500 and 504 is billed, so 200, 206, 404
    /// and 422 are (apis.md §8 A1, the API Center's return-code page, ✔), and so are 451 (minor under 16) and 406
    /// (bad `Accept`) (§8 A2, one source ◐). Consulta CNPJ v2 (SERPRO and Conecta) and CPF Light: 200, 206 and 404
    /// (§1.3, S14 ◐; §2.2). Every other status (no answer, 429, 5xx…) is not billed.
    pub fn billable(api: ApiKind, status: u16) -> bool {
        match api {
            ApiKind::SerproCpfV1 | ApiKind::SerproCpfV2 => matches!(status, 200 | 206 | 404 | 406 | 422 | 451),
            // An extra base's declaration decides (`ExtraBase::billable`); this is the default for its answers.
            ApiKind::SerproCnpj | ApiKind::ConectaCpfLight | ApiKind::ConectaCnpj | ApiKind::ExtraBase => {
                matches!(status, 200 | 206 | 404)
            }
        }
    }
}

/// A successful lookup as the UI and the history receive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Lookup {
    pub record: Record,
    pub meta: CallMeta,
    /// The body as received, for audit and "ver resposta original".
    pub raw: String,
    /// When the answer arrived (RFC 3339, UTC).
    pub consulted_at: String,
    /// 206: the API returned the record without a field it considers mandatory.
    pub partial: bool,
}

#[cfg(test)]
mod shown_label_tests {
    use super::Status;

    #[test]
    fn an_unknown_code_is_shown_in_files_with_its_code_and_flag_and_a_known_one_as_its_label() {
        let unknown = Status::cpf("7", Some("Situação especial"));
        assert!(unknown.unknown);
        assert_eq!(unknown.shown_label(), "Situação especial (código 7, não reconhecido)");
        let known = Status::cpf("0", None);
        assert!(!known.unknown);
        assert_eq!(known.shown_label(), known.label);
    }
}
