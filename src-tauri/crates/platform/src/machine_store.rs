//! The machine-wide secret store of the agency's managed profiles: where each OS keeps it (a plain function of the
//! OS and the policy folder, tested here for all three) and the three stores.
//!
//! Why not the user's keyring: it is per user and locked until that user logs in, so a provisioning script run as
//! root cannot fill it for every clerk. The machine store is filled once by IT (`balcao-cli admin set-credentials`)
//! and read by every clerk of the PC.
//!
//! - Linux: a root-owned file, mode 0640, group `balcao`, in the policy folder. Linux has no machine key: the secrets
//!   in the file are protected by its owner, group and mode only. Root and any member of group `balcao` can read
//!   them, and the clerk's PIN does not guard them (docs/security.md). Reading refuses a file (or a policy folder)
//!   that others could have written, so that a clerk cannot plant credentials or a binding, and a file anyone can
//!   read, so that IT notices the leak. The file's mode and group are set before it is renamed into place.
//! - Windows: the same JSON, encrypted with DPAPI in machine scope (`CRYPTPROTECT_LOCAL_MACHINE`, see
//!   `crate::dpapi`), in `credentials.dpapi` of `C:\ProgramData\Balcao`. Any account of that PC can decrypt it;
//!   a copy taken to another PC cannot be.
//! - macOS: generic-password items (service `br.gov.balcao.machine`, account = the entry's name) in the System
//!   keychain, through `security-framework`.
//!
//! Files are written atomically (a fresh temporary file in the same folder, renamed into place); a missing file is
//! an empty store. The Windows and macOS stores are compiled only for those targets (never on the machines this
//! project is built on): the file handling and the error messages they share are tested here, with a stand-in for
//! DPAPI.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use balcao_core::Sensitive;
use balcao_core::error::io_reason;

use crate::secret::{SecretError, SecretFailure, SecretStore};

/// The file of the Linux machine store, in the policy folder.
pub const MACHINE_CREDENTIALS_FILE: &str = "credentials.json";
/// The group whose members (the clerks' OS accounts) may read the Linux machine store.
pub const MACHINE_GROUP: &str = "balcao";
/// Environment variable naming another group than `balcao` for the Linux machine store's file (tests).
pub const MACHINE_GROUP_ENV: &str = "BALCAO_MACHINE_GROUP";
/// The mode of the Linux machine store: read-write for root, read-only for group `balcao`, nothing for others.
pub const MACHINE_FILE_MODE: u32 = 0o640;
/// The file of the DPAPI-protected (machine scope) secrets on Windows, in the policy folder (`C:\ProgramData\Balcao`).
pub const DPAPI_CREDENTIALS_FILE: &str = "credentials.dpapi";
/// The macOS System keychain.
pub const SYSTEM_KEYCHAIN: &str = "/Library/Keychains/System.keychain";
/// The service name of Balcão's items in the macOS System keychain.
pub const SYSTEM_KEYCHAIN_SERVICE: &str = "br.gov.balcao.machine";
/// The largest machine store file read (a few profiles' credentials are a few KiB).
const MAX_FILE_BYTES: u64 = 256 * 1024;
/// The version tag of the machine store file's JSON.
const FILE_VERSION: u32 = 1;

/// The operating systems Balcão ships for, as far as the machine store is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineOs {
    Linux,
    Windows,
    MacOs,
}

impl MachineOs {
    /// The OS this build runs on (every Unix other than macOS is treated as Linux: the file store).
    pub fn current() -> Self {
        if cfg!(target_os = "windows") {
            MachineOs::Windows
        } else if cfg!(target_os = "macos") {
            MachineOs::MacOs
        } else {
            MachineOs::Linux
        }
    }
}

/// Where the machine store of one OS lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MachineStoreChoice {
    /// Linux: a JSON file owned by root, mode 0640, group `group`; protected by ownership and mode only.
    GroupFile { path: PathBuf, group: String, mode: u32 },
    /// Windows: each secret encrypted with DPAPI in machine scope (`CRYPTPROTECT_LOCAL_MACHINE`), kept in a file
    /// of the policy folder (`C:\ProgramData\Balcao`), whose ACL grants writing to administrators only.
    DpapiMachine { path: PathBuf },
    /// macOS: generic-password items of one service in the System keychain.
    SystemKeychain { keychain: PathBuf, service: String },
}

impl MachineStoreChoice {
    /// Where it is, for IT (`admin check`, error messages), in pt-BR.
    pub fn describe(&self) -> String {
        match self {
            MachineStoreChoice::GroupFile { path, group, mode } => {
                format!("arquivo {} (dono root, grupo {group}, modo {mode:04o})", path.display())
            }
            MachineStoreChoice::DpapiMachine { path } => {
                format!("arquivo {} protegido pela DPAPI do computador", path.display())
            }
            MachineStoreChoice::SystemKeychain { keychain, service } => {
                format!("chaveiro do sistema {} (serviço {service})", keychain.display())
            }
        }
    }
}

/// The machine store of `os` for the policy folder `policy_dir` (the folder the policy file is read from, already
/// resolved for that OS and its environment: `/etc/balcao`, `C:\ProgramData\Balcao`, `/Library/Application
/// Support/br.gov.balcao` or the `BALCAO_POLICY_DIR` redirect, see `balcao_service::policy::policy_dir`). macOS keeps
/// the secrets in the System keychain whatever the folder.
pub fn machine_store_choice(os: MachineOs, policy_dir: &Path) -> MachineStoreChoice {
    match os {
        MachineOs::Linux => MachineStoreChoice::GroupFile {
            path: policy_dir.join(MACHINE_CREDENTIALS_FILE),
            group: MACHINE_GROUP.to_owned(),
            mode: MACHINE_FILE_MODE,
        },
        MachineOs::Windows => MachineStoreChoice::DpapiMachine { path: policy_dir.join(DPAPI_CREDENTIALS_FILE) },
        MachineOs::MacOs => MachineStoreChoice::SystemKeychain {
            keychain: PathBuf::from(SYSTEM_KEYCHAIN),
            service: SYSTEM_KEYCHAIN_SERVICE.to_owned(),
        },
    }
}

/// The group the Linux store's file is given when written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileGroup {
    /// A group named in `/etc/group` (`balcao`, created by the package).
    Named(String),
    /// A numeric group id (tests, which cannot create groups).
    Id(u32),
}

/// The machine-wide secret store ([`SecretStore`]) for the managed profiles.
#[derive(Debug, Clone)]
pub struct MachineStore {
    choice: MachineStoreChoice,
    group: FileGroup,
}

