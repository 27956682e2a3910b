//! "Outras bases" (#19): the declaration of an extra government API by IT, its safe templates and its answer's fields.
//!
//! A declaration says where the base is (a path under the profile's gateway, or its own origin and token endpoint
//! bound to its own credential), how to ask (method, path, query, JSON body and headers, with `{cpf}`, `{cnpj}`,
//! `{ni}`, `{cep}`, `{autorizacao}` and `{cpf_usuario}`), and how to read the answer (JSON pointers with pt-BR labels
//! and a type). Values never change the shape of a request: in a path they are percent-encoded as one segment, in a
//! query they are one encoded value, in a header a CR, LF or other control character is refused, in a JSON body they
//! are one string.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use ts_rs::TS;

use crate::doc::DocKind;
use crate::error::{AppError, ErrorCode};
use crate::record::CallMeta;

/// Longest base id (it names keyring entries and quota counters).
pub const MAX_BASE_ID: usize = 32;
/// Most extra bases per profile.
pub const MAX_BASES: usize = 32;
/// Most fields per base.
pub const MAX_FIELDS: usize = 100;
/// Longest value shown for one field (longer text is cut, marked with «…»).
const MAX_SHOWN: usize = 2_000;
/// Most items shown of a list field.
const MAX_ITEMS: usize = 200;

/// A base's id: 1 to 32 of `a-z`, `0-9`, `-`, `_`. Kept inline so that it is `Copy` like the API kinds it sits
/// beside (quota counters, credential scopes).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BaseId {
    len: u8,
    bytes: [u8; MAX_BASE_ID],
}

impl BaseId {
    /// The id, or `None` when `s` is empty, longer than 32 or has a character other than `a-z 0-9 - _`.
    pub fn parse(s: &str) -> Option<BaseId> {
        let ok = !s.is_empty()
            && s.len() <= MAX_BASE_ID
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            return None;
        }
        let mut bytes = [0u8; MAX_BASE_ID];
        bytes.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        Some(BaseId { len: u8::try_from(s.len()).ok()?, bytes })
    }

    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

impl fmt::Debug for BaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseId({})", self.as_str())
    }
}

impl fmt::Display for BaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for BaseId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for BaseId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        BaseId::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "identificador «{s}» inválido: use de 1 a {MAX_BASE_ID} letras minúsculas, dígitos, «-» ou «_»"
            ))
        })
    }
}

impl TS for BaseId {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name(_: &ts_rs::Config) -> String {
        "string".to_owned()
    }
    fn inline(_: &ts_rs::Config) -> String {
        "string".to_owned()
    }
}

/// Which credential a base's calls use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum BaseCredential {
    /// The profile's (its shared credential), sent to the profile's token endpoint.
    #[default]
    Profile,
    /// The base's own, stored for it by IT and bound to the base's origin and token endpoint.
    Own,
}

/// The HTTP method of a base's call (the profiles file may write it in any case).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "UPPERCASE")]
pub enum BaseMethod {
    #[default]
    Get,
    Post,
}

/// How a field's value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum FieldKind {
    Text,
    /// A date in the API's `format` (`AAAAMMDD`, `DDMMAAAA`, `AAAA-MM-DD`, `DD/MM/AAAA`; a time after it is ignored).
    Date,
    /// Money in `unit` (reais or centavos), shown as `R$ 1.234,56`.
    Money,
    /// A code shown with its label from `labels`.
    Code,
    /// Yes or no (`true`/`false`, `S`/`N`, `1`/`0`, `sim`/`não`).
    Flag,
    /// A list: each item as text, or the `item` pointers of each object joined.
    List,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum MoneyUnit {
    Reais,
    Centavos,
}

/// One field of a base's answer, as IT declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BaseFieldSpec {
    /// A JSON pointer into the answer (`/autorizacao/titular`, `/0/situacao`).
    pub pointer: String,
    /// The pt-BR label the clerk sees.
    pub label: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// Dates: the API's format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub format: Option<String>,
    /// Money: reais or centavos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub unit: Option<MoneyUnit>,
    /// Codes: the label of each code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub labels: Option<BTreeMap<String, String>>,
    /// Lists of objects: the pointers, inside each item, shown joined by «: ».
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub item: Option<Vec<String>>,
}

fn default_true() -> bool {
    true
}

fn default_not_found() -> Vec<u16> {
    vec![404]
}

