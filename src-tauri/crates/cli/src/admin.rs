//! `balcao-cli admin`: IT's commands without a window, through the service: `set-credentials` stores a managed
//! profile's client id and secret, read from standard input (never from the command line), in the machine store of
//! the policy folder; `check` prints the policy, the managed profiles and whether their credentials are there;
//! `recover` re-binds the history to this user's keyring with the agency's recovery key, `recovery-keygen` makes one;
//! `migrate-agency-store` prepares or updates the agency store's schema (#18), the owner's password from stdin.

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use balcao_core::Sensitive;
use balcao_platform::MachineStore;
use balcao_service::agency_credentials::{
    check_machine, machine_store, set_machine_base_credentials, set_machine_credentials,
};
use balcao_service::agency_store::{migrate_agency_store, set_agency_key};
use balcao_service::policy::current_policy_dir;

use crate::exit::{EXIT_ADMIN_FAILED, EXIT_USAGE};
use crate::recover;
use crate::text::{eprint_line, print_line};

/// How much of standard input is read: a client id and a secret are a few hundred bytes.
const MAX_STDIN_BYTES: u64 = 16 * 1024;

pub const HELP: &str = "\
A chave (client id) e o segredo (client secret) vêm da entrada padrão, nesta ordem, um por linha; nunca da linha de
comando (ela fica no histórico do shell e na lista de processos). Exemplo, num script de instalação rodado como root:

  printf '%s\\n%s\\n' \"$CHAVE\" \"$SEGREDO\" | balcao-cli admin set-credentials --profile serpro-prod

Com --api, a credencial própria de uma API do perfil (como no Conecta); com --base, a de uma «outra base» que o
perfil declara com credential = \"own\" (#19), válida só para o endereço e o token dessa base.

Grava no cofre de credenciais da máquina: no Linux /etc/balcao/credentials.json (dono root, grupo balcao, modo
0640; rode como root); no Windows C:\\ProgramData\\Balcao\\credentials.dpapi, cifrado pela DPAPI da máquina (prompt de
comando de administrador); no macOS o chaveiro do sistema (sudo). Ver docs/deploy/credentials.md.

migrate-agency-store prepara ou atualiza o esquema do banco central da agência (endereço no [agency_store] da
política), como o papel dono do esquema; a senha desse papel vem da entrada padrão, uma linha:

  printf '%s\\n' \"$SENHA_DONO\" | balcao-cli admin migrate-agency-store --user balcao_owner --ca /etc/balcao/banco-ca.pem

set-agency-password grava a senha do papel do balcão (o usuário do endereço da política), uma linha:

  printf '%s\\n' \"$SENHA_BALCAO\" | balcao-cli admin set-agency-password

Status de saída: 0 feito (check: tudo certo); 1 nada foi gravado (set-credentials) ou falta algo (check);
2 uso incorreto.";

#[derive(Debug, clap::Args)]
#[command(after_help = HELP)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Recupera o histórico depois da perda do cofre de senhas, com a chave privada de recuperação da agência.
    Recover(recover::RecoverArgs),
    /// Gera o par de chaves de recuperação da agência (a pública vai na política; a privada fica fora dos PCs).
    RecoveryKeygen(recover::KeygenArgs),
    /// No computador da TI: abre a cópia da chave de um histórico (history.key.age) com a chave privada da agência.
    UnwrapHistoryKey(recover::UnwrapArgs),
    /// Grava a chave e o segredo de um perfil da agência (lidos da entrada padrão) no cofre da máquina.
    SetCredentials(SetArgs),
    /// Mostra a política, os perfis da agência e se as credenciais de cada um estão gravadas.
    Check,
    /// Gera o hash (Argon2id) do primeiro PIN de um atendente da lista da política, lido da entrada padrão.
    PinHash,
    /// Prepara ou atualiza o esquema do banco central da agência (senha do papel dono pela entrada padrão).
    MigrateAgencyStore(MigrateArgs),
    /// Grava no cofre da máquina a chave de identificação da agência (hexadecimal, pela entrada padrão).
    SetAgencyKey,
    /// Grava no cofre da máquina a senha deste balcão no banco da agência (pela entrada padrão).
    SetAgencyPassword,
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// Arquivo PEM com o certificado da autoridade (CA) que assina o certificado do servidor PostgreSQL.
    #[arg(long, value_name = "ARQUIVO")]
    pub ca: std::path::PathBuf,
    /// O papel dono do esquema (sem ela, o usuário do endereço da política).
    #[arg(long, value_name = "PAPEL")]
    pub user: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// Identificador do perfil na política da agência.
    #[arg(long, value_name = "PERFIL")]
    pub profile: String,
    /// Só para esta API do perfil (cpf, cnpj ou o nome da API, como conectaCpfLight); sem ela, a credencial comum.
    #[arg(long, value_name = "API", conflicts_with = "base")]
    pub api: Option<String>,
    /// A credencial própria de uma «outra base» declarada no perfil (credential = "own").
    #[arg(long, value_name = "BASE")]
    pub base: Option<String>,
}