impl MachineStore {
    /// The store of this OS for the policy folder `policy_dir`; on Linux the file's group is `balcao`, or the group
    /// `$BALCAO_MACHINE_GROUP` names (tests, which cannot create groups; it must exist in `/etc/group`).
    pub fn for_policy_dir(policy_dir: &Path) -> Self {
        let mut store = Self::new(machine_store_choice(MachineOs::current(), policy_dir));
        if let Some(name) = std::env::var(MACHINE_GROUP_ENV).ok().filter(|g| !g.trim().is_empty()) {
            if let MachineStoreChoice::GroupFile { group, .. } = &mut store.choice {
                group.clone_from(&name);
            }
            store.group = FileGroup::Named(name);
        }
        store
    }

    /// The store `choice` describes (a Linux file gets the group it names).
    pub fn new(choice: MachineStoreChoice) -> Self {
        let group = match &choice {
            MachineStoreChoice::GroupFile { group, .. } => FileGroup::Named(group.clone()),
            _ => FileGroup::Named(MACHINE_GROUP.to_owned()),
        };
        Self { choice, group }
    }

    /// A Linux file store at `path` whose file is given group `group` when written (tests).
    pub fn group_file(path: &Path, group: FileGroup) -> Self {
        let name = match &group {
            FileGroup::Named(n) => n.clone(),
            FileGroup::Id(id) => id.to_string(),
        };
        Self {
            choice: MachineStoreChoice::GroupFile { path: path.to_path_buf(), group: name, mode: MACHINE_FILE_MODE },
            group,
        }
    }

    pub fn choice(&self) -> &MachineStoreChoice {
        &self.choice
    }

    /// Reads the whole store now (the checks of ownership and mode included): `Ok(Some(n))` with the number of
    /// entries of a file, `Ok(None)` for the macOS keychain (opened and probed, its items not counted), so that IT
    /// learns of a refused or unreadable store before a clerk does.
    pub fn check(&self) -> Result<Option<usize>, SecretError> {
        match &self.choice {
            MachineStoreChoice::GroupFile { path, .. } => Ok(Some(read_file(path)?.len())),
            MachineStoreChoice::DpapiMachine { path } => Ok(Some(read_dpapi(path)?.len())),
            MachineStoreChoice::SystemKeychain { .. } => self.get("balcao-machine-store-check").map(|_| None),
        }
    }
}

impl MachineStore {
    /// For IT (who runs as root and reads anything): why the clerks could not read the Linux file although root
    /// can, i.e. its group is not the store's or the group may not read it; `None` when it is right or there is no
    /// file yet (and on the other systems).
    #[cfg(unix)]
    pub fn clerk_access_problem(&self) -> Option<String> {
        use std::os::unix::fs::MetadataExt;
        let MachineStoreChoice::GroupFile { path, group, .. } = &self.choice else { return None };
        let meta = std::fs::metadata(path).ok()?;
        let expected = match resolve_group(&self.group, path) {
            Ok(gid) => gid,
            Err(e) => return Some(e.message().to_owned()),
        };
        if meta.gid() != expected {
            return Some(format!(
                "o arquivo {} é do grupo de id {}, não do grupo {group}: os atendentes não conseguem lê-lo. Corrija \
                 com chgrp {group} {} (ou grave as credenciais de novo).",
                path.display(),
                meta.gid(),
                path.display()
            ));
        }
        if meta.mode() & 0o040 == 0 {
            return Some(format!(
                "o grupo {group} não tem leitura no arquivo {} (modo {:04o}): os atendentes não conseguem lê-lo. \
                 Corrija com chmod 0640 {}.",
                path.display(),
                meta.mode() & 0o7777,
                path.display()
            ));
        }
        None
    }

    #[cfg(not(unix))]
    pub fn clerk_access_problem(&self) -> Option<String> {
        None
    }
}

impl SecretStore for MachineStore {
    fn get(&self, key: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        match &self.choice {
            MachineStoreChoice::GroupFile { path, .. } => Ok(read_file(path)?.remove(key)),
            MachineStoreChoice::DpapiMachine { path } => Ok(read_dpapi(path)?.remove(key)),
            MachineStoreChoice::SystemKeychain { keychain, service } => keychain_get(keychain, service, key),
        }
    }

    fn set(&self, key: &str, value: &Sensitive<String>) -> Result<(), SecretError> {
        match &self.choice {
            MachineStoreChoice::GroupFile { path, mode, .. } => {
                let mut entries = read_file(path)?;
                entries.insert(key.to_owned(), value.clone());
                write_file(path, &entries, &self.group, *mode)
            }
            MachineStoreChoice::DpapiMachine { path } => {
                let mut entries = read_dpapi(path)?;
                entries.insert(key.to_owned(), value.clone());
                write_dpapi(path, &entries)
            }
            MachineStoreChoice::SystemKeychain { keychain, service } => keychain_set(keychain, service, key, value),
        }
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        match &self.choice {
            MachineStoreChoice::GroupFile { path, mode, .. } => {
                let mut entries = read_file(path)?;
                if entries.remove(key).is_none() {
                    return Ok(());
                }
                write_file(path, &entries, &self.group, *mode)
            }
            MachineStoreChoice::DpapiMachine { path } => {
                let mut entries = read_dpapi(path)?;
                if entries.remove(key).is_none() {
                    return Ok(());
                }
                write_dpapi(path, &entries)
            }
            MachineStoreChoice::SystemKeychain { keychain, service } => keychain_delete(keychain, service, key),
        }
    }
}

/// The refusal of a store of another OS than this build's (a `MachineStoreChoice` made by hand, e.g. in a test).
fn other_os(choice: &MachineStoreChoice) -> SecretError {
    SecretError::explained(
        SecretFailure::NoService,
        format!("O cofre de credenciais {} não existe neste sistema operacional. Avise a TI.", choice.describe()),
        "machine store of another OS",
    )
}

/// What the file's metadata says, as the checks read it.
#[cfg_attr(not(unix), allow(dead_code))] // the Linux file's checks, used on Unix only
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Facts {
    regular: bool,
    mode: u32,
    uid: u32,
}

/// Why a machine store file or its folder was refused.
#[cfg_attr(not(unix), allow(dead_code))] // the Linux file's checks, used on Unix only
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unsafe {
    NotRegular,
    Writable { mode: u32 },
    WorldReadable { mode: u32 },
    Owner { uid: u32 },
}

