//! The repository test of `cargo xtask test`: the debug build packaged (`tauri bundle --debug`, no second compile),
//! published in a signed APT repository, installed, upgraded and refused when tampered with, through apt and
//! `Signed-By` as an agency PC does it; the signed `.rpm` checked with `rpm -K`. The machine is left as found.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::repo::{self, Signer};
use crate::session::Sandbox;
use crate::sh::{self, Result};
use crate::{bundle, e2e};

/// The package's name in dpkg.
const PACKAGE: &str = "balcao";
/// A Demonstração CPF the simulator answers.
const DEMO_CPF: &str = "404.428.201-35";

pub fn run() -> Result {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    if installed_version()?.is_some() {
        return Err(format!(
            "o pacote {PACKAGE} já está instalado nesta máquina: o teste instalaria e removeria por cima dele. \
             Remova-o antes (apt-get purge {PACKAGE})"
        ));
    }
    let guard = e2e::RealDataGuard::capture();
    let started = Instant::now();
    let (deb, rpm) = bundle::debug_packages()?;
    eprintln!("repo: pacotes de depuração em {:.1} s", started.elapsed().as_secs_f64());
    let work = repo::temp_dir("repo-test")?;
    let r = in_work(&work, &deb, &rpm);
    // Whatever happened: the package goes (purge), the temporary sources, keyring and lists with the folder.
    if installed_version().ok().flatten().is_some() {
        let _ = sh::run(sh::as_root("dpkg").args(["--purge", PACKAGE]));
    }
    let _ = std::fs::remove_dir_all(&work);
    r?;
    guard.verify()?;
    eprintln!("repo: teste do repositório em {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The agency's path of `bundle --repo`: a passphrase-protected private key given as armored text (what
/// BALCAO_REPO_GPG_KEY and BALCAO_REPO_GPG_PASSPHRASE hold) signs a repository and an `.rpm` that verify with the
/// exported public key alone (publish and add_rpm check with gpgv and rpm -K); a wrong passphrase signs nothing.
fn agency_key_signs(work: &Path, deb: &Path, rpm: &Path) -> Result {
    const PASS: &str = "senha de teste da agência";
    let armored = Signer::generate(Some(PASS))?.export_secret(PASS)?;
    let dir = work.join("agency-repo");
    let wrong = Signer::import(&armored, Some("outra senha"))?;
    if repo::create_with(&dir, &[deb.to_path_buf()], &wrong).is_ok() {
        return Err("a chave da agência assinou com a senha errada".into());
    }
    drop(wrong);
    let agency = Signer::import(&armored, Some(PASS))?;
    if agency.throwaway {
        return Err("uma chave importada foi tratada como descartável".into());
    }
    repo::create_with(&dir, &[deb.to_path_buf(), rpm.to_path_buf()], &agency)?;
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("repo: chave da agência com senha (texto ASCII armor): repositório e .rpm assinados e conferidos");
    Ok(())
}

fn in_work(work: &Path, deb: &Path, rpm: &Path) -> Result {
    agency_key_signs(work, deb, rpm)?;
    let repo_dir = work.join("repo");
    let signer = Signer::throwaway()?;
    repo::add_deb(&repo_dir, deb)?;
    repo::publish(&repo_dir, &signer)?;
    let signed_rpm = repo::add_rpm(&repo_dir, rpm, &signer)?;
    eprintln!(
        "repo: repositório de teste com 1 versão: {:.1} MB ({})",
        repo::size(&repo_dir) as f64 / 1_048_576.0,
        repo_dir.display()
    );
    rpm_refuses_tampering(&repo_dir, &signed_rpm)?;

    let apt = Apt::new(work, &repo_dir)?;
    let first = deb_field(deb, "Version")?;
    apt.update()?;
    forget_an_empty_group()?;
    sh::run(&mut apt.get(&["install", "-y", PACKAGE]))?;
    expect_version(&first)?;
    installed_files()?;

    // The clerk's session: a Demonstração lookup written to the history by the installed build.
    let sb = Sandbox::start(false)?;
    let data_dir = PathBuf::from(sb.var("BALCAO_DATA_DIR").ok_or("sandbox sem BALCAO_DATA_DIR")?);
    let (ok, text) = sh::output(sb.command("/usr/bin/balcao-cli").args(["lookup", "cpf", DEMO_CPF]))?;
    if !ok {
        return Err(format!("balcao-cli instalado não consultou a Demonstração: {text}"));
    }
    history_has_the_lookup(&sb, "antes da atualização")?;

    // The upgrade: the same build repackaged with a higher version, published, installed through apt.
    let next = higher_version(&first);
    let upgrade = repackage(deb, &next, work)?;
    repo::add_deb(&repo_dir, &upgrade)?;
    repo::publish(&repo_dir, &signer)?;
    apt.update()?;
    sh::run(&mut apt.get(&["install", "-y", "--only-upgrade", PACKAGE]))?;
    expect_version(&next)?;
    history_has_the_lookup(&sb, "depois da atualização")?;
    eprintln!(
        "repo: {first} → {next} pelo repositório; histórico legível depois da atualização. Repositório com 2 versões: \
         {:.1} MB",
        repo::size(&repo_dir) as f64 / 1_048_576.0
    );

    // What an attacker would offer: the build again with a yet higher version.
    let evil = repackage(&upgrade, &higher_version(&next), work)?;
    package_tampering_is_refused(&apt, &repo_dir, &signer, &evil, &next)?;
    release_tampering_is_refused(&apt, &repo_dir, &signer, &evil, &next)?;

    // Uninstall: remove, then purge; the clerk's data folder is never the package's.
    let before = tree(&data_dir);
    sh::run(&mut apt.get(&["remove", "-y", PACKAGE]))?;
    if Path::new("/usr/bin/balcao").exists() || Path::new("/usr/bin/balcao-cli").exists() {
        return Err("apt-get remove deixou /usr/bin/balcao ou /usr/bin/balcao-cli".into());
    }
    sh::run(&mut apt.get(&["purge", "-y", PACKAGE]))?;
    if dpkg_status()?.is_some() {
        return Err(format!("depois do purge o dpkg ainda conhece {PACKAGE}: {:?}", dpkg_status()?));
    }
    let after = tree(&data_dir);
    if before.is_empty() || before != after {
        return Err(format!(
            "remover o pacote mexeu na pasta de dados do usuário {}:\nantes {before:?}\ndepois {after:?}",
            data_dir.display()
        ));
    }
    eprintln!("repo: remove e purge tiraram o programa e deixaram a pasta de dados do usuário intacta");
    drop(sb);
    Ok(())
}

/// apt-get with only the repository under test as its source: a temporary sources file with `Signed-By` pointing
/// at the repository's exported keyring, private package lists and cache. The machine's sources, lists and trusted
/// keys are never read or written.
struct Apt {
    root: PathBuf,
}

impl Apt {
    fn new(work: &Path, repo_dir: &Path) -> Result<Self> {
        let root = work.join("apt");
        for sub in ["sources.list.d", "lists/partial", "cache/archives/partial", "keyrings"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|e| format!("{}: {e}", root.join(sub).display()))?;
        }
        let write = |p: PathBuf, text: String| std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()));
        write(root.join("sources.list"), String::new())?;
        // On an agency PC: /etc/apt/keyrings/balcao-archive-keyring.gpg and /etc/apt/sources.list.d/balcao.sources.
        let keyring = root.join("keyrings").join(repo::KEYRING);
        std::fs::copy(repo_dir.join(repo::KEYRING), &keyring).map_err(|e| format!("{}: {e}", keyring.display()))?;
        write(
            root.join("sources.list.d/balcao.sources"),
            format!(
                "Types: deb\nURIs: file:{}\nSuites: {}\nComponents: {}\nSigned-By: {}\n",
                repo_dir.display(),
                repo::SUITE,
                repo::COMPONENT,
                keyring.display()
            ),
        )?;
        Ok(Self { root })
    }

    fn get(&self, args: &[&str]) -> Command {
        let mut c = sh::as_root("apt-get");
        let dir = |sub: &str| self.root.join(sub).to_string_lossy().into_owned();
        for (k, v) in [
            ("Dir::Etc::sourcelist", dir("sources.list")),
            ("Dir::Etc::sourceparts", dir("sources.list.d")),
            ("Dir::State::Lists", dir("lists")),
            ("Dir::Cache", dir("cache")),
            ("DPkg::Lock::Timeout", "300".to_owned()),
        ] {
            c.arg("-o").arg(format!("{k}={v}"));
        }
        c.arg("-q").args(args);
        c
    }

    /// `apt-get update` that must succeed with no complaint (apt only warns about a bad signature and keeps the old
    /// index: `--error-on=any` makes every warning a failure).
    fn update(&self) -> Result {
        let (ok, text) = sh::output(&mut self.get(&["update", "--error-on=any"]))?;
        eprintln!("{}", text.trim_end());
        if !ok || text.contains("W: ") || text.contains("E: ") {
            return Err(format!("apt-get update não aceitou o repositório assinado:\n{text}"));
        }
        Ok(())
    }
}