/// The options `admin set-credentials` takes; anything else on its command line is refused unread (it may be a
/// secret, and the parser's message would repeat it).
const SET_OPTIONS: [&str; 3] = ["--profile", "--api", "--base"];

/// Refuses, before the parser sees them, the arguments of `admin` that could be a secret typed on the command line:
/// any option other than `--profile`/`--api`/`--base` (and help), and any value where none is expected. The refusal never
/// repeats what was given.
pub fn refuse_secret_arguments(args: &[OsString]) -> Option<String> {
    let words: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let admin = words.iter().position(|w| w == "admin")?;
    if words.iter().take(admin).skip(1).any(|w| !w.starts_with('-')) {
        return None; // `admin` is a value of another command, not the command.
    }
    let rest = words.get(admin.saturating_add(1)..).unwrap_or_default();
    let (sub, after) = rest.split_first()?;
    let allowed_value_options: &[&str] = match sub.as_str() {
        "set-credentials" => &SET_OPTIONS,
        "recover" => &["--identity", "--history-key"],
        "unwrap-history-key" => &["--identity", "--wrapped"],
        "recovery-keygen" => &["--out", "-o"],
        "migrate-agency-store" => &["--ca", "--user"],
        _ => &[],
    };
    let mut expecting_value = false;
    for word in after {
        if expecting_value {
            expecting_value = false;
            continue;
        }
        if matches!(word.as_str(), "-h" | "--help") {
            continue;
        }
        let name = word.split_once('=').map_or(word.as_str(), |(n, _)| n);
        if allowed_value_options.contains(&name) {
            expecting_value = !word.contains('=');
            continue;
        }
        return Some(format!(
            "balcao-cli admin {sub}: argumento não aceito (não é repetido aqui, pois pode ser um segredo). A chave e o \
             segredo nunca vão na linha de comando: envie-os pela entrada padrão, um por linha. Veja balcao-cli admin \
             --help."
        ));
    }
    None
}

pub fn run(args: Args) -> ExitCode {
    match args.command {
        Command::Recover(a) => recover::recover(a),
        Command::RecoveryKeygen(a) => recover::keygen(a),
        Command::UnwrapHistoryKey(a) => recover::unwrap(a),
        Command::SetCredentials(a) => set_credentials(&a),
        Command::Check => check(),
        Command::PinHash => pin_hash(),
        Command::MigrateAgencyStore(a) => migrate(&a),
        Command::SetAgencyKey => agency_key(),
        Command::SetAgencyPassword => agency_password(),
    }
}

fn fail(message: &str) -> ExitCode {
    eprint_line(&format!("balcao-cli admin: {message}"));
    ExitCode::from(EXIT_ADMIN_FAILED)
}

/// The client id and secret from standard input: two lines, at most [`MAX_STDIN_BYTES`].
fn read_pair(input: &mut dyn Read) -> Result<(String, Sensitive<String>), String> {
    let mut raw = Vec::with_capacity(1024);
    let read = input.take(MAX_STDIN_BYTES.saturating_add(1)).read_to_end(&mut raw);
    let raw = Sensitive::new(raw);
    read.map_err(|e| format!("não foi possível ler a entrada padrão ({}).", balcao_core::error::io_reason(&e)))?;
    if raw.expose().len() as u64 > MAX_STDIN_BYTES {
        return Err(format!("a entrada padrão passa de {} KiB; envie só a chave e o segredo.", MAX_STDIN_BYTES / 1024));
    }
    let text = std::str::from_utf8(raw.expose()).map_err(|_| "a entrada padrão não é texto UTF-8.".to_owned())?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let id = lines.next().unwrap_or_default().trim().to_owned();
    let secret = Sensitive::new(lines.next().unwrap_or_default().to_owned());
    if lines.any(|l| !l.trim().is_empty()) {
        return Err(
            "a entrada padrão tem mais de duas linhas: envie a chave na primeira e o segredo na segunda.".into()
        );
    }
    if id.is_empty() || secret.expose().is_empty() {
        return Err("envie pela entrada padrão a chave (client id) na primeira linha e o segredo na segunda.".into());
    }
    Ok((id, secret))
}

