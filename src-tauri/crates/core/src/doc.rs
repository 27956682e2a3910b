//! CPF and CNPJ (numeric and alphanumeric, IN RFB 2.229/2024): parsing clerk input, check digits, detection, masks.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ts_rs::TS;
use unicode_normalization::UnicodeNormalization;

/// Which kind of number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    Cpf,
    Cnpj,
}

impl DocKind {
    pub fn label(self) -> &'static str {
        match self {
            DocKind::Cpf => "CPF",
            DocKind::Cnpj => "CNPJ",
        }
    }

    fn len(self) -> usize {
        match self {
            DocKind::Cpf => 11,
            DocKind::Cnpj => 14,
        }
    }
}

/// Why an input is not a valid number. Each variant has a pt-BR message via `Display`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(tag = "reason", rename_all = "camelCase")]
pub enum DocError {
    /// Nothing but separators or spaces.
    #[error("Digite um CPF (11 dígitos) ou um CNPJ (14 caracteres).")]
    Empty,
    /// The count of significant characters fits neither kind (or not the kind asked for).
    #[error("{}", wrong_length_message(*expected, *found))]
    WrongLength { expected: Option<DocKind>, found: usize },
    /// A character that can appear in no CPF or CNPJ (position counts from 1 in the input).
    #[error("Caractere inválido «{ch}» na posição {position}. Use só números (e letras, no CNPJ alfanumérico).")]
    InvalidCharacter { ch: String, position: usize },
    /// Letters in a CPF, or a letter among a CNPJ's two check digits.
    #[error("{}", letters_message(*kind))]
    LetterNotAllowed { kind: DocKind, position: usize },
    /// A check digit does not match (`digit` is 1 or 2).
    #[error("{} com dígito verificador incorreto: o {digit}º dígito verificador deveria ser {expected}, e não {found}. Confira o número com o cidadão.", kind.label())]
    CheckDigit { kind: DocKind, digit: u8, expected: char, found: char },
    /// All characters equal (000.000.000-00 and the like): arithmetically valid, never issued.
    #[error("{} com todos os caracteres iguais não existe.", kind.label())]
    RepeatedSequence { kind: DocKind },
}

fn wrong_length_message(expected: Option<DocKind>, found: usize) -> String {
    match expected {
        Some(DocKind::Cpf) => format!("O CPF tem 11 dígitos; foram digitados {found}."),
        Some(DocKind::Cnpj) => format!("O CNPJ tem 14 caracteres; foram digitados {found}."),
        None => format!("Um CPF tem 11 dígitos e um CNPJ tem 14 caracteres; foram digitados {found}."),
    }
}

fn letters_message(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Cpf => "O CPF só tem números; retire as letras.",
        DocKind::Cnpj => "Os dois últimos caracteres do CNPJ (dígitos verificadores) são sempre números.",
    }
}

/// Clean clerk input: NFKC (full-width digits from PDFs), a leading "CPF:"/"CNPJ nº" label dropped,
/// separators removed, letters upper-cased. Returns the significant characters.
pub fn clean(input: &str) -> Result<String, DocError> {
    let normalized: String = input.nfkc().collect::<String>().to_uppercase();
    let body = strip_label(normalized.trim());
    let mut out = String::with_capacity(14);
    for (i, ch) in body.chars().enumerate() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if is_separator(ch) {
            continue;
        } else {
            let offset = normalized.trim().chars().count() - body.chars().count();
            return Err(DocError::InvalidCharacter { ch: ch.to_string(), position: offset + i + 1 });
        }
    }
    if out.is_empty() {
        return Err(DocError::Empty);
    }
    Ok(out)
}

fn is_separator(ch: char) -> bool {
    ch.is_whitespace() || matches!(ch, '.' | '-' | '/' | '\\' | '_' | ',' | ';' | ':' | '(' | ')' | '[' | ']' | '"' | '\'' | '|' | '–' | '—' | '‐' | '−' | '·')
}