/// The installed version, or None.
fn installed_version() -> Result<Option<String>> {
    Ok(dpkg_status()?.filter(|(status, _)| status.contains("install ok installed")).map(|(_, v)| v))
}

/// dpkg's status and version of the package, or None when dpkg does not know it (never installed, or purged).
fn dpkg_status() -> Result<Option<(String, String)>> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}|${Version}", PACKAGE])
        .output()
        .map_err(|e| format!("dpkg-query: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    Ok(match text.split_once('|') {
        Some((status, version)) if out.status.success() && !status.contains("not-installed") => {
            Some((status.to_owned(), version.to_owned()))
        }
        _ => None,
    })
}

fn expect_version(want: &str) -> Result {
    match installed_version()? {
        Some(v) if v == want => Ok(()),
        other => Err(format!("versão instalada {other:?}, esperada {want}")),
    }
}

/// The package brings the app and the CLI, and the CLI runs.
fn installed_files() -> Result {
    let (_, listing) = sh::output(Command::new("dpkg").args(["-L", PACKAGE]))?;
    for want in ["/usr/bin/balcao\n", "/usr/bin/balcao-cli\n", ".desktop"] {
        if !listing.contains(want) {
            return Err(format!("o pacote não traz {}:\n{listing}", want.trim()));
        }
    }
    // Nothing under /etc and no conffiles: /etc/balcao (policy, machine credentials) is IT's, so neither remove
    // nor purge can take it, and purge has no configuration of the package's own to remove (docs/deploy).
    if let Some(etc) = listing.lines().find(|l| l.starts_with("/etc")) {
        return Err(format!("o pacote instala {etc}: a pasta /etc/balcao é da TI"));
    }
    let (_, conffiles) = sh::output(Command::new("dpkg-query").args(["-W", "-f=${Conffiles}", PACKAGE]))?;
    if !conffiles.trim().is_empty() {
        return Err(format!("o pacote tem arquivos de configuração (conffiles): {conffiles}"));
    }
    // The post-install script made the group whose members may read the agency's credentials.
    let (has_group, _) = sh::output(Command::new("getent").args(["group", "balcao"]))?;
    if !has_group {
        return Err("o pacote instalado não criou o grupo balcao (postinst)".into());
    }
    bundle::cli_runs(Path::new("/usr/bin/balcao-cli"))
}