/// `admin pin-hash`: the PIN from standard input (one line, never the command line), its Argon2id hash on standard
/// output for `initial_pin_hash` in the policy's `[[clerks.listed]]`.
fn pin_hash() -> ExitCode {
    let mut raw = Vec::with_capacity(64);
    let read = std::io::stdin().lock().take(1024).read_to_end(&mut raw);
    let raw = Sensitive::new(raw);
    if let Err(e) = read {
        return fail(&format!("não foi possível ler a entrada padrão ({}).", balcao_core::error::io_reason(&e)));
    }
    let Ok(text) = std::str::from_utf8(raw.expose()) else {
        return fail("a entrada padrão não é texto UTF-8.");
    };
    let pin = Sensitive::new(text.trim().to_owned());
    match balcao_service::lock::hash_pin(&pin) {
        Ok(hash) => {
            print_line(hash.expose());
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!(
            "{} Envie o PIN pela entrada padrão, por exemplo: printf '%s\\n' \"$PIN\" | balcao-cli admin pin-hash",
            e.message
        )),
    }
}

fn set_credentials(args: &SetArgs) -> ExitCode {
    let mut stdin = std::io::stdin().lock();
    if stdin.is_terminal() {
        return fail(
            "a chave e o segredo vêm da entrada padrão, não do teclado (o segredo apareceria na tela). Exemplo: \
             printf '%s\\n%s\\n' \"$CHAVE\" \"$SEGREDO\" | balcao-cli admin set-credentials --profile PERFIL. \
             Nada foi gravado.",
        );
    }
    let (id, secret) = match read_pair(&mut stdin) {
        Ok(pair) => pair,
        Err(m) => return fail(&format!("{m} Nada foi gravado.")),
    };
    let dir = current_policy_dir();
    let store = machine_store(&dir);
    let stored = match args.base.as_deref() {
        Some(base) => set_machine_base_credentials(&dir, store.as_ref(), &args.profile, base, &id, secret),
        None => set_machine_credentials(&dir, store.as_ref(), &args.profile, args.api.as_deref(), &id, secret),
    };
    match stored {
        Ok(done) => {
            print_line(&done);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.message),
    }
}

/// The schema owner's password: the first line of standard input, at most [`MAX_STDIN_BYTES`].
pub fn read_password(input: &mut dyn Read) -> Result<Sensitive<String>, String> {
    let mut raw = Vec::with_capacity(256);
    let read = input.take(MAX_STDIN_BYTES.saturating_add(1)).read_to_end(&mut raw);
    let raw = Sensitive::new(raw);
    read.map_err(|e| format!("não foi possível ler a entrada padrão ({}).", balcao_core::error::io_reason(&e)))?;
    if raw.expose().len() as u64 > MAX_STDIN_BYTES {
        return Err(format!("a entrada padrão passa de {} KiB; envie só a senha.", MAX_STDIN_BYTES / 1024));
    }
    let text = std::str::from_utf8(raw.expose()).map_err(|_| "a entrada padrão não é texto UTF-8.".to_owned())?;
    let line = text.split('\n').next().unwrap_or_default();
    let password = Sensitive::new(line.strip_suffix('\r').unwrap_or(line).to_owned());
    if password.expose().is_empty() {
        return Err("envie pela entrada padrão a senha do papel dono do esquema, numa linha.".into());
    }
    Ok(password)
}