/// Drops a leading "CPF", "CNPJ", "CPF/CNPJ", "Nº", "N°" label (any case) when a separator follows it.
fn strip_label(s: &str) -> &str {
    let mut rest = s;
    loop {
        let before = rest;
        for label in ["CPF/CNPJ", "CNPJ", "CPF", "Nº", "N°", "NO.", "N.", "NO"] {
            if let Some(after) = rest.strip_prefix(label) {
                let next = after.chars().next();
                let label_ends_in_sep = label.ends_with('.') || label.ends_with('º') || label.ends_with('°');
                if next.is_none_or(|c| is_separator(c) || c == 'º' || c == '°') || label_ends_in_sep {
                    rest = after.trim_start_matches(|c: char| is_separator(c) || c == 'º' || c == '°');
                    break;
                }
            }
        }
        if rest == before {
            return rest;
        }
    }
}

fn char_value(c: u8) -> u32 {
    u32::from(c) - 48
}

fn mod11_digit(sum: u32) -> u8 {
    let r = sum % 11;
    if r < 2 { b'0' } else { b'0' + (11 - r) as u8 }
}

/// The two check digits of a CPF's first nine digits.
pub fn cpf_check_digits(base: &[u8; 9]) -> [u8; 2] {
    let s1: u32 = base.iter().zip((2..=10).rev()).map(|(&c, w)| char_value(c) * w).sum();
    let d1 = mod11_digit(s1);
    let s2: u32 = base.iter().chain(std::iter::once(&d1)).zip((2..=11).rev()).map(|(&c, w)| char_value(c) * w).sum();
    [d1, mod11_digit(s2)]
}

/// The two check digits of a CNPJ's first twelve characters (value = ASCII − 48, weights 2..9 cycling).
pub fn cnpj_check_digits(base: &[u8; 12]) -> [u8; 2] {
    const W1: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const W2: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    let s1: u32 = base.iter().zip(W1).map(|(&c, w)| char_value(c) * w).sum();
    let d1 = mod11_digit(s1);
    let s2: u32 = base.iter().chain(std::iter::once(&d1)).zip(W2).map(|(&c, w)| char_value(c) * w).sum();
    [d1, mod11_digit(s2)]
}

fn check(kind: DocKind, chars: &[u8], expected: [u8; 2]) -> Result<(), DocError> {
    let n = chars.len();
    for (i, &e) in expected.iter().enumerate() {
        let found = chars[n - 2 + i];
        if found != e {
            return Err(DocError::CheckDigit { kind, digit: i as u8 + 1, expected: e as char, found: found as char });
        }
    }
    Ok(())
}

fn all_equal(chars: &[u8]) -> bool {
    chars.iter().all(|&c| c == chars[0])
}

/// A valid CPF: 11 ASCII digits with correct check digits. Can only be built by parsing.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpf([u8; 11]);

impl Cpf {
    /// Parses clerk input (any mask, label or full-width digits) into a valid CPF.
    pub fn parse(input: &str) -> Result<Self, DocError> {
        Self::from_clean(&clean(input)?)
    }

    fn from_clean(s: &str) -> Result<Self, DocError> {
        let bytes = s.as_bytes();
        if let Some(pos) = bytes.iter().position(|b| !b.is_ascii_digit()) {
            return Err(DocError::LetterNotAllowed { kind: DocKind::Cpf, position: pos + 1 });
        }
        let arr: [u8; 11] =
            bytes.try_into().map_err(|_| DocError::WrongLength { expected: Some(DocKind::Cpf), found: bytes.len() })?;
        if all_equal(&arr) {
            return Err(DocError::RepeatedSequence { kind: DocKind::Cpf });
        }
        let base: [u8; 9] = arr[..9].try_into().expect("nine digits");
        check(DocKind::Cpf, &arr, cpf_check_digits(&base))?;
        Ok(Self(arr))
    }

    /// Eleven digits, no mask: what the APIs take.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }

    /// `000.000.000-00`.
    pub fn formatted(&self) -> String {
        let s = self.as_str();
        format!("{}.{}.{}-{}", &s[0..3], &s[3..6], &s[6..9], &s[9..11])
    }