/// Removes a `balcao` group left by an earlier run, when no account is in it, so that the check after installing
/// sees the package create it. A group with members is IT's: left alone (and then the check proves less).
fn forget_an_empty_group() -> Result {
    let (exists, line) = sh::output(Command::new("getent").args(["group", "balcao"]))?;
    if exists && line.trim_end().ends_with(':') {
        sh::run(Command::new("groupdel").arg("balcao"))?;
    } else if exists {
        eprintln!("repo: o grupo balcao já existe com contas ({}); o teste do postinst prova menos", line.trim());
    }
    Ok(())
}

fn history_has_the_lookup(sb: &Sandbox, when: &str) -> Result {
    let (ok, text) = sh::output(sb.command("/usr/bin/balcao-cli").args(["history", "search", DEMO_CPF, "--json"]))?;
    if !ok || !text.contains("\"number\":\"40442820135\"") {
        return Err(format!("o histórico não mostra a consulta feita antes ({when}): {text}"));
    }
    eprintln!("repo: histórico legível {when}");
    Ok(())
}

fn deb_field(deb: &Path, field: &str) -> Result<String> {
    let (ok, text) = sh::output(Command::new("dpkg-deb").arg("-f").arg(deb).arg(field))?;
    let v = text.trim().to_owned();
    if !ok || v.is_empty() {
        return Err(format!("dpkg-deb -f {} {field}: {text}", deb.display()));
    }
    Ok(v)
}

