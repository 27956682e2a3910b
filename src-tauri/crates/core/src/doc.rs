//! CPF and CNPJ (numeric and alphanumeric, IN RFB 2.229/2024): parsing clerk input, check digits, detection, masks.
//!
//! Reading rules, shared character for character with `ui/src/lib/doc.ts` (the test vectors in
//! `testdata/documents.json` keep the two in step):
//! 1. Every input character is classified alone: a *separator* (spaces, `.-/\,;:()[]{}"'`, dashes, quotes,
//!    `º ª °`, invisible format characters) is dropped; a character whose NFKC form is one ASCII letter or digit
//!    (full-width digits pasted from PDFs, lower case) is *significant* and upper-cased; anything else is invalid.
//! 2. Tokens are runs of non-separators. Whole tokens at the start or end that spell a label (`CPF`, `CNPJ`,
//!    `MF`, `Nº`, `número`…, accents ignored) are dropped, and so is a `CPF`/`CNPJ` glued before a digit.
//! 3. The text without labels is read first. If it is not a valid number, the readings that keep the glued
//!    prefix, then the last leading label, the last two… (up to four) are tried (an alphanumeric CNPJ may start
//!    with `NO` or `MF`), and the first valid one wins. Failing all, the error is the first reading's.

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

    /// Significant characters: 11 for a CPF, 14 for a CNPJ.
    pub fn length(self) -> usize {
        match self {
            DocKind::Cpf => 11,
            DocKind::Cnpj => 14,
        }
    }
}

/// Why an input is not a valid number. Each variant has a pt-BR message via `Display`, identical in `doc.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(tag = "reason", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum DocError {
    /// Nothing but separators, spaces or labels.
    #[error("Digite um CPF (11 dígitos) ou um CNPJ (14 caracteres).")]
    Empty,
    /// The count of significant characters fits neither kind (or not the kind asked for).
    #[error("{}", wrong_length_message(*expected, *found))]
    WrongLength { expected: Option<DocKind>, found: usize },
    /// A character that can appear in no CPF or CNPJ (`position` counts characters of the input from 1).
    #[error(
        "Caractere inválido «{}» na posição {position}. Use só números (e letras, no CNPJ alfanumérico).",
        show_char(ch)
    )]
    InvalidCharacter { ch: String, position: usize },
    /// A letter in a CPF, or among a CNPJ's two check digits (`position` counts characters of the input from 1).
    #[error("{}", letter_message(*kind, ch, *position))]
    LetterNotAllowed { kind: DocKind, ch: String, position: usize },
    /// A check digit does not match (`digit` is 1 or 2; the first wrong one is reported).
    #[error("{} com dígito verificador incorreto: o {digit}º dígito verificador deveria ser {expected}, e não {found}. Confira o número no documento apresentado.", kind.label())]
    CheckDigit { kind: DocKind, digit: u8, expected: char, found: char },
    /// All characters equal (000.000.000-00 and the like): arithmetically valid, never issued.
    #[error("{}", repeated_message(*kind))]
    RepeatedSequence { kind: DocKind },
}

fn wrong_length_message(expected: Option<DocKind>, found: usize) -> String {
    let typed = if found == 1 { "foi digitado 1".to_owned() } else { format!("foram digitados {found}") };
    match expected {
        Some(DocKind::Cpf) => format!("O CPF tem 11 dígitos; {typed}."),
        Some(DocKind::Cnpj) => format!("O CNPJ tem 14 caracteres; {typed}."),
        None => format!("Um CPF tem 11 dígitos e um CNPJ tem 14 caracteres; {typed}."),
    }
}

fn letter_message(kind: DocKind, ch: &str, position: usize) -> String {
    match kind {
        DocKind::Cpf => format!("O CPF só tem números: retire a letra «{ch}» (posição {position})."),
        DocKind::Cnpj => format!(
            "Os dois últimos caracteres do CNPJ (dígitos verificadores) são sempre números; «{ch}» na posição {position} não é válido."
        ),
    }
}

fn repeated_message(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Cpf => "CPF com todos os dígitos iguais não existe. Confira o número no documento apresentado.",
        DocKind::Cnpj => "CNPJ com todos os caracteres iguais não existe. Confira o número no documento apresentado.",
    }
}