    /// `***.428.201-**`: for lists and exports that do not need the whole number.
    pub fn masked(&self) -> String {
        let s = self.as_str();
        format!("***.{}.{}-**", &s[3..6], &s[6..9])
    }

    /// The ninth digit: the região fiscal where the CPF was issued (informational).
    pub fn fiscal_region(&self) -> u8 {
        self.0[8] - b'0'
    }
}

/// A valid CNPJ, numeric or alphanumeric: 12 characters `[0-9A-Z]` plus two numeric check digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cnpj([u8; 14]);

impl Cnpj {
    /// Parses clerk input (any mask, label, lower case, full-width characters) into a valid CNPJ.
    pub fn parse(input: &str) -> Result<Self, DocError> {
        Self::from_clean(&clean(input)?)
    }

    fn from_clean(s: &str) -> Result<Self, DocError> {
        let bytes = s.as_bytes();
        let arr: [u8; 14] =
            bytes.try_into().map_err(|_| DocError::WrongLength { expected: Some(DocKind::Cnpj), found: bytes.len() })?;
        if let Some(pos) = arr[12..].iter().position(|b| !b.is_ascii_digit()) {
            return Err(DocError::LetterNotAllowed { kind: DocKind::Cnpj, position: 13 + pos });
        }
        if all_equal(&arr) {
            return Err(DocError::RepeatedSequence { kind: DocKind::Cnpj });
        }
        let base: [u8; 12] = arr[..12].try_into().expect("twelve characters");
        check(DocKind::Cnpj, &arr, cnpj_check_digits(&base))?;
        Ok(Self(arr))
    }

    /// Fourteen characters, no mask, upper case: what the APIs take.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII alphanumerics")
    }

    /// `AA.AAA.AAA/AAAA-00`.
    pub fn formatted(&self) -> String {
        let s = self.as_str();
        format!("{}.{}.{}/{}-{}", &s[0..2], &s[2..5], &s[5..8], &s[8..12], &s[12..14])
    }

    /// `**.***.345/01DE-**`: for lists and exports that do not need the whole number.
    pub fn masked(&self) -> String {
        let s = self.as_str();
        format!("**.***.{}/{}-**", &s[5..8], &s[8..12])
    }

    /// The raiz (first eight characters): the company.
    pub fn root(&self) -> &str {
        &self.as_str()[..8]
    }

    /// The ordem (characters 9–12): the establishment. Data only: with alphanumeric CNPJs
    /// "0001 means matriz" no longer holds; the API's `tipoEstabelecimento` is the authority.
    pub fn order(&self) -> &str {
        &self.as_str()[8..12]
    }

    /// Whether this is a new-format (alphanumeric) CNPJ.
    pub fn is_alphanumeric(&self) -> bool {
        self.0[..12].iter().any(u8::is_ascii_uppercase)
    }
}

macro_rules! string_like {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($t), self.as_str())
            }
        }
        impl std::str::FromStr for $t {
            type Err = DocError;
            fn from_str(s: &str) -> Result<Self, DocError> {
                Self::parse(s)
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
        impl TS for $t {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;
            fn name(_: &ts_rs::Config) -> String {
                "string".to_owned()
            }
            fn inline(_: &ts_rs::Config) -> String {
                "string".to_owned()
            }
        }
    };
}
string_like!(Cpf);
string_like!(Cnpj);

/// A valid CPF or CNPJ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "number", rename_all = "lowercase")]
pub enum Document {
    Cpf(Cpf),
    Cnpj(Cnpj),
}

impl Document {
    /// Parses any input, deciding the kind from it: letters or 14 characters mean CNPJ, 11 digits mean CPF.
    pub fn parse(input: &str) -> Result<Self, DocError> {
        match detect(input) {
            Detection::Cpf(c) => Ok(Document::Cpf(c)),
            Detection::Cnpj(c) | Detection::Ambiguous { cnpj: c, .. } => Ok(Document::Cnpj(c)),
            Detection::Invalid { error, .. } => Err(error),
        }
    }

    pub fn kind(&self) -> DocKind {
        match self {
            Document::Cpf(_) => DocKind::Cpf,
            Document::Cnpj(_) => DocKind::Cnpj,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Document::Cpf(c) => c.as_str(),
            Document::Cnpj(c) => c.as_str(),
        }
    }

