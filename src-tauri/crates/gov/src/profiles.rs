//! Profiles provisioned by IT from a TOML file (see docs/profiles.md): parsed, normalised and validated.

use balcao_core::profile::Profile;
use balcao_core::{AppError, ErrorCode};
use serde_json::Value;

use crate::transport::check_base_url;

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

fn file_error(detail: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::Config,
        format!("Arquivo de perfis inválido: {detail} Corrija o arquivo (veja docs/profiles.md)."),
    )
}

/// The dotted key of the first `nan`/`inf` float in the file. TOML accepts them, but JSON has no such numbers:
/// converted, a `rate_limit_rps = nan` would silently become "no pacing".
fn non_finite_key(table: &toml::Table) -> Option<String> {
    fn walk(v: &toml::Value, path: &str) -> Option<String> {
        match v {
            toml::Value::Float(f) if !f.is_finite() => Some(path.to_owned()),
            toml::Value::Table(t) => t.iter().find_map(|(k, v)| walk(v, &format!("{path}.{k}"))),
            toml::Value::Array(items) => {
                items.iter().enumerate().find_map(|(i, v)| walk(v, &format!("{path}[{}]", i + 1)))
            }
            _ => None,
        }
    }
    table.iter().find_map(|(k, v)| walk(v, k))
}

/// Reads the `[[profile]]` tables of a profiles file. Keys may be written in snake_case (`base_url`) or camelCase
/// (`baseUrl`). Every profile is validated (ids unique, HTTPS or loopback URL, paths, Conecta clerk CPF…).
pub fn load_profiles_toml(text: &str) -> Result<Vec<Profile>, AppError> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| file_error(format!("{}.", e.message())))?;
    if let Some(key) = non_finite_key(&doc) {
        return Err(file_error(format!("a chave «{key}» não é um número finito (nan e inf não são aceitos).")));
    }
    let root = serde_json::to_value(doc).map_err(file_error)?;
    let list = match root.get("profile").or_else(|| root.get("profiles")) {
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(file_error("«profile» deve ser uma lista de tabelas ([[profile]]).")),
        None => return Err(file_error("nenhum perfil encontrado (use tabelas [[profile]]).")),
    };
    let mut profiles: Vec<Profile> = Vec::with_capacity(list.len());
    for (i, item) in list.into_iter().enumerate() {
        let item = normalise(item);
        let label =
            item.get("id").and_then(Value::as_str).map_or_else(|| format!("nº {}", i + 1), |id| format!("«{id}»"));
        let profile: Profile = serde_json::from_value(item).map_err(|e| file_error(format!("perfil {label}: {e}.")))?;
        profile.validate()?;
        check_base_url(&profile)?;
        if profiles.iter().any(|p| p.id == profile.id) {
            return Err(file_error(format!("o identificador «{}» aparece em mais de um perfil.", profile.id)));
        }
        profiles.push(profile);
    }
    Ok(profiles)
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

    #[test]
    fn camel_conversion() {
        assert_eq!(camel("base_url"), "baseUrl");
        assert_eq!(camel("cnpj-views"), "cnpjViews");
        assert_eq!(camel("baseUrl"), "baseUrl");
        assert_eq!(camel("serpro_trial"), "serproTrial");
    }
}