/// The checks on the file: a regular file, owned by root (or by the user running Balcão), that neither group nor
/// others may write and others may not read.
#[cfg_attr(not(unix), allow(dead_code))] // the Linux file's checks, used on Unix only
fn check_file(f: Facts, euid: u32) -> Result<(), Unsafe> {
    if !f.regular {
        return Err(Unsafe::NotRegular);
    }
    if f.mode & 0o022 != 0 {
        return Err(Unsafe::Writable { mode: f.mode & 0o7777 });
    }
    if f.mode & 0o004 != 0 {
        return Err(Unsafe::WorldReadable { mode: f.mode & 0o7777 });
    }
    if f.uid != 0 && f.uid != euid {
        return Err(Unsafe::Owner { uid: f.uid });
    }
    Ok(())
}

/// The checks on the folder holding the file: owned by root (or the user running Balcão), writable by its owner
/// only (else someone else could put a file of their own in place).
#[cfg_attr(not(unix), allow(dead_code))] // the Linux file's checks, used on Unix only
fn check_folder(f: Facts, euid: u32) -> Result<(), Unsafe> {
    if f.mode & 0o022 != 0 {
        return Err(Unsafe::Writable { mode: f.mode & 0o7777 });
    }
    if f.uid != 0 && f.uid != euid {
        return Err(Unsafe::Owner { uid: f.uid });
    }
    Ok(())
}

#[cfg_attr(not(unix), allow(dead_code))] // the Linux file's checks, used on Unix only
fn refused(path: &Path, what: &str, why: Unsafe) -> SecretError {
    let (reason, fix) = match why {
        Unsafe::NotRegular => ("não é um arquivo comum (link simbólico, pasta ou dispositivo)", String::new()),
        Unsafe::Writable { mode } => (
            "pode ser alterado por outros usuários",
            format!(" (modo {mode:04o}); deixe-o só com o root escrevendo: chmod go-w {}", path.display()),
        ),
        Unsafe::WorldReadable { mode } => (
            "pode ser lido por qualquer usuário do computador",
            format!(
                " (modo {mode:04o}); troque as credenciais no gateway, pois podem ter vazado, e corrija: chmod 0640 {}",
                path.display()
            ),
        ),
        Unsafe::Owner { uid } => (
            "pertence a outro usuário",
            format!(" (uid {uid}); ele deve pertencer ao root: chown root {}", path.display()),
        ),
    };
    SecretError::explained(
        SecretFailure::AccessDenied,
        format!("As credenciais da agência não foram usadas: {what} {} {reason}{fix}. Avise a TI.", path.display()),
        format!("machine store refused: {why:?}"),
    )
}

fn io_failure(path: &Path, doing: &str, e: &std::io::Error) -> SecretError {
    io_failure_on(MachineOs::current(), path, doing, e)
}

/// [`io_failure`] with the advice of `os` (tested here for Windows too).
fn io_failure_on(os: MachineOs, path: &Path, doing: &str, e: &std::io::Error) -> SecretError {
    let failure = if e.kind() == std::io::ErrorKind::PermissionDenied {
        SecretFailure::AccessDenied
    } else {
        SecretFailure::Platform
    };
    let advice = if e.kind() != std::io::ErrorKind::PermissionDenied {
        "Avise a TI.".to_owned()
    } else if os == MachineOs::Windows && doing == "ler" {
        format!("Peça à TI para dar aos usuários dos atendentes permissão de leitura em {}.", parent_of(path).display())
    } else if os == MachineOs::Windows {
        "Só o administrador grava as credenciais da agência: rode o comando num Prompt de Comando aberto como \
         administrador."
            .to_owned()
    } else if doing == "ler" {
        format!(
            "Peça à TI para incluir o usuário {} no grupo {MACHINE_GROUP} (usermod -aG {MACHINE_GROUP} USUÁRIO) e \
             entre de novo na sessão.",
            crate::os_user_name()
        )
    } else {
        "Só o administrador grava as credenciais da agência: rode o comando com sudo (ou como root).".to_owned()
    };
    SecretError::explained(
        failure,
        format!("Não foi possível {doing} as credenciais da agência em {}: {}. {advice}", path.display(), io_reason(e)),
        format!("machine store {doing}: {:?}", e.kind()),
    )
}

fn bad_data(path: &Path, detail: &str) -> SecretError {
    SecretError::explained(
        SecretFailure::BadData,
        format!(
            "O arquivo de credenciais da agência {} está ilegível ou corrompido. A TI deve gravá-las de novo com \
             balcao-cli admin set-credentials.",
            path.display()
        ),
        format!("machine store unreadable: {detail}"),
    )
}

#[cfg(unix)]
fn facts(m: &std::fs::Metadata) -> Facts {
    use std::os::unix::fs::MetadataExt;
    Facts { regular: m.file_type().is_file(), mode: m.mode(), uid: m.uid() }
}

#[cfg(unix)]
fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Every entry of the file at `path`, after the folder and file checks; a missing folder or file is an empty store.
#[cfg(unix)]
fn read_file(path: &Path) -> Result<BTreeMap<String, Sensitive<String>>, SecretError> {
    let folder = parent_of(path);
    match std::fs::metadata(folder) {
        Ok(m) => check_folder(facts(&m), euid()).map_err(|why| refused(folder, "a pasta", why))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(io_failure(folder, "ler", &e)),
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Err(refused(path, "o arquivo", Unsafe::NotRegular)),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(io_failure(path, "ler", &e)),
    }
    let file = std::fs::File::open(path).map_err(|e| io_failure(path, "ler", &e))?;
    // The checks apply to the file opened, not to whatever the name points to a moment later.
    let meta = file.metadata().map_err(|e| io_failure(path, "ler", &e))?;
    check_file(facts(&meta), euid()).map_err(|why| refused(path, "o arquivo", why))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(bad_data(path, "over the size limit"));
    }
    // Sized from the metadata so that the buffer holding the secrets is not reallocated (and copies left behind).
    let mut raw = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    let read = file.take(MAX_FILE_BYTES.saturating_add(1)).read_to_end(&mut raw);
    let bytes = Sensitive::new(raw);
    read.map_err(|e| io_failure(path, "ler", &e))?;
    parse(bytes.expose()).map_err(|detail| bad_data(path, detail))
}

#[cfg(not(unix))]
fn read_file(path: &Path) -> Result<BTreeMap<String, Sensitive<String>>, SecretError> {
    Err(other_os(&MachineStoreChoice::GroupFile {
        path: path.to_path_buf(),
        group: MACHINE_GROUP.to_owned(),
        mode: MACHINE_FILE_MODE,
    }))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBody {
    version: u32,
    secrets: BTreeMap<String, String>,
}

fn parse(bytes: &[u8]) -> Result<BTreeMap<String, Sensitive<String>>, &'static str> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err("over the size limit");
    }
    let body: FileBody = serde_json::from_slice(bytes).map_err(|_| "not the expected JSON")?;
    if body.version != FILE_VERSION {
        return Err("unknown version");
    }
    Ok(body.secrets.into_iter().map(|(k, v)| (k, Sensitive::new(v))).collect())
}