    pub fn formatted(&self) -> String {
        match self {
            Document::Cpf(c) => c.formatted(),
            Document::Cnpj(c) => c.formatted(),
        }
    }

    pub fn masked(&self) -> String {
        match self {
            Document::Cpf(c) => c.masked(),
            Document::Cnpj(c) => c.masked(),
        }
    }
}

/// What one input is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    Cpf(Cpf),
    Cnpj(Cnpj),
    /// Fourteen digits that are a valid CNPJ and also a valid CPF padded with three leading zeros.
    Ambiguous { cpf: Cpf, cnpj: Cnpj },
    /// Neither; `kind` is the kind the input most looks like, when it looks like one.
    Invalid { kind: Option<DocKind>, error: DocError },
}

/// Decides CPF vs CNPJ from one input: letters mean CNPJ; 11 significant characters mean CPF, 14 mean CNPJ.
pub fn detect(input: &str) -> Detection {
    let s = match clean(input) {
        Ok(s) => s,
        Err(error) => return Detection::Invalid { kind: None, error },
    };
    let has_letters = s.bytes().any(|b| b.is_ascii_uppercase());
    let kind = if has_letters || s.len() == DocKind::Cnpj.len() {
        DocKind::Cnpj
    } else if s.len() == DocKind::Cpf.len() {
        DocKind::Cpf
    } else {
        return Detection::Invalid { kind: None, error: DocError::WrongLength { expected: None, found: s.len() } };
    };
    match kind {
        DocKind::Cpf => match Cpf::from_clean(&s) {
            Ok(c) => Detection::Cpf(c),
            Err(error) => Detection::Invalid { kind: Some(kind), error },
        },
        DocKind::Cnpj => {
            let padded_cpf = s.strip_prefix("000").filter(|_| !has_letters).and_then(|r| Cpf::from_clean(r).ok());
            match (Cnpj::from_clean(&s), padded_cpf) {
                (Ok(cnpj), Some(cpf)) => Detection::Ambiguous { cpf, cnpj },
                (Ok(cnpj), None) => Detection::Cnpj(cnpj),
                (Err(_), Some(cpf)) => Detection::Cpf(cpf),
                (Err(error), None) => Detection::Invalid { kind: Some(kind), error },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_examples() {
        for ok in ["40442820135", "404.428.201-35", "111.444.777-35", "00000000191", "CPF: 404.428.201-35"] {
            Cpf::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for ok in ["12ABC34501DE35", "12.abc.345/01de-35", "A1B2C3D4000193", "ZZZZZZZZ000191", "34.238.864/0001-68"] {
            Cnpj::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        assert_eq!(
            Cpf::parse("12345678900"),
            Err(DocError::CheckDigit { kind: DocKind::Cpf, digit: 2, expected: '9', found: '0' })
        );
        assert_eq!(Cpf::parse("11111111111"), Err(DocError::RepeatedSequence { kind: DocKind::Cpf }));
        assert!(matches!(Cnpj::parse("34238864000169"), Err(DocError::CheckDigit { digit: 2, expected: '8', .. })));
    }

    #[test]
    fn full_width_and_labels() {
        assert_eq!(Cpf::parse("４０４４２８２０１３５").unwrap().as_str(), "40442820135");
        assert_eq!(Cnpj::parse("CNPJ nº 12.ABC.345/01DE-35").unwrap().formatted(), "12.ABC.345/01DE-35");
        assert_eq!(Cpf::parse("40442820135").unwrap().masked(), "***.428.201-**");
    }

    #[test]
    fn detection() {
        assert!(matches!(detect("404.428.201-35"), Detection::Cpf(_)));
        assert!(matches!(detect("12ABC34501DE35"), Detection::Cnpj(_)));
        assert!(matches!(detect("123"), Detection::Invalid { kind: None, .. }));
        assert!(matches!(detect("4044282013x"), Detection::Invalid { kind: Some(DocKind::Cnpj), .. }));
    }
}