/// A control character is shown as `U+0000`; anything else as itself.
fn show_char(ch: &str) -> String {
    match ch.chars().next() {
        Some(c) if c.is_control() => format!("U+{:04X}", u32::from(c)),
        _ => ch.to_owned(),
    }
}

/// Characters dropped wherever they appear.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\n'
            | '\r'
            | '\u{0B}'
            | '\u{0C}'
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200D}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{2060}'
            | '\u{3000}'
            | '\u{FEFF}'
            | '\u{AD}'
            | '.'
            | ','
            | ';'
            | ':'
            | '-'
            | '_'
            | '/'
            | '\\'
            | '|'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '"'
            | '\''
            | '`'
            | '´'
            | '\u{2010}'..='\u{2015}'
            | '\u{2212}'
            | '‘'
            | '’'
            | '“'
            | '”'
            | '«'
            | '»'
            | '·'
            | '•'
            | 'º'
            | 'ª'
            | '°'
    )
}

/// Words dropped when they form a whole token at the start or the end of the input (compared without accents).
const LABELS: [&str; 13] = ["CPF", "CNPJ", "CIC", "MF", "N", "NO", "NR", "NRO", "NUM", "NUMERO", "DO", "DA", "DE"];

/// How many leading labels the alternative readings may keep.
const MAX_KEPT_LABELS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// An upper-case ASCII letter or digit.
    Significant(u8),
    Separator,
    Invalid,
}

fn classify(c: char) -> Class {
    if is_separator(c) {
        return Class::Separator;
    }
    if c.is_ascii_alphanumeric() {
        return Class::Significant(c.to_ascii_uppercase() as u8);
    }
    if c.is_ascii() {
        return Class::Invalid;
    }
    let mut nfkc = std::iter::once(c).nfkc();
    match (nfkc.next(), nfkc.next()) {
        (Some(d), None) if d.is_ascii_alphanumeric() => Class::Significant(d.to_ascii_uppercase() as u8),
        _ if std::iter::once(c).nfkc().all(is_separator) => Class::Separator,
        _ => Class::Invalid,
    }
}

/// One input character: its 1-based position, the character and its class.
#[derive(Debug, Clone, Copy)]
struct Item {
    position: usize,
    ch: char,
    class: Class,
}

/// Significant characters (upper-case ASCII) with the input position each came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Sig {
    text: Vec<u8>,
    positions: Vec<usize>,
}

impl Sig {
    fn push_token(&mut self, token: &[Item]) {
        for item in token {
            if let Class::Significant(b) = item.class {
                self.text.push(b);
                self.positions.push(item.position);
            }
        }
    }

    fn has_letters(&self) -> bool {
        self.text.iter().any(u8::is_ascii_uppercase)
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text).unwrap_or_default()
    }
}

/// An input read per the rules in the module doc: the text without labels, then the readings that keep
/// some of the leading labels (nearest first), for a number that merely starts like a label.
#[derive(Debug)]
struct Scan {
    primary: Sig,
    alternatives: Vec<Sig>,
}

fn is_label(token: &[Item]) -> bool {
    let folded: String = token
        .iter()
        .map(|i| i.ch)
        .nfkd()
        .filter(|c| !('\u{300}'..='\u{36F}').contains(c))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    LABELS.contains(&folded.as_str())
}

/// Longest input scanned: a CPF or CNPJ with its mask and a label ("CNPJ/MF nº …") is under 40 characters; past
/// this, the input is refused by its length without building the per-character scan (a 50-million-digit spreadsheet
/// cell would otherwise take gigabytes).
const MAX_SCAN_CHARS: usize = 256;