/// An extra base declared by IT in a profile (`[[profile.extra_base]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtraBase {
    pub id: BaseId,
    /// What the clerk sees ("Consulta Renda").
    pub name: String,
    #[serde(default)]
    pub credential: BaseCredential,
    #[serde(default)]
    pub method: BaseMethod,
    /// Path template, relative to the profile's `baseUrl` (or to `origin`), starting with `/`.
    pub path: String,
    /// Query parameters: name → value template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub query: Option<BTreeMap<String, String>>,
    /// JSON body template (POST): every string in it is a template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    pub body: Option<Value>,
    /// Headers: name → value template (`x-cpf-usuario = "{cpf_usuario}"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub headers: Option<BTreeMap<String, String>>,
    /// The documents it applies to (`cpf`, `cnpj`).
    pub applies_to: Vec<DocKind>,
    /// Whether the gateway bills its answers (found and not found).
    #[serde(default = "default_true")]
    pub billed: bool,
    /// Calls allowed (counted per credential and base, like the profile's APIs); none when unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub quota: Option<u64>,
    /// Its own gateway (`https://host[:port]`), instead of the profile's `baseUrl`: needs `credential = "own"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub origin: Option<String>,
    /// Its own token endpoint path on `origin` (required with `origin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub token_path: Option<String>,
    /// The statuses that mean "nada consta" (default 404).
    #[serde(default = "default_not_found")]
    pub not_found: Vec<u16>,
    /// Fetched with every lookup it applies to, instead of one keypress away.
    #[serde(default)]
    pub fetch_with_lookup: bool,
    /// How to read the answer.
    #[serde(rename = "field")]
    pub fields: Vec<BaseFieldSpec>,
}

/// The template variables a declaration may use.
pub const VARIABLES: &[&str] = &["cpf", "cnpj", "ni", "cep", "autorizacao", "cpf_usuario"];

/// Header names a declaration may not set: the client sets them itself.
const RESERVED_HEADERS: &[&str] =
    &["authorization", "host", "content-length", "content-type", "transfer-encoding", "connection", "cookie", "accept"];

/// The placeholders of a template, in order, or the pt-BR reason it is malformed.
fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        let after = rest.get(open..).unwrap_or_default();
        if after.starts_with('}') {
            return Err("tem «}» sem «{» correspondente".to_owned());
        }
        let inner = after.get(1..).unwrap_or_default();
        let Some(close) = inner.find('}') else { return Err("tem «{» sem «}»".to_owned()) };
        let name = inner.get(..close).unwrap_or_default();
        if !VARIABLES.contains(&name) {
            return Err(format!("usa «{{{name}}}», que não existe (use {})", variables_list()));
        }
        out.push(name);
        rest = inner.get(close + 1..).unwrap_or_default();
    }
    Ok(out)
}

fn variables_list() -> String {
    VARIABLES.iter().map(|v| format!("{{{v}}}")).collect::<Vec<_>>().join(", ")
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

impl ExtraBase {
    /// Checks what can be checked without I/O; the pt-BR reason names the field (the caller adds the line).
    pub fn check(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("falta o nome (name)".to_owned());
        }
        if self.applies_to.is_empty() {
            return Err("diga a que documentos se aplica (applies_to = [\"cpf\"] ou [\"cnpj\"])".to_owned());
        }
        if !self.path.starts_with('/') || self.path.contains("://") {
            return Err("o caminho (path) deve começar com «/» (relativo ao gateway)".to_owned());
        }
        if let Some(why) = crate::profile::path_escape(&self.path) {
            return Err(format!("o caminho (path) {why}"));
        }
        let mut used = placeholders(&self.path).map_err(|e| format!("o caminho (path) {e}"))?;
        for (name, value) in self.query.iter().flatten() {
            if name.is_empty() || !name.chars().all(is_token_char) {
                return Err(format!("o parâmetro de consulta «{name}» tem caracteres não permitidos"));
            }
            used.extend(placeholders(value).map_err(|e| format!("o parâmetro «{name}» {e}"))?);
        }
        for (name, value) in self.headers.iter().flatten() {
            if name.is_empty() || !name.chars().all(is_token_char) {
                return Err(format!("o cabeçalho «{name}» tem caracteres não permitidos"));
            }
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(format!("o cabeçalho «{name}» é definido pelo Balcão e não pode ser declarado"));
            }
            if value.chars().any(char::is_control) {
                return Err(format!("o cabeçalho «{name}» tem caracteres de controle"));
            }
            used.extend(placeholders(value).map_err(|e| format!("o cabeçalho «{name}» {e}"))?);
        }
        if let Some(body) = &self.body {
            if self.method != BaseMethod::Post {
                return Err("um corpo (body) só vale com method = \"POST\"".to_owned());
            }
            let mut strings = Vec::new();
            collect_strings(body, &mut strings);
            for s in strings {
                used.extend(placeholders(s).map_err(|e| format!("o corpo (body) {e}"))?);
            }
        }
        for var in used {
            let fits = match var {
                "cpf" => self.applies_to.contains(&DocKind::Cpf),
                "cnpj" => self.applies_to.contains(&DocKind::Cnpj),
                _ => true,
            };
            if !fits {
                return Err(format!("usa «{{{var}}}», mas não se aplica a esse tipo de documento (applies_to)"));
            }
        }
        match (&self.origin, &self.token_path) {
            (Some(origin), Some(token)) => {
                if self.credential != BaseCredential::Own {
                    return Err("uma base com endereço próprio (origin) precisa de credencial própria \
                                (credential = \"own\")"
                        .to_owned());
                }
                check_origin(origin)?;
                if !token.starts_with('/') || crate::profile::path_escape(token).is_some() || token.contains('{') {
                    return Err(
                        "o caminho do token (token_path) deve ser um caminho simples que começa com «/»".to_owned()
                    );
                }
            }
            (Some(_), None) => return Err("com origin, informe também token_path".to_owned()),
            (None, Some(_)) => return Err("token_path só vale com origin".to_owned()),
            (None, None) => {}
        }
        if self.not_found.iter().any(|s| !(200..=599).contains(s) || *s == 401 || *s == 429) {
            return Err("not_found aceita só códigos HTTP entre 200 e 599 (nunca 401 nem 429)".to_owned());
        }
        if self.quota == Some(0) {
            return Err("quota deve ser maior que zero (ou ausente, sem limite)".to_owned());
        }
        if self.fields.is_empty() || self.fields.len() > MAX_FIELDS {
            return Err(format!("declare de 1 a {MAX_FIELDS} campos ([[…field]])"));
        }
        for (i, f) in self.fields.iter().enumerate() {
            f.check().map_err(|e| format!("campo nº {} («{}»): {e}", i + 1, f.label))?;
        }
        Ok(())
    }

    /// Whether it applies to this kind of document.
    pub fn applies(&self, kind: DocKind) -> bool {
        self.applies_to.contains(&kind)
    }

    /// Whether `status` means "nada consta" for this base.
    pub fn is_not_found(&self, status: u16) -> bool {
        self.not_found.contains(&status)
    }

    /// Whether an answer with `status` is billed: a billed base bills its found (200, 206) and not-found answers.
    pub fn billable(&self, status: u16) -> bool {
        self.billed && (matches!(status, 200 | 206) || self.is_not_found(status))
    }

    /// The variables this declaration uses (to ask the clerk for `{cep}` or `{autorizacao}` before calling).
    pub fn variables(&self) -> Vec<&'static str> {
        let mut texts: Vec<&str> = vec![&self.path];
        texts.extend(self.query.iter().flatten().map(|(_, v)| v.as_str()));
        texts.extend(self.headers.iter().flatten().map(|(_, v)| v.as_str()));
        if let Some(body) = &self.body {
            collect_strings(body, &mut texts);
        }
        VARIABLES
            .iter()
            .copied()
            .filter(|v| texts.iter().any(|t| placeholders(t).is_ok_and(|p| p.contains(v))))
            .collect()
    }
}

