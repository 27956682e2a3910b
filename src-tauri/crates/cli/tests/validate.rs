//! `balcao-cli validate` as a user runs it: the built binary on apis.md §4's examples and the shared vectors.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn cli(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_balcao-cli"));
    cmd.arg("validate").args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("balcao-cli runs");
    let mut pipe = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(pipe);
    child.wait_with_output().expect("balcao-cli finishes")
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

const SECTION4_VALID: [(&str, &str); 22] = [
    ("40442820135", "cpf"),
    ("63017285995", "cpf"),
    ("91708635203", "cpf"),
    ("12345678909", "cpf"),
    ("11144477735", "cpf"),
    ("00000000191", "cpf"),
    ("77689062768", "cpf"),
    ("00000000272", "cpf"),
    ("12ABC34501DE35", "cnpj"),
    ("A1B2C3D4000193", "cnpj"),
    ("00ABCDEF000157", "cnpj"),
    ("ZZZZZZZZ000191", "cnpj"),
    ("AB123CD4567811", "cnpj"),
    ("34238864000168", "cnpj"),
    ("00000000000191", "cnpj"),
    ("11222333000181", "cnpj"),
    ("42318949000184", "cnpj"),
    ("44356113000108", "cnpj"),
    ("12.ABC.345/01DE-35", "cnpj"),
    ("12.abc.345/01de-35", "cnpj"),
    ("111.444.777-35", "cpf"),
    ("404.428.201-35", "cpf"),
];

const SECTION4_INVALID: [(&str, Option<&str>, &str); 8] = [
    ("12345678900", Some("cpf"), "o 2º dígito verificador deveria ser 9, e não 0"),
    ("40442820136", Some("cpf"), "deveria ser 5, e não 6"),
    ("11144477736", Some("cpf"), "deveria ser 5, e não 6"),
    ("11111111111", Some("cpf"), "todos os dígitos iguais"),
    ("00000000000", Some("cpf"), "todos os dígitos iguais"),
    ("12ABC34501DE36", Some("cnpj"), "deveria ser 5, e não 6"),
    ("34238864000169", Some("cnpj"), "deveria ser 8, e não 9"),
    ("11111111111111", Some("cnpj"), "todos os caracteres iguais"),
];

#[test]
fn every_valid_example_of_section_4() {
    let args: Vec<&str> = SECTION4_VALID.iter().map(|(n, _)| *n).collect();
    let out = cli(&args, None);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let got = lines(&out);
    assert_eq!(got.len(), SECTION4_VALID.len());
    for ((input, kind), line) in SECTION4_VALID.iter().zip(&got) {
        assert_eq!(line["input"], *input);
        assert_eq!(line["kind"], *kind, "{line}");
        assert_eq!(line["valid"], true);
        let canonical = line["canonical"].as_str().expect("canonical");
        assert_eq!(canonical, input.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_uppercase());
        let formatted = line["formatted"].as_str().expect("formatted");
        assert_eq!(formatted.len(), if *kind == "cpf" { 14 } else { 18 });
        assert!(line.get("error").is_none(), "no error key when valid: {line}");
    }
}

#[test]
fn every_invalid_example_of_section_4() {
    for (input, kind, reason) in SECTION4_INVALID {
        let out = cli(&[input], None);
        assert_eq!(out.status.code(), Some(1), "{input}");
        let line = &lines(&out)[0];
        assert_eq!(line["valid"], false);
        assert_eq!(line["kind"], kind.map_or(Value::Null, Value::from), "{line}");
        assert_eq!(line["error"]["code"], "InvalidDocument");
        let message = line["error"]["message"].as_str().expect("message");
        assert!(message.contains(reason), "{input}: {message}");
        assert!(line.get("canonical").is_none() && line.get("formatted").is_none(), "{line}");
    }
}

#[test]
fn shared_vectors_through_the_binary() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/testdata/documents.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("vectors")).expect("JSON");
    let vectors: Vec<&Value> =
        file["vectors"].as_array().expect("array").iter().filter(|v| v["parseAs"] == "auto").collect();
    let inputs: Vec<&str> = vectors.iter().map(|v| v["input"].as_str().expect("input")).collect();
    let out = cli(&inputs, None);
    assert_eq!(out.status.code(), Some(1), "some vectors are invalid");
    let got = lines(&out);
    assert_eq!(got.len(), vectors.len());
    for (v, line) in vectors.iter().zip(&got) {
        assert_eq!(line["input"], v["input"]);
        assert_eq!(line["valid"], v["valid"], "{line}");
        assert_eq!(line["kind"], v["kind"], "{line}");
        if v["valid"] == true {
            assert_eq!(line["canonical"], v["canonical"]);
            assert_eq!(line["formatted"], v["formatted"]);
        } else {
            assert_eq!(line["error"]["message"], v["message"], "{line}");
        }
    }
}

#[test]
fn reads_stdin_one_per_line_when_no_argument() {
    let out = cli(&[], Some("404.428.201-35\r\n\n  \n12.abc.345/01de-35\n"));
    assert_eq!(out.status.code(), Some(0));
    let got = lines(&out);
    assert_eq!(got.len(), 2, "blank lines are skipped");
    assert_eq!(got[0]["input"], "404.428.201-35");
    assert_eq!(got[1]["canonical"], "12ABC34501DE35");
    let out = cli(&[], Some("40442820135\n123\n"));
    assert_eq!(out.status.code(), Some(1));
    let got = lines(&out);
    assert_eq!(got[1]["kind"], Value::Null);
    assert!(got[1]["error"]["message"].as_str().unwrap().contains("foram digitados 3"));
}

#[test]
fn usage_errors_exit_2() {
    let out = cli(&[], Some(""));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Nenhum número informado"));
    let out = Command::new(env!("CARGO_BIN_EXE_balcao-cli")).args(["validate", "--nao-existe"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
