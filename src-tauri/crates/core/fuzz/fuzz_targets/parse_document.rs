//! Fuzz target: every parser of doc.rs on arbitrary UTF-8, checking that they never panic and agree with each other.

#![no_main]

use balcao_core::doc::{Detection, detect};
use balcao_core::{Cnpj, Cpf, Document};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let cpf = Cpf::parse(input);
    let cnpj = Cnpj::parse(input);
    let detection = detect(input);
    match &detection {
        Detection::Cpf(c) => assert_eq!(cpf, Ok(*c), "{input:?}"),
        Detection::Cnpj(c) => assert_eq!(cnpj, Ok(*c), "{input:?}"),
        Detection::Ambiguous { cpf: a, cnpj: b } => {
            assert_eq!(cpf, Ok(*a), "{input:?}");
            assert_eq!(cnpj, Ok(*b), "{input:?}");
        }
        Detection::Invalid { error, .. } => {
            assert!(cpf.is_err() && cnpj.is_err(), "{input:?}");
            assert!(!error.to_string().is_empty());
        }
    }
    if let Ok(c) = cpf {
        assert_eq!(Cpf::parse(&c.formatted()), Ok(c));
        assert_eq!(c.masked().len(), 14);
    }
    if let Ok(c) = cnpj {
        assert_eq!(Cnpj::parse(&c.formatted()), Ok(c));
        assert_eq!(c.as_str().len(), 14);
    }
    if let Ok(d) = Document::parse(input) {
        assert_eq!(Document::parse(d.as_str()), Ok(d));
    }
});