/// The next patch version (0.1.0 → 0.1.1), or the version with `.1` appended when it is not x.y.z.
fn higher_version(v: &str) -> String {
    let parts: Vec<&str> = v.split('.').collect();
    if let [major, minor, patch] = parts.as_slice()
        && let Ok(p) = patch.parse::<u64>()
        && let Some(p) = p.checked_add(1)
    {
        return format!("{major}.{minor}.{p}");
    }
    format!("{v}.1")
}

/// The same `.deb` with another version in DEBIAN/control: unpacked, edited, packed again (no second build).
fn repackage(deb: &Path, version: &str, work: &Path) -> Result<PathBuf> {
    let tree = work.join(format!("repack-{version}"));
    let _ = std::fs::remove_dir_all(&tree);
    sh::run(Command::new("dpkg-deb").arg("-R").arg(deb).arg(&tree))?;
    let control = tree.join("DEBIAN/control");
    let text = std::fs::read_to_string(&control).map_err(|e| format!("{}: {e}", control.display()))?;
    if !text.lines().any(|l| l.starts_with("Version: ")) {
        return Err(format!("{} sem Version", control.display()));
    }
    let edited: String = text
        .lines()
        .map(|l| if l.starts_with("Version: ") { format!("Version: {version}\n") } else { format!("{l}\n") })
        .collect();
    std::fs::write(&control, edited).map_err(|e| format!("{}: {e}", control.display()))?;
    let arch = deb_field(deb, "Architecture")?;
    let out = work.join(format!("{PACKAGE}_{version}_{arch}.deb"));
    // gzip -1: the debug binaries are large and this package only lives for the test.
    sh::run(Command::new("dpkg-deb").args(["--root-owner-group", "-Zgzip", "-z1", "-b"]).arg(&tree).arg(&out))?;
    let _ = std::fs::remove_dir_all(&tree);
    Ok(out)
}

/// A `.deb` changed after the repository was signed (a mirror or a man in the middle): apt must refuse it and keep
/// the installed version.
fn package_tampering_is_refused(apt: &Apt, repo_dir: &Path, signer: &Signer, evil: &Path, installed: &str) -> Result {
    let candidate = repo::add_deb(repo_dir, evil)?;
    repo::publish(repo_dir, signer)?;
    // Same size, other bytes: only the hashes in the signed index can tell.
    flip_byte_in_the_middle(&candidate)?;
    apt.update()?;
    let (ok, text) = sh::output(&mut apt.get(&["install", "-y", "--only-upgrade", PACKAGE]))?;
    if ok || !text.contains("Hash Sum mismatch") {
        return Err(format!(
            "apt instalou um pacote alterado depois da assinatura (esperado «Hash Sum mismatch»):\n{text}"
        ));
    }
    expect_version(installed)?;
    eprintln!("repo: pacote alterado depois da assinatura: apt recusou (Hash Sum mismatch), {installed} continua");
    std::fs::remove_file(&candidate).map_err(|e| format!("{}: {e}", candidate.display()))?;
    repo::publish(repo_dir, signer)?;
    apt.update()
}

