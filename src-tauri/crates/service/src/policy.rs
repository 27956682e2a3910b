//! The agency's managed policy (`policy.toml`, deployed by IT in a system folder the clerk cannot write): where it
//! lives on each platform, what it may say (the agency's profiles and rules), and its strict, size-limited reading
//! with pt-BR errors naming the file, the line and the field.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use balcao_core::history_api::RetentionPolicy;
use balcao_core::profile::Profile;
use balcao_core::{AppError, Cpf, ErrorCode, Sensitive};
use balcao_platform::LimitedReadError;
use serde::Deserialize;

use crate::clerks::{Clerk, ClerkPolicy};

/// Overrides the policy folder (tests, e2e, xtask: no test ever reads the real system folder).
pub const POLICY_DIR_ENV: &str = "BALCAO_POLICY_DIR";
/// The policy file's name in the policy folder.
pub const POLICY_FILE: &str = "policy.toml";
/// The most `policy.toml` may weigh: the agency's profiles (the profiles file's own limit) and a few rules.
pub const MAX_POLICY_FILE_BYTES: u64 = balcao_gov::MAX_PROFILES_FILE_BYTES;
/// The most clerks the policy may list (one counter PC, or a unit's PCs sharing one file).
pub const MAX_LISTED_CLERKS: usize = 1_000;

/// The platforms Balcão is built for. The policy folder of each is a plain function of (platform, environment), so
/// all three are tested on Linux.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Linux,
    Windows,
    MacOs,
}

impl Platform {
    /// The platform this build runs on (the BSDs and others are treated as Linux: `/etc`).
    pub fn current() -> Platform {
        if cfg!(windows) {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
        }
    }
}

/// The folder IT deploys the policy to: Linux `/etc/balcao`, Windows `C:\ProgramData\Balcao`, macOS
/// `/Library/Application Support/br.gov.balcao`; `BALCAO_POLICY_DIR` overrides it (see [`choose_policy_dir`]).
///
/// Never from the user's own environment on Windows (`%ProgramData%`): the clerk sets their process's variables, and
/// a `ProgramData` of their own would hide the agency's policy and credentials.
pub fn policy_dir(platform: Platform, env: &dyn Fn(&str) -> Option<OsString>) -> PathBuf {
    if let Some(dir) = env(POLICY_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    match platform {
        Platform::Linux => PathBuf::from("/etc/balcao"),
        Platform::MacOs => PathBuf::from("/Library/Application Support/br.gov.balcao"),
        // Written as text with Windows' separator: `Path::join` would use the separator of the machine running it.
        Platform::Windows => PathBuf::from(r"C:\ProgramData\Balcao"),
    }
}

/// The policy folder of this machine and process: `policy_dir` of the current platform and the real environment,
/// except that a release build never lets `BALCAO_POLICY_DIR` hide a policy IT deployed (see [`choose_policy_dir`]).
pub fn current_policy_dir() -> PathBuf {
    let system = machine_policy_dir();
    let deployed = !matches!(std::fs::symlink_metadata(system.join(POLICY_FILE)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound);
    choose_policy_dir(system, std::env::var_os(POLICY_DIR_ENV), cfg!(debug_assertions), deployed)
}

/// The machine's own policy folder, whatever `BALCAO_POLICY_DIR` says.
pub fn machine_policy_dir() -> PathBuf {
    policy_dir(Platform::current(), &|_| None)
}

/// Where the policy is read: the redirect (`BALCAO_POLICY_DIR`, for tests) in a debug build, or in a release build
/// only where IT deployed no policy; else the machine's folder. A clerk who starts the installed Balcão with the
/// variable set to a folder of their own still gets the agency's policy.
pub fn choose_policy_dir(
    system: PathBuf,
    redirect: Option<OsString>,
    debug_build: bool,
    system_policy_deployed: bool,
) -> PathBuf {
    match redirect.filter(|d| !d.is_empty()) {
        Some(dir) if debug_build || !system_policy_deployed => PathBuf::from(dir),
        Some(_) => {
            tracing::warn!("BALCAO_POLICY_DIR ignored: this machine has a managed policy");
            system
        }
        None => system,
    }
}

/// The agency's update rules (`[update]`): the same meaning as `update.json`'s (see `update_policy`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateRules {
    /// The agency's mirror(s), tried in order.
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// IT distributes updates by other means: never check.
    #[serde(default)]
    pub disabled: bool,
    /// Check when the app starts (default true).
    pub check_on_start: Option<bool>,
}

impl UpdateRules {
    /// The same rules as the updater's policy type.
    pub fn to_update_policy(&self) -> crate::update_policy::Policy {
        crate::update_policy::Policy {
            endpoints: self.endpoints.clone(),
            disabled: self.disabled,
            check_on_start: self.check_on_start,
        }
    }
}

/// The agency's store (`[agency_store]`, #18): kept as data only here. The URL may hold a password, so it is
/// [`Sensitive`]: never logged, never shown, never serialised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyStore {
    /// A `postgres://` or `postgresql://` URL.
    pub url: Sensitive<String>,
    /// The PEM of the CA that signs the server's certificate (`ca_file`, default `agency-ca.pem` beside the policy).
    pub ca_file: PathBuf,
    /// Calls a counter may make per credential, API and day while the store cannot be reached (default
    /// [`DEFAULT_OFFLINE_ALLOWANCE`]): small, so twenty offline counters cannot overrun the agency's quota.
    pub offline_allowance: u32,
    /// The live link to the store once Balcão attached it (shared by every copy of the policy).
    pub link: crate::agency_link::LinkSlot,
}