fn check_origin(origin: &str) -> Result<(), String> {
    let bad = || "origin deve ser só esquema, servidor e porta (https://servidor[:porta]), sem caminho".to_owned();
    let rest = if let Some(r) = origin.strip_prefix("https://") {
        r
    } else if let Some(r) = origin.strip_prefix("http://") {
        let host = r.split(':').next().unwrap_or_default();
        if !matches!(host, "127.0.0.1" | "localhost" | "[") {
            return Err("origin deve usar HTTPS (HTTP só no próprio computador, 127.0.0.1)".to_owned());
        }
        r
    } else {
        return Err(bad());
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', '\\']) || rest.chars().any(|c| c.is_whitespace()) {
        return Err(bad());
    }
    Ok(())
}

fn collect_strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

fn pointer_ok(p: &str) -> bool {
    p.is_empty() || p.starts_with('/')
}

impl BaseFieldSpec {
    fn check(&self) -> Result<(), String> {
        if !pointer_ok(&self.pointer) {
            return Err("o ponteiro (pointer) deve começar com «/» (ponteiro JSON)".to_owned());
        }
        if self.label.trim().is_empty() {
            return Err("falta o rótulo (label)".to_owned());
        }
        match self.kind {
            FieldKind::Date => match self.format.as_deref() {
                Some(f) if DATE_FORMATS.contains(&f) => {}
                _ => return Err(format!("uma data precisa de format = um de {}", DATE_FORMATS.join(", "))),
            },
            FieldKind::Money if self.unit.is_none() => {
                return Err("um valor em dinheiro precisa de unit = \"reais\" ou \"centavos\"".to_owned());
            }
            FieldKind::Code if self.labels.as_ref().is_none_or(BTreeMap::is_empty) => {
                return Err("um código precisa da tabela de rótulos ([…field.labels])".to_owned());
            }
            _ => {}
        }
        if self.item.is_some() && self.kind != FieldKind::List {
            return Err("item só vale para listas (type = \"list\")".to_owned());
        }
        if self.item.iter().flatten().any(|p| !pointer_ok(p)) {
            return Err("cada ponteiro de item deve começar com «/»".to_owned());
        }
        Ok(())
    }
}

/// The date formats a declaration may name.
pub const DATE_FORMATS: &[&str] = &["AAAAMMDD", "DDMMAAAA", "AAAA-MM-DD", "DD/MM/AAAA"];

/// The values the templates are filled with; absent ones refuse the call (the clerk is asked for them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateValues {
    pub cpf: Option<String>,
    pub cnpj: Option<String>,
    pub ni: Option<String>,
    pub cep: Option<String>,
    pub autorizacao: Option<String>,
    pub cpf_usuario: Option<String>,
}

