//! Hostile input to the commands that need no keyring, through the real `balcao-cli`: `validate`'s standard input
//! (an endless line, invalid UTF-8, answers while the input still flows), the argument parser's usage errors, a
//! folder where a file was expected, the simulator's config file and its listening address.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{Feed, Scratch, assert_pt_br, measure, os};

fn no_data(s: &Scratch) -> Vec<(&'static str, std::ffi::OsString)> {
    vec![
        ("BALCAO_DATA_DIR", s.path("data").into_os_string()),
        ("BALCAO_KEYRING_SERVICE", "br.gov.balcao.test.hostile-input".into()),
    ]
}

fn env_refs<'a>(env: &'a [(&'static str, std::ffi::OsString)]) -> Vec<(&'static str, &'a OsStr)> {
    env.iter().map(|(k, v)| (*k, v.as_os_str())).collect()
}

#[test]
fn validate_streams_a_100_mb_line_and_reports_invalid_utf8_as_an_invalid_line() {
    let s = Scratch::new("validate-stream");
    let feed: Feed = Box::new(|stdin| {
        let _ = stdin.write_all(b"404.428.201-35\n");
        let chunk = vec![b'1'; 1 << 20];
        for _ in 0..100 {
            if stdin.write_all(&chunk).is_err() {
                return;
            }
        }
        let _ = stdin.write_all(b"\n\xff\xfe\xc3(\n34.238.864/0001-68\n");
    });
    let run = measure(&os(&["validate"]), &env_refs(&no_data(&s)), Some(feed));
    run.assert_ends(1);
    assert!(run.stdout_len < 64 * 1024, "the long line is not echoed whole: {} bytes", run.stdout_len);
    let lines: Vec<serde_json::Value> =
        run.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert_eq!(lines.len(), 4, "one answer per line: {}", run.stdout);
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[3]["valid"], true, "the run goes on after the bad lines");
    for (i, needle) in [(1, "Linha 2"), (2, "Linha 3")] {
        assert_eq!(lines[i]["valid"], false);
        let message = lines[i]["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{message}");
        assert_pt_br(message);
    }
    assert!(lines[1]["error"]["message"].as_str().unwrap().contains("longa demais"), "{}", lines[1]);
    assert!(lines[2]["error"]["message"].as_str().unwrap().contains("UTF-8"), "{}", lines[2]);
}

#[test]
fn validate_answers_each_line_before_standard_input_ends() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_balcao-cli"))
        .arg("validate")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("balcao-cli runs");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = BufReader::new(stdout).read_line(&mut first);
        let _ = tx.send(first);
    });
    stdin.write_all(b"40442820135\n").unwrap();
    stdin.flush().unwrap();
    let started = Instant::now();
    let first = rx.recv_timeout(Duration::from_secs(5));
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    let first = first.expect("the first answer came while standard input was still open");
    assert!(first.contains("\"valid\":true"), "{first}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn usage_errors_are_pt_br() {
    let s = Scratch::new("usage");
    let cases: [&[&str]; 8] = [
        &["--bogus"],
        &["consultar"],
        &["lookup"],
        &["lookup", "rg", "123"],
        &["history", "search", "--limit", "muitos"],
        &["batch", "lista.csv"],
        &["sim", "--addr", "aqui"],
        &["history", "export", "--history", "--audit"],
    ];
    for args in cases {
        let run = measure(&os(args), &env_refs(&no_data(&s)), None);
        run.assert_ends(2);
        assert_pt_br(&run.stderr);
        assert!(run.stderr.contains("balcao-cli"), "{args:?}: says how to get help: {}", run.stderr);
    }
    let unknown = measure(&os(&["lookup", "--bogus", "cpf", "1"]), &env_refs(&no_data(&s)), None);
    assert!(unknown.stderr.contains("«--bogus»"), "names the argument: {}", unknown.stderr);
}

