//! Profiles provisioned by IT from a TOML file (see docs/profiles.md): parsed, normalised and validated.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use balcao_core::error::{FieldProblem, io_reason, line_and_column};
use balcao_core::extra_base::{ExtraBase, MAX_BASES};
use balcao_core::profile::Profile;
use balcao_core::{AppError, ErrorCode};
use balcao_platform::LimitedReadError;
use serde_json::Value;

use crate::transport::{check_base_url, check_extra_ca_file};

/// Keys whose string values are enum names, accepted in snake_case or kebab-case too.
const ENUM_KEYS: &[&str] = &["cpfApi", "environment", "provider"];

fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' || c == '-' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Turns every table key (and the enum values) into the camelCase the profile types use.
fn normalise(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let k = camel(&k);
                    let v = match v {
                        Value::String(s) if ENUM_KEYS.contains(&k.as_str()) => Value::String(camel(&s)),
                        other => normalise(other),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(normalise).collect()),
        other => other,
    }
}

/// Largest profiles file read: a profile takes about 300 bytes, so 1 MiB holds thousands; the TOML parser and the
/// checks below then stay within a few tens of MB and well under a second.
pub const MAX_PROFILES_FILE_BYTES: u64 = 1024 * 1024;
/// Most profiles in one file: an agency has a handful (one per contract and environment); 500 leaves room for
/// shared hosting of many units while keeping the picker, the checks and the keyring look-ups bounded.
pub const MAX_PROFILES: usize = 500;