impl TemplateValues {
    fn get(&self, name: &str) -> Option<&str> {
        match name {
            "cpf" => self.cpf.as_deref(),
            "cnpj" => self.cnpj.as_deref(),
            "ni" => self.ni.as_deref(),
            "cep" => self.cep.as_deref(),
            "autorizacao" => self.autorizacao.as_deref(),
            "cpf_usuario" => self.cpf_usuario.as_deref(),
            _ => None,
        }
    }
}

fn missing_value(name: &str) -> AppError {
    let what = match name {
        "cep" => "o CEP",
        "autorizacao" => "o código de autorização do e-CAC (informado pelo cidadão)",
        "cpf_usuario" => "o CPF do atendente",
        "cnpj" => "um CNPJ",
        _ => "um CPF",
    };
    AppError::new(ErrorCode::InvalidDocument, format!("Esta base precisa de {what}. Informe-o e consulte de novo."))
}

fn refused_value(name: &str) -> AppError {
    AppError::new(
        ErrorCode::InvalidDocument,
        format!("O valor informado para «{name}» tem caracteres não aceitos. Confira e digite de novo."),
    )
}

/// Where a template is expanded: each place has its own rule for values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// One path segment: every byte but `A-Z a-z 0-9 - _ ~` percent-encoded; empty or dots-only values refused.
    Path,
    /// A query value or a JSON string: taken as is (the URL encoder or the JSON writer escapes it).
    Plain,
    /// A header value: control characters (CR, LF, NUL…) refused.
    Header,
}

/// `template` with each `{var}` replaced by its value, safe for `place`.
pub fn expand(template: &str, values: &TemplateValues, place: Place) -> Result<String, AppError> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        let inner = after.get(1..).unwrap_or_default();
        let close = inner.find('}').ok_or_else(|| refused_value("modelo"))?;
        let name = inner.get(..close).unwrap_or_default();
        let value = values.get(name).ok_or_else(|| missing_value(name))?;
        match place {
            Place::Path => {
                if value.is_empty() || value.chars().all(|c| c == '.') {
                    return Err(refused_value(name));
                }
                for b in value.bytes() {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
                        out.push(char::from(b));
                    } else {
                        out.push_str(&format!("%{b:02X}"));
                    }
                }
            }
            Place::Plain => out.push_str(value),
            Place::Header => {
                if value.chars().any(char::is_control) {
                    return Err(refused_value(name));
                }
                out.push_str(value);
            }
        }
        rest = inner.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// A JSON body template with every string expanded (as plain JSON strings: the writer escapes them).
pub fn expand_json(template: &Value, values: &TemplateValues) -> Result<Value, AppError> {
    Ok(match template {
        Value::String(s) => Value::String(expand(s, values, Place::Plain)?),
        Value::Array(items) => Value::Array(items.iter().map(|i| expand_json(i, values)).collect::<Result<_, _>>()?),
        Value::Object(map) => Value::Object(
            map.iter().map(|(k, v)| Ok((k.clone(), expand_json(v, values)?))).collect::<Result<_, AppError>>()?,
        ),
        other => other.clone(),
    })
}

/// One field of an answer as the clerk sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BaseValue {
    pub label: String,
    /// The value shown; `None` when the answer did not bring it («não informado»).
    pub value: Option<String>,
    /// A list field's items (empty for the other types).
    #[serde(default)]
    pub items: Vec<String>,
    /// The value did not have the declared type: shown as received, with this flag for a warning.
    #[serde(default)]
    pub unexpected: bool,
}

/// What the clerk may ask of an extra base after a lookup (Consulta's «Outras bases»).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BaseOffer {
    pub id: BaseId,
    pub name: String,
    /// What the clerk must give besides the number: `cep`, `autorizacao` (empty: nothing).
    pub needs: Vec<String>,
    /// Asked for together with every lookup it applies to.
    pub fetch_with_lookup: bool,
}

impl ExtraBase {
    /// This base as the clerk is offered it.
    pub fn offer(&self) -> BaseOffer {
        BaseOffer {
            id: self.id,
            name: self.name.clone(),
            needs: self
                .variables()
                .into_iter()
                .filter(|v| matches!(*v, "cep" | "autorizacao"))
                .map(str::to_owned)
                .collect(),
            fetch_with_lookup: self.fetch_with_lookup,
        }
    }
}

/// A call to an extra base after a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BaseLookupRequest {
    pub base_id: String,
    /// The CPF or CNPJ looked up (as typed or formatted).
    pub input: String,
    /// The history entry of that lookup, to keep the answer with it (absent: "não registrar").
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub history_id: Option<i64>,
    /// `{cep}`: typed by the clerk; absent: the record's address.
    #[serde(default)]
    #[ts(optional)]
    pub cep: Option<String>,
    /// `{autorizacao}`: the e-CAC code of the Consulta screen.
    #[serde(default)]
    #[ts(optional)]
    pub authorization_code: Option<String>,
    /// Finalidade or protocol number, for the audit trail (as the lookup's).
    #[serde(default)]
    #[ts(optional)]
    pub purpose: Option<String>,
}