/// The offline allowance when the policy gives none.
pub const DEFAULT_OFFLINE_ALLOWANCE: u32 = 5;

/// What `policy.toml` says, checked. `None` in a field: the policy does not set it and the clerk's settings apply.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedPolicy {
    /// Where it was read (shown to the clerk and IT).
    pub file: PathBuf,
    /// The agency's profiles (`[[profile]]`, the profiles file's shape): managed, not editable on the PC.
    pub profiles: Vec<Profile>,
    pub idle_lock_minutes: Option<u32>,
    /// The lock's PIN may not be removed on the PC.
    pub pin_required: Option<bool>,
    pub purpose_required: Option<bool>,
    /// `[retention]`: a limit left out there is no limit.
    pub retention: Option<RetentionPolicy>,
    pub update: Option<UpdateRules>,
    /// Clerks may add profiles of their own (default true); with false only the agency's are listed and usable.
    pub clerks_may_add_profiles: bool,
    /// `[clerks]` (#23): the clerk policy in force instead of settings.json's.
    pub clerks: Option<ClerkPolicy>,
    pub agency_store: Option<AgencyStore>,
    /// The agency's recovery public key: an `age` X25519 recipient (`age1…`), checked as such.
    pub recovery_public_key: Option<String>,
}

/// Why `policy.toml` was refused: the file, the line when there is one, and a pt-BR reason (what the clerk and IT
/// see, through [`PolicyError::to_app_error`]); the library's own text goes to the log only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy file {} refused (line {line:?}, field {field:?})", file.display())]
pub struct PolicyError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub field: Option<String>,
    /// The pt-BR reason, without the file's name.
    pub reason: String,
}

impl PolicyError {
    fn new(file: &Path, line: Option<usize>, field: Option<&str>, reason: impl Into<String>) -> Self {
        Self { file: file.to_owned(), line, field: field.map(str::to_owned), reason: reason.into() }
    }

    /// The whole pt-BR message: the file, the line, the field and the reason.
    pub fn message(&self) -> String {
        let mut at = String::new();
        if let Some(line) = self.line {
            at.push_str(&format!(" na linha {line}"));
        }
        if let Some(field) = &self.field {
            at.push_str(&format!(", campo «{field}»"));
        }
        let end = if self.reason.ends_with('.') { "" } else { "." };
        format!("O arquivo de política da TI {} tem um erro{at}: {}{end}", self.file.display(), self.reason)
    }

    /// The pt-BR `Config` error.
    pub fn to_app_error(&self) -> AppError {
        AppError::new(ErrorCode::Config, self.message())
    }
}