fn scan(input: &str) -> Result<Scan, DocError> {
    if input.len() > MAX_SCAN_CHARS * 4 || input.chars().nth(MAX_SCAN_CHARS).is_some() {
        // The byte count stands for the character count here: an exact count would cost a pass over the input.
        return Err(DocError::WrongLength { expected: None, found: input.len() });
    }
    let items: Vec<Item> =
        input.chars().enumerate().map(|(i, ch)| Item { position: i + 1, ch, class: classify(ch) }).collect();
    let tokens: Vec<&[Item]> = items.split(|i| i.class == Class::Separator).filter(|t| !t.is_empty()).collect();
    let mut start = 0;
    while start < tokens.len() && is_label(tokens[start]) {
        start += 1;
    }
    let mut end = tokens.len();
    while end > start && is_label(tokens[end - 1]) {
        end -= 1;
    }
    if let Some(bad) = tokens[start..end].iter().flat_map(|t| t.iter()).find(|i| i.class == Class::Invalid) {
        return Err(DocError::InvalidCharacter { ch: bad.ch.to_string(), position: bad.position });
    }
    let sig_of = |from: usize| {
        let mut sig = Sig::default();
        for t in &tokens[from..end] {
            sig.push_token(t);
        }
        sig
    };
    let mut primary = sig_of(start);
    let mut alternatives = Vec::new();
    for prefix in ["CNPJ", "CPF"] {
        let n = prefix.len();
        if primary.text.starts_with(prefix.as_bytes()) && primary.text.get(n).is_some_and(u8::is_ascii_digit) {
            alternatives.push(primary.clone());
            primary.text.drain(..n);
            primary.positions.drain(..n);
            break;
        }
    }
    if primary.text.is_empty() {
        return Err(DocError::Empty);
    }
    // At most the last four labels are tried (enough for "CNPJ/MF nº"), keeping the work linear in the input.
    for from in (start.saturating_sub(MAX_KEPT_LABELS)..start).rev() {
        if tokens[from].iter().any(|i| i.class == Class::Invalid) {
            break;
        }
        alternatives.push(sig_of(from));
    }
    Ok(Scan { primary, alternatives })
}

impl Scan {
    /// The primary reading when valid, else the first valid alternative; failing all, the primary's error.
    fn resolve<T, E>(&self, read: impl Fn(&Sig) -> Result<T, E>) -> Result<T, E> {
        let first = read(&self.primary);
        if first.is_ok() {
            return first;
        }
        self.alternatives.iter().map(read).find(Result::is_ok).unwrap_or(first)
    }
}

/// Fourteen digits starting with `000`: a CPF padded to a CNPJ's width (spreadsheets do this).
fn is_zero_padded_cpf(s: &Sig) -> bool {
    s.text.len() == DocKind::Cnpj.length() && s.text.starts_with(b"000") && !s.has_letters()
}

/// The significant characters of clerk input (labels and separators dropped, upper case, NFKC):
/// what [`detect`] and the parsers read.
pub fn clean(input: &str) -> Result<String, DocError> {
    Ok(scan(input)?.primary.as_str().to_owned())
}

fn char_value(c: u8) -> u32 {
    u32::from(c).saturating_sub(48)
}

fn mod11_digit(sum: u32) -> u8 {
    let r = sum % 11;
    if r < 2 { b'0' } else { b'0' + (11 - r) as u8 }
}

/// The two check digits of a CPF's first nine digits (ASCII).
pub fn cpf_check_digits(base: &[u8; 9]) -> [u8; 2] {
    let s1: u32 = base.iter().zip((2..=10).rev()).map(|(&c, w)| char_value(c) * w).sum();
    let d1 = mod11_digit(s1);
    let s2: u32 = base.iter().chain(std::iter::once(&d1)).zip((2..=11).rev()).map(|(&c, w)| char_value(c) * w).sum();
    [d1, mod11_digit(s2)]
}