#[derive(serde::Serialize)]
struct FileBodyRef<'a> {
    version: u32,
    secrets: BTreeMap<&'a str, &'a str>,
}

fn render(entries: &BTreeMap<String, Sensitive<String>>) -> Result<Sensitive<Vec<u8>>, &'static str> {
    let secrets: BTreeMap<&str, &str> = entries.iter().map(|(k, v)| (k.as_str(), v.expose().as_str())).collect();
    // Sized up front (JSON escapes at most double a value) so that no copy of the secrets is left in a freed buffer.
    let size = secrets
        .iter()
        .map(|(k, v)| k.len().saturating_add(v.len()).saturating_mul(2))
        .fold(1024, usize::saturating_add);
    let mut raw = Vec::with_capacity(size);
    let written = serde_json::to_writer_pretty(&mut raw, &FileBodyRef { version: FILE_VERSION, secrets });
    raw.push(b'\n');
    let out = Sensitive::new(raw);
    written.map_err(|_| "cannot serialise")?;
    Ok(out)
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The numeric id of group `name` in the text of `/etc/group` (`name:x:gid:members` lines).
#[cfg_attr(not(unix), allow(dead_code))] // the Linux file's checks, used on Unix only
fn gid_in_group_file(text: &str, name: &str) -> Option<u32> {
    text.lines().filter(|l| !l.trim_start().starts_with('#')).find_map(|line| {
        let mut fields = line.split(':');
        let n = fields.next()?;
        let _password = fields.next()?;
        let gid = fields.next()?;
        if n == name { gid.trim().parse().ok() } else { None }
    })
}

#[cfg(unix)]
fn resolve_group(group: &FileGroup, path: &Path) -> Result<u32, SecretError> {
    match group {
        FileGroup::Id(id) => Ok(*id),
        FileGroup::Named(name) => {
            let text = std::fs::read_to_string("/etc/group").unwrap_or_default();
            gid_in_group_file(&text, name).ok_or_else(|| {
                SecretError::explained(
                    SecretFailure::Platform,
                    format!(
                        "O grupo {name} não existe neste computador, e as credenciais da agência em {} devem pertencer \
                         a ele. Crie-o (groupadd --system {name}), inclua nele os usuários dos atendentes e repita o \
                         comando.",
                        path.display()
                    ),
                    "machine store group missing",
                )
            })
        }
    }
}

/// A temporary file that is removed unless it was renamed into place.
struct Temp {
    path: PathBuf,
    kept: bool,
}