/// An extra base's answer, where it is kept, and its previous answer for the same number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BaseLookupResponse {
    pub answer: BaseAnswer,
    /// Kept in the history with its lookup.
    pub saved: bool,
    /// The fields whose value differs from the previous answer of this base for the same number (labels).
    pub changed: Vec<String>,
    /// When that previous answer was given (RFC 3339), if there is one.
    #[serde(default)]
    #[ts(optional)]
    pub previous_at: Option<String>,
}

/// The labels of `now`'s fields whose value differs from `before`'s ("o que mudou desde").
pub fn changed_fields(before: &BaseAnswer, now: &BaseAnswer) -> Vec<String> {
    now.fields
        .iter()
        .filter(|f| {
            let old = before.fields.iter().find(|o| o.label == f.label);
            old.is_none_or(|o| o.value != f.value || o.items != f.items)
        })
        .map(|f| f.label.clone())
        .collect()
}

/// An extra base's answer for one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BaseAnswer {
    pub base_id: BaseId,
    pub name: String,
    /// False: the base answered "nada consta" (one of its `not_found` statuses).
    pub found: bool,
    pub fields: Vec<BaseValue>,
    pub meta: CallMeta,
    /// When the answer arrived (RFC 3339, UTC).
    pub consulted_at: String,
    /// The body as received (for "ver resposta original" and the history).
    pub raw: String,
}

/// An answer body read into the declared fields (an undecodable body is an `Upstream` error).
pub fn render_fields(base: &ExtraBase, body: &str) -> Result<Vec<BaseValue>, AppError> {
    let json: Value = serde_json::from_str(body).map_err(|_| {
        AppError::new(
            ErrorCode::Upstream,
            format!(
                "A base «{}» respondeu algo que não é JSON. Tente de novo mais tarde; se persistir, avise a TI.",
                base.name
            ),
        )
    })?;
    Ok(base.fields.iter().map(|f| render_field(f, &json)).collect())
}

fn cut(s: String) -> String {
    if s.chars().count() <= MAX_SHOWN {
        return s;
    }
    let mut t: String = s.chars().take(MAX_SHOWN).collect();
    t.push('…');
    t
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "Sim".to_owned(),
        Value::Bool(false) => "Não".to_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn render_field(spec: &BaseFieldSpec, json: &Value) -> BaseValue {
    let label = spec.label.clone();
    let Some(v) = json.pointer(&spec.pointer).filter(|v| !v.is_null()) else {
        return BaseValue { label, value: None, items: Vec::new(), unexpected: false };
    };
    let shown = |value: Option<String>, unexpected: bool| BaseValue {
        label: spec.label.clone(),
        value: value.map(cut),
        items: Vec::new(),
        unexpected,
    };
    let raw = scalar_text(v);
    match spec.kind {
        FieldKind::Text => shown(Some(raw), v.is_object() || v.is_array()),
        FieldKind::Date => match format_date(&raw, spec.format.as_deref().unwrap_or_default()) {
            Some(d) => shown(Some(d), false),
            None => shown(Some(raw), true),
        },
        FieldKind::Money => {
            let text = match v {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.trim().to_owned(),
                _ => String::new(),
            };
            match format_money(&text, spec.unit.unwrap_or(MoneyUnit::Reais)) {
                Some(m) => shown(Some(m), false),
                None => shown(Some(raw), true),
            }
        }
        FieldKind::Code => {
            let code = raw.trim().to_owned();
            match spec.labels.as_ref().and_then(|l| l.get(&code)) {
                Some(l) => shown(Some(format!("{l} ({code})")), false),
                None => shown(Some(format!("{code} (código sem rótulo na declaração)")), true),
            }
        }
        FieldKind::Flag => match flag(v) {
            Some(true) => shown(Some("Sim".to_owned()), false),
            Some(false) => shown(Some("Não".to_owned()), false),
            None => shown(Some(raw), true),
        },
        FieldKind::List => {
            let Value::Array(items) = v else { return shown(Some(raw), true) };
            let items: Vec<String> = items
                .iter()
                .take(MAX_ITEMS)
                .map(|item| match &spec.item {
                    Some(pointers) => {
                        pointers.iter().filter_map(|p| item.pointer(p).map(scalar_text)).collect::<Vec<_>>().join(": ")
                    }
                    None => scalar_text(item),
                })
                .map(cut)
                .collect();
            BaseValue { label, value: Some(format!("{} itens", items.len())), items, unexpected: false }
        }
    }
}

fn flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "s" | "sim" | "true" | "1" | "y" | "yes" => Some(true),
            "n" | "não" | "nao" | "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `raw` read in `format` as `DD/MM/AAAA`, or `None` when it does not fit (a time after an ISO date is ignored).
pub fn format_date(raw: &str, format: &str) -> Option<String> {
    let raw = raw.trim();
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit()).then(|| s.to_owned());
    let (y, m, d) = match format {
        "AAAAMMDD" if raw.len() == 8 => (digits(raw.get(..4)?)?, digits(raw.get(4..6)?)?, digits(raw.get(6..8)?)?),
        "DDMMAAAA" if raw.len() == 8 => (digits(raw.get(4..8)?)?, digits(raw.get(2..4)?)?, digits(raw.get(..2)?)?),
        "AAAA-MM-DD" => {
            let date = raw.get(..10)?;
            if date.get(4..5)? != "-" || date.get(7..8)? != "-" || !(raw.len() == 10 || raw.get(10..11)? == "T") {
                return None;
            }
            (digits(date.get(..4)?)?, digits(date.get(5..7)?)?, digits(date.get(8..10)?)?)
        }
        "DD/MM/AAAA" if raw.len() == 10 => {
            if raw.get(2..3)? != "/" || raw.get(5..6)? != "/" {
                return None;
            }
            (digits(raw.get(6..10)?)?, digits(raw.get(3..5)?)?, digits(raw.get(..2)?)?)
        }
        _ => return None,
    };
    let (mm, dd) = (m.parse::<u8>().ok()?, d.parse::<u8>().ok()?);
    if !(1..=12).contains(&mm) || !(1..=31).contains(&dd) {
        return None;
    }
    Some(format!("{d}/{m}/{y}"))
}