/// What the file may hold, as written (snake_case keys, nothing else).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyToml {
    idle_lock_minutes: Option<u32>,
    pin_required: Option<bool>,
    purpose_required: Option<bool>,
    clerks_may_add_profiles: Option<bool>,
    recovery_public_key: Option<String>,
    retention: Option<RetentionToml>,
    update: Option<UpdateRules>,
    clerks: Option<ClerksToml>,
    agency_store: Option<AgencyStoreToml>,
    /// Read again by the profiles parser (its own checks and messages); only its presence matters here.
    profile: Option<Vec<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionToml {
    max_age_days: Option<u32>,
    max_entries: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClerksToml {
    #[serde(default)]
    required: bool,
    #[serde(default = "yes")]
    pc_may_add: bool,
    #[serde(default)]
    listed: Vec<ClerkToml>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClerkToml {
    cpf: String,
    name: String,
    /// The first PIN's Argon2id hash (`balcao-cli admin pin-hash`), never the PIN.
    initial_pin_hash: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgencyStoreToml {
    url: String,
    ca_file: Option<PathBuf>,
    offline_allowance: Option<u32>,
}

impl std::fmt::Debug for AgencyStoreToml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AgencyStoreToml { url: <redacted> }")
    }
}

/// Reads `dir/policy.toml`: `Ok(None)` when there is no such file (no managed policy), the checked policy, or why
/// it was refused. Never more than [`MAX_POLICY_FILE_BYTES`] is read.
pub fn load_policy(dir: &Path) -> Result<Option<ManagedPolicy>, PolicyError> {
    let file = dir.join(POLICY_FILE);
    // Only the administrator may change the policy: in the machine's own folder the file and the folder belong to
    // root; anywhere, neither the group nor others may write them.
    if let Err(problem) = balcao_platform::check_admin_file(&file, dir == machine_policy_dir()) {
        return Err(not_admin_only(&file, &problem));
    }
    let bytes = match balcao_platform::read_limited(&file, MAX_POLICY_FILE_BYTES) {
        Ok(b) => b,
        Err(LimitedReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(LimitedReadError::Io(e)) => {
            tracing::warn!(file = %file.display(), error = %e, "policy file unreadable");
            return Err(PolicyError::new(
                &file,
                None,
                None,
                format!("não foi possível lê-lo ({})", balcao_core::error::io_reason(&e)),
            ));
        }
        Err(LimitedReadError::Folder) => {
            return Err(PolicyError::new(&file, None, None, "é uma pasta, não um arquivo"));
        }
        Err(LimitedReadError::TooLarge { bytes }) => {
            return Err(PolicyError::new(
                &file,
                None,
                None,
                format!("é grande demais ({} KiB; no máximo {} KiB)", bytes / 1024, MAX_POLICY_FILE_BYTES / 1024),
            ));
        }
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes().get(..valid).map_or(1, |b| b.iter().filter(|c| **c == b'\n').count() + 1);
        PolicyError::new(&file, Some(line), None, "o texto não está em UTF-8")
    })?;
    parse_policy(&text, &file).map(Some)
}

/// The refusal of a policy file or folder someone other than the administrator could change.
fn not_admin_only(file: &Path, problem: &balcao_platform::AdminFileProblem) -> PolicyError {
    use balcao_platform::AdminFileProblem;
    let reason = match problem {
        AdminFileProblem::Writable { path, mode } => format!(
            "{} pode ser alterado por outros usuários (modo {mode:04o}); só o administrador pode escrever nele: \
             chmod go-w {}",
            path.display(),
            path.display()
        ),
        AdminFileProblem::Owner { path, uid } => format!(
            "{} pertence a outro usuário (uid {uid}), não ao administrador: chown root {}",
            path.display(),
            path.display()
        ),
    };
    PolicyError::new(file, None, None, reason)
}

/// Parses and checks the text of a policy file read from `file` (named in every error).
pub fn parse_policy(text: &str, file: &Path) -> Result<ManagedPolicy, PolicyError> {
    let raw: PolicyToml = toml::from_str(text).map_err(|e| toml_error(text, file, &e))?;
    let at = |section: Option<&str>, key: &str| key_line(text, section, key);
    let fail = |section: Option<&str>, key: &str, reason: String| {
        let field = section.map_or_else(|| key.to_owned(), |s| format!("{s}.{key}"));
        PolicyError::new(file, at(section, key), Some(&field), reason)
    };
    if let Some(m) = raw.idle_lock_minutes
        && !balcao_core::bounds::IDLE_LOCK_MINUTES.contains(&m)
    {
        let r = balcao_core::bounds::IDLE_LOCK_MINUTES;
        return Err(fail(
            None,
            "idle_lock_minutes",
            format!("deve estar entre {} e {} (recebido {m})", r.start(), r.end()),
        ));
    }
    let retention = match raw.retention {
        Some(r) => {
            let days = balcao_core::bounds::DAYS;
            if let Some(d) = r.max_age_days.filter(|d| !days.contains(d)) {
                let reason = format!("deve estar entre {} e {} dias (recebido {d})", days.start(), days.end());
                return Err(fail(Some("retention"), "max_age_days", reason));
            }
            let entries = balcao_core::bounds::MAX_ENTRIES;
            if let Some(n) = r.max_entries.filter(|n| !entries.contains(n)) {
                let reason = format!("deve estar entre {} e {} (recebido {n})", entries.start(), entries.end());
                return Err(fail(Some("retention"), "max_entries", reason));
            }
            Some(RetentionPolicy { max_age_days: r.max_age_days, max_entries: r.max_entries })
        }
        None => None,
    };
    if let Some(update) = &raw.update {
        for endpoint in &update.endpoints {
            match url::Url::parse(endpoint) {
                Ok(u) if matches!(u.scheme(), "https" | "http") => {}
                _ => {
                    return Err(fail(
                        Some("update"),
                        "endpoints",
                        format!("«{endpoint}» não é uma URL http(s) válida"),
                    ));
                }
            }
        }
    }
    let clerks = match raw.clerks {
        Some(c) => Some(clerk_policy(c, text, file)?),
        None => None,
    };
    let agency_store = match raw.agency_store {
        Some(s) => {
            // The URL's text is never repeated in a message: it may hold a password.
            match url::Url::parse(&s.url) {
                Ok(u) if matches!(u.scheme(), "postgres" | "postgresql") && u.host_str().is_some() => {}
                _ => {
                    return Err(fail(
                        Some("agency_store"),
                        "url",
                        "não é uma URL PostgreSQL válida (postgres://usuário@servidor:porta/banco)".to_owned(),
                    ));
                }
            }
            let dir = file.parent().unwrap_or_else(|| Path::new("."));
            Some(AgencyStore {
                url: Sensitive::new(s.url),
                ca_file: dir.join(s.ca_file.unwrap_or_else(|| PathBuf::from("agency-ca.pem"))),
                offline_allowance: s.offline_allowance.unwrap_or(DEFAULT_OFFLINE_ALLOWANCE),
                link: Default::default(),
            })
        }
        None => None,
    };
    if let Some(key) = &raw.recovery_public_key
        && !is_age_x25519_recipient(key.trim())
        // Or a post-quantum `age1pq1…` key, what `balcao-cli admin recovery-keygen` makes (see `recovery`).
        && balcao_history::RecoveryKey::parse(key).is_err()
    {
        return Err(fail(
            None,
            "recovery_public_key",
            "não é uma chave pública age (começa com «age1», como a que `balcao-cli admin recovery-keygen` ou \
             `age-keygen -y` mostra)"
                .to_owned(),
        ));
    }
    let profiles = match raw.profile {
        Some(_) => balcao_gov::parse_profiles_in(text, file).map_err(|e| {
            // The profiles parser's message already names the file, the line and the field.
            PolicyError { file: file.to_owned(), line: None, field: None, reason: e.message }
        })?,
        None => Vec::new(),
    };
    Ok(ManagedPolicy {
        file: file.to_owned(),
        profiles,
        idle_lock_minutes: raw.idle_lock_minutes,
        pin_required: raw.pin_required,
        purpose_required: raw.purpose_required,
        retention,
        update: raw.update,
        clerks_may_add_profiles: raw.clerks_may_add_profiles.unwrap_or(true),
        clerks,
        agency_store,
        recovery_public_key: raw.recovery_public_key.map(|k| k.trim().to_owned()),
    })
}

/// `[clerks]` checked: each CPF valid and listed once, each name present.
fn clerk_policy(raw: ClerksToml, text: &str, file: &Path) -> Result<ClerkPolicy, PolicyError> {
    if raw.listed.len() > MAX_LISTED_CLERKS {
        return Err(PolicyError::new(
            file,
            key_line(text, Some("clerks"), "listed"),
            Some("clerks.listed"),
            format!("{} atendentes; no máximo {MAX_LISTED_CLERKS}", raw.listed.len()),
        ));
    }
    let mut listed: Vec<Clerk> = Vec::with_capacity(raw.listed.len());
    let mut initial_pins = Vec::new();
    for c in raw.listed {
        let line = value_line(text, &c.cpf).or_else(|| key_line(text, Some("clerks"), "listed"));
        let cpf = Cpf::parse(&c.cpf).map_err(|e| {
            PolicyError::new(file, line, Some("clerks.listed.cpf"), format!("CPF «{}» inválido: {e}", c.cpf))
        })?;
        let name = c.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(PolicyError::new(
                file,
                line,
                Some("clerks.listed.name"),
                format!("informe o nome do atendente de CPF {} (até 120 caracteres)", cpf.masked()),
            ));
        }
        if listed.iter().any(|l| l.cpf == cpf) {
            return Err(PolicyError::new(
                file,
                line,
                Some("clerks.listed.cpf"),
                format!("o CPF {} aparece mais de uma vez", cpf.masked()),
            ));
        }
        if let Some(hash) = c.initial_pin_hash {
            if !crate::lock::is_argon2id_phc(hash.trim()) {
                return Err(PolicyError::new(
                    file,
                    line,
                    Some("clerks.listed.initial_pin_hash"),
                    format!(
                        "o primeiro PIN do atendente de CPF {} não é um hash Argon2id (gere-o com balcao-cli admin \
                         pin-hash; nunca o PIN em si)",
                        cpf.masked()
                    ),
                ));
            }
            initial_pins.push((cpf, Sensitive::new(hash.trim().to_owned())));
        }
        listed.push(Clerk { cpf, name: name.to_owned() });
    }
    Ok(ClerkPolicy { required: raw.required, pc_may_add: raw.pc_may_add, listed, initial_pins })
}