impl Temp {
    /// A fresh file (`create_new`; 0600 on Unix) beside `path`, for writing its next content.
    fn beside(path: &Path) -> std::io::Result<(std::fs::File, Temp)> {
        let folder = parent_of(path);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut attempt = 0u32;
        loop {
            let candidate = folder.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&candidate) {
                Ok(f) => return Ok((f, Temp { path: candidate, kept: false })),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Renames the (closed) temporary file over `path` (on Windows too: `std::fs::rename` replaces the target).
    fn rename_into(mut self, path: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, path)?;
        self.kept = true;
        if let Ok(dir) = std::fs::File::open(parent_of(path)) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Replaces the file at `path` with `entries`: a fresh temporary file (0600, `O_EXCL`) in the same folder, given
/// group `group` and mode `mode` before it is renamed over the old one; the old file stays on any failure.
#[cfg(unix)]
fn write_file(
    path: &Path,
    entries: &BTreeMap<String, Sensitive<String>>,
    group: &FileGroup,
    mode: u32,
) -> Result<(), SecretError> {
    use std::os::unix::fs::PermissionsExt;
    let folder = parent_of(path);
    if let Err(e) = std::fs::metadata(folder) {
        return Err(io_failure(folder, "gravar", &e));
    }
    let gid = resolve_group(group, path)?;
    let bytes = render(entries).map_err(|detail| bad_data(path, detail))?;
    let fail = |e: std::io::Error| io_failure(path, "gravar", &e);
    let (mut file, temp) = Temp::beside(path).map_err(fail)?;
    file.write_all(bytes.expose()).map_err(fail)?;
    std::os::unix::fs::fchown(&file, None, Some(gid)).map_err(fail)?;
    file.set_permissions(std::fs::Permissions::from_mode(mode)).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    drop(file);
    temp.rename_into(path).map_err(fail)
}

#[cfg(not(unix))]
fn write_file(
    path: &Path,
    _entries: &BTreeMap<String, Sensitive<String>>,
    _group: &FileGroup,
    mode: u32,
) -> Result<(), SecretError> {
    Err(other_os(&MachineStoreChoice::GroupFile { path: path.to_path_buf(), group: MACHINE_GROUP.to_owned(), mode }))
}

/// The largest DPAPI file read: the JSON's limit plus DPAPI's header and padding.
#[cfg(any(windows, test))]
const MAX_SEALED_BYTES: u64 = MAX_FILE_BYTES * 2;

/// Encrypts the store's JSON (DPAPI on Windows; a stand-in in the tests).
#[cfg(any(windows, test))]
type Protect = fn(&[u8]) -> Result<Vec<u8>, String>;
/// Decrypts what [`Protect`] wrote.
#[cfg(any(windows, test))]
type Unprotect = fn(&[u8]) -> Result<Sensitive<Vec<u8>>, String>;

#[cfg(windows)]
fn read_dpapi(path: &Path) -> Result<BTreeMap<String, Sensitive<String>>, SecretError> {
    read_sealed(path, crate::dpapi::unprotect)
}

#[cfg(windows)]
fn write_dpapi(path: &Path, entries: &BTreeMap<String, Sensitive<String>>) -> Result<(), SecretError> {
    write_sealed(path, entries, crate::dpapi::protect)
}

#[cfg(not(windows))]
fn read_dpapi(path: &Path) -> Result<BTreeMap<String, Sensitive<String>>, SecretError> {
    Err(other_os(&MachineStoreChoice::DpapiMachine { path: path.to_path_buf() }))
}

#[cfg(not(windows))]
fn write_dpapi(path: &Path, _entries: &BTreeMap<String, Sensitive<String>>) -> Result<(), SecretError> {
    Err(other_os(&MachineStoreChoice::DpapiMachine { path: path.to_path_buf() }))
}

/// Every entry of the encrypted file at `path`, decrypted with `unprotect`; a missing file is an empty store.
#[cfg(any(windows, test))]
fn read_sealed(path: &Path, unprotect: Unprotect) -> Result<BTreeMap<String, Sensitive<String>>, SecretError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(io_failure(path, "ler", &e)),
    };
    let mut blob = Vec::new();
    file.take(MAX_SEALED_BYTES.saturating_add(1)).read_to_end(&mut blob).map_err(|e| io_failure(path, "ler", &e))?;
    if blob.len() as u64 > MAX_SEALED_BYTES {
        return Err(bad_data(path, "over the size limit"));
    }
    let plain = unprotect(&blob).map_err(|detail| undecryptable(path, &detail))?;
    parse(plain.expose()).map_err(|detail| bad_data(path, detail))
}

/// Replaces the encrypted file at `path` with `entries` (the same JSON as the Linux file), encrypted with `protect`:
/// a fresh temporary file in the same folder renamed over the old one; the old file stays on any failure.
#[cfg(any(windows, test))]
fn write_sealed(
    path: &Path,
    entries: &BTreeMap<String, Sensitive<String>>,
    protect: Protect,
) -> Result<(), SecretError> {
    let plain = render(entries).map_err(|detail| bad_data(path, detail))?;
    let blob = protect(plain.expose()).map_err(|detail| {
        SecretError::explained(
            SecretFailure::Platform,
            format!(
                "Não foi possível cifrar as credenciais da agência com a DPAPI do computador para gravá-las em {}. \
                 Avise a TI.",
                path.display()
            ),
            format!("CryptProtectData: {detail}"),
        )
    })?;
    let fail = |e: std::io::Error| io_failure(path, "gravar", &e);
    let (mut file, temp) = Temp::beside(path).map_err(fail)?;
    file.write_all(&blob).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    drop(file);
    temp.rename_into(path).map_err(fail)
}

/// The DPAPI file that this PC cannot decrypt: copied from another PC, or damaged.
#[cfg(any(windows, test))]
fn undecryptable(path: &Path, detail: &str) -> SecretError {
    SecretError::explained(
        SecretFailure::BadData,
        format!(
            "As credenciais da agência em {} não puderam ser decifradas neste computador (o arquivo veio de outro \
             computador ou está corrompido). A TI deve gravá-las de novo neste computador com balcao-cli admin \
             set-credentials, num Prompt de Comando aberto como administrador.",
            path.display()
        ),
        format!("CryptUnprotectData: {detail}"),
    )
}

/// macOS Security framework status codes (`OSStatus`, SecBase.h) the System keychain store tells apart.
#[cfg(any(target_os = "macos", test))]
mod os_status {
    #[cfg(target_os = "macos")]
    pub const ITEM_NOT_FOUND: i32 = -25300;
    pub const NOT_AVAILABLE: i32 = -25291;
    pub const READ_ONLY: i32 = -25292;
    pub const AUTH_FAILED: i32 = -25293;
    pub const NO_SUCH_KEYCHAIN: i32 = -25294;
    pub const INVALID_KEYCHAIN: i32 = -25295;
    pub const INTERACTION_NOT_ALLOWED: i32 = -25308;
    pub const NO_ACCESS_FOR_ITEM: i32 = -25243;
    pub const WRITE_PERMISSION: i32 = -61;
    pub const USER_CANCELED: i32 = -128;
}

/// A failure of the System keychain (`code`, an `OSStatus`) while `doing` (ler, gravar, apagar), in pt-BR.
#[cfg(any(target_os = "macos", test))]
fn keychain_failure(keychain: &Path, doing: &str, code: i32) -> SecretError {
    use os_status::*;
    let (failure, advice) = match code {
        NOT_AVAILABLE | NO_SUCH_KEYCHAIN | INVALID_KEYCHAIN => {
            (SecretFailure::NoService, "o chaveiro do sistema não foi encontrado ou está danificado. Avise a TI.")
        }
        READ_ONLY | AUTH_FAILED | INTERACTION_NOT_ALLOWED | NO_ACCESS_FOR_ITEM | WRITE_PERMISSION | USER_CANCELED
            if doing == "ler" =>
        {
            (
                SecretFailure::AccessDenied,
                "o macOS negou o acesso ao Balcão. A TI deve gravá-las de novo (sudo balcao-cli admin \
                 set-credentials) e conferir, no app Acesso às Chaves, que o item permite o acesso do Balcão.",
            )
        }
        READ_ONLY | AUTH_FAILED | INTERACTION_NOT_ALLOWED | NO_ACCESS_FOR_ITEM | WRITE_PERMISSION | USER_CANCELED => (
            SecretFailure::AccessDenied,
            "só o administrador altera o chaveiro do sistema: rode sudo balcao-cli admin set-credentials.",
        ),
        _ => (SecretFailure::Platform, "o chaveiro do sistema recusou a operação. Avise a TI."),
    };
    SecretError::explained(
        failure,
        format!(
            "Não foi possível {doing} as credenciais da agência no chaveiro do sistema {} (serviço \
             {SYSTEM_KEYCHAIN_SERVICE}, erro nº {code}): {advice}",
            keychain.display()
        ),
        format!("System keychain {doing}: OSStatus {code}"),
    )
}

#[cfg(target_os = "macos")]
fn open_keychain(keychain: &Path) -> Result<security_framework::os::macos::keychain::SecKeychain, SecretError> {
    // security-framework 3.7.0, src/os/macos/keychain.rs:51:
    // `pub fn open<P: AsRef<Path>>(path: P) -> Result<Self>` (Result<T, security_framework::base::Error>).
    security_framework::os::macos::keychain::SecKeychain::open(keychain)
        .map_err(|e| keychain_failure(keychain, "ler", e.code()))
}

#[cfg(target_os = "macos")]
fn keychain_get(keychain: &Path, service: &str, key: &str) -> Result<Option<Sensitive<String>>, SecretError> {
    let kc = open_keychain(keychain)?;
    // src/os/macos/passwords.rs:194: `pub fn find_generic_password(&self, service: &str, account: &str)
    // -> Result<(SecKeychainItemPassword, SecKeychainItem)>`; SecKeychainItemPassword derefs to [u8] (line 47-51).
    // src/base.rs:62: `pub const fn code(self) -> OSStatus`.
    match kc.find_generic_password(service, key) {
        Ok((password, _item)) => match String::from_utf8(password.to_vec()) {
            Ok(text) => Ok(Some(Sensitive::new(text))),
            Err(_) => Err(SecretError::explained(
                SecretFailure::BadData,
                format!(
                    "O chaveiro do sistema {} devolveu uma credencial da agência ilegível. A TI deve gravá-la de novo \
                     com sudo balcao-cli admin set-credentials.",
                    keychain.display()
                ),
                "System keychain item not UTF-8",
            )),
        },
        Err(e) if e.code() == os_status::ITEM_NOT_FOUND => Ok(None),
        Err(e) => Err(keychain_failure(keychain, "ler", e.code())),
    }
}

#[cfg(target_os = "macos")]
fn keychain_set(keychain: &Path, service: &str, key: &str, value: &Sensitive<String>) -> Result<(), SecretError> {
    let kc = open_keychain(keychain)?;
    // src/os/macos/passwords.rs:269: `pub fn set_generic_password(&self, service: &str, account: &str,
    // password: &[u8]) -> Result<()>` (replaces the item's password when found, else adds an item).
    kc.set_generic_password(service, key, value.expose().as_bytes())
        .map_err(|e| keychain_failure(keychain, "gravar", e.code()))
}

#[cfg(target_os = "macos")]
fn keychain_delete(keychain: &Path, service: &str, key: &str) -> Result<(), SecretError> {
    let kc = open_keychain(keychain)?;
    match kc.find_generic_password(service, key) {
        // src/os/macos/passwords.rs:81 (impl SecKeychainItem): `pub fn delete(self)`, which drops
        // SecKeychainItemDelete's status: the item is looked up again below.
        Ok((_, item)) => item.delete(),
        Err(e) if e.code() == os_status::ITEM_NOT_FOUND => return Ok(()),
        Err(e) => return Err(keychain_failure(keychain, "apagar", e.code())),
    }
    match kc.find_generic_password(service, key) {
        Err(e) if e.code() == os_status::ITEM_NOT_FOUND => Ok(()),
        Err(e) => Err(keychain_failure(keychain, "apagar", e.code())),
        Ok(_) => Err(keychain_failure(keychain, "apagar", os_status::WRITE_PERMISSION)),
    }
}

#[cfg(not(target_os = "macos"))]
fn keychain_get(keychain: &Path, service: &str, _key: &str) -> Result<Option<Sensitive<String>>, SecretError> {
    Err(other_os(&MachineStoreChoice::SystemKeychain { keychain: keychain.to_path_buf(), service: service.to_owned() }))
}

#[cfg(not(target_os = "macos"))]
fn keychain_set(keychain: &Path, service: &str, _key: &str, _value: &Sensitive<String>) -> Result<(), SecretError> {
    Err(other_os(&MachineStoreChoice::SystemKeychain { keychain: keychain.to_path_buf(), service: service.to_owned() }))
}

#[cfg(not(target_os = "macos"))]
fn keychain_delete(keychain: &Path, service: &str, _key: &str) -> Result<(), SecretError> {
    Err(other_os(&MachineStoreChoice::SystemKeychain { keychain: keychain.to_path_buf(), service: service.to_owned() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Sensitive<String> {
        Sensitive::new(s.to_owned())
    }

    #[test]
    fn each_os_keeps_the_machine_store_in_its_own_place() {
        let linux = machine_store_choice(MachineOs::Linux, Path::new("/etc/balcao"));
        assert_eq!(
            linux,
            MachineStoreChoice::GroupFile {
                path: PathBuf::from("/etc/balcao/credentials.json"),
                group: "balcao".into(),
                mode: 0o640
            }
        );
        assert!(linux.describe().contains("grupo balcao, modo 0640"), "{}", linux.describe());
        let windows = machine_store_choice(MachineOs::Windows, Path::new(r"C:\ProgramData\Balcao"));
        assert_eq!(
            windows,
            MachineStoreChoice::DpapiMachine { path: Path::new(r"C:\ProgramData\Balcao").join("credentials.dpapi") }
        );
        assert!(windows.describe().contains("DPAPI"));
        let mac = machine_store_choice(MachineOs::MacOs, Path::new("/Library/Application Support/br.gov.balcao"));
        assert_eq!(
            mac,
            MachineStoreChoice::SystemKeychain {
                keychain: PathBuf::from("/Library/Keychains/System.keychain"),
                service: "br.gov.balcao.machine".into()
            }
        );
        // The redirect (tests) moves the Linux and Windows files, never the macOS System keychain.
        let redirected = machine_store_choice(MachineOs::MacOs, Path::new("/tmp/x"));
        assert_eq!(redirected, mac);
        assert_eq!(MachineOs::current(), MachineOs::Linux, "this project builds on Linux");
    }

    #[test]
    fn a_store_of_another_os_refuses_in_pt_br_instead_of_pretending() {
        // Only Linux builds here: a DPAPI or System keychain store made by hand refuses every call, and says so.
        for os in [MachineOs::Windows, MachineOs::MacOs] {
            let store = MachineStore::new(machine_store_choice(os, Path::new("/nowhere")));
            let e = store.get("k").unwrap_err();
            assert_eq!(e.failure, SecretFailure::NoService);
            assert!(e.message().contains("não existe neste sistema operacional"), "{}", e.message());
            assert!(store.set("k", &secret("v")).is_err());
            assert!(store.delete("k").is_err());
            assert!(store.check().is_err());
        }
    }

    /// Stand-ins for DPAPI (which only Windows has): a marker and the bytes inverted, so that the plaintext is not
    /// in the file and a file not written by `seal` is refused as DPAPI refuses another PC's file.
    fn seal(plain: &[u8]) -> Result<Vec<u8>, String> {
        Ok(b"SEALED:".iter().copied().chain(plain.iter().map(|b| !b)).collect())
    }

    fn unseal(blob: &[u8]) -> Result<Sensitive<Vec<u8>>, String> {
        let rest = blob.strip_prefix(b"SEALED:").ok_or("not sealed here")?;
        Ok(Sensitive::new(rest.iter().map(|b| !b).collect()))
    }

    fn refuse_to_seal(_: &[u8]) -> Result<Vec<u8>, String> {
        Err("Win32 error 5".to_owned())
    }

    #[test]
    fn the_dpapi_file_round_trips_encrypted_atomically_and_a_missing_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DPAPI_CREDENTIALS_FILE);
        assert!(read_sealed(&path, unseal).unwrap().is_empty(), "no file yet: an empty store");
        let mut entries = BTreeMap::new();
        entries.insert("profile/p/client-id".to_owned(), secret("id"));
        entries.insert("profile/p/client-secret".to_owned(), secret("s3cr3t \"quoted\""));
        write_sealed(&path, &entries, seal).unwrap();
        let blob = std::fs::read(&path).unwrap();
        assert!(!blob.windows(6).any(|w| w == b"s3cr3t"), "the secret is not in the file in clear");
        let read = read_sealed(&path, unseal).unwrap();
        assert_eq!(read.keys().collect::<Vec<_>>(), entries.keys().collect::<Vec<_>>());
        assert_eq!(read["profile/p/client-secret"].expose(), "s3cr3t \"quoted\"");
        entries.remove("profile/p/client-id");
        write_sealed(&path, &entries, seal).unwrap();
        assert_eq!(read_sealed(&path, unseal).unwrap().len(), 1, "replaced, not appended");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [std::ffi::OsString::from(DPAPI_CREDENTIALS_FILE)], "no temporary file left");
    }

    #[test]
    fn a_dpapi_file_this_pc_cannot_decrypt_is_bad_data_and_says_to_write_it_again_here() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DPAPI_CREDENTIALS_FILE);
        std::fs::write(&path, b"a blob from another PC").unwrap();
        let e = read_sealed(&path, unseal).unwrap_err();
        assert_eq!(e.failure, SecretFailure::BadData);
        assert!(e.message().contains("outro computador") && e.message().contains("admin set-credentials"), "{e}");
        // Decrypted, but not the store's JSON.
        write_sealed(&path, &BTreeMap::new(), seal).unwrap();
        let mut blob = std::fs::read(&path).unwrap();
        blob.truncate(20);
        std::fs::write(&path, &blob).unwrap();
        assert_eq!(read_sealed(&path, unseal).unwrap_err().failure, SecretFailure::BadData);
        // Over the size limit: refused before decrypting.
        let huge = usize::try_from(MAX_SEALED_BYTES).unwrap() + 1;
        std::fs::write(&path, vec![b'x'; huge]).unwrap();
        let e = read_sealed(&path, |_| panic!("not decrypted")).unwrap_err();
        assert_eq!(e.failure, SecretFailure::BadData);
    }

    #[test]
    fn a_dpapi_write_that_cannot_encrypt_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DPAPI_CREDENTIALS_FILE);
        let mut entries = BTreeMap::new();
        entries.insert("k".to_owned(), secret("old"));
        write_sealed(&path, &entries, seal).unwrap();
        entries.insert("k".to_owned(), secret("new"));
        let e = write_sealed(&path, &entries, refuse_to_seal).unwrap_err();
        assert_eq!(e.failure, SecretFailure::Platform);
        assert!(e.message().contains("DPAPI"), "{}", e.message());
        assert!(!e.message().contains("Win32"), "the system's words stay in the detail: {}", e.message());
        assert_eq!(read_sealed(&path, unseal).unwrap()["k"].expose(), "old");
        let missing = dir.path().join("nao-existe").join(DPAPI_CREDENTIALS_FILE);
        let e = write_sealed(&missing, &entries, seal).unwrap_err();
        assert!(e.message().contains("não existe"), "{}", e.message());
    }

    #[test]
    fn system_keychain_failures_say_in_pt_br_who_may_write_and_what_to_check() {
        let kc = Path::new(SYSTEM_KEYCHAIN);
        let write = keychain_failure(kc, "gravar", os_status::AUTH_FAILED);
        assert_eq!(write.failure, SecretFailure::AccessDenied);
        assert!(write.message().contains("sudo balcao-cli admin set-credentials"), "{}", write.message());
        assert!(write.message().contains("br.gov.balcao.machine"), "{}", write.message());
        let read = keychain_failure(kc, "ler", os_status::INTERACTION_NOT_ALLOWED);
        assert_eq!(read.failure, SecretFailure::AccessDenied);
        assert!(read.message().contains("Acesso às Chaves"), "{}", read.message());
        let gone = keychain_failure(kc, "ler", os_status::NO_SUCH_KEYCHAIN);
        assert_eq!(gone.failure, SecretFailure::NoService);
        let other = keychain_failure(kc, "apagar", -1);
        assert_eq!(other.failure, SecretFailure::Platform);
        assert!(other.message().contains("erro nº -1") && other.message().contains("Avise a TI"));
    }

    #[cfg(unix)]
    mod unix {
        use super::*;
        use std::os::unix::fs::{MetadataExt, PermissionsExt};

        fn egid() -> u32 {
            rustix::process::getegid().as_raw()
        }

        /// A store in a fresh folder (0755, like /etc/balcao) whose file gets this process's group.
        fn store() -> (tempfile::TempDir, PathBuf, MachineStore) {
            let dir = tempfile::tempdir().unwrap();
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            let path = dir.path().join(MACHINE_CREDENTIALS_FILE);
            let store = MachineStore::group_file(&path, FileGroup::Id(egid()));
            (dir, path, store)
        }

        fn chmod(path: &Path, mode: u32) {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }

        #[test]
        fn machine_store_round_trip_writes_0640_with_the_group_and_no_temporary_file() {
            let (dir, path, store) = store();
            assert_eq!(store.get("profile/p/client-secret").unwrap(), None, "no file yet: an empty store");
            assert_eq!(store.check().unwrap(), Some(0));
            store.set("profile/p/client-id", &secret("id")).unwrap();
            store.set("profile/p/client-secret", &secret("s3cr3t \"quoted\"")).unwrap();
            let meta = std::fs::metadata(&path).unwrap();
            assert_eq!(meta.mode() & 0o7777, 0o640);
            assert_eq!(meta.gid(), egid());
            assert_eq!(store.get("profile/p/client-secret").unwrap().unwrap().expose(), "s3cr3t \"quoted\"");
            assert_eq!(store.check().unwrap(), Some(2));
            store.delete("profile/p/client-secret").unwrap();
            store.delete("profile/p/client-secret").unwrap();
            assert_eq!(store.get("profile/p/client-secret").unwrap(), None);
            assert_eq!(store.get("profile/p/client-id").unwrap().unwrap().expose(), "id");
            let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(names, [std::ffi::OsString::from(MACHINE_CREDENTIALS_FILE)], "no temporary file left");
        }

        #[test]
        fn machine_store_refuses_a_file_that_group_or_others_may_write() {
            let (_dir, path, store) = store();
            store.set("k", &secret("planted?")).unwrap();
            for mode in [0o660, 0o642, 0o620] {
                chmod(&path, mode);
                let e = store.get("k").unwrap_err();
                assert_eq!(e.failure, SecretFailure::AccessDenied, "mode {mode:o}");
                assert!(e.message().contains("pode ser alterado por outros usuários"), "{}", e.message());
                assert!(!e.message().contains("planted"));
                assert!(store.set("k", &secret("x")).is_err(), "not rewritten over a refused file");
            }
        }

        #[test]
        fn machine_store_refuses_a_file_anyone_may_read() {
            let (_dir, path, store) = store();
            store.set("k", &secret("v")).unwrap();
            chmod(&path, 0o644);
            let e = store.get("k").unwrap_err();
            assert_eq!(e.failure, SecretFailure::AccessDenied);
            assert!(e.message().contains("qualquer usuário") && e.message().contains("chmod 0640"), "{}", e.message());
        }

        #[test]
        fn machine_store_refuses_a_folder_others_may_write() {
            let (dir, _path, store) = store();
            store.set("k", &secret("v")).unwrap();
            chmod(dir.path(), 0o777);
            let e = store.get("k").unwrap_err();
            assert!(e.message().contains("a pasta"), "{}", e.message());
            chmod(dir.path(), 0o775);
            assert!(store.get("k").is_err(), "group-writable folder");
            chmod(dir.path(), 0o755);
            assert_eq!(store.get("k").unwrap().unwrap().expose(), "v");
        }

        #[test]
        fn machine_store_refuses_a_symbolic_link() {
            let (dir, path, store) = store();
            let real = dir.path().join("real.json");
            std::fs::write(&real, r#"{"version":1,"secrets":{"k":"v"}}"#).unwrap();
            chmod(&real, 0o640);
            std::os::unix::fs::symlink(&real, &path).unwrap();
            let e = store.get("k").unwrap_err();
            assert!(e.message().contains("não é um arquivo comum"), "{}", e.message());
        }

        #[test]
        fn machine_store_refuses_a_file_owned_by_another_user() {
            // The rule, on any account: owned by root or by whoever runs Balcão, else refused.
            let f = |uid| Facts { regular: true, mode: 0o100640, uid };
            assert_eq!(check_file(f(0), 1000), Ok(()));
            assert_eq!(check_file(f(1000), 1000), Ok(()));
            assert_eq!(check_file(f(1001), 1000), Err(Unsafe::Owner { uid: 1001 }));
            assert_eq!(check_folder(f(1001), 1000), Err(Unsafe::Owner { uid: 1001 }));
            // On a real file, where this process may give one away (root, as in CI).
            if euid() == 0 {
                let (_dir, path, store) = store();
                store.set("k", &secret("v")).unwrap();
                std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
                let e = store.get("k").unwrap_err();
                assert!(e.message().contains("pertence a outro usuário"), "{}", e.message());
            }
        }

        #[test]
        fn machine_store_file_damaged_or_of_another_version_is_bad_data() {
            let (_dir, path, store) = store();
            for text in ["{", r#"{"version":2,"secrets":{}}"#, r#"{"version":1,"secrets":{"k":1}}"#] {
                std::fs::write(&path, text).unwrap();
                chmod(&path, 0o640);
                let e = store.get("k").unwrap_err();
                assert_eq!(e.failure, SecretFailure::BadData, "{text}");
                assert!(e.message().contains("admin set-credentials"), "{}", e.message());
            }
        }

        #[test]
        fn machine_store_tells_it_when_clerks_could_not_read_the_file() {
            let (dir, path, store) = store();
            assert_eq!(store.clerk_access_problem(), None, "no file yet");
            store.set("k", &secret("v")).unwrap();
            assert_eq!(store.clerk_access_problem(), None);
            let other = MachineStore::group_file(&path, FileGroup::Id(egid().wrapping_add(1)));
            let m = other.clerk_access_problem().unwrap();
            assert!(m.contains("não conseguem lê-lo") && m.contains("chgrp"), "{m}");
            chmod(&path, 0o600);
            let m = store.clerk_access_problem().unwrap();
            assert!(m.contains("chmod 0640"), "{m}");
            drop(dir);
        }

        #[test]
        fn the_windows_blob_holds_exactly_the_json_of_the_linux_file() {
            let (dir, path, store) = store();
            store.set("profile/p/client-secret", &secret("s")).unwrap();
            store.set("profile/p/client-id", &secret("i")).unwrap();
            let sealed = dir.path().join(DPAPI_CREDENTIALS_FILE);
            write_sealed(&sealed, &read_file(&path).unwrap(), seal).unwrap();
            let plain = unseal(&std::fs::read(&sealed).unwrap()).unwrap();
            assert_eq!(plain.expose(), &std::fs::read(&path).unwrap(), "one format, one parser");
        }

        #[test]
        fn machine_store_names_a_missing_group() {
            let (_dir, path, _) = store();
            let store = MachineStore::group_file(&path, FileGroup::Named("balcao-nao-existe".into()));
            let e = store.set("k", &secret("v")).unwrap_err();
            assert!(e.message().contains("groupadd --system balcao-nao-existe"), "{}", e.message());
            assert!(!path.exists(), "nothing written");
        }
    }

    #[test]
    fn group_ids_are_read_from_the_group_file() {
        let text = "root:x:0:\n# comment\nbalcaox:x:12:\nbalcao:x:998:ana,bia\nbad line\n";
        assert_eq!(gid_in_group_file(text, "balcao"), Some(998));
        assert_eq!(gid_in_group_file(text, "root"), Some(0));
        assert_eq!(gid_in_group_file(text, "nobody"), None);
        assert_eq!(gid_in_group_file("balcao:x:abc:\n", "balcao"), None);
    }

    #[test]
    fn io_failures_say_who_may_read_and_who_may_write() {
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let read = io_failure(Path::new("/etc/balcao/credentials.json"), "ler", &denied);
        assert!(read.message().contains("usermod -aG balcao"), "{}", read.message());
        let write = io_failure(Path::new("/etc/balcao/credentials.json"), "gravar", &denied);
        assert!(write.message().contains("sudo"), "{}", write.message());
        assert_eq!(write.failure, SecretFailure::AccessDenied);
        let dpapi = Path::new(r"C:\ProgramData\Balcao").join(DPAPI_CREDENTIALS_FILE);
        let read = io_failure_on(MachineOs::Windows, &dpapi, "ler", &denied);
        assert!(read.message().contains("permissão de leitura em C:\\ProgramData\\Balcao"), "{}", read.message());
        let write = io_failure_on(MachineOs::Windows, &dpapi, "gravar", &denied);
        assert!(write.message().contains("Prompt de Comando aberto como administrador"), "{}", write.message());
        assert!(!write.message().contains("sudo"), "{}", write.message());
    }

    #[test]
    fn the_file_format_round_trips_and_refuses_unknown_fields() {
        let mut entries = BTreeMap::new();
        entries.insert("a".to_owned(), secret("x\"y\\z"));
        let bytes = render(&entries).unwrap();
        assert_eq!(parse(bytes.expose()).unwrap().get("a").unwrap().expose(), "x\"y\\z");
        assert!(parse(br#"{"version":1,"secrets":{},"extra":1}"#).is_err());
    }
}
