//! `balcao-cli admin recover` and `admin recovery-keygen`: binding the history to this user's keyring again with the
//! agency's private key (read from a file or standard input, never from the command line), and making the agency's
//! key pair. Both reach the history through balcao-service.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use balcao_core::{AppError, ErrorCode, Sensitive};
use balcao_platform::KeyringStore;
use balcao_service::policy::current_policy_dir;
use balcao_service::recovery::{
    Recovered, RecoveryIdentity, generate_recovery_key, recover_history, recover_history_with_key, unwrap_history_key,
};

use crate::exit::{EXIT_ADMIN_FAILED, EXIT_USAGE};
use crate::text::{eprint_line, print_line};

/// The largest identity file read (an age identity file is a few hundred bytes).
const MAX_IDENTITY_BYTES: u64 = 64 * 1024;

#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct RecoverArgs {
    /// Arquivo com a chave privada de recuperação da agência («-»: lida da entrada padrão). Nunca a chave em si.
    #[arg(long, value_name = "ARQUIVO")]
    pub identity: Option<PathBuf>,
    /// A chave deste histórico, já aberta no computador da TI com admin unwrap-history-key («-»: entrada padrão):
    /// a chave privada da agência não passa pela sessão do atendente.
    #[arg(long, value_name = "ARQUIVO")]
    pub history_key: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct UnwrapArgs {
    /// Arquivo com a chave privada de recuperação da agência («-»: entrada padrão).
    #[arg(long, value_name = "ARQUIVO")]
    pub identity: PathBuf,
    /// A cópia da chave do histórico (history.key.age) trazida do PC do atendente.
    #[arg(long, value_name = "ARQUIVO")]
    pub wrapped: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Onde gravar a chave privada (arquivo novo, só o dono lê; nunca sobrescrito). Guarde-o fora dos PCs de atendimento.
    #[arg(long, short, value_name = "ARQUIVO")]
    pub out: PathBuf,
}