/// An index offering a newer package (`evil`) without the agency's signature: first the new `Release` under the old
/// signatures (BADSIG), then signed by a key the sources entry does not name (NO_PUBKEY). apt must refuse the
/// update and keep offering only the installed version.
fn release_tampering_is_refused(apt: &Apt, repo_dir: &Path, signer: &Signer, evil: &Path, installed: &str) -> Result {
    let dist = repo::dist_dir(repo_dir);
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let write = |p: &Path, t: &str| std::fs::write(p, t).map_err(|e| format!("{}: {e}", p.display()));
    let (old_inrelease, old_detached) = (read(&dist.join("InRelease"))?, read(&dist.join("Release.gpg"))?);
    let candidate = repo::add_deb(repo_dir, evil)?;
    let release = repo::index(repo_dir)?;
    let new_release = read(&release)?;
    // 1. The new Release text put under the agency's old signatures.
    write(&dist.join("InRelease"), &resigned_text(&old_inrelease, &new_release)?)?;
    write(&dist.join("Release.gpg"), &old_detached)?;
    refused(apt, &["BADSIG"], "Release alterado depois da assinatura", installed)?;
    // 2. Signed by another key.
    let intruder = Signer::throwaway()?;
    intruder.sign_release(&release)?;
    refused(apt, &["NO_PUBKEY"], "Release assinado por outra chave", installed)?;
    drop(intruder);
    std::fs::remove_file(&candidate).map_err(|e| format!("{}: {e}", candidate.display()))?;
    repo::publish(repo_dir, signer)?;
    apt.update()
}

/// A clear-signed message whose text is replaced, its signature kept (what an attacker without the key can do).
fn resigned_text(inrelease: &str, text: &str) -> Result<String> {
    let start = inrelease.find("\n\n").ok_or("InRelease sem cabeçalho")?;
    let end = inrelease.find("\n-----BEGIN PGP SIGNATURE-----").ok_or("InRelease sem assinatura")?;
    let (head, tail) = (inrelease.get(..start + 2), inrelease.get(end..));
    match (head, tail) {
        (Some(h), Some(t)) => Ok(format!("{h}{}{t}", text.trim_end())),
        _ => Err("InRelease malformado".into()),
    }
}

/// `apt-get update --error-on=any` fails naming the signature problem, and the newer package stays out of reach.
fn refused(apt: &Apt, any_of: &[&str], what: &str, installed: &str) -> Result {
    let (ok, text) = sh::output(&mut apt.get(&["update", "--error-on=any"]))?;
    let named = any_of.iter().find(|w| text.contains(**w));
    let Some(named) = named.filter(|_| !ok) else {
        return Err(format!("apt-get update aceitou um repositório com {what} (esperado um de {any_of:?}):\n{text}"));
    };
    sh::run(&mut apt.get(&["install", "-y", "--only-upgrade", PACKAGE]))?;
    expect_version(installed)?;
    eprintln!("repo: {what}: apt recusou ({named}) e {installed} continua");
    Ok(())
}

fn flip_byte_in_the_middle(file: &Path) -> Result {
    let mut bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mid = bytes.len() / 2;
    let b = bytes.get_mut(mid).ok_or("pacote vazio")?;
    *b ^= 0xff;
    std::fs::write(file, bytes).map_err(|e| format!("{}: {e}", file.display()))
}

/// The signed `.rpm` passes `rpm -K`; a copy with one byte changed does not.
fn rpm_refuses_tampering(repo_dir: &Path, signed: &Path) -> Result {
    let key = repo_dir.join(repo::KEYRING_ASC);
    let altered = signed.with_extension("alterado.rpm");
    std::fs::copy(signed, &altered).map_err(|e| format!("{}: {e}", altered.display()))?;
    flip_byte_in_the_middle(&altered)?;
    let (ok, text) = repo::rpm_check(&key, &altered)?;
    let _ = std::fs::remove_file(&altered);
    if ok {
        return Err(format!("rpm -K aceitou um .rpm alterado depois da assinatura: {text}"));
    }
    let (_, listing) = sh::output(Command::new("rpm").arg("-qlp").arg(signed))?;
    if !listing.lines().any(|l| l == "/usr/bin/balcao-cli") {
        return Err(format!("o .rpm não traz /usr/bin/balcao-cli:\n{listing}"));
    }
    eprintln!("repo: .rpm assinado (rpm -K: signatures OK); alterado, recusado: {}", text.trim());
    Ok(())
}

/// Every file under a folder with its size and modification time, sorted.
fn tree(dir: &Path) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return out };
    for e in rd.flatten() {
        let Ok(m) = e.metadata() else { continue };
        if m.is_dir() {
            out.extend(tree(&e.path()));
        } else {
            out.push((e.path(), m.len(), m.modified().ok()));
        }
    }
    out.sort();
    out
}
