//! Property tests of doc.rs: format → parse round trips, single-character changes, and no panic on any input.

use balcao_core::doc::{Detection, cnpj_check_digits, cpf_check_digits, detect};
use balcao_core::{Cnpj, Cpf, Document};
use proptest::prelude::*;

/// An independent reading of apis.md §4 (not the code under test): value = ASCII − 48, mod-11 weights, DV 0 when r < 2.
fn reference_valid(s: &str, weights1: &[u32]) -> bool {
    let v: Vec<u32> = s.bytes().map(|b| u32::from(b) - 48).collect();
    let dv = |vals: &[u32], ws: &[u32]| {
        let r = vals.iter().zip(ws).map(|(a, b)| a * b).sum::<u32>() % 11;
        if r < 2 { 0 } else { 11 - r }
    };
    let n = weights1.len();
    let mut w2 = vec![weights1[0] + 1];
    w2.extend_from_slice(weights1);
    if w2[0] == 10 {
        w2[0] = 2; // CNPJ weights wrap from 9 back to 2.
    }
    let d1 = dv(&v[..n], weights1);
    let mut with_d1 = v[..n].to_vec();
    with_d1.push(d1);
    let d2 = dv(&with_d1, &w2);
    v[n] == d1
        && v[n + 1] == d2
        && !s.bytes().all(|b| b == s.as_bytes()[0])
        && s[n..].bytes().all(|b| b.is_ascii_digit())
}

