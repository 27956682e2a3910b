//! A throwaway PostgreSQL cluster for the agency-store tests: its own folder, loopback, TLS with a throwaway CA.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::sh::{self, Result};

/// The environment variables the agency-store tests read (kept in step with balcao-agency's `tests/common`).
pub const VAR_URL: &str = "BALCAO_TEST_PG_URL";
pub const VAR_CA: &str = "BALCAO_TEST_PG_CA";
pub const VAR_WRONG_CA: &str = "BALCAO_TEST_PG_WRONG_CA";
pub const VAR_CTL: &str = "BALCAO_TEST_PG_CTL";
pub const VAR_DATA: &str = "BALCAO_TEST_PG_DATA";
pub const VAR_RUN_AS: &str = "BALCAO_TEST_PG_RUN_AS";

/// One running cluster; stopped (immediately) and its folder removed on drop, whatever happened.
#[derive(Debug)]
pub struct TestPg {
    dir: PathBuf,
    bin: PathBuf,
    run_as: Option<&'static str>,
    env: Vec<(String, String)>,
}

impl TestPg {
    /// initdb, a throwaway CA and server certificate, TLS-only pg_hba, then start on 127.0.0.1 and a free port.
    pub fn start() -> Result<Self> {
        let bin = bin_dir()?;
        // PostgreSQL refuses to run as root: as root (CI) it runs as the package's `postgres` user.
        let run_as = sh::is_root().then_some("postgres");
        remove_orphans(&bin, run_as);
        let dir = base_dir().join(format!("balcao-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("pg dir: {e}"))?;
        let mut pg = TestPg { dir, bin, run_as, env: Vec::new() };
        pg.init()?;
        Ok(pg)
    }

    /// The variables the tests read (URL, CA, wrong CA, pg_ctl, data folder, user to run pg_ctl as).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    fn as_pg(&self, program: &Path) -> Command {
        match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    fn init(&mut self) -> Result {
        let d = self.dir.clone();
        let password = random_hex(16)?;
        std::fs::write(d.join("pw"), &password).map_err(|e| format!("pg pwfile: {e}"))?;
        certificates(&d)?;
        if let Some(user) = self.run_as {
            sh::run(Command::new("chown").args(["-R", user]).arg(&d))?;
        }
        sh::run(
            self.as_pg(&self.bin.join("initdb"))
                .args(["-D"])
                .arg(d.join("data"))
                .args([
                    "-U",
                    "balcao",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ])
                .arg(format!("--pwfile={}", d.join("pw").display())),
        )?;
        // TLS only over TCP: a plaintext connection is refused by the server too, not only by Balcão's client.
        let hba =
            "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 0.0.0.0/0 reject\n";
        let hba_path = d.join("data/pg_hba.conf");
        std::fs::write(&hba_path, hba).map_err(|e| format!("pg_hba.conf: {e}"))?;
        let port = free_port()?;
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{dir}'\nfsync = off\n\
             ssl = on\nssl_cert_file = '{dir}/server.crt'\nssl_key_file = '{dir}/server.key'\nmax_connections = 200\n",
            dir = d.display()
        );
        let mut auto = std::fs::OpenOptions::new()
            .append(true)
            .open(d.join("data/postgresql.auto.conf"))
            .map_err(|e| format!("postgresql.auto.conf: {e}"))?;
        std::io::Write::write_all(&mut auto, conf.as_bytes()).map_err(|e| format!("postgresql.auto.conf: {e}"))?;
        sh::run(
            self.as_pg(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(d.join("data"))
                .arg("-l")
                .arg(d.join("log"))
                .args(["-w", "start"]),
        )?;
        let var = |k: &str, v: String| (k.to_owned(), v);
        self.env = vec![
            var(VAR_URL, format!("postgres://balcao:{password}@127.0.0.1:{port}/postgres")),
            var(VAR_CA, path(&d.join("ca.crt"))),
            var(VAR_WRONG_CA, path(&d.join("wrong-ca.crt"))),
            var(VAR_CTL, path(&self.bin.join("pg_ctl"))),
            var(VAR_DATA, path(&d.join("data"))),
            var(VAR_RUN_AS, self.run_as.unwrap_or_default().to_owned()),
        ];
        Ok(())
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if data.join("postmaster.pid").exists() {
            let mut c = self.as_pg(&self.bin.join("pg_ctl"));
            c.arg("-D").arg(&data).args(["-m", "immediate", "-w", "stop"]);
            let _ = c.stdout(std::process::Stdio::null()).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where clusters live: in memory (/dev/shm) when there is one, since the data is thrown away and a disk shared by
/// several builds makes removing a few hundred MB of test databases take a minute; else the temporary folder.
fn base_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() }
}

/// Clusters left by an xtask that was killed (SIGKILL skips `Drop`): stopped and removed when their xtask is gone.
fn remove_orphans(bin: &Path, run_as: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(base_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("balcao-pg-").and_then(|p| p.parse::<u32>().ok()) else { continue };
        // Alive: an xtask still runs under that id (a zombie or a reused id with another program is not one).
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if pid == std::process::id() || String::from_utf8_lossy(&cmdline).contains("xtask") {
            continue;
        }
        let data = entry.path().join("data");
        if data.join("postmaster.pid").exists() {
            let ctl = bin.join("pg_ctl");
            let mut c = match run_as {
                Some(user) => {
                    let mut c = Command::new("runuser");
                    c.args(["-u", user, "--"]).arg(ctl);
                    c
                }
                None => Command::new(ctl),
            };
            let _ = c
                .arg("-D")
                .arg(&data)
                .args(["-m", "immediate", "-w", "stop"])
                .stdout(std::process::Stdio::null())
                .status();
        }
        eprintln!("removido o PostgreSQL de teste deixado por um xtask interrompido: {}", entry.path().display());
        let _ = std::fs::remove_dir_all(entry.path());
    }
}

/// The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/<major>/bin).
fn bin_dir() -> Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut majors: Vec<u32> = std::fs::read_dir(root)
        .map_err(|e| format!("{}: {e} (instale o pacote postgresql: cargo xtask deps)", root.display()))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    majors.sort_unstable();
    let major = majors.last().ok_or("nenhum PostgreSQL em /usr/lib/postgresql (instale o pacote postgresql)")?;
    Ok(root.join(major.to_string()).join("bin"))
}

/// A throwaway CA, a server certificate it signs (localhost, 127.0.0.1), and a second, unrelated CA.
fn certificates(d: &Path) -> Result {
    let openssl = || {
        let mut c = Command::new("openssl");
        c.current_dir(d);
        c
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    for (name, cn) in [("ca", "Balcao test CA"), ("wrong-ca", "Balcao unrelated CA")] {
        sh::run(openssl().args(["req", "-x509"]).args(ec).args([
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={cn}"),
        ]))?;
    }
    sh::run(openssl().args(["req"]).args(ec).args([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]))?;
    let ext = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n\
               subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    std::fs::write(d.join("server.ext"), ext).map_err(|e| format!("server.ext: {e}"))?;
    sh::run(openssl().args([
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]))?;
    set_mode(&d.join("server.key"), 0o600);
    Ok(())
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| format!("free port: {e}"))
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(buf.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

/// `cargo xtask pg`: starts a cluster, prints the variables to export, and waits for Enter to stop and remove it.
pub fn manual() -> Result {
    let pg = TestPg::start()?;
    println!("# PostgreSQL de teste no ar. Em outro terminal:");
    for (k, v) in pg.env() {
        println!("export {k}='{v}'");
    }
    println!("# depois: cargo test -p balcao-agency");
    println!("# Tecle Enter aqui para parar e apagar o cluster.");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(pg);
    Ok(())
}
