//! `balcao-cli admin` as IT runs it on a counter PC (the real binary, BALCAO_POLICY_DIR pointing at a scratch policy
//! folder): `set-credentials` reads the pair from standard input into the machine store (0640, its group), refuses a
//! secret on the command line without repeating it, and `check` says what is missing with a non-zero status. Then a
//! clerk's `lookup` through the managed profile gets its token with that pair (keyring in its own D-Bus session, for
//! the history's key).

mod common;

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use balcao_sim::{SimConfig, Simulator};
use common::{Scratch, assert_no_english, assert_pt_br, in_keyring_session};

fn policy(serpro_base: &str) -> String {
    format!(
        "purpose_required = false\n\n\
         [[profile]]\nid = \"serpro-prod\"\nname = \"SERPRO produção\"\nprovider = \"serpro\"\nenvironment = \"producao\"\n\
         base_url = \"{serpro_base}\"\ncpf_api = \"serpro_v2\"\n[profile.network]\nmax_retries = 0\n\n\
         [[profile]]\nid = \"conecta\"\nname = \"Conecta\"\nprovider = \"conecta\"\nenvironment = \"producao\"\n\
         base_url = \"https://apigateway.conectagov.estaleiro.serpro.gov.br\"\ncpf_api = \"conecta_light\"\n\
         cnpj_views = [\"basica\"]\nclerk_cpf = \"000.000.001-91\"\n"
    )
}

/// A policy folder like /etc/balcao (0755) holding `policy.toml`.
fn policy_dir(serpro_base: &str) -> Scratch {
    let s = Scratch::new("admin");
    std::fs::set_permissions(s.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(s.path("policy.toml"), policy(serpro_base)).unwrap();
    s
}

/// `balcao-cli ARGS` with the policy folder `dir`, `input` on standard input; the machine store's file gets group
/// root (tests cannot create the group balcao).
fn admin(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_balcao-cli"))
        .args(args)
        .env("BALCAO_POLICY_DIR", dir)
        .env("BALCAO_MACHINE_GROUP", "root")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("balcao-cli runs");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("stdin written");
    child.wait_with_output().expect("balcao-cli ends")
}

fn text(out: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn admin_set_credentials_reads_stdin_into_the_machine_store_and_check_says_what_is_missing() {
    let s = policy_dir("https://gateway.apiserpro.serpro.gov.br");
    let check = admin(s.dir(), &["admin", "check"], "");
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    let t = text(&check);
    assert!(t.contains("encontrada e válida") && t.contains("serpro-prod (SERPRO produção): credencial FALTA"), "{t}");
    assert!(t.contains("Falta algo"), "{t}");
    assert_pt_br(&t);

    let set =
        admin(s.dir(), &["admin", "set-credentials", "--profile", "serpro-prod"], "chave-serpro\nsegredo-serpro-1\n");
    assert_eq!(set.status.code(), Some(0), "{}", text(&set));
    assert!(text(&set).contains("Gravada a credencial comum do perfil «serpro-prod»"), "{}", text(&set));
    assert!(!text(&set).contains("segredo-serpro-1"), "the secret is never printed");
    let file = s.path("credentials.json");
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o640, "rw for root, r for the group, nothing for others");
    assert_eq!((meta.uid(), meta.gid()), (0, 0), "owned by root (the CI), group as asked");

    for (api, pair) in [("cpf", "chave-cpf\nsegredo-cpf\n"), ("cnpj", "chave-cnpj\r\nsegredo-cnpj\r\n")] {
        let out = admin(s.dir(), &["admin", "set-credentials", "--profile", "conecta", "--api", api], pair);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let check = admin(s.dir(), &["admin", "check"], "");
    let t = text(&check);
    assert_eq!(check.status.code(), Some(0), "{t}");
    assert!(t.contains("Conecta CPF Light: credencial própria gravada"), "{t}");
    assert!(t.contains("Conecta Consulta CNPJ v2: credencial própria gravada"), "{t}");
    assert!(t.contains("Tudo certo"), "{t}");
    assert!(!t.contains("segredo"), "no secret in the report: {t}");
    assert_no_english(&t);

    // Root reads anything: check still says when the clerks could not (the group may not read the file).
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let check = admin(s.dir(), &["admin", "check"], "");
    let t = text(&check);
    assert_eq!(check.status.code(), Some(1), "{t}");
    assert!(t.contains("ILEGÍVEL PARA OS ATENDENTES") && t.contains("chmod 0640"), "{t}");
}

#[test]
fn admin_set_credentials_refuses_a_secret_on_the_command_line_without_repeating_it() {
    let s = policy_dir("https://gateway.apiserpro.serpro.gov.br");
    for args in [
        &["admin", "set-credentials", "--profile", "serpro-prod", "--client-secret=s3cr3t-argv"][..],
        &["admin", "set-credentials", "--secret", "s3cr3t-argv", "--profile", "serpro-prod"][..],
        &["admin", "set-credentials", "--profile", "serpro-prod", "s3cr3t-argv"][..],
    ] {
        let out = admin(s.dir(), args, "chave\nsegredo\n");
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{t}");
        assert!(!t.contains("s3cr3t-argv"), "the refusal repeats the secret: {t}");
        assert!(t.contains("entrada padrão"), "{t}");
        assert_pt_br(&t);
    }
    assert!(!s.path("credentials.json").exists(), "nothing stored");
}

#[test]
fn admin_refuses_a_profile_outside_the_policy_an_empty_stdin_and_a_folder_without_policy() {
    let s = policy_dir("https://gateway.apiserpro.serpro.gov.br");
    let out = admin(s.dir(), &["admin", "set-credentials", "--profile", "meu-perfil"], "chave\nsegredo\n");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("não está na política") && text(&out).contains("Nada foi gravado"), "{}", text(&out));
    let out = admin(s.dir(), &["admin", "set-credentials", "--profile", "serpro-prod"], "só-a-chave\n");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("segunda"), "{}", text(&out));
    assert!(!s.path("credentials.json").exists(), "nothing stored");
    assert_pt_br(&text(&out));

    let empty = Scratch::new("admin-empty");
    let out = admin(empty.dir(), &["admin", "check"], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("NÃO ENCONTRADA"), "{}", text(&out));
    let out = admin(empty.dir(), &["admin", "set-credentials", "--profile", "serpro-prod"], "chave\nsegredo\n");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("Não há arquivo de política"), "{}", text(&out));
}

