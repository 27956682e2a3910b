//! The shared CPF/CNPJ vectors (`testdata/documents.json`, also read by `ui/src/lib/doc.test.ts`) against doc.rs.

use balcao_core::doc::{Detection, detect};
use balcao_core::{Cnpj, Cpf, DocError, DocKind, Document};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Vector {
    input: String,
    note: String,
    parse_as: String,
    valid: bool,
    kind: Option<DocKind>,
    canonical: Option<String>,
    formatted: Option<String>,
    masked: Option<String>,
    #[serde(default)]
    ambiguous: bool,
    also_cpf: Option<String>,
    error: Option<DocError>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct File {
    vectors: Vec<Vector>,
}

fn vectors() -> Vec<Vector> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/documents.json");
    let text = std::fs::read_to_string(path).expect("documents.json");
    serde_json::from_str::<File>(&text).expect("documents.json parses").vectors
}

/// What a parser produced, in the vector's terms.
#[derive(Debug, PartialEq)]
enum Outcome {
    Valid { kind: DocKind, canonical: String, formatted: String, masked: String },
    Invalid(DocError),
}

fn outcome<T>(r: Result<T, DocError>, kind: DocKind, parts: impl Fn(&T) -> (String, String, String)) -> Outcome {
    match r {
        Ok(v) => {
            let (canonical, formatted, masked) = parts(&v);
            Outcome::Valid { kind, canonical, formatted, masked }
        }
        Err(e) => Outcome::Invalid(e),
    }
}

fn expected(v: &Vector) -> Outcome {
    if v.valid {
        Outcome::Valid {
            kind: v.kind.expect("valid vectors have a kind"),
            canonical: v.canonical.clone().expect("canonical"),
            formatted: v.formatted.clone().expect("formatted"),
            masked: v.masked.clone().expect("masked"),
        }
    } else {
        Outcome::Invalid(v.error.clone().expect("invalid vectors have an error"))
    }
}

#[test]
fn every_vector() {
    let mut failures = Vec::new();
    for v in vectors() {
        let want = expected(&v);
        let got = match v.parse_as.as_str() {
            "cpf" => outcome(Cpf::parse(&v.input), DocKind::Cpf, |c| (c.to_string(), c.formatted(), c.masked())),
            "cnpj" => outcome(Cnpj::parse(&v.input), DocKind::Cnpj, |c| (c.to_string(), c.formatted(), c.masked())),
            "auto" => {
                let d = Document::parse(&v.input);
                let kind = d.as_ref().map(Document::kind).unwrap_or(DocKind::Cpf);
                outcome(d, kind, |d| (d.to_string(), d.formatted(), d.masked()))
            }
            other => panic!("unknown parseAs {other}"),
        };
        if got != want {
            failures.push(format!("{:?} ({}): got {got:?}, want {want:?}", v.input, v.note));
            continue;
        }
        if let (Some(e), Some(m)) = (&v.error, &v.message)
            && e.to_string() != *m
        {
            failures.push(format!("{:?}: message {:?} != {m:?}", v.input, e.to_string()));
        }
        if v.parse_as == "auto" {
            let d = detect(&v.input);
            let ok = match (&d, v.valid) {
                (Detection::Ambiguous { cpf, cnpj }, true) => {
                    v.ambiguous
                        && Some(cpf.to_string()) == v.also_cpf
                        && Some(cnpj.to_string()) == v.canonical
                        && Cpf::parse(&v.input).map(|c| c.to_string()).ok() == v.also_cpf
                }
                (Detection::Cpf(c), true) => !v.ambiguous && Cpf::parse(&v.input).map(|p| p == *c).unwrap_or(false),
                (Detection::Cnpj(c), true) => !v.ambiguous && Cnpj::parse(&v.input).map(|p| p == *c).unwrap_or(false),
                (Detection::Invalid { kind, error }, false) => *kind == v.kind && Some(error) == v.error.as_ref(),
                _ => false,
            };
            if !ok || d.kind() != v.kind {
                failures.push(format!("{:?} ({}): detect gave {d:?}", v.input, v.note));
            }
        }
    }
    assert!(failures.is_empty(), "{} vector(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn vectors_cover_apis_md_section_4_and_the_trial_numbers() {
    let valid: Vec<String> = vectors().into_iter().filter(|v| v.valid).filter_map(|v| v.canonical).collect();
    let invalid: Vec<String> = vectors().into_iter().filter(|v| !v.valid).map(|v| v.input).collect();
    let trial_cpfs = "40442820135 63017285995 91708635203 58136053391 40532176871 47123586964 07691852312 10975384600 \
        01648527949 47893062592 98302514705 18025346790 64913872591 52389071686 05137518743 08849979878 47856021985 \
        23479805647 49852036700 28769150494";
    let trial_cnpjs = "34238864000168 54447820000155 46768703000165 31151791000184 34428654000132 06115832000130 \
        78078291000128 52293473000128 07781066000105 60367129000164";
    let section4_valid = "12345678909 11144477735 00000000191 77689062768 00000000272 12ABC34501DE35 A1B2C3D4000193 \
        00ABCDEF000157 ZZZZZZZZ000191 AB123CD4567811 00000000000191 11222333000181 42318949000184 44356113000108";
    let all_valid = [trial_cpfs, trial_cnpjs, section4_valid].join(" ");
    assert_eq!(trial_cpfs.split_whitespace().count(), 20);
    assert_eq!(trial_cnpjs.split_whitespace().count(), 10);
    for n in all_valid.split_whitespace() {
        assert!(valid.iter().any(|v| v == n), "{n} missing from the valid vectors");
    }
    for n in "12345678900 40442820136 11144477736 11111111111 00000000000 12ABC34501DE36 34238864000169 11111111111111"
        .split_whitespace()
    {
        assert!(invalid.iter().any(|v| v == n), "{n} missing from the invalid vectors");
    }
}