/// A TOML parse error in pt-BR: the line, the field (the key written on that line, in its table) and what is wrong.
fn toml_error(text: &str, file: &Path, e: &toml::de::Error) -> PolicyError {
    // The parser's message may quote the line, and the line may hold a secret (a store URL): only its kind is logged.
    let offset = e.span().map_or(0, |s| s.start);
    let (line, column) = balcao_core::error::line_and_column(text, offset);
    let message = e.message();
    tracing::warn!(file = %file.display(), line, column, "policy file refused by the TOML parser");
    let serde_like = [
        "missing field",
        "unknown field",
        "unknown variant",
        "invalid type",
        "invalid length",
        "duplicate field",
        "invalid value",
    ];
    if !serde_like.iter().any(|p| message.starts_with(p)) {
        return PolicyError::new(
            file,
            Some(line),
            None,
            format!("erro de sintaxe TOML na coluna {column} (aspas, colchetes ou «=» faltando?)"),
        );
    }
    let problem = balcao_core::error::FieldProblem::from_serde(message);
    let (section, key) = key_at(text, offset);
    let key = problem.field.clone().or(key);
    let field = match (section, key) {
        (Some(s), Some(k)) => Some(format!("{s}.{k}")),
        (Some(s), None) => Some(s),
        (None, k) => k,
    };
    let mut reason = problem.problem;
    if message.starts_with("unknown field") {
        reason = "campo desconhecido (confira a grafia em docs/deploy.md)".to_owned();
    }
    PolicyError::new(file, Some(line), field.as_deref(), reason)
}