/// The two check digits of a CNPJ's first twelve characters (ASCII `[0-9A-Z]`; value = ASCII − 48, weights 2..9 cycling).
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
    /// Parses clerk input (any mask, label, spaces or full-width digits) into a valid CPF.
    /// Fourteen digits starting with `000` are read as a CPF padded to a CNPJ's width.
    pub fn parse(input: &str) -> Result<Self, DocError> {
        scan(input)?.resolve(Self::from_sig)
    }

    fn from_sig(s: &Sig) -> Result<Self, DocError> {
        if is_zero_padded_cpf(s) {
            return Self::from_sig(&Sig { text: s.text[3..].to_vec(), positions: s.positions[3..].to_vec() });
        }
        if let Some(i) = s.text.iter().position(|b| !b.is_ascii_digit()) {
            let ch = (s.text[i] as char).to_string();
            return Err(DocError::LetterNotAllowed { kind: DocKind::Cpf, ch, position: s.positions[i] });
        }
        let arr: [u8; 11] = s
            .text
            .as_slice()
            .try_into()
            .map_err(|_| DocError::WrongLength { expected: Some(DocKind::Cpf), found: s.text.len() })?;
        if all_equal(&arr) {
            return Err(DocError::RepeatedSequence { kind: DocKind::Cpf });
        }
        let mut base = [0u8; 9];
        base.copy_from_slice(&arr[..9]);
        check(DocKind::Cpf, &arr, cpf_check_digits(&base))?;
        Ok(Self(arr))
    }

    /// Completes nine digits with their check digits (for generators and the simulator).
    pub fn with_check_digits(base: &str) -> Result<Self, DocError> {
        let b: [u8; 9] = base
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 9]| b.iter().all(u8::is_ascii_digit))
            .ok_or(DocError::WrongLength { expected: Some(DocKind::Cpf), found: base.chars().count() + 2 })?;
        let dv = cpf_check_digits(&b);
        Self::parse(&format!("{base}{}{}", dv[0] as char, dv[1] as char))
    }

    /// Eleven digits, no mask: what the APIs take.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
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
        scan(input)?.resolve(Self::from_sig)
    }

    fn from_sig(s: &Sig) -> Result<Self, DocError> {
        let arr: [u8; 14] = s
            .text
            .as_slice()
            .try_into()
            .map_err(|_| DocError::WrongLength { expected: Some(DocKind::Cnpj), found: s.text.len() })?;
        if let Some(i) = (12..14).find(|&i| !arr[i].is_ascii_digit()) {
            let ch = (arr[i] as char).to_string();
            return Err(DocError::LetterNotAllowed { kind: DocKind::Cnpj, ch, position: s.positions[i] });
        }
        if all_equal(&arr) {
            return Err(DocError::RepeatedSequence { kind: DocKind::Cnpj });
        }
        let mut base = [0u8; 12];
        base.copy_from_slice(&arr[..12]);
        check(DocKind::Cnpj, &arr, cnpj_check_digits(&base))?;
        Ok(Self(arr))
    }

    /// Completes twelve characters `[0-9A-Za-z]` with their check digits (for generators and the simulator).
    pub fn with_check_digits(base: &str) -> Result<Self, DocError> {
        let upper = base.to_ascii_uppercase();
        let b: [u8; 12] = upper
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 12]| b.iter().all(u8::is_ascii_alphanumeric))
            .ok_or(DocError::WrongLength { expected: Some(DocKind::Cnpj), found: base.chars().count() + 2 })?;
        let dv = cnpj_check_digits(&b);
        Self::parse(&format!("{upper}{}{}", dv[0] as char, dv[1] as char))
    }

    /// Fourteen characters, no mask, upper case: what the APIs take.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
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
    /// Parses any input, deciding the kind with [`detect`]; an ambiguous input is read as the CNPJ it spells.
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

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one input is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    Cpf(Cpf),
    Cnpj(Cnpj),
    /// Fourteen digits that are a valid CNPJ and also a valid CPF padded with three leading zeros
    /// (spreadsheets often pad CPFs to 14). The clerk must say which was meant.
    Ambiguous {
        cpf: Cpf,
        cnpj: Cnpj,
    },
    /// Neither; `kind` is the kind the input most looks like, when it looks like one.
    Invalid {
        kind: Option<DocKind>,
        error: DocError,
    },
}

impl Detection {
    /// The kind detected (CNPJ when ambiguous), or the kind an invalid input most looks like.
    pub fn kind(&self) -> Option<DocKind> {
        match self {
            Detection::Cpf(_) => Some(DocKind::Cpf),
            Detection::Cnpj(_) | Detection::Ambiguous { .. } => Some(DocKind::Cnpj),
            Detection::Invalid { kind, .. } => *kind,
        }
    }

    pub fn is_valid(&self) -> bool {
        !matches!(self, Detection::Invalid { .. })
    }
}