/// Why a profiles file was refused. Turned into a pt-BR [`AppError`] (naming the file, the line and the field) by
/// [`ProfilesFileError::into_app_error`]; the parser's own text stays in the source chain, for the log.
#[derive(Debug, thiserror::Error)]
pub enum ProfilesFileError {
    #[error("profiles file unreadable")]
    Read(#[source] std::io::Error),
    #[error("profiles file is a folder")]
    Folder,
    #[error("profiles file too large ({bytes} bytes)")]
    TooLarge { bytes: u64 },
    #[error("profiles file is not UTF-8 (line {line})")]
    NotUtf8 { line: usize },
    /// `parser` is the parser's message only: its full text quotes the file's line, which could hold a secret
    /// written by mistake (a `base_url` with a password) and must not reach the log.
    #[error("TOML syntax error at line {line}, column {column}: {parser}")]
    Syntax { line: usize, column: usize, parser: String },
    #[error("no [[profile]] table")]
    NoProfiles,
    #[error("`profile` is not an array of tables (line {line})")]
    NotAList { line: usize },
    #[error("{count} profiles, more than {MAX_PROFILES}")]
    TooMany { count: usize },
    #[error("profile {profile}, field {field}: {problem}")]
    Field {
        profile: String,
        field: String,
        line: Option<usize>,
        problem: String,
        #[source]
        source: Option<serde_json::Error>,
    },
    #[error("profile id {id} repeated (line {line:?})")]
    Duplicate { id: String, line: Option<usize> },
    #[error("profile refused (line {line:?}): {error}")]
    Invalid { line: Option<usize>, error: AppError },
}

impl ProfilesFileError {
    /// The pt-BR message: which file, which line, which field, and what to do. The cause chain goes to the log.
    pub fn into_app_error(self, file: Option<&Path>) -> AppError {
        let mut chain = self.to_string();
        let mut cause = std::error::Error::source(&self);
        while let Some(c) = cause {
            chain.push_str(&format!(": {c}"));
            cause = c.source();
        }
        tracing::warn!(file = ?file, error = %chain, "profiles file refused");
        let name = file.map_or_else(String::new, |f| format!(" {}", f.display()));
        let at = |line: Option<usize>| line.map_or_else(String::new, |l| format!(", linha {l}"));
        let detail = match self {
            ProfilesFileError::Read(e) => {
                return AppError::new(
                    ErrorCode::Config,
                    format!("Não foi possível ler o arquivo de perfis{name}: {}.", io_reason(&e)),
                );
            }
            ProfilesFileError::Folder => {
                return AppError::new(
                    ErrorCode::Config,
                    format!("O arquivo de perfis{name} é uma pasta, não um arquivo. Indique o arquivo TOML."),
                );
            }
            ProfilesFileError::TooLarge { bytes } => format!(
                "arquivo grande demais ({} KiB; no máximo {} KiB). Um arquivo de perfis tem poucos KiB: confira se \
                 é o arquivo certo.",
                bytes / 1024,
                MAX_PROFILES_FILE_BYTES / 1024
            ),
            ProfilesFileError::NotUtf8 { line } => format!("linha {line}: o texto não está em UTF-8."),
            ProfilesFileError::Syntax { line, column, .. } => {
                format!("linha {line}, coluna {column}: erro de sintaxe TOML (aspas, colchetes ou «=» faltando?).")
            }
            ProfilesFileError::NoProfiles => "nenhum perfil encontrado (use tabelas [[profile]]).".to_owned(),
            ProfilesFileError::NotAList { line } => {
                format!("linha {line}: «profile» deve ser uma lista de tabelas ([[profile]]).")
            }
            ProfilesFileError::TooMany { count } => {
                format!(
                    "{count} perfis; no máximo {MAX_PROFILES} por arquivo. Divida-o ou remova os que não são usados."
                )
            }
            ProfilesFileError::Field { profile, field, line, problem, .. } => {
                let at = line.map_or_else(String::new, |l| format!("linha {l}, "));
                format!("{at}perfil {profile}, campo {field}: {problem}.")
            }
            ProfilesFileError::Duplicate { id, line } => {
                let at = line.map_or_else(String::new, |l| format!("linha {l}: "));
                format!("{at}o identificador «{id}» aparece em mais de um perfil.")
            }
            ProfilesFileError::Invalid { line, error } => {
                return AppError::new(error.code, format!("Arquivo de perfis{name}{}: {}", at(line), error.message));
            }
        };
        AppError::new(
            ErrorCode::Config,
            format!("Arquivo de perfis{name} inválido: {detail} Corrija o arquivo (veja docs/profiles.md)."),
        )
    }
}

/// Reads and checks a profiles file (see [`load_profiles_toml`]), never more than [`MAX_PROFILES_FILE_BYTES`]
/// of it: every refusal is a pt-BR `Config` error naming the file, and the line and field when there is one.
pub fn read_profiles_file(path: &Path) -> Result<Vec<Profile>, AppError> {
    let fail = |e: ProfilesFileError| e.into_app_error(Some(path));
    let text = read_capped(path).map_err(fail)?;
    parse_profiles(&text).map_err(fail)
}

fn read_capped(path: &Path) -> Result<String, ProfilesFileError> {
    let bytes = balcao_platform::read_limited(path, MAX_PROFILES_FILE_BYTES).map_err(|e| match e {
        LimitedReadError::Io(e) => ProfilesFileError::Read(e),
        LimitedReadError::Folder => ProfilesFileError::Folder,
        LimitedReadError::TooLarge { bytes } => ProfilesFileError::TooLarge { bytes },
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes().get(..valid).map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
        ProfilesFileError::NotUtf8 { line }
    })
}

/// The `[[profile]]` tables of a text read from `file` by someone else (the managed policy file holds them beside
/// its own keys, which this parser ignores): the same checks and the same pt-BR errors, naming `file` and the line.
pub fn parse_profiles_in(text: &str, file: &Path) -> Result<Vec<Profile>, AppError> {
    parse_profiles(text).map_err(|e| e.into_app_error(Some(file)))
}

/// Reads the `[[profile]]` tables of a profiles file. Keys may be written in snake_case (`base_url`) or camelCase
/// (`baseUrl`). Every profile is validated (ids unique, HTTPS or loopback URL, paths, Conecta clerk CPF…).
pub fn load_profiles_toml(text: &str) -> Result<Vec<Profile>, AppError> {
    parse_profiles(text).map_err(|e| e.into_app_error(None))
}

/// The dotted key of the first float in `v` that is NaN or infinite: TOML accepts `nan` and `inf`, JSON has no such
/// numbers, so converted a `rate_limit_rps = nan` would silently become "no pacing".
fn non_finite_key(v: &toml::Value, path: &str) -> Option<String> {
    let join = |k: &str| if path.is_empty() { k.to_owned() } else { format!("{path}.{k}") };
    match v {
        toml::Value::Float(f) if !f.is_finite() => Some(path.to_owned()),
        toml::Value::Table(t) => t.iter().find_map(|(k, v)| non_finite_key(v, &join(k))),
        toml::Value::Array(items) => items.iter().find_map(|v| non_finite_key(v, path)),
        _ => None,
    }
}

/// The keys a profile table may have, camelCase, per sub-table ("" for the profile itself).
fn known_keys() -> HashMap<String, HashSet<String>> {
    let mut known = HashMap::new();
    if let Ok(Value::Object(map)) = serde_json::to_value(Profile::demo("https://x")) {
        let mut top = HashSet::new();
        for (k, v) in map {
            if let Value::Object(inner) = v {
                known.insert(k.clone(), inner.keys().cloned().collect());
            }
            top.insert(k);
        }
        known.insert(String::new(), top);
    }
    known
}

/// How the file wrote a camelCase key (`baseUrl` may be `base_url` or `base-url`); snake_case when it is absent.
fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Where each profile table and key is in the text, to name lines in messages.
struct Spans<'t> {
    text: &'t str,
    profiles: Vec<&'t toml::Spanned<toml::de::DeValue<'t>>>,
}