/// The table header (`[x]`, `[[x]]`) in force at each line of `text`, and the key written on it, if any.
fn lines_with_tables(text: &str) -> impl Iterator<Item = (usize, Option<String>, Option<String>)> + '_ {
    let mut table: Option<String> = None;
    text.lines().enumerate().map(move |(i, raw)| {
        let l = raw.trim();
        if l.starts_with('[') {
            let name = l.trim_start_matches('[').split(']').next().unwrap_or_default().trim().to_owned();
            table = Some(name);
            return (i + 1, table.clone(), None);
        }
        let key = l
            .split_once('=')
            .map(|(k, _)| k.trim().trim_matches('"').to_owned())
            .filter(|k| !k.is_empty() && !k.starts_with('#'));
        (i + 1, table.clone(), key)
    })
}

/// The table and key at byte `offset` (for an error the parser placed there).
fn key_at(text: &str, offset: usize) -> (Option<String>, Option<String>) {
    let (line, _) = balcao_core::error::line_and_column(text, offset);
    match lines_with_tables(text).find(|(l, _, _)| *l == line) {
        // A table's own header: the key is its last segment, in its parent table.
        Some((_, Some(table), None)) => match table.rsplit_once('.') {
            Some((parent, last)) => (Some(parent.to_owned()), Some(last.to_owned())),
            None => (None, Some(table)),
        },
        Some((_, t, k)) => (t, k),
        None => (None, None),
    }
}

/// The line where `key` is written in table `section` (`None`: the top, before any table).
fn key_line(text: &str, section: Option<&str>, key: &str) -> Option<usize> {
    lines_with_tables(text).find(|(_, t, k)| t.as_deref() == section && k.as_deref() == Some(key)).map(|(l, _, _)| l)
}

/// The first line where the quoted value `value` is written.
fn value_line(text: &str, value: &str) -> Option<usize> {
    let quoted = format!("\"{value}\"");
    text.find(&quoted).map(|offset| balcao_core::error::line_and_column(text, offset).0)
}

/// Whether `key` is an `age` X25519 recipient: Bech32 (BIP 173) with the human part `age` and 32 bytes of key.
pub fn is_age_x25519_recipient(key: &str) -> bool {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    // Bech32 is case-insensitive but never mixed; age writes it in lower case.
    if key.len() > 90 || key.bytes().any(|b| b.is_ascii_uppercase()) {
        return false;
    }
    let Some((hrp, data)) = key.rsplit_once('1') else { return false };
    if hrp != "age" || data.len() < 6 {
        return false;
    }
    let mut values = Vec::with_capacity(data.len());
    for b in data.bytes() {
        match CHARSET.iter().position(|c| *c == b) {
            Some(v) => values.push(v as u8),
            None => return false,
        }
    }
    let mut check: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    check.push(0);
    check.extend(hrp.bytes().map(|b| b & 31));
    check.extend(&values);
    if bech32_polymod(&check) != 1 {
        return false;
    }
    // The payload (checksum off) from 5-bit groups to bytes: exactly 32 bytes, zero padding.
    let payload = values.get(..values.len() - 6).unwrap_or_default();
    let (mut acc, mut bits, mut bytes) = (0u32, 0u32, 0usize);
    for v in payload {
        acc = (acc << 5 | u32::from(*v)) & 0xfff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes += 1;
        }
    }
    bytes == 32 && bits < 5 && acc & ((1 << bits) - 1) == 0
}

