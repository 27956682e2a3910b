//! The signed package repository: the OpenPGP signing key (the agency's from the environment, or a throwaway test
//! key), an APT repository built with Debian's own tools (apt-ftparchive, gpg) and `.rpm` signing (rpmsign).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::sh::{self, Result};

/// The armored private key that signs the repository (the agency's; never committed).
pub const KEY_VAR: &str = "BALCAO_REPO_GPG_KEY";
/// Its passphrase, when it has one.
pub const PASSPHRASE_VAR: &str = "BALCAO_REPO_GPG_PASSPHRASE";
/// The user id of the key made when no agency key is given: it says what it is wherever it is shown.
pub const THROWAWAY_UID: &str = "Balcão TESTE — chave descartável, não use em produção";
/// The suite and component of the repository (the sources entry names them).
pub const SUITE: &str = "stable";
pub const COMPONENT: &str = "main";
/// The public key files written at the repository's root: binary for apt's `Signed-By`, armored for rpm and people.
pub const KEYRING: &str = "balcao-archive-keyring.gpg";
pub const KEYRING_ASC: &str = "balcao-archive-keyring.asc";

/// One signing key in its own temporary GNUPGHOME, removed (and its gpg-agent stopped) on drop.
#[derive(Debug)]
pub struct Signer {
    home: PathBuf,
    fingerprint: String,
    passphrase_file: Option<PathBuf>,
    pub throwaway: bool,
}