#[test]
fn a_folder_where_a_file_was_expected_is_named_in_pt_br() {
    let s = Scratch::new("folder");
    let out = s.path("saida.csv");
    let dir = s.dir().to_str().unwrap().to_owned();
    let run = measure(&os(&["batch", &dir, "--out", out.to_str().unwrap()]), &env_refs(&no_data(&s)), None);
    run.assert_ends(23).assert_pt_br();
    let (code, message) = run.error_json();
    assert_eq!(code, "Config");
    assert!(message.contains("é uma pasta") && message.contains(&dir), "{message}");
    let missing = s.path("nao-existe.csv");
    let run = measure(
        &os(&["batch", missing.to_str().unwrap(), "--out", out.to_str().unwrap()]),
        &env_refs(&no_data(&s)),
        None,
    );
    run.assert_ends(23).assert_pt_br();
    assert!(run.error_json().1.contains("não existe"), "{}", run.stdout);
    assert!(!out.exists());
}

#[test]
fn simulator_config_errors_are_pt_br_and_name_file_line_and_field() {
    let s = Scratch::new("sim-config");
    let cases = [
        ("sim.json", "{\n  \"seed\": 1,\n  \"quota\": \"muitas\"\n}\n", vec!["linha 3", "quota"]),
        ("sim2.json", "{\n  \"seed\": 1,\n  \"quota\": 5,,\n}\n", vec!["linha 3"]),
        ("sim.toml", "seed = 1\nquota = \"muitas\"\n", vec!["linha 2", "quota"]),
        ("sim2.toml", "seed = 1\nlatencia = 3\n", vec!["linha 2", "latencia"]),
    ];
    for (name, text, needles) in cases {
        let path = s.path(name);
        std::fs::write(&path, text).unwrap();
        let run = measure(&os(&["sim", "--config", path.to_str().unwrap()]), &env_refs(&no_data(&s)), None);
        run.assert_ends(2);
        assert_pt_br(&run.stderr);
        assert!(run.stderr.contains(path.to_str().unwrap()), "{name}: names the file: {}", run.stderr);
        for needle in needles {
            assert!(run.stderr.contains(needle), "{name}: names «{needle}»: {}", run.stderr);
        }
    }
    let run = measure(&os(&["sim", "--config", s.dir().to_str().unwrap()]), &env_refs(&no_data(&s)), None);
    run.assert_ends(2);
    assert_pt_br(&run.stderr);
}

#[test]
fn simulator_listens_only_on_loopback() {
    let s = Scratch::new("sim-addr");
    for addr in ["0.0.0.0:0", "[::]:0", "192.0.2.10:0"] {
        let run = measure(&os(&["sim", "--addr", addr]), &env_refs(&no_data(&s)), None);
        run.assert_ends(2);
        assert_pt_br(&run.stderr);
        assert!(run.stderr.contains(addr) && run.stderr.contains("127.0.0.1"), "{addr}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "nothing served: {}", run.stdout);
    }
}

#[test]
fn help_prints_the_exit_status_table_that_docs_show() {
    let s = Scratch::new("help");
    let run = measure(&os(&["--help"]), &env_refs(&no_data(&s)), None);
    run.assert_ends(0).assert_pt_br();
    let docs = include_str!("../../../../docs/profiles.md");
    let table = run.stdout.split("Status de saída:\n").nth(1).expect("--help prints the exit statuses");
    let rows: Vec<&str> = table.lines().take_while(|l| l.starts_with(' ')).collect();
    assert_eq!(rows.len(), 9, "{table}");
    // Each row of `balcao-cli --help` (status, commands, meaning) is a row of the table in docs/profiles.md.
    for row in rows {
        let (status, rest) = row.trim_start().split_once("  ").expect("the status, then the commands");
        let (commands, meaning) = rest.split_once("  ").expect("the commands, then the meaning");
        let commands: Vec<String> = commands.split(", ").map(|c| format!("`{c}`")).collect();
        let commands = if commands == ["`todos`"] { "todos".to_owned() } else { commands.join(", ") };
        let doc_row = format!("| {status} | {commands} | {} |", meaning.trim());
        assert!(docs.contains(&doc_row), "docs/profiles.md lacks the row\n{doc_row}");
    }
}