impl<'t> Spans<'t> {
    fn line(&self, offset: usize) -> usize {
        line_and_column(self.text, offset).0
    }

    /// The line of the `index`th profile's header.
    fn profile_line(&self, index: usize) -> Option<usize> {
        self.profiles.get(index).map(|p| self.line(p.span().start))
    }

    /// The line and the spelling of key `path` (camelCase segments) in the `index`th profile.
    fn key(&self, index: usize, path: &[&str]) -> Option<(usize, String)> {
        let mut table = self.profiles.get(index)?.get_ref().as_table()?;
        let mut found = None;
        for (i, segment) in path.iter().enumerate() {
            let (k, v) = table.iter().find(|(k, _)| camel(k.get_ref()) == *segment)?;
            found = Some((self.line(k.span().start), k.get_ref().to_string()));
            if i + 1 < path.len() {
                table = v.get_ref().as_table()?;
            }
        }
        found
    }
}

fn spans_of<'t>(root: &'t toml::Spanned<toml::de::DeTable<'t>>, text: &'t str) -> Spans<'t> {
    let list = root
        .get_ref()
        .iter()
        .find(|(k, _)| matches!(k.get_ref().as_ref(), "profile" | "profiles"))
        .and_then(|(_, v)| v.get_ref().as_array());
    Spans { text, profiles: list.map(|a| a.iter().collect()).unwrap_or_default() }
}