/// A fresh private folder under the temporary directory (mode 0700 where it matters: gpg refuses others).
pub fn temp_dir(what: &str) -> Result<PathBuf> {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("balcao-{what}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) -> Result {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).map_err(|e| format!("{}: {e}", p.display()))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result {
    Ok(())
}

impl Signer {
    /// The agency's key from [`KEY_VAR`] (and [`PASSPHRASE_VAR`]), or else a throwaway test key, said loudly.
    pub fn from_env_or_throwaway() -> Result<Self> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        match var(KEY_VAR) {
            Some(key) => {
                let s = Self::import(&key, var(PASSPHRASE_VAR).as_deref())?;
                eprintln!("repo: repositório assinado com a chave de {KEY_VAR} ({})", s.fingerprint);
                Ok(s)
            }
            // The release pipeline never signs with a throwaway key (a blank secret there is a missing one).
            None if std::env::var_os("GITHUB_ACTIONS").is_some() => Err(format!(
                "{KEY_VAR} vazia ou ausente no pipeline de release: o repositório não é assinado com uma chave \
                 descartável"
            )),
            None => {
                let s = Self::throwaway()?;
                eprintln!(
                    "repo: AVISO — sem {KEY_VAR}: repositório assinado com uma chave DESCARTÁVEL de teste \
                     («{THROWAWAY_UID}», {}); não distribua",
                    s.fingerprint
                );
                Ok(s)
            }
        }
    }

    fn empty(throwaway: bool) -> Result<Self> {
        let home = temp_dir("gnupg")?;
        set_mode(&home, 0o700)?;
        Ok(Self { home, fingerprint: String::new(), passphrase_file: None, throwaway })
    }

    /// A new key that exists only in a temporary GNUPGHOME, valid for one day, with [`THROWAWAY_UID`].
    pub fn throwaway() -> Result<Self> {
        Self::generate(None)
    }

    /// A throwaway key, protected by `passphrase` when given (the test of the agency's path).
    pub fn generate(passphrase: Option<&str>) -> Result<Self> {
        let mut s = Self::empty(true)?;
        let pass = passphrase.unwrap_or("");
        sh::run(s.gpg().args(["--passphrase", pass, "--quick-gen-key", THROWAWAY_UID, "rsa3072", "sign", "1d"]))?;
        s.fingerprint = s.secret_fingerprint()?;
        Ok(s)
    }

    /// The private key in ASCII armor (what [`KEY_VAR`] holds), still protected by its passphrase.
    pub fn export_secret(&self, passphrase: &str) -> Result<String> {
        let mut c = self.gpg();
        c.args(["--passphrase", passphrase, "--armor", "--export-secret-keys", &self.fingerprint]);
        let out = c.output().map_err(|e| format!("gpg --export-secret-keys: {e}"))?;
        if !out.status.success() {
            return Err(format!("gpg --export-secret-keys: {}", String::from_utf8_lossy(&out.stderr)));
        }
        String::from_utf8(out.stdout).map_err(|e| format!("gpg --export-secret-keys: {e}"))
    }

    /// The agency's key: an armored private key and its passphrase, imported into a temporary GNUPGHOME.
    pub fn import(armored: &str, passphrase: Option<&str>) -> Result<Self> {
        let mut s = Self::empty(false)?;
        if let Some(p) = passphrase {
            let file = s.home.join("passphrase");
            std::fs::write(&file, p).map_err(|e| format!("{}: {e}", file.display()))?;
            set_mode(&file, 0o600)?;
            s.passphrase_file = Some(file);
        }
        let mut child = s
            .gpg()
            .arg("--import")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("gpg: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(armored.as_bytes()).map_err(|e| format!("gpg --import: {e}"))?;
        }
        let out = child.wait_with_output().map_err(|e| format!("gpg --import: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{KEY_VAR} não pôde ser importada (esperada uma chave privada OpenPGP em ASCII armor): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        s.fingerprint = s.secret_fingerprint()?;
        Ok(s)
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// gpg on this key's home, never asking anything (the passphrase, when there is one, from a 0600 file).
    fn gpg(&self) -> Command {
        let mut c = Command::new("gpg");
        c.arg("--homedir").arg(&self.home).args(["--batch", "--yes", "--quiet", "--pinentry-mode", "loopback"]);
        if let Some(f) = &self.passphrase_file {
            c.arg("--passphrase-file").arg(f);
        }
        c
    }

    fn secret_fingerprint(&self) -> Result<String> {
        let (ok, text) = sh::output(self.gpg().args(["--with-colons", "--list-secret-keys"]))?;
        let fpr = text
            .lines()
            .skip_while(|l| !l.starts_with("sec:"))
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|f| f.len() >= 40))
            .map(str::to_owned);
        match (ok, fpr) {
            (true, Some(f)) => Ok(f),
            _ => Err(format!("nenhuma chave privada utilizável no chaveiro temporário: {text}")),
        }
    }

    fn to_file(&self, args: &[&str], dest: &Path) -> Result {
        let f = File::create(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
        sh::run(self.gpg().args(args).stdout(f))
    }

    /// The public key: binary (what apt's `Signed-By` reads) and armored.
    pub fn export_public(&self, binary: &Path, armored: &Path) -> Result {
        self.to_file(&["--export", &self.fingerprint], binary)?;
        self.to_file(&["--armor", "--export", &self.fingerprint], armored)
    }

    /// `InRelease` (clear-signed) and `Release.gpg` (detached) beside `release`.
    pub fn sign_release(&self, release: &Path) -> Result {
        let dir = release.parent().ok_or("Release sem pasta")?;
        let rel = release.to_string_lossy();
        let fpr = self.fingerprint.as_str();
        let inrelease = dir.join("InRelease");
        let detached = dir.join("Release.gpg");
        let (inrelease, detached) = (inrelease.to_string_lossy(), detached.to_string_lossy());
        let common = ["--local-user", fpr, "--digest-algo", "SHA512"];
        sh::run(self.gpg().args(common).args(["--clearsign", "--output", &inrelease, &rel]))?;
        sh::run(self.gpg().args(common).args(["--armor", "--detach-sign", "--output", &detached, &rel]))
    }

    /// Signs an `.rpm` in place with rpmsign (Debian's `rpm` package), with this key.
    pub fn sign_rpm(&self, rpm: &Path) -> Result {
        let mut extra = "--batch --pinentry-mode loopback".to_owned();
        if let Some(f) = &self.passphrase_file {
            extra.push_str(&format!(" --passphrase-file {}", f.display()));
        }
        // rpm's default is /usr/bin/gpg2, which Debian does not have.
        let gpg = sh::which("gpg").ok_or("gpg não está no PATH (pacote gnupg)")?;
        let mut c = Command::new("rpmsign");
        c.arg("--define")
            .arg(format!("__gpg {}", gpg.display()))
            .arg("--define")
            .arg(format!("_gpg_name {}", self.fingerprint))
            .arg("--define")
            .arg(format!("_gpg_path {}", self.home.display()))
            .arg("--define")
            .arg("_gpg_digest_algo sha256")
            .arg("--define")
            .arg(format!("_gpg_sign_cmd_extra_args {extra}"))
            .arg("--addsign")
            .arg(rpm);
        sh::run(&mut c)
    }
}

impl Drop for Signer {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(&self.home)
            .args(["--kill", "all"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// dpkg's name for this machine's architecture (amd64 here).
pub fn deb_arch() -> Result<String> {
    let (ok, text) = sh::output(Command::new("dpkg").arg("--print-architecture"))?;
    let arch = text.trim().to_owned();
    if !ok || arch.is_empty() {
        return Err(format!("dpkg --print-architecture: {text}"));
    }
    Ok(arch)
}

/// Where a `.deb` goes in the pool.
pub fn pool_dir(repo: &Path) -> PathBuf {
    repo.join("pool").join(COMPONENT).join("b/balcao")
}

/// Copies a `.deb` into the repository's pool (the index is made by [`publish`]).
pub fn add_deb(repo: &Path, deb: &Path) -> Result<PathBuf> {
    let pool = pool_dir(repo);
    std::fs::create_dir_all(&pool).map_err(|e| format!("{}: {e}", pool.display()))?;
    let name = deb.file_name().ok_or("pacote sem nome")?;
    let dest = pool.join(name);
    std::fs::copy(deb, &dest).map_err(|e| format!("{} → {}: {e}", deb.display(), dest.display()))?;
    Ok(dest)
}

/// Indexes the pool and signs: `dists/stable/main/binary-ARCH/Packages(.gz)`, `dists/stable/Release`, `InRelease`,
/// `Release.gpg`, all with apt-ftparchive and gpg. Run again after every change to the pool.
pub fn publish(repo: &Path, signer: &Signer) -> Result {
    let release = index(repo)?;
    signer.sign_release(&release)?;
    signer.export_public(&repo.join(KEYRING), &repo.join(KEYRING_ASC))?;
    verify_release(repo, &dist_dir(repo))
}

/// `dists/stable` of a repository.
pub fn dist_dir(repo: &Path) -> PathBuf {
    repo.join("dists").join(SUITE)
}

/// The unsigned part of [`publish`]: the package index and `Release` (old signatures removed). Returns `Release`.
pub fn index(repo: &Path) -> Result<PathBuf> {
    let arch = deb_arch()?;
    let dist = dist_dir(repo);
    let _ = std::fs::remove_dir_all(&dist);
    let bin = dist.join(COMPONENT).join(format!("binary-{arch}"));
    std::fs::create_dir_all(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    let packages = bin.join("Packages");
    let f = File::create(&packages).map_err(|e| format!("{}: {e}", packages.display()))?;
    sh::run(Command::new("apt-ftparchive").current_dir(repo).args(["packages", "pool"]).stdout(f))?;
    sh::run(Command::new("gzip").args(["-9nkf"]).arg(&packages))?;
    // Written outside dists/ first: apt-ftparchive release lists every file in the folder it indexes.
    let staged = repo.join(".Release.new");
    let f = File::create(&staged).map_err(|e| format!("{}: {e}", staged.display()))?;
    let opt = |k: &str, v: &str| format!("APT::FTPArchive::Release::{k}={v}");
    let mut c = Command::new("apt-ftparchive");
    c.current_dir(&dist);
    for (k, v) in [
        ("Origin", "Balcao"),
        ("Label", "Balcao"),
        ("Suite", SUITE),
        ("Codename", SUITE),
        ("Architectures", arch.as_str()),
        ("Components", COMPONENT),
        ("Description", "Balcao: consulta de CPF e CNPJ"),
    ] {
        c.arg("-o").arg(opt(k, v));
    }
    sh::run(c.args(["release", "."]).stdout(f))?;
    let release = dist.join("Release");
    std::fs::rename(&staged, &release).map_err(|e| format!("{}: {e}", release.display()))?;
    Ok(release)
}

/// The signatures verify with the exported keyring alone (gpgv, as apt does).
fn verify_release(repo: &Path, dist: &Path) -> Result {
    let keyring = repo.join(KEYRING);
    let gpgv = |args: &[&Path]| {
        let mut c = Command::new("gpgv");
        c.arg("--keyring").arg(&keyring).args(args);
        sh::output(&mut c)
    };
    for check in [gpgv(&[&dist.join("InRelease")])?, gpgv(&[&dist.join("Release.gpg"), &dist.join("Release")])?] {
        if !check.0 {
            return Err(format!("a assinatura do repositório não confere com {}: {}", keyring.display(), check.1));
        }
    }
    Ok(())
}

/// Signs a copy of each `.rpm` into `repo/rpm/` and checks it with `rpm -K` against the key alone.
pub fn add_rpm(repo: &Path, rpm: &Path, signer: &Signer) -> Result<PathBuf> {
    let dir = repo.join("rpm");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let dest = dir.join(rpm.file_name().ok_or("pacote sem nome")?);
    std::fs::copy(rpm, &dest).map_err(|e| format!("{} → {}: {e}", rpm.display(), dest.display()))?;
    signer.sign_rpm(&dest)?;
    let (ok, text) = rpm_check(&repo.join(KEYRING_ASC), &dest)?;
    if !ok {
        return Err(format!("rpm -K recusou o pacote recém-assinado {}: {text}", dest.display()));
    }
    Ok(dest)
}

/// `rpm -K` of a package in a throwaway rpm database that trusts only `key` (the machine's is never touched).
pub fn rpm_check(key: &Path, rpm: &Path) -> Result<(bool, String)> {
    let db = temp_dir("rpmdb")?;
    let with_db = |c: &mut Command| {
        c.arg("--dbpath").arg(&db);
    };
    let mut init = Command::new("rpmdb");
    with_db(&mut init);
    let mut import = Command::new("rpm");
    with_db(&mut import);
    let mut check = Command::new("rpm");
    with_db(&mut check);
    let r = sh::run(init.arg("--initdb"))
        .and_then(|()| sh::run(import.arg("--import").arg(key)))
        .and_then(|()| sh::output(check.arg("-K").arg(rpm)));
    let _ = std::fs::remove_dir_all(&db);
    let (ok, text) = r?;
    // rpm -K exits 0 for an unsigned package too: the signature has to be named and good.
    Ok((ok && text.contains("signatures OK"), text))
}

/// The repository's total size in bytes.
pub fn size(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// `cargo xtask bundle --repo DIR`: the repository around this build's `.deb`, its signed `.rpm`, the public key,
/// signed with the key of [`Signer::from_env_or_throwaway`]. An existing repository in DIR keeps its earlier
/// packages (the new ones join them in the pool) and is indexed and signed again; nothing else in DIR is removed.
pub fn create(dir: &Path, packages: &[PathBuf]) -> Result {
    create_with(dir, packages, &Signer::from_env_or_throwaway()?)
}

/// [`create`] with a given key.
pub fn create_with(dir: &Path, packages: &[PathBuf], signer: &Signer) -> Result {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let has_ext = |p: &&PathBuf, ext: &str| p.extension().is_some_and(|e| e == ext);
    let debs: Vec<&PathBuf> = packages.iter().filter(|p| has_ext(p, "deb")).collect();
    if debs.is_empty() {
        return Err("nenhum .deb para o repositório".into());
    }
    for deb in debs {
        add_deb(dir, deb)?;
    }
    publish(dir, signer)?;
    for rpm in packages.iter().filter(|p| has_ext(p, "rpm")) {
        add_rpm(dir, rpm, signer)?;
    }
    let note = dir.join("LEIA-ME-CHAVE-DE-TESTE.txt");
    let _ = std::fs::remove_file(&note);
    if signer.throwaway {
        let text = format!(
            "Este repositório foi assinado com uma chave DESCARTÁVEL de teste («{THROWAWAY_UID}», {}),\n\
             criada só para esta compilação e já apagada. Não o publique: defina {KEY_VAR} (e {PASSPHRASE_VAR})\n\
             com a chave da agência e gere de novo.\n",
            signer.fingerprint()
        );
        std::fs::write(&note, text).map_err(|e| format!("{}: {e}", note.display()))?;
    }
    eprintln!(
        "repo: repositório em {} ({:.1} MB), chave {} ({})",
        dir.display(),
        size(dir) as f64 / 1_048_576.0,
        signer.fingerprint(),
        dir.join(KEYRING).display()
    );
    Ok(())
}