/// A decimal number (`1234.5`, `-12,30`, `123456` centavos) as `R$ 1.234,50`; `None` when it is not one.
pub fn format_money(text: &str, unit: MoneyUnit) -> Option<String> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = match body.split_once(['.', ',']) {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !all_digits(int) || !all_digits(frac) || int.len() > 30 {
        return None;
    }
    let (int, cents) = match unit {
        MoneyUnit::Reais => {
            let mut c: String = frac.chars().take(2).collect();
            while c.len() < 2 {
                c.push('0');
            }
            (int.trim_start_matches('0').to_owned(), c)
        }
        MoneyUnit::Centavos => {
            if !frac.is_empty() {
                return None;
            }
            let padded = format!("{int:0>3}");
            let split = padded.len().checked_sub(2)?;
            (padded.get(..split)?.trim_start_matches('0').to_owned(), padded.get(split..)?.to_owned())
        }
    };
    let int = if int.is_empty() { "0".to_owned() } else { int };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    Some(format!("{sign}R$ {grouped},{cents}"))
}

/// The three declarations Demonstração ships (the simulator serves them with fictitious data; the same, with their
/// sources, are in `docs/examples/profiles.toml`): SERPRO's Consulta Renda by the citizen's e-CAC authorisation,
/// Conecta's CEP and Dataprev's CadÚnico situação (whose answer no public source shows: an example).
pub fn demo_bases() -> Vec<ExtraBase> {
    let declarations = [
        serde_json::json!({
            "id": "renda", "name": "Consulta Renda (autorização e-CAC)",
            "path": "/renda-pf/v1/Consultar/{autorizacao}", "appliesTo": ["cpf"],
            "field": [
                {"pointer": "/autorizacao/titular", "label": "Titular (CPF)", "type": "text"},
                {"pointer": "/autorizacao/dataHoraRegistro", "label": "Autorização registrada em", "type": "date",
                 "format": "AAAA-MM-DD"},
                {"pointer": "/autorizacao/avisoLegal", "label": "Aviso legal", "type": "text"},
                {"pointer": "/dados", "label": "Dados declarados", "type": "list", "item": ["/texto", "/valor"]}
            ]
        }),
        serde_json::json!({
            "id": "cep", "name": "CEP (Conecta)", "path": "/api-cep/v1/consulta/cep/{cep}",
            "appliesTo": ["cpf", "cnpj"], "billed": false,
            "field": [
                {"pointer": "/logradouro", "label": "Logradouro", "type": "text"},
                {"pointer": "/bairro", "label": "Bairro", "type": "text"},
                {"pointer": "/municipio", "label": "Município", "type": "text"},
                {"pointer": "/uf", "label": "UF", "type": "text"}
            ]
        }),
        serde_json::json!({
            "id": "cadunico", "name": "CadÚnico: situação (Dataprev, exemplo)",
            "path": "/dataprev-cadunico/v1/situacaoCadastral/{cpf}", "appliesTo": ["cpf"], "quota": 1000,
            "field": [
                {"pointer": "/cadastrado", "label": "Cadastrado no CadÚnico", "type": "flag"},
                {"pointer": "/situacaoCadastral", "label": "Situação cadastral", "type": "code",
                 "labels": {"1": "Em cadastramento", "2": "Cadastrado", "3": "Excluído", "4": "Sem registro civil"}},
                {"pointer": "/dataAtualizacao", "label": "Atualizado em", "type": "date", "format": "AAAAMMDD"},
                {"pointer": "/rendaPerCapitaCentavos", "label": "Renda per capita", "type": "money", "unit": "centavos"},
                {"pointer": "/familiaUnipessoal", "label": "Família unipessoal", "type": "flag"}
            ]
        }),
    ];
    declarations.into_iter().filter_map(|d| serde_json::from_value(d).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> ExtraBase {
        serde_json::from_value(json!({
            "id": "renda", "name": "Consulta Renda", "path": "/renda-pf/v1/Consultar/{autorizacao}",
            "appliesTo": ["cpf"],
            "field": [{"pointer": "/autorizacao/titular", "label": "Titular", "type": "text"}]
        }))
        .unwrap()
    }

    #[test]
    fn the_demo_declarations_parse_and_pass_their_checks() {
        let bases = demo_bases();
        assert_eq!(bases.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(), ["renda", "cep", "cadunico"]);
        for b in &bases {
            b.check().unwrap_or_else(|e| panic!("{}: {e}", b.id));
        }
    }

    #[test]
    fn base_id_is_copy_inline_and_refuses_odd_characters() {
        let id = BaseId::parse("cad-unico_1").unwrap();
        assert_eq!(id.as_str(), "cad-unico_1");
        assert_eq!(serde_json::to_value(id).unwrap(), json!("cad-unico_1"));
        for bad in ["", "Renda", "a/b", "a b", "ç", &"x".repeat(33)] {
            assert!(BaseId::parse(bad).is_none(), "{bad}");
        }
        assert!(serde_json::from_value::<BaseId>(json!("../x")).is_err());
    }

    #[test]
    fn a_good_declaration_passes_and_defaults_apply() {
        let b = base();
        b.check().unwrap();
        assert_eq!(b.method, BaseMethod::Get);
        assert_eq!(b.credential, BaseCredential::Profile);
        assert!(b.billed);
        assert_eq!(b.not_found, [404]);
        assert_eq!(b.variables(), ["autorizacao"]);
    }

    #[test]
    fn bad_declarations_are_refused_with_a_reason_naming_the_field() {
        type Edit = Box<dyn Fn(&mut ExtraBase)>;
        let cases: Vec<(Edit, &str)> = vec![
            (Box::new(|b| b.path = "/x/{senha}".into()), "{senha}"),
            (Box::new(|b| b.path = "/x/../y".into()), "«..»"),
            (Box::new(|b| b.path = "https://evil.example/x".into()), "começar com «/»"),
            (Box::new(|b| b.path = "/x/{cnpj}".into()), "applies_to"),
            (Box::new(|b| b.path = "/x/{cpf".into()), "sem «}»"),
            (Box::new(|b| b.name = " ".into()), "name"),
            (Box::new(|b| b.applies_to.clear()), "applies_to"),
            (Box::new(|b| b.origin = Some("https://outra.example".into())), "token_path"),
            (
                Box::new(|b| {
                    b.origin = Some("https://outra.example".into());
                    b.token_path = Some("/token".into());
                }),
                "credential = \"own\"",
            ),
            (
                Box::new(|b| {
                    b.credential = BaseCredential::Own;
                    b.origin = Some("http://outra.example".into());
                    b.token_path = Some("/token".into());
                }),
                "HTTPS",
            ),
            (
                Box::new(|b| {
                    b.credential = BaseCredential::Own;
                    b.origin = Some("https://outra.example/caminho".into());
                    b.token_path = Some("/token".into());
                }),
                "sem caminho",
            ),
            (Box::new(|b| b.headers = Some([("Authorization".into(), "x".into())].into())), "Authorization"),
            (Box::new(|b| b.headers = Some([("x a".into(), "x".into())].into())), "x a"),
            (Box::new(|b| b.headers = Some([("x-a".into(), "a\r\nb: c".into())].into())), "controle"),
            (Box::new(|b| b.body = Some(json!({"a": "{cpf}"}))), "POST"),
            (Box::new(|b| b.not_found = vec![401]), "not_found"),
            (Box::new(|b| b.quota = Some(0)), "quota"),
            (Box::new(|b| b.fields.clear()), "campos"),
            (Box::new(|b| b.fields[0].kind = FieldKind::Date), "format"),
            (Box::new(|b| b.fields[0].kind = FieldKind::Money), "unit"),
            (Box::new(|b| b.fields[0].kind = FieldKind::Code), "rótulos"),
            (Box::new(|b| b.fields[0].pointer = "autorizacao".into()), "pointer"),
            (Box::new(|b| b.fields[0].item = Some(vec!["/a".into()])), "listas"),
        ];
        for (i, (edit, needle)) in cases.iter().enumerate() {
            let mut b = base();
            edit(&mut b);
            let e = b.check().unwrap_err();
            assert!(e.contains(needle), "case {i}: {e}");
        }
    }

    #[test]
    fn template_values_never_add_a_path_segment_query_or_header() {
        let v = TemplateValues {
            autorizacao: Some("a/../../b?c=d#e f".into()),
            cpf_usuario: Some("123\r\nX-Evil: 1".into()),
            cep: Some("..".into()),
            ..Default::default()
        };
        assert_eq!(expand("/r/{autorizacao}", &v, Place::Path).unwrap(), "/r/a%2F%2E%2E%2F%2E%2E%2Fb%3Fc%3Dd%23e%20f");
        assert_eq!(expand("/cep/{cep}", &v, Place::Path).unwrap_err().code, ErrorCode::InvalidDocument);
        assert_eq!(expand("{cpf_usuario}", &v, Place::Header).unwrap_err().code, ErrorCode::InvalidDocument);
        let missing = expand("/x/{cpf}", &v, Place::Path).unwrap_err();
        assert!(missing.message.contains("CPF"), "{}", missing.message);
        let body = expand_json(&json!({"lista": ["{autorizacao}"], "n": 1}), &v).unwrap();
        assert_eq!(body, json!({"lista": ["a/../../b?c=d#e f"], "n": 1}));
    }

    fn field(kind: FieldKind, pointer: &str) -> BaseFieldSpec {
        BaseFieldSpec {
            pointer: pointer.into(),
            label: "Rótulo".into(),
            kind,
            format: None,
            unit: None,
            labels: None,
            item: None,
        }
    }

    #[test]
    fn each_field_type_is_rendered() {
        let answer = json!({
            "nome": "Maria", "nasc": "19800131", "iso": "2024-02-29T10:00:00", "br": "31/12/1999",
            "renda": 1234567.5, "centavos": "123456", "sit": 2, "ativo": "S", "falso": false,
            "dados": [{"texto": "Rendimentos", "valor": "10,00"}, {"texto": "Imposto", "valor": "1,00"}],
            "tags": ["a", "b"], "nulo": null
        });
        let date = |p: &str, f: &str| BaseFieldSpec { format: Some(f.into()), ..field(FieldKind::Date, p) };
        let money = |p: &str, u| BaseFieldSpec { unit: Some(u), ..field(FieldKind::Money, p) };
        let code = BaseFieldSpec {
            labels: Some([("2".to_owned(), "Regular".to_owned())].into()),
            ..field(FieldKind::Code, "/sit")
        };
        let list =
            BaseFieldSpec { item: Some(vec!["/texto".into(), "/valor".into()]), ..field(FieldKind::List, "/dados") };
        let shown = |f: &BaseFieldSpec| render_field(f, &answer);
        assert_eq!(shown(&field(FieldKind::Text, "/nome")).value.as_deref(), Some("Maria"));
        assert_eq!(shown(&date("/nasc", "AAAAMMDD")).value.as_deref(), Some("31/01/1980"));
        assert_eq!(shown(&date("/iso", "AAAA-MM-DD")).value.as_deref(), Some("29/02/2024"));
        assert_eq!(shown(&date("/br", "DD/MM/AAAA")).value.as_deref(), Some("31/12/1999"));
        let odd = shown(&date("/nasc", "DDMMAAAA"));
        assert!(odd.unexpected && odd.value.as_deref() == Some("19800131"), "{odd:?}");
        assert_eq!(shown(&money("/renda", MoneyUnit::Reais)).value.as_deref(), Some("R$ 1.234.567,50"));
        assert_eq!(shown(&money("/centavos", MoneyUnit::Centavos)).value.as_deref(), Some("R$ 1.234,56"));
        assert_eq!(shown(&code).value.as_deref(), Some("Regular (2)"));
        assert_eq!(shown(&field(FieldKind::Flag, "/ativo")).value.as_deref(), Some("Sim"));
        assert_eq!(shown(&field(FieldKind::Flag, "/falso")).value.as_deref(), Some("Não"));
        assert!(shown(&field(FieldKind::Flag, "/nome")).unexpected);
        assert_eq!(shown(&list).items, ["Rendimentos: 10,00", "Imposto: 1,00"]);
        assert_eq!(shown(&field(FieldKind::List, "/tags")).items, ["a", "b"]);
        assert_eq!(shown(&field(FieldKind::Text, "/nulo")).value, None);
        assert_eq!(shown(&field(FieldKind::Text, "/ausente")).value, None);
    }

    #[test]
    fn money_and_dates_refuse_what_they_cannot_read() {
        assert_eq!(format_money("5", MoneyUnit::Centavos).as_deref(), Some("R$ 0,05"));
        assert_eq!(format_money("-12,3", MoneyUnit::Reais).as_deref(), Some("-R$ 12,30"));
        assert_eq!(format_money("0", MoneyUnit::Reais).as_deref(), Some("R$ 0,00"));
        for bad in ["", "abc", "1.2.3", "1e5", "12.5x"] {
            assert_eq!(format_money(bad, MoneyUnit::Reais), None, "{bad}");
        }
        assert_eq!(format_money("1.5", MoneyUnit::Centavos), None);
        for (raw, f) in [("20241301", "AAAAMMDD"), ("2024-1-01", "AAAA-MM-DD"), ("ção12345", "AAAAMMDD")] {
            assert_eq!(format_date(raw, f), None, "{raw}");
        }
    }

    #[test]
    fn a_body_that_is_not_json_is_an_upstream_error() {
        assert_eq!(render_fields(&base(), "<html>").unwrap_err().code, ErrorCode::Upstream);
        let ok = render_fields(&base(), r#"{"autorizacao": {"titular": "Fulano"}}"#).unwrap();
        assert_eq!(ok[0].value.as_deref(), Some("Fulano"));
    }
}