fn parse_profiles(text: &str) -> Result<Vec<Profile>, ProfilesFileError> {
    if text.len() as u64 > MAX_PROFILES_FILE_BYTES {
        return Err(ProfilesFileError::TooLarge { bytes: text.len() as u64 });
    }
    let syntax = |e: toml::de::Error| {
        let (line, column) = line_and_column(text, e.span().map_or(0, |s| s.start));
        ProfilesFileError::Syntax { line, column, parser: e.message().to_owned() }
    };
    let spanned = toml::de::DeTable::parse(text).map_err(syntax)?;
    let spans = spans_of(&spanned, text);
    let doc: toml::Table = toml::from_str(text).map_err(syntax)?;
    let list = match doc.get("profile").or_else(|| doc.get("profiles")) {
        Some(toml::Value::Array(items)) => items,
        Some(_) => return Err(ProfilesFileError::NotAList { line: spans.profile_line(0).unwrap_or(1) }),
        None => return Err(ProfilesFileError::NoProfiles),
    };
    if list.len() > MAX_PROFILES {
        return Err(ProfilesFileError::TooMany { count: list.len() });
    }
    let known = known_keys();
    let mut ids = HashSet::with_capacity(list.len());
    let mut profiles: Vec<Profile> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        if let Some(key) = non_finite_key(item, "") {
            // serde_json would turn nan or inf into null, and a null rate limit turns pacing off.
            return Err(ProfilesFileError::Field {
                profile: format!("nº {}", i + 1),
                field: key,
                line: spans.profile_line(i),
                problem: "não é um número finito (nan e inf não são aceitos)".to_owned(),
                source: None,
            });
        }
        let (item, bases) = split_bases(item);
        let item = normalise(serde_json::to_value(&item).map_err(|e| ProfilesFileError::Field {
            profile: format!("nº {}", i + 1),
            field: "?".to_owned(),
            line: spans.profile_line(i),
            problem: "valor que não pode ser lido".to_owned(),
            source: Some(e),
        })?);
        let label =
            item.get("id").and_then(Value::as_str).map_or_else(|| format!("nº {}", i + 1), |id| format!("«{id}»"));
        check_keys(&item, &known, &spans, i, &label)?;
        let profile: Profile = serde_path_to_error::deserialize(item).map_err(|e| {
            let path: Vec<String> = e.path().iter().map(|s| s.to_string()).collect();
            let problem = FieldProblem::from_serde(&e.inner().to_string());
            let mut segments: Vec<&str> = path.iter().map(String::as_str).filter(|s| *s != "?").collect();
            if let Some(f) = problem.field.as_deref() {
                segments.push(f);
            }
            let (line, field) = match spans.key(i, &segments) {
                Some((line, written)) => (Some(line), written),
                // A missing key: the line of its table, the key in the docs' snake_case.
                None => {
                    let parent = segments.len().saturating_sub(1);
                    let line = segments
                        .get(..parent)
                        .filter(|p| !p.is_empty())
                        .and_then(|p| spans.key(i, p))
                        .map(|(l, _)| l)
                        .or_else(|| spans.profile_line(i));
                    (line, segments.iter().map(|s| snake(s)).collect::<Vec<_>>().join("."))
                }
            };
            ProfilesFileError::Field {
                profile: label.clone(),
                field,
                line,
                problem: problem.problem,
                source: Some(e.into_inner()),
            }
        })?;
        let line = spans.profile_line(i);
        profile.validate().map_err(|error| ProfilesFileError::Invalid { line, error })?;
        check_base_url(&profile).map_err(|error| ProfilesFileError::Invalid {
            line: spans.key(i, &["baseUrl"]).map(|(l, _)| l).or(line),
            error,
        })?;
        check_extra_ca_file(&profile).map_err(|error| ProfilesFileError::Invalid {
            line: spans.key(i, &["extraCaFile"]).map(|(l, _)| l).or(line),
            error,
        })?;
        if !ids.insert(profile.id.clone()) {
            return Err(ProfilesFileError::Duplicate { id: profile.id, line });
        }
        let mut profile = profile;
        read_bases(&mut profile, bases, &spans, i);
        profiles.push(profile);
    }
    Ok(profiles)
}

/// The keys an extra base list may be written under (`[[profile.extra_base]]`).
const BASE_KEYS: &[&str] = &["extraBase", "extraBases"];

/// The profile table without its extra bases, and those bases (read apart: a bad one is skipped, not fatal).
fn split_bases(item: &toml::Value) -> (toml::Value, Vec<toml::Value>) {
    let mut item = item.clone();
    let mut bases = Vec::new();
    if let toml::Value::Table(t) = &mut item {
        let keys: Vec<String> = t.keys().filter(|k| BASE_KEYS.contains(&camel(k).as_str())).cloned().collect();
        for k in keys {
            match t.remove(&k) {
                Some(toml::Value::Array(items)) => bases.extend(items),
                Some(other) => bases.push(other),
                None => {}
            }
        }
    }
    (item, bases)
}

/// A base table's own keys and its fields' keys in camelCase, and its enum values as the types spell them; the
/// names inside `query`, `headers`, `body` and `labels` are left as written (they are the API's).
fn normalise_base(v: toml::Value) -> Result<Value, serde_json::Error> {
    let mut json = serde_json::to_value(v)?;
    let Value::Object(map) = &mut json else { return Ok(json) };
    let mut out = serde_json::Map::new();
    for (k, v) in std::mem::take(map) {
        let k = match camel(&k).as_str() {
            "fields" => "field".to_owned(),
            other => other.to_owned(),
        };
        let v = match (k.as_str(), v) {
            ("method", Value::String(m)) => Value::String(m.to_ascii_uppercase()),
            ("field", Value::Array(fields)) => Value::Array(
                fields
                    .into_iter()
                    .map(|f| match f {
                        Value::Object(f) => Value::Object(f.into_iter().map(|(k, v)| (camel(&k), v)).collect()),
                        other => other,
                    })
                    .collect(),
            ),
            (_, v) => v,
        };
        out.insert(k, v);
    }
    Ok(Value::Object(out))
}