/// Decides CPF vs CNPJ from one input.
///
/// 11 significant digits: CPF. 14 significant characters: CNPJ (also a zero-padded CPF when `000` + a valid CPF).
/// 11 characters with a letter: a CPF with a typo (a letter O for a zero), reported as such.
/// Any other length with a letter: an incomplete CNPJ. Any other length of digits: neither.
pub fn detect(input: &str) -> Detection {
    let scan = match scan(input) {
        Ok(scan) => scan,
        Err(error) => return Detection::Invalid { kind: None, error },
    };
    let read = |s: &Sig| match detect_sig(s) {
        Detection::Invalid { kind, error } => Err((kind, error)),
        valid => Ok(valid),
    };
    scan.resolve(read).unwrap_or_else(|(kind, error)| Detection::Invalid { kind, error })
}

fn detect_sig(s: &Sig) -> Detection {
    let invalid = |kind, error| Detection::Invalid { kind, error };
    match (s.text.len(), s.has_letters()) {
        (11, _) => match Cpf::from_sig(s) {
            Ok(c) => Detection::Cpf(c),
            Err(e) => invalid(Some(DocKind::Cpf), e),
        },
        (14, letters) => {
            let padded_cpf =
                if letters { None } else { is_zero_padded_cpf(s).then(|| Cpf::from_sig(s).ok()).flatten() };
            match (Cnpj::from_sig(s), padded_cpf) {
                (Ok(cnpj), Some(cpf)) => Detection::Ambiguous { cpf, cnpj },
                (Ok(cnpj), None) => Detection::Cnpj(cnpj),
                (Err(_), Some(cpf)) => Detection::Cpf(cpf),
                (Err(e), None) => invalid(Some(DocKind::Cnpj), e),
            }
        }
        (n, true) => invalid(Some(DocKind::Cnpj), DocError::WrongLength { expected: Some(DocKind::Cnpj), found: n }),
        (n, false) => invalid(None, DocError::WrongLength { expected: None, found: n }),
    }
}

impl From<DocError> for crate::error::AppError {
    fn from(e: DocError) -> Self {
        Self::new(crate::error::ErrorCode::InvalidDocument, e.to_string())
    }
}