fn migrate(args: &MigrateArgs) -> ExitCode {
    let mut stdin = std::io::stdin().lock();
    if stdin.is_terminal() {
        return fail(
            "a senha do papel dono vem da entrada padrão, não do teclado. Exemplo: printf '%s\\n' \"$SENHA\" | \
             balcao-cli admin migrate-agency-store --ca CA.pem. Nada foi alterado.",
        );
    }
    let password = match read_password(&mut stdin) {
        Ok(p) => p,
        Err(m) => return fail(&format!("{m} Nada foi alterado.")),
    };
    let ca = match std::fs::read(&args.ca) {
        Ok(ca) => ca,
        Err(e) => {
            return fail(&format!(
                "não foi possível ler o certificado da autoridade {} ({}). Nada foi alterado.",
                args.ca.display(),
                balcao_core::error::io_reason(&e)
            ));
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(_) => return fail("não foi possível iniciar a execução assíncrona."),
    };
    let dir = current_policy_dir();
    match runtime.block_on(migrate_agency_store(&dir, args.user.as_deref(), password, &ca)) {
        Ok(done) => {
            print_line(&done);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.message),
    }
}

fn agency_password() -> ExitCode {
    let mut stdin = std::io::stdin().lock();
    if stdin.is_terminal() {
        return fail("a senha vem da entrada padrão, não do teclado. Nada foi gravado.");
    }
    let password = match read_password(&mut stdin) {
        Ok(p) => p,
        Err(m) => return fail(&m),
    };
    let store = machine_store(&current_policy_dir());
    match balcao_service::agency_link::set_agency_password(store.as_ref(), password) {
        Ok(done) => {
            print_line(&done);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.message),
    }
}

fn agency_key() -> ExitCode {
    let mut stdin = std::io::stdin().lock();
    if stdin.is_terminal() {
        return fail(
            "a chave vem da entrada padrão, não do teclado. Exemplo: openssl rand -hex 32 > chave.txt; \
                     balcao-cli admin set-agency-key < chave.txt (guarde chave.txt fora dos PCs). Nada foi gravado.",
        );
    }
    let hex = match read_password(&mut stdin) {
        Ok(h) => h,
        Err(_) => return fail("envie a chave em hexadecimal pela entrada padrão, numa linha. Nada foi gravado."),
    };
    let dir = current_policy_dir();
    let store = machine_store(&dir);
    match set_agency_key(store.as_ref(), hex) {
        Ok(done) => {
            print_line(&done);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.message),
    }
}

fn check() -> ExitCode {
    let dir = current_policy_dir();
    let store = MachineStore::for_policy_dir(&dir);
    let place = store.choice().describe();
    let report = check_machine(&dir, &store, &place, store.clerk_access_problem());
    for line in &report.lines {
        print_line(line);
    }
    let _ = std::io::stdout().flush();
    if report.complete { ExitCode::SUCCESS } else { ExitCode::from(EXIT_ADMIN_FAILED) }
}

/// The usage status, for main's refusal of secret-looking arguments.
pub fn refuse(message: &str) -> ExitCode {
    eprint_line(message);
    ExitCode::from(EXIT_USAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(args: &[&str]) -> bool {
        let args: Vec<OsString> =
            std::iter::once("balcao-cli").chain(args.iter().copied()).map(OsString::from).collect();
        match refuse_secret_arguments(&args) {
            Some(m) => {
                assert!(!m.contains("s3cr3t"), "the refusal repeats the argument: {m}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn admin_refuses_anything_that_could_be_a_secret_on_the_command_line() {
        assert!(!refused(&["admin", "set-credentials", "--profile", "p"]));
        assert!(!refused(&["admin", "set-credentials", "--profile=p", "--api", "cpf"]));
        assert!(!refused(&["admin", "set-credentials", "--help"]));
        assert!(!refused(&["admin", "check"]));
        assert!(!refused(&["lookup", "--profile", "admin", "cpf", "1"]), "another command's value");
        assert!(refused(&["admin", "set-credentials", "--profile", "p", "s3cr3t"]));
        assert!(refused(&["admin", "set-credentials", "--profile", "p", "--client-secret=s3cr3t"]));
        assert!(refused(&["admin", "set-credentials", "--secret", "s3cr3t", "--profile", "p"]));
        assert!(refused(&["admin", "set-credentials", "--client-id", "x", "--profile", "p"]));
        assert!(refused(&["admin", "check", "s3cr3t"]));
        assert!(!refused(&["admin", "migrate-agency-store", "--ca", "ca.pem", "--user", "balcao_owner"]));
        assert!(refused(&["admin", "migrate-agency-store", "--ca", "ca.pem", "--password", "s3cr3t"]));
        assert!(refused(&["admin", "migrate-agency-store", "--ca", "ca.pem", "s3cr3t"]));
    }

    #[test]
    fn stdin_holds_the_id_then_the_secret() {
        let (id, secret) = read_pair(&mut "  chave \r\nseg redo\r\n".as_bytes()).unwrap();
        assert_eq!((id.as_str(), secret.expose().as_str()), ("chave", "seg redo"));
        let (id, secret) = read_pair(&mut "chave\nsegredo".as_bytes()).unwrap();
        assert_eq!((id.as_str(), secret.expose().as_str()), ("chave", "segredo"));
        assert!(read_pair(&mut "chave\n".as_bytes()).unwrap_err().contains("segunda"));
        assert!(read_pair(&mut "a\nb\nc\n".as_bytes()).unwrap_err().contains("mais de duas linhas"));
        assert!(read_pair(&mut &[0xffu8, b'\n', b'x'][..]).unwrap_err().contains("UTF-8"));
        let big = "x".repeat(20 * 1024);
        assert!(read_pair(&mut big.as_bytes()).unwrap_err().contains("16 KiB"));
    }
}