/// The line of the `base`th extra base table of the `index`th profile.
fn base_line(spans: &Spans<'_>, index: usize, base: usize) -> Option<usize> {
    let table = spans.profiles.get(index)?.get_ref().as_table()?;
    let (_, list) = table.iter().find(|(k, _)| BASE_KEYS.contains(&camel(k.get_ref()).as_str()))?;
    let item = list.get_ref().as_array()?.get(base)?;
    Some(spans.line(item.span().start))
}

/// Reads the extra bases of `profile`: each valid one is kept; each invalid one is skipped and its pt-BR reason
/// (naming the line) is logged and kept in `extra_base_issues`, so Configurações can show it.
fn read_bases(profile: &mut Profile, bases: Vec<toml::Value>, spans: &Spans<'_>, index: usize) {
    if bases.is_empty() {
        return;
    }
    let mut kept: Vec<ExtraBase> = Vec::new();
    let mut issues = Vec::new();
    for (j, raw) in bases.into_iter().enumerate() {
        let line = base_line(spans, index, j);
        let written_id = raw.get("id").and_then(toml::Value::as_str).map(str::to_owned);
        let read = normalise_base(raw).map_err(|_| "valor que não pode ser lido".to_owned()).and_then(|v| {
            serde_path_to_error::deserialize::<_, ExtraBase>(v).map_err(|e| {
                let inner = e.inner().to_string();
                let problem = FieldProblem::from_serde(&inner);
                let mut path: Vec<String> = e.path().iter().map(|s| s.to_string()).filter(|s| s != "?").collect();
                path.extend(problem.field);
                let problem = if inner.starts_with("identificador") { inner.clone() } else { problem.problem };
                match path.is_empty() {
                    true => problem,
                    false => {
                        format!("campo {}: {problem}", path.iter().map(|s| snake(s)).collect::<Vec<_>>().join("."))
                    }
                }
            })
        });
        let checked = read.and_then(|b| {
            b.check()?;
            if kept.iter().any(|k| k.id == b.id) {
                return Err("o identificador aparece em mais de uma base deste perfil".to_owned());
            }
            if kept.len() >= MAX_BASES {
                return Err(format!("no máximo {MAX_BASES} outras bases por perfil"));
            }
            Ok(b)
        });
        match checked {
            Ok(b) => kept.push(b),
            Err(why) => {
                let at = line.map_or_else(String::new, |l| format!("linha {l}: "));
                let name = written_id.map_or_else(|| format!("nº {}", j + 1), |id| format!("«{id}»"));
                let issue = format!(
                    "{at}perfil «{}», outra base {name}: {why}. Esta base foi ignorada; o resto do arquivo vale.",
                    profile.id
                );
                tracing::warn!(profile = %profile.id, line, "extra base declaration skipped: {issue}");
                issues.push(issue);
            }
        }
    }
    profile.extra_bases = Some(kept);
    profile.extra_base_issues = (!issues.is_empty()).then_some(issues);
}