fn bech32_polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = (chk & 0x01ff_ffff) << 5 ^ u32::from(*v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_release_build_never_lets_the_redirect_hide_a_policy_it_deployed() {
        let system = PathBuf::from("/etc/balcao");
        let redirect = || Some(OsString::from("/home/clerk/empty"));
        // Debug builds (the tests) always follow the redirect, so no test reads the machine's folder.
        assert_eq!(choose_policy_dir(system.clone(), redirect(), true, true), PathBuf::from("/home/clerk/empty"));
        // A release build follows it only where IT deployed no policy.
        assert_eq!(choose_policy_dir(system.clone(), redirect(), false, false), PathBuf::from("/home/clerk/empty"));
        assert_eq!(choose_policy_dir(system.clone(), redirect(), false, true), system);
        assert_eq!(choose_policy_dir(system.clone(), Some(OsString::new()), true, false), system);
        assert_eq!(choose_policy_dir(system.clone(), None, true, true), system);
    }
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn the_policy_folder_of_each_platform_is_where_its_administrator_expects_it() {
        let none = env_of(&[]);
        assert_eq!(policy_dir(Platform::Linux, &none), PathBuf::from("/etc/balcao"));
        assert_eq!(policy_dir(Platform::MacOs, &none), PathBuf::from("/Library/Application Support/br.gov.balcao"));
        assert_eq!(policy_dir(Platform::Windows, &none).as_os_str(), r"C:\ProgramData\Balcao");
        // The clerk's own %ProgramData% never moves it (they set their process's environment).
        let moved = env_of(&[("ProgramData", r"D:\Dados")]);
        assert_eq!(policy_dir(Platform::Windows, &moved).as_os_str(), r"C:\ProgramData\Balcao");
        assert_eq!(policy_dir(Platform::Linux, &moved), PathBuf::from("/etc/balcao"));
    }

    #[test]
    fn balcao_policy_dir_redirects_the_policy_folder_on_every_platform() {
        let redirected = env_of(&[(POLICY_DIR_ENV, "/tmp/teste-politica"), ("ProgramData", r"D:\Dados")]);
        for p in [Platform::Linux, Platform::Windows, Platform::MacOs] {
            assert_eq!(policy_dir(p, &redirected), PathBuf::from("/tmp/teste-politica"), "{p:?}");
        }
        let empty = env_of(&[(POLICY_DIR_ENV, "")]);
        assert_eq!(policy_dir(Platform::Linux, &empty), PathBuf::from("/etc/balcao"));
    }

    #[test]
    fn the_update_policy_files_and_the_managed_policy_share_the_system_folder() {
        let dir = tempfile::tempdir().unwrap();
        let files = crate::update_policy::policy_files(dir.path());
        assert_eq!(files[0], current_policy_dir().join(POLICY_FILE), "policy.toml first");
        assert_eq!(files[1], current_policy_dir().join(crate::update_policy::POLICY_FILE));
        assert_eq!(files[2], dir.path().join(crate::update_policy::POLICY_FILE));
    }

    /// A real `age-keygen` recipient (its identity was thrown away).
    const AGE_KEY: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    #[test]
    fn only_a_well_formed_age_x25519_recipient_is_taken_as_the_recovery_key() {
        assert!(is_age_x25519_recipient(AGE_KEY));
        // One character changed: the checksum fails.
        assert!(!is_age_x25519_recipient(&AGE_KEY.replace("ql3z", "ql4z")));
        assert!(!is_age_x25519_recipient(&AGE_KEY.to_uppercase()));
        assert!(!is_age_x25519_recipient("age1"));
        assert!(!is_age_x25519_recipient(""));
        assert!(!is_age_x25519_recipient("AGE-SECRET-KEY-1QQQQ"));
        assert!(!is_age_x25519_recipient("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO"));
        assert!(!is_age_x25519_recipient("npub1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"));
    }

    const FULL: &str = r#"
idle_lock_minutes = 5
pin_required = true
purpose_required = true
clerks_may_add_profiles = false
recovery_public_key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"

[retention]
max_age_days = 365

[update]
endpoints = ["https://espelho.orgao.gov.br/balcao/{{target}}/{{arch}}/{{current_version}}"]
check_on_start = false

[clerks]
required = true
pc_may_add = false
listed = [
  { cpf = "000.000.001-91", name = "Ana Souza" },
  { cpf = "00000000272", name = "Bruno Lima" },
]

[agency_store]
url = "postgres://balcao:segredo@banco.orgao.gov.br:5432/balcao"

[[profile]]
id = "serpro-prod"
name = "SERPRO produção"
provider = "serpro"
environment = "producao"
base_url = "https://gateway.apiserpro.serpro.gov.br"
cnpj_views = ["basica"]
"#;

    fn file() -> PathBuf {
        PathBuf::from("/etc/balcao/policy.toml")
    }

    #[test]
    fn a_full_policy_reads_every_rule_and_the_agencys_profiles() {
        let p = parse_policy(FULL, &file()).unwrap();
        assert_eq!(p.idle_lock_minutes, Some(5));
        assert_eq!((p.pin_required, p.purpose_required), (Some(true), Some(true)));
        assert!(!p.clerks_may_add_profiles);
        assert_eq!(p.retention, Some(RetentionPolicy { max_age_days: Some(365), max_entries: None }));
        let update = p.update.as_ref().unwrap();
        assert_eq!(update.check_on_start, Some(false));
        assert_eq!(update.to_update_policy().endpoints.len(), 1);
        let clerks = p.clerks.as_ref().unwrap();
        assert!(clerks.required && !clerks.pc_may_add);
        assert_eq!(clerks.listed.len(), 2);
        assert_eq!(clerks.listed[0].name, "Ana Souza");
        assert_eq!(clerks.listed[1].cpf, Cpf::parse("000.000.002-72").unwrap());
        let store = p.agency_store.as_ref().unwrap();
        assert!(store.url.expose().starts_with("postgres://"));
        assert!(!format!("{p:?}").contains("segredo"), "the store's password never prints");
        assert_eq!(p.recovery_public_key.as_deref(), Some(AGE_KEY));
        assert_eq!(p.profiles.len(), 1);
        assert_eq!(p.profiles[0].id, "serpro-prod");
    }

    #[test]
    fn the_documented_example_for_it_is_a_valid_policy() {
        let doc = include_str!("../../../../docs/deploy/policy.md");
        let example = doc.split("```toml\n").nth(1).and_then(|rest| rest.split("```").next()).unwrap();
        let p = parse_policy(example, &file()).unwrap_or_else(|e| panic!("{}", e.message()));
        assert_eq!(p.profiles.len(), 2);
        assert!(p.clerks.is_some() && p.agency_store.is_some() && p.update.is_some() && p.retention.is_some());
        assert!(p.recovery_public_key.is_some() && p.pin_required == Some(true));
    }

    #[test]
    fn the_agencys_profiles_may_declare_extra_bases_and_a_bad_one_is_skipped_naming_its_line() {
        let text = r#"
purpose_required = true

[[profile]]
id = "serpro-prod"
name = "SERPRO"
provider = "serpro"
environment = "producao"
base_url = "https://gateway.apiserpro.serpro.gov.br"
cnpj_views = ["basica"]

[[profile.extra_base]]
id = "cnd"
name = "Consulta CND"
path = "/consulta-cnd/v1/certidao/{cnpj}"
applies_to = ["cnpj"]
[[profile.extra_base.field]]
pointer = "/situacao"
label = "Situação"
type = "text"

[[profile.extra_base]]
id = "ruim"
name = "Ruim"
path = "/x/{cnpj}"
applies_to = ["cnpj"]
"#;
        let p = parse_policy(text, &file()).unwrap();
        assert_eq!(p.profiles[0].bases().len(), 1);
        assert_eq!(p.profiles[0].bases()[0].id.as_str(), "cnd");
        let issues = p.profiles[0].extra_base_issues.clone().unwrap();
        assert!(issues[0].starts_with("linha 22:") && issues[0].contains("«ruim»"), "{issues:?}");
    }

    #[test]
    fn an_empty_policy_sets_nothing_and_lets_clerks_add_profiles() {
        let p = parse_policy("# nada ainda\n", &file()).unwrap();
        assert!(p.profiles.is_empty() && p.clerks_may_add_profiles);
        assert_eq!((p.idle_lock_minutes, p.pin_required, p.purpose_required), (None, None, None));
        assert!(p.retention.is_none() && p.update.is_none() && p.clerks.is_none() && p.agency_store.is_none());
        let c = parse_policy("[clerks]\nrequired = true\n", &file()).unwrap().clerks.unwrap();
        assert!(c.required && c.pc_may_add && c.listed.is_empty());
    }

    /// English a library writes, which must never reach the clerk or IT.
    const ENGLISH: [&str; 8] = [
        "expected",
        "invalid type",
        "unknown field",
        "missing field",
        "at line",
        "TOML parse",
        "os error",
        "key with no value",
    ];

    fn refused(text: &str) -> PolicyError {
        let e = parse_policy(text, &file()).unwrap_err();
        let m = e.to_app_error().message;
        assert!(m.contains("/etc/balcao/policy.toml"), "names the file: {m}");
        for english in ENGLISH {
            assert!(!m.contains(english), "English «{english}» in: {m}");
        }
        assert!(!m.contains("segredo"), "a store password never reaches a message: {m}");
        e
    }

    #[test]
    fn malformed_toml_is_refused_naming_the_file_and_line_in_pt_br() {
        let e = refused("idle_lock_minutes = 5\npin_required = \n");
        assert_eq!(e.line, Some(2), "{e:?}");
        assert!(e.message().contains("sintaxe TOML"), "{}", e.message());
    }

    #[test]
    fn an_unknown_field_is_refused_by_name_and_line() {
        let e = refused("idle_lock_minutes = 5\n\n[retention]\nmax_age_day = 30\n");
        assert_eq!(e.line, Some(4), "{e:?}");
        assert_eq!(e.field.as_deref(), Some("retention.max_age_day"), "{e:?}");
        assert!(e.message().contains("campo desconhecido"), "{}", e.message());
        let e = refused("idle_lock_minutes = 5\npin_requred = true\n");
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("pin_requred")), "{e:?}");
        let e = refused("[[profiles]]\nid = \"x\"\n");
        assert_eq!(e.field.as_deref(), Some("profiles"), "{e:?}");
    }

    #[test]
    fn a_wrong_type_or_an_out_of_bounds_value_is_refused_by_name_and_line() {
        let e = refused("\npurpose_required = \"sim\"\n");
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("purpose_required")), "{e:?}");
        assert!(e.message().contains("true ou false"), "{}", e.message());
        let e = refused("pin_required = true\nidle_lock_minutes = 0\n");
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("idle_lock_minutes")), "{e:?}");
        let e = refused("[retention]\nmax_entries = 0\n");
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("retention.max_entries")), "{e:?}");
        let e = refused("[update]\nendpoints = [\"ftp://x\"]\n");
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("update.endpoints")), "{e:?}");
        let e = refused("[agency_store]\nurl = \"mysql://x:segredo@y/z\"\n");
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("agency_store.url")), "{e:?}");
        let e = refused("recovery_public_key = \"age1abc\"\n");
        assert_eq!((e.line, e.field.as_deref()), (Some(1), Some("recovery_public_key")), "{e:?}");
    }

    #[test]
    fn a_bad_listed_clerk_is_refused_naming_its_line() {
        let e = refused(
            "[clerks]\nlisted = [\n  { cpf = \"000.000.001-91\", name = \"Ana\" },\n  { cpf = \"111.111.111-12\", name = \"X\" },\n]\n",
        );
        assert_eq!((e.line, e.field.as_deref()), (Some(4), Some("clerks.listed.cpf")), "{e:?}");
        let e = refused(
            "[clerks]\nlisted = [\n  { cpf = \"000.000.001-91\", name = \"Ana\" },\n  { cpf = \"00000000191\", name = \"Ana 2\" },\n]\n",
        );
        assert!(e.message().contains("mais de uma vez"), "{}", e.message());
        let e = refused("[clerks]\nlisted = [{ cpf = \"000.000.001-91\", name = \" \" }]\n");
        assert_eq!(e.field.as_deref(), Some("clerks.listed.name"), "{e:?}");
        let e = refused("[[clerks.listed]]\ncpf = \"000.000.001-91\"\n");
        assert!(e.message().contains("falta o campo obrigatório"), "{}", e.message());
    }

    #[test]
    fn a_bad_profile_is_refused_by_the_profiles_parser_naming_the_policy_file_and_line() {
        let text = "purpose_required = true\n\n[[profile]]\nid = \"a\"\nname = \"A\"\nprovider = \"serpro\"\nenvironment = \"producao\"\nbase_url = \"https://g.example\"\ncnpj_viewz = [\"basica\"]\n";
        let e = refused(text);
        let m = e.message();
        assert!(m.contains("linha 9") && m.contains("cnpj_viewz"), "{m}");
    }

    #[test]
    fn load_policy_gives_none_without_a_file_and_refuses_a_folder_or_an_oversized_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_policy(dir.path()), Ok(None));
        assert_eq!(load_policy(&dir.path().join("nao-existe")), Ok(None));
        std::fs::write(dir.path().join(POLICY_FILE), FULL).unwrap();
        let p = load_policy(dir.path()).unwrap().unwrap();
        assert_eq!(p.file, dir.path().join(POLICY_FILE));
        std::fs::remove_file(dir.path().join(POLICY_FILE)).unwrap();
        std::fs::create_dir(dir.path().join(POLICY_FILE)).unwrap();
        let e = load_policy(dir.path()).unwrap_err();
        assert!(e.message().contains("é uma pasta"), "{}", e.message());
        std::fs::remove_dir(dir.path().join(POLICY_FILE)).unwrap();
        let big = "# ".repeat(usize::try_from(MAX_POLICY_FILE_BYTES).unwrap());
        std::fs::write(dir.path().join(POLICY_FILE), big).unwrap();
        let e = load_policy(dir.path()).unwrap_err();
        assert!(e.message().contains("grande demais"), "{}", e.message());
        std::fs::write(dir.path().join(POLICY_FILE), b"idle_lock_minutes = 5\n# \xff\n").unwrap();
        let e = load_policy(dir.path()).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message().contains("UTF-8"), "{}", e.message());
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_policy_file_is_refused_not_ignored() {
        // A link to itself: the file is there but cannot be read (permissions do not stop root, who runs the CI).
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(POLICY_FILE);
        std::os::unix::fs::symlink(&f, &f).unwrap();
        let e = load_policy(dir.path()).unwrap_err();
        assert!(e.message().contains("não foi possível lê-lo"), "{}", e.message());
        assert!(e.message().contains(&f.display().to_string()), "{}", e.message());
    }
}