impl crate::api::Validation {
    /// Validates one input locally (no call): the kind, the canonical and formatted number, or the pt-BR reason.
    pub fn of(input: &str) -> Self {
        let detection = detect(input);
        let kind = detection.kind();
        let (canonical, formatted, error) = match detection {
            Detection::Cpf(c) => (Some(c.to_string()), Some(c.formatted()), None),
            Detection::Cnpj(c) | Detection::Ambiguous { cnpj: c, .. } => {
                (Some(c.to_string()), Some(c.formatted()), None)
            }
            Detection::Invalid { error, .. } => (None, None, Some(error.into())),
        };
        Self { input: input.to_owned(), kind, valid: error.is_none(), canonical, formatted, error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_input_is_refused_by_its_length_without_scanning_it() {
        let huge = "9".repeat(5_000_000);
        assert_eq!(
            detect(&huge),
            Detection::Invalid { kind: None, error: DocError::WrongLength { expected: None, found: 5_000_000 } }
        );
        assert!(Cpf::parse(&huge).is_err());
    }

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
    fn full_width_labels_and_junk() {
        assert_eq!(Cpf::parse("４０４４２８２０１３５").unwrap().as_str(), "40442820135");
        assert_eq!(Cpf::parse("４０４．４２８．２０１－３５").unwrap().as_str(), "40442820135");
        assert_eq!(Cnpj::parse("CNPJ nº 12.ABC.345/01DE-35").unwrap().formatted(), "12.ABC.345/01DE-35");
        assert_eq!(Cnpj::parse("CNPJ/MF: 34.238.864/0001-68.").unwrap().as_str(), "34238864000168");
        assert_eq!(Cpf::parse("Número: 404.428.201-35 (CPF)").unwrap().as_str(), "40442820135");
        assert_eq!(Cpf::parse("CPF40442820135").unwrap().as_str(), "40442820135");
        assert_eq!(Cpf::parse("\u{FEFF}404\u{200B}428\u{A0}201-35\n").unwrap().as_str(), "40442820135");
        assert_eq!(Cpf::parse("40442820135").unwrap().masked(), "***.428.201-**");
    }

    #[test]
    fn a_cnpj_that_starts_like_a_label_is_kept() {
        let no = Cnpj::with_check_digits("NO1234560001").unwrap();
        assert_eq!(Cnpj::parse(&no.formatted()), Ok(no));
        assert_eq!(Document::parse(&no.formatted()), Ok(Document::Cnpj(no)));
        let mf = Cnpj::with_check_digits("MF0000010001").unwrap();
        assert_eq!(Cnpj::parse(&format!("CNPJ {}", mf.formatted())), Ok(mf));
    }

    #[test]
    fn reasons_point_at_the_input() {
        assert_eq!(
            Cpf::parse("CPF: 404.428.2O1-35"),
            Err(DocError::LetterNotAllowed { kind: DocKind::Cpf, ch: "O".into(), position: 15 })
        );
        assert_eq!(Cpf::parse("404*428"), Err(DocError::InvalidCharacter { ch: "*".into(), position: 4 }));
        assert_eq!(Cpf::parse(" .-/ "), Err(DocError::Empty));
        assert_eq!(Cpf::parse("CPF:"), Err(DocError::Empty));
        assert!(Cnpj::parse("12ABC34501DE3X").unwrap_err().to_string().contains("posição 14"));
        let e = DocError::InvalidCharacter { ch: "\u{7}".into(), position: 1 };
        assert!(e.to_string().contains("«U+0007»"), "{e}");
        assert_eq!(
            DocError::WrongLength { expected: Some(DocKind::Cpf), found: 1 }.to_string(),
            "O CPF tem 11 dígitos; foi digitado 1."
        );
    }

    #[test]
    fn detection() {
        assert!(matches!(detect("404.428.201-35"), Detection::Cpf(_)));
        assert!(matches!(detect("12ABC34501DE35"), Detection::Cnpj(_)));
        assert!(matches!(detect("123"), Detection::Invalid { kind: None, .. }));
        assert!(matches!(
            detect("4044282O135"),
            Detection::Invalid { kind: Some(DocKind::Cpf), error: DocError::LetterNotAllowed { position: 8, .. } }
        ));
        assert!(matches!(detect("12ABC345"), Detection::Invalid { kind: Some(DocKind::Cnpj), .. }));
        assert!(matches!(detect("00040442820135"), Detection::Cpf(_)));
    }

    #[test]
    fn ambiguous_fourteen_digits() {
        // 000 + a valid CPF that is also a valid CNPJ.
        let found = (0..200_000u32).find_map(|n| {
            let cpf = Cpf::with_check_digits(&format!("{:09}", n * 4999 % 1_000_000_000)).ok()?;
            let both = format!("000{cpf}");
            Cnpj::parse(&both).ok().map(|cnpj| (cpf, cnpj, both))
        });
        let (cpf, cnpj, both) = found.expect("some CPF padded to 14 is also a CNPJ");
        assert_eq!(detect(&both), Detection::Ambiguous { cpf, cnpj });
        assert_eq!(Document::parse(&both), Ok(Document::Cnpj(cnpj)));
    }

    #[test]
    fn generators_and_parts() {
        let c = Cnpj::with_check_digits("12abc34501de").unwrap();
        assert_eq!(c.as_str(), "12ABC34501DE35");
        assert_eq!((c.root(), c.order(), c.is_alphanumeric()), ("12ABC345", "01DE", true));
        assert_eq!(Cpf::with_check_digits("111444777").unwrap().as_str(), "11144477735");
        assert!(Cpf::with_check_digits("11144477").is_err());
        assert_eq!(Cpf::parse("40442820135").unwrap().fiscal_region(), 1);
    }

    #[test]
    fn validation_and_app_error() {
        let v = crate::api::Validation::of("404.428.201-36");
        assert!(!v.valid);
        assert_eq!(v.kind, Some(DocKind::Cpf));
        let e = v.error.unwrap();
        assert_eq!(e.code, crate::error::ErrorCode::InvalidDocument);
        assert!(e.message.contains("deveria ser 5"), "{}", e.message);
        let ok = crate::api::Validation::of("12.abc.345/01de-35");
        assert_eq!(ok.canonical.as_deref(), Some("12ABC34501DE35"));
        assert_eq!(ok.formatted.as_deref(), Some("12.ABC.345/01DE-35"));
    }
}