/// Refuses keys a profile does not have (a typo such as `quota_limt` would otherwise be silently ignored).
fn check_keys(
    item: &Value,
    known: &HashMap<String, HashSet<String>>,
    spans: &Spans<'_>,
    index: usize,
    label: &str,
) -> Result<(), ProfilesFileError> {
    let Some(map) = item.as_object() else { return Ok(()) };
    let top = known.get("").cloned().unwrap_or_default();
    let mut unknown: Option<Vec<&str>> = map.keys().find(|k| !top.contains(*k)).map(|k| vec![k.as_str()]);
    if unknown.is_none() {
        for (table, keys) in known.iter().filter(|(t, _)| !t.is_empty()) {
            if let Some(Value::Object(inner)) = map.get(table)
                && let Some(k) = inner.keys().find(|k| !keys.contains(*k))
            {
                unknown = Some(vec![table.as_str(), k.as_str()]);
                break;
            }
        }
    }
    let Some(path) = unknown else { return Ok(()) };
    let (line, field) = spans.key(index, &path).map_or_else(
        || (spans.profile_line(index), path.iter().map(|s| snake(s)).collect::<Vec<_>>().join(".")),
        |(l, written)| (Some(l), written),
    );
    Err(ProfilesFileError::Field {
        profile: label.to_owned(),
        field,
        line,
        problem: "campo desconhecido (confira a grafia em docs/profiles.md)".to_owned(),
        source: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use balcao_core::api::{Environment, Provider};
    use balcao_core::profile::CpfApi;
    use balcao_core::record::CnpjView;

    #[test]
    fn documented_example_file_loads() {
        let text = include_str!("../../../../docs/examples/profiles.toml");
        let profiles = load_profiles_toml(text).unwrap();
        assert!(profiles.len() >= 4, "{}", profiles.len());
        assert!(profiles.iter().any(|p| p.provider == Provider::Serpro && p.environment == Environment::Producao));
        assert!(profiles.iter().any(|p| p.provider == Provider::Conecta && p.clerk_cpf.is_some()));
        assert!(profiles.iter().any(|p| p.environment == Environment::SerproTrial));
        // The three «outras bases» of #19, each valid (none skipped).
        let bases: Vec<&str> = profiles.iter().flat_map(|p| p.bases()).map(|b| b.id.as_str()).collect();
        assert_eq!(bases, ["renda", "cep", "cadunico"]);
        assert!(profiles.iter().all(|p| p.extra_base_issues.is_none()), "{profiles:?}");
        assert!(text.matches("Confirmar com o contrato").count() >= 3);
    }

    #[test]
    fn snake_case_and_kebab_case_keys_and_values() {
        let text = r#"
            [[profile]]
            id = "conecta-h"
            name = "Conecta homologação"
            provider = "conecta"
            environment = "homologacao"
            base_url = "https://h-apigateway.conectagov.estaleiro.serpro.gov.br"
            cpf_api = "conecta_light"
            cnpj-views = ["basica", "qsa"]
            clerk_cpf = "000.000.001-91"
            quota_limit = 1000
            [profile.paths]
            cnpj_basica = "/outra-base/v2/basica/{ni}"
            [profile.network]
            total_timeout_ms = 15000
            rate_limit_rps = 2.5
        "#;
        let p = load_profiles_toml(text).unwrap().remove(0);
        assert_eq!(p.cpf_api, Some(CpfApi::ConectaLight));
        assert_eq!(p.cnpj_views, [CnpjView::Basica, CnpjView::Qsa]);
        assert_eq!(p.quota_limit, Some(1000));
        assert_eq!(p.paths.cnpj_basica.as_deref(), Some("/outra-base/v2/basica/{ni}"));
        assert_eq!(p.network.total_timeout_ms, 15000);
        assert_eq!(p.network.rate_limit_rps, Some(2.5));
        assert_eq!(p.network.connect_timeout_ms, 10_000);
    }

    #[test]
    fn errors_are_config_and_name_the_profile() {
        let cases = [
            ("not toml [", "inválido"),
            ("x = 1", "nenhum perfil"),
            (
                "[[profile]]\nid = \"a\"\nname = \"A\"\nprovider = \"serpro\"\nenvironment = \"producao\"\nbase_url = \"http://gateway.example\"\ncnpj_views = [\"basica\"]",
                "HTTPS",
            ),
            (
                "[[profile]]\nid = \"a\"\nname = \"A\"\nprovider = \"serpro\"\nenvironment = \"marte\"\nbase_url = \"https://g.example\"",
                "«a»",
            ),
            (
                "[[profile]]\nid = \"a\"\nname = \"A\"\nprovider = \"serpro\"\nenvironment = \"producao\"\nbase_url = \"https://g.example\"\ncnpj_views = [\"basica\"]\n[[profile]]\nid = \"a\"\nname = \"B\"\nprovider = \"serpro\"\nenvironment = \"producao\"\nbase_url = \"https://g.example\"\ncnpj_views = [\"basica\"]",
                "mais de um",
            ),
        ];
        for (text, needle) in cases {
            let e = load_profiles_toml(text).unwrap_err();
            assert_eq!(e.code, ErrorCode::Config, "{text}");
            assert!(e.message.contains(needle), "{text}: {}", e.message);
        }
    }

    const NETWORK_PROFILE: &str = "[[profile]]\nid = \"a\"\nname = \"A\"\nprovider = \"serpro\"\nenvironment = \"producao\"\nbase_url = \"https://g.example\"\ncnpj_views = [\"basica\"]\n[profile.network]\n";

    #[test]
    fn non_finite_and_out_of_bounds_network_knobs_are_refused_when_loaded() {
        for (line, needle) in [
            ("rate_limit_rps = nan", "rate_limit_rps"),
            ("rate_limit_rps = inf", "rate_limit_rps"),
            ("rate_limit_rps = -inf", "rate_limit_rps"),
            ("rate_limit_rps = 1e-300", "rateLimitRps"),
            ("max_retries = 4294967295", "maxRetries"),
            ("retry_base_ms = 4294967295", "retryBaseMs"),
            ("retry_max_delay_ms = 4294967295", "retryMaxDelayMs"),
            ("connect_timeout_ms = 0", "connectTimeoutMs"),
            ("total_timeout_ms = 4294967295", "totalTimeoutMs"),
            ("max_concurrency = 1000000", "maxConcurrency"),
        ] {
            let e = load_profiles_toml(&format!("{NETWORK_PROFILE}{line}\n")).unwrap_err();
            assert_eq!(e.code, ErrorCode::Config, "{line}");
            assert!(e.message.contains(needle), "{line}: {}", e.message);
        }
        let p = load_profiles_toml(&format!("{NETWORK_PROFILE}rate_limit_rps = 0.5\nmax_retries = 10\n")).unwrap();
        assert_eq!(p[0].network.rate_limit_rps, Some(0.5));
    }

    const BASES: &str = r#"
[[profile]]
id = "conecta-h"
name = "Conecta"
provider = "conecta"
environment = "homologacao"
base_url = "https://h-apigateway.conectagov.estaleiro.serpro.gov.br"
cnpj_views = ["basica"]
clerk_cpf = "000.000.001-91"

[[profile.extra_base]]
id = "cep"
name = "CEP"
path = "/api-cep/v1/consulta/cep/{cep}"
applies_to = ["cpf", "cnpj"]
method = "get"
quota = 1000
[profile.extra_base.headers]
x-cpf-usuario = "{cpf_usuario}"
[[profile.extra_base.field]]
pointer = "/logradouro"
label = "Logradouro"
type = "text"

[[profile.extra_base]]
id = "ruim"
name = "Ruim"
path = "/x/{senha}"
applies_to = ["cpf"]
[[profile.extra_base.field]]
pointer = "/a"
label = "A"
type = "text"

[[profile.extra_base]]
id = "typo"
name = "Typo"
path = "/x/{cpf}"
applies_to = ["cpf"]
billled = false
[[profile.extra_base.field]]
pointer = "/a"
label = "A"
type = "text"

[[profile.extra_base]]
id = "Maiuscula"
name = "Id ruim"
path = "/x/{cpf}"
applies_to = ["cpf"]
[[profile.extra_base.field]]
pointer = "/a"
label = "A"
type = "money"
"#;

    #[test]
    fn extra_bases_load_and_a_bad_one_is_skipped_naming_its_line() {
        let p = load_profiles_toml(BASES).unwrap().remove(0);
        let bases = p.bases();
        assert_eq!(bases.len(), 1, "{bases:?}");
        let cep = &bases[0];
        assert_eq!(cep.id.as_str(), "cep");
        assert_eq!(cep.quota, Some(1000));
        // Header names are the API's: never camelCased.
        assert_eq!(cep.headers.as_ref().unwrap().get("x-cpf-usuario").map(String::as_str), Some("{cpf_usuario}"));
        let issues = p.extra_base_issues.clone().unwrap();
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert!(issues[0].starts_with("linha 25:") && issues[0].contains("«ruim»") && issues[0].contains("{senha}"));
        assert!(issues[1].starts_with("linha 35:") && issues[1].contains("billled"), "{}", issues[1]);
        assert!(issues[2].starts_with("linha 46:") && issues[2].contains("identificador"), "{}", issues[2]);
        assert!(issues.iter().all(|i| i.contains("foi ignorada")));
    }

    #[test]
    fn a_file_cannot_write_the_skipped_bases_list_itself() {
        let text = format!("{NETWORK_PROFILE}\n");
        let text = text.replace("[profile.network]", "extra_base_issues = [\"x\"]\n[profile.network]");
        assert!(load_profiles_toml(&text).unwrap_err().message.contains("extra_base_issues"));
    }

    #[test]
    fn camel_conversion() {
        assert_eq!(camel("base_url"), "baseUrl");
        assert_eq!(camel("cnpj-views"), "cnpjViews");
        assert_eq!(camel("baseUrl"), "baseUrl");
        assert_eq!(camel("serpro_trial"), "serproTrial");
    }
}
