//! Lenient readers over `serde_json::Value`: keys in any case, codes as strings or integers, blanks as absent.

use balcao_core::record::{CodeLabel, ExtraField};
use serde_json::Value;

/// The value under `key`: the exact key first, then the same key in any letter case.
pub(crate) fn get<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    let map = obj.as_object()?;
    map.get(key).or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// The first of `keys` that is present and not null.
pub(crate) fn first<'a>(obj: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| get(obj, k).filter(|v| !v.is_null()))
}

/// A scalar as trimmed text: strings, integers and floats, booleans. Empty text and `null` are `None`.
pub(crate) fn text(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// Text of the first present key.
pub(crate) fn text_of(obj: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| text(get(obj, k)))
}

/// A code, given as a string or an integer; `pad` restores leading zeros lost by an integer.
pub(crate) fn code(v: Option<&Value>, pad: usize) -> Option<String> {
    let s = text(v)?;
    if s.chars().all(|c| c.is_ascii_digit()) && s.len() < pad { Some(format!("{s:0>pad$}")) } else { Some(s) }
}

/// `{codigo, descricao}` (either may be missing), or a bare code or label.
pub(crate) fn code_label(v: Option<&Value>) -> Option<CodeLabel> {
    let v = v?;
    if v.is_object() {
        let code = text_of(v, &["codigo", "code", "id"]);
        let label = text_of(v, &["descricao", "nome", "description"]);
        if code.is_none() && label.is_none() {
            return None;
        }
        return Some(CodeLabel { code: code.unwrap_or_default(), label: label.unwrap_or_default() });
    }
    let s = text(Some(v))?;
    if s.chars().all(|c| c.is_ascii_digit()) {
        Some(CodeLabel { code: s, label: String::new() })
    } else {
        Some(CodeLabel { code: String::new(), label: s })
    }
}

/// `"S"`/`"N"`, `"Sim"`/`"Não"`, booleans, `1`/`0`.
pub(crate) fn yes_no(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().and_then(|i| match i {
            1 => Some(true),
            0 => Some(false),
            _ => None,
        }),
        Value::String(s) => match s.trim().to_uppercase().as_str() {
            "S" | "SIM" | "TRUE" | "1" | "Y" => Some(true),
            "N" | "NAO" | "NÃO" | "FALSE" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A scalar or structure rendered compactly for an `ExtraField`.
pub(crate) fn display(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) if o.is_empty() => None,
        Value::String(_) | Value::Number(_) | Value::Bool(_) => text(Some(v)),
        other => Some(other.to_string()),
    }
}

/// Keys of `obj` not in `known` (compared ignoring case), as extra fields labelled by `label_of`.
pub(crate) fn extras(obj: &Value, known: &[&str], label_of: impl Fn(&str) -> Option<&'static str>) -> Vec<ExtraField> {
    let Some(map) = obj.as_object() else { return Vec::new() };
    map.iter()
        .filter(|(k, _)| !known.iter().any(|n| n.eq_ignore_ascii_case(k)))
        .filter_map(|(k, v)| {
            let value = display(v)?;
            let label = label_of(k).map(str::to_owned).unwrap_or_else(|| k.clone());
            Some(ExtraField { key: k.clone(), label, value })
        })
        .collect()
}

/// Only the ASCII letters and digits of `s`, upper-cased (to compare numbers the API echoes back).
pub(crate) fn alnum(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_match_in_any_case_and_blanks_are_absent() {
        let v = json!({"Nome": " Ana ", "cpf": "", "SituacaoCadastral": 5, "x": null});
        assert_eq!(text(get(&v, "nome")), Some("Ana".into()));
        assert_eq!(text(get(&v, "CPF")), None);
        assert_eq!(code(get(&v, "situacaoCadastral"), 1), Some("5".into()));
        assert_eq!(first(&v, &["x", "Nome"]), Some(&json!(" Ana ")));
    }

    #[test]
    fn codes_keep_or_restore_leading_zeros() {
        assert_eq!(code(Some(&json!(4215000)), 8), Some("04215000".into()));
        assert_eq!(code(Some(&json!("70836900")), 8), Some("70836900".into()));
        assert_eq!(code(Some(&json!("AB-1")), 8), Some("AB-1".into()));
    }

    #[test]
    fn code_label_shapes() {
        assert_eq!(
            code_label(Some(&json!({"codigo": 9701, "descricao": "BRASILIA"}))),
            Some(CodeLabel { code: "9701".into(), label: "BRASILIA".into() })
        );
        assert_eq!(code_label(Some(&json!("BRASIL"))).unwrap().label, "BRASIL");
        assert_eq!(code_label(Some(&json!({}))), None);
    }

    #[test]
    fn yes_no_variants() {
        for (v, want) in [
            (json!("S"), Some(true)),
            (json!("n"), Some(false)),
            (json!(true), Some(true)),
            (json!(0), Some(false)),
            (json!("?"), None),
        ] {
            assert_eq!(yes_no(Some(&v)), want, "{v}");
        }
    }

    #[test]
    fn extras_skip_known_and_empty() {
        let v = json!({"a": 1, "B": "x", "c": "", "d": {}, "e": [1]});
        let ex = extras(&v, &["A"], |k| (k == "B").then_some("Bê"));
        let keys: Vec<_> = ex.iter().map(|e| (e.key.as_str(), e.label.as_str(), e.value.as_str())).collect();
        assert_eq!(keys, [("B", "Bê", "x"), ("e", "e", "[1]")]);
    }
}