/// Exit 0 when the history opens again (or already did), 1 when the recovery was refused (nothing changed), 2 for a
/// usage error (an identity that cannot be read or is not one).
pub fn recover(args: RecoverArgs) -> ExitCode {
    let data_dir = balcao_platform::data_dir();
    let outcome = match (&args.identity, &args.history_key) {
        (_, Some(path)) => match read_history_key(path) {
            Ok(key) => recover_history_with_key(&data_dir, &KeyringStore::new(), key, &current_policy_dir()),
            Err(e) => return fail("recover", &e),
        },
        (Some(path), None) => match read_identity(path).and_then(|text| RecoveryIdentity::parse(&text)) {
            Ok(identity) => recover_history(&data_dir, &KeyringStore::new(), &identity, &current_policy_dir()),
            Err(e) => return fail("recover", &e),
        },
        (None, None) => return fail("recover", &usage("indique --identity ou --history-key.".to_owned())),
    };
    match outcome {
        Ok(Recovered::Rebound) => {
            print_line(&format!(
                "Histórico recuperado: a chave foi gravada no cofre de senhas deste usuário, e o Balcão volta a abrir o \
                 histórico de {} com todas as consultas e a auditoria.",
                data_dir.display()
            ));
            ExitCode::SUCCESS
        }
        Ok(Recovered::AlreadyBound) => {
            print_line(
                "O cofre de senhas deste usuário já tem a chave deste histórico, que abre normalmente. Nada foi alterado.",
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail("recover", &e),
    }
}

/// `admin unwrap-history-key`, on IT's machine: the history key inside a `history.key.age` brought from a clerk's PC,
/// on standard output, for `admin recover --history-key -` there. Exit 0, 1 when this key does not open the file, 2
/// for a usage error.
pub fn unwrap(args: UnwrapArgs) -> ExitCode {
    let identity = match read_identity(&args.identity).and_then(|text| RecoveryIdentity::parse(&text)) {
        Ok(identity) => identity,
        Err(e) => return fail("unwrap-history-key", &e),
    };
    let wrapped = match balcao_platform::read_limited(&args.wrapped, MAX_IDENTITY_BYTES) {
        Ok(bytes) => bytes,
        Err(e) => {
            let why = format!("não foi possível ler {}: {}.", args.wrapped.display(), e.reason(MAX_IDENTITY_BYTES));
            return fail("unwrap-history-key", &usage(why));
        }
    };
    match unwrap_history_key(&wrapped, &identity) {
        Ok(key) => {
            print_line(key.expose());
            eprint_line(
                "A linha acima é a chave de um histórico: trate-a como segredo. Leve-a ao PC do atendente pela entrada \
                 padrão (balcao-cli admin recover --history-key -), nunca na linha de comando nem num arquivo que fique.",
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail("unwrap-history-key", &e),
    }
}

/// The history key (64 hex digits) from `path` or (`-`) standard input; on the command line itself it is refused
/// without being repeated.
fn read_history_key(path: &Path) -> Result<Sensitive<String>, AppError> {
    let given = path.to_string_lossy();
    if given.len() >= 32 && given.trim().bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(usage(
            "a chave do histórico não pode ser passada na linha de comando (ela fica no histórico do terminal e \
             visível a outros programas). Use --history-key - e passe-a pela entrada padrão. Nada foi alterado."
                .to_owned(),
        ));
    }
    let text = read_secret(path, "a chave do histórico")?;
    Ok(Sensitive::new(text.expose().trim().to_owned()))
}

/// Exit 0 with the public key on standard output (the private key written to `--out`), 2 when the file cannot be
/// written there (it exists, is a link, or lies in the data folder).
pub fn keygen(args: KeygenArgs) -> ExitCode {
    match write_new_key(&args.out) {
        Ok(public) => {
            print_line(&public);
            eprint_line(&format!(
                "Chave privada de recuperação gravada em {} (só o dono lê o arquivo). Guarde-a FORA dos computadores \
                 de atendimento (cofre da TI, mídia desconectada, com cópia) e apague-a deste computador depois de \
                 copiá-la. A linha acima é a chave pública: ponha-a na política (recovery_public_key).",
                args.out.display()
            ));
            ExitCode::SUCCESS
        }
        Err(e) => fail("recovery-keygen", &e),
    }
}

fn fail(command: &str, e: &AppError) -> ExitCode {
    eprint_line(&format!("balcao-cli admin {command}: {} [{:?}]", e.message, e.code));
    match e.code {
        ErrorCode::Config => ExitCode::from(EXIT_USAGE),
        _ => ExitCode::from(EXIT_ADMIN_FAILED),
    }
}

fn usage(message: String) -> AppError {
    AppError::new(ErrorCode::Config, message)
}

/// The identity file's text, from `path` or (`-`) standard input, at most [`MAX_IDENTITY_BYTES`].
fn read_identity(path: &Path) -> Result<Sensitive<String>, AppError> {
    read_secret(path, "a chave privada de recuperação")
}

/// A secret's text (`what` names it in messages), from `path` or (`-`) standard input, at most
/// [`MAX_IDENTITY_BYTES`].
fn read_secret(path: &Path, what: &str) -> Result<Sensitive<String>, AppError> {
    // The key itself given where its file was expected: it is now in the shell's history and visible to other
    // processes. Refused without repeating it.
    if path.to_string_lossy().trim_start().to_ascii_uppercase().starts_with("AGE-SECRET-KEY-") {
        return Err(usage(
            "a chave privada não pode ser passada na linha de comando (ela fica no histórico do terminal e visível a \
             outros programas). Indique o arquivo dela em --identity, ou use --identity - e passe-a pela entrada \
             padrão. Nada foi alterado."
                .to_owned(),
        ));
    }
    let bytes = if path == Path::new("-") {
        let mut bytes = zeroize::Zeroizing::new(Vec::new());
        std::io::stdin().lock().take(MAX_IDENTITY_BYTES + 1).read_to_end(&mut bytes).map_err(|e| {
            usage(format!("não foi possível ler {what} da entrada padrão: {}.", balcao_core::error::io_reason(&e)))
        })?;
        if bytes.len() as u64 > MAX_IDENTITY_BYTES {
            return Err(usage(format!("a entrada padrão é grande demais para {what}.")));
        }
        bytes
    } else {
        zeroize::Zeroizing::new(balcao_platform::read_limited(path, MAX_IDENTITY_BYTES).map_err(|e| {
            usage(format!(
                "não foi possível ler {what} em {}: {}. Nada foi alterado.",
                path.display(),
                e.reason(MAX_IDENTITY_BYTES)
            ))
        })?)
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| usage(format!("o que foi indicado como {what} não é texto. Nada foi alterado.")))?;
    Ok(Sensitive::new(text.to_owned()))
}

/// Writes a new agency key pair's private half to `out` (created new, 0600) and returns the public key.
fn write_new_key(out: &Path) -> Result<String, AppError> {
    balcao_platform::check_result_path(out, &[]).map_err(AppError::from)?;
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(usage(format!(
            "o arquivo {} já existe: uma chave de recuperação nunca é sobrescrita (os históricos cifrados para ela \
             ficariam sem recuperação). Escolha outro nome.",
            out.display()
        )));
    }
    let (identity, public) = generate_recovery_key();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let failed = |e: std::io::Error| {
        usage(format!("não foi possível gravar {}: {}.", out.display(), balcao_core::error::io_reason(&e)))
    };
    let mut file = options.open(out).map_err(failed)?;
    if let Err(e) = file.write_all(identity.expose().as_bytes()).and_then(|()| file.sync_all()) {
        // Ours (created new above): a half-written key is no key.
        drop(file);
        let _ = std::fs::remove_file(out);
        return Err(failed(e));
    }
    Ok(public.as_str().to_owned())
}