const CPF_W1: [u32; 9] = [10, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W1: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

fn cpf_strategy() -> impl Strategy<Value = Cpf> {
    "[0-9]{9}".prop_filter_map("repeated digits", |base| Cpf::with_check_digits(&base).ok())
}

fn cnpj_strategy() -> impl Strategy<Value = Cnpj> {
    prop_oneof!["[0-9]{12}", "[0-9A-Z]{12}", "[0-9A-Z]{8}0001", "[a-z0-9]{12}"]
        .prop_filter_map("repeated characters", |base| Cnpj::with_check_digits(&base).ok())
}

/// Separators and labels a clerk may put around a number.
fn decorate() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof![Just(""), Just(" "), Just("CPF: "), Just("CNPJ nº "), Just("\u{FEFF}"), Just("Número: ")],
        prop_oneof![Just(""), Just(" "), Just("\n"), Just("."), Just(" \u{A0}")],
    )
        .prop_map(|(a, b)| (a.to_owned(), b.to_owned()))
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c) } else { c })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn cpf_survives_format_then_parse(cpf in cpf_strategy(), (pre, post) in decorate()) {
        prop_assert!(reference_valid(cpf.as_str(), &CPF_W1));
        for shown in [cpf.to_string(), cpf.formatted(), full_width(&cpf.formatted())] {
            let input = format!("{pre}{shown}{post}");
            prop_assert_eq!(Cpf::parse(&input), Ok(cpf), "{:?}", input);
            let d = Document::parse(&input);
            let ambiguous = matches!(detect(&input), Detection::Ambiguous { .. });
            prop_assert!(d == Ok(Document::Cpf(cpf)) || ambiguous, "{:?}", input);
        }
    }

    #[test]
    fn cnpj_survives_format_then_parse(cnpj in cnpj_strategy(), (pre, post) in decorate()) {
        prop_assert!(reference_valid(cnpj.as_str(), &CNPJ_W1));
        for shown in [cnpj.to_string(), cnpj.formatted(), cnpj.formatted().to_lowercase(), full_width(&cnpj.formatted())] {
            let input = format!("{pre}{shown}{post}");
            prop_assert_eq!(Cnpj::parse(&input), Ok(cnpj), "{:?}", input);
            prop_assert_eq!(Document::parse(&input), Ok(Document::Cnpj(cnpj)), "{:?}", input);
        }
    }

    /// A change to a check digit is always caught.
    #[test]
    fn any_check_digit_change_is_rejected(cpf in cpf_strategy(), cnpj in cnpj_strategy(), pos in 0usize..2, d in 0u8..10) {
        for s in [cpf.to_string(), cnpj.to_string()] {
            let i = s.len() - 2 + pos;
            let new = (b'0' + d) as char;
            prop_assume!(s.as_bytes()[i] as char != new);
            let mut changed = s.clone();
            changed.replace_range(i..=i, &new.to_string());
            prop_assert!(Document::parse(&changed).is_err(), "{} → {} accepted", s, changed);
        }
    }

    /// Any single-character change is rejected unless the official algorithm itself cannot see it. Mod 11 with
    /// "r < 2 → 0" has blind spots: residues 0 and 1 both give check digit 0, the CPF's first digit has weight 11
    /// (≡ 0) in the second sum, and in an alphanumeric CNPJ two characters whose values differ by a multiple of
    /// 11 (0 and F) weigh the same. So the property is: the parser agrees with an independent reading of
    /// apis.md §4 on every mutant, and never accepts a changed check digit.
    #[test]
    fn single_character_changes(cpf in cpf_strategy(), cnpj in cnpj_strategy(), i in 0usize..14, c in "[0-9A-Z]") {
        let c = c.as_bytes()[0];
        let cases = [(cpf.to_string(), &CPF_W1[..]), (cnpj.to_string(), &CNPJ_W1[..])];
        for (s, w1) in cases {
            prop_assume!(i < s.len() && s.as_bytes()[i] != c);
            let mut bytes = s.clone().into_bytes();
            bytes[i] = c;
            let changed = String::from_utf8(bytes).unwrap_or_default();
            let accepted = if s.len() == 11 { Cpf::parse(&changed).is_ok() } else { Cnpj::parse(&changed).is_ok() };
            let reference = changed.bytes().all(|b| b.is_ascii_alphanumeric())
                && (s.len() == 14 || changed.bytes().all(|b| b.is_ascii_digit()))
                && reference_valid(&changed, w1);
            prop_assert_eq!(accepted, reference, "{} → {}", s, changed);
            prop_assert!(!accepted || i < s.len() - 2, "a check digit change was accepted: {} → {}", s, changed);
        }
    }

    /// No panic on any UTF-8, and detection agrees with the typed parsers (the fuzz target checks the same).
    #[test]
    fn parse_never_panics(input in any::<String>()) {
        let (cpf, cnpj) = (Cpf::parse(&input), Cnpj::parse(&input));
        match detect(&input) {
            Detection::Cpf(c) => prop_assert_eq!(cpf, Ok(c)),
            Detection::Cnpj(c) => prop_assert_eq!(cnpj, Ok(c)),
            Detection::Ambiguous { cpf: a, cnpj: b } => prop_assert!(cpf == Ok(a) && cnpj == Ok(b)),
            Detection::Invalid { .. } => prop_assert!(cpf.is_err() && cnpj.is_err()),
        }
        if let Ok(d) = Document::parse(&input) {
            prop_assert_eq!(Document::parse(&d.formatted()), Ok(d));
        }
        if let Err(e) = Document::parse(&input) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn parse_never_panics_on_document_like_text(input in "[0-9A-Za-z .\\-/:ºª°\u{FF10}-\u{FF19}\u{301}*]{0,24}") {
        let _ = Cpf::parse(&input);
        let _ = Cnpj::parse(&input);
        let _ = detect(&input);
    }

    #[test]
    fn check_digit_functions_match_the_reference(base in "[0-9]{9}", cbase in "[0-9A-Z]{12}") {
        let dv = cpf_check_digits(base.as_bytes().try_into().unwrap_or(&[b'0'; 9]));
        let full = format!("{base}{}{}", dv[0] as char, dv[1] as char);
        prop_assert!(reference_valid(&full, &CPF_W1) || full.bytes().all(|b| b == full.as_bytes()[0]));
        let dv = cnpj_check_digits(cbase.as_bytes().try_into().unwrap_or(&[b'0'; 12]));
        let full = format!("{cbase}{}{}", dv[0] as char, dv[1] as char);
        prop_assert!(reference_valid(&full, &CNPJ_W1) || full.bytes().all(|b| b == full.as_bytes()[0]));
    }
}

/// The blind spots named above, with concrete numbers (also in the shared vectors).
#[test]
fn known_blind_spots_of_the_official_algorithm() {
    assert!(Cpf::parse("99983314207").is_ok() && Cpf::parse("89983314207").is_ok());
    assert!(Cnpj::parse("12ABC34501DE35").is_ok() && Cnpj::parse("12ABC345F1DE35").is_ok());
}