const INSIDE: &str = "BALCAO_TEST_ADMIN_INSIDE";

#[test]
fn cli_lookup_through_a_managed_profile_gets_its_token_with_the_machine_store_credential() {
    if !in_keyring_session(
        INSIDE,
        "cli_lookup_through_a_managed_profile_gets_its_token_with_the_machine_store_credential",
        "admin",
    ) {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = SimConfig {
        serpro_credentials: vec![("chave-agencia".into(), "segredo-agencia".into())],
        ..SimConfig::default()
    };
    let gateway = rt.block_on(Simulator::start("127.0.0.1:0".parse().unwrap(), config)).expect("simulator");
    let s = policy_dir(&gateway.base_url());
    let set =
        admin(s.dir(), &["admin", "set-credentials", "--profile", "serpro-prod"], "chave-agencia\nsegredo-agencia\n");
    assert_eq!(set.status.code(), Some(0), "{}", text(&set));

    let out = admin(s.dir(), &["lookup", "--profile", "serpro-prod", "cpf", "40442820135"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let tokens: Vec<_> = gateway.requests().into_iter().filter(|r| r.is_token_call()).collect();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(tokens[0].token.as_deref(), Some("chave-agencia"), "the machine store's pair, not the keyring's");
    rt.block_on(gateway.shutdown());
}

#[test]
fn admin_pin_hash_reads_the_pin_from_stdin_and_prints_only_its_argon2id_hash() {
    let dir = Scratch::new("pin-hash");
    let out = admin(&dir.path("policy"), &["admin", "pin-hash"], "482913\n");
    assert!(out.status.success(), "{}", text(&out));
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(balcao_service::lock::is_argon2id_phc(&hash), "{hash}");
    assert!(!text(&out).contains("482913"), "the PIN is never printed");
    assert!(balcao_service::lock::verify_pin(
        &balcao_core::Sensitive::new("482913".to_owned()),
        &balcao_core::Sensitive::new(hash)
    ));
    // Not a PIN: refused in pt-BR; a PIN on the command line: refused without repeating it.
    let out = admin(&dir.path("policy"), &["admin", "pin-hash"], "abc\n");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_pt_br(&text(&out));
    let out = admin(&dir.path("policy"), &["admin", "pin-hash", "482913"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!text(&out).contains("482913"), "{}", text(&out));
}
