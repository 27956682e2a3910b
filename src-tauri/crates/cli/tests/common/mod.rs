//! What the CLI's keyring tests share: a scratch folder, and re-running a test inside its own D-Bus session with an
//! unlocked gnome-keyring, a throw-away HOME, a redirected data folder and a unique keyring service, so that the
//! user's real history and keyring are never touched.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A private scratch folder, removed when dropped (the CLI crate has no tempfile dependency).
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("balcao-cli-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.0
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// True when this process already is the re-run inside the session (the caller then does the real work). Otherwise
/// runs the test `test_name` again inside `dbus-run-session` (packages `dbus` and `gnome-keyring`) with `inside`
/// set, asserts that it passed, and returns false.
pub fn in_keyring_session(inside: &str, test_name: &str, service_tag: &str) -> bool {
    if std::env::var_os(inside).is_some() {
        return true;
    }
    let tmp = Scratch::new("session");
    let home = tmp.path("home");
    std::fs::create_dir_all(&home).unwrap();
    // gnome-keyring finds a running daemon through $XDG_RUNTIME_DIR/keyring: inherited from the suite's own sandbox,
    // `--unlock` reached that daemon instead of starting one on this session's bus (KeychainUnavailable, or a key
    // written to one daemon and looked for in another).
    let runtime = tmp.path("run");
    std::fs::create_dir_all(&runtime).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&runtime, <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o700))
        .unwrap();
    // The daemon forks before it owns the Secret Service name, and creates its login collection after that: wait
    // (up to 30 s: the whole suite shares two cores) until the bus says the name is owned AND the `default` alias
    // names a collection, and give up loudly otherwise. Going on early can let the first call D-Bus-activate a
    // second, locked daemon (our reading of a CI failure: KeychainUnavailable, the key just set was not there).
    let script = r#"echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 97
ready=
for _ in $(seq 300); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
       string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' &&
     dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
       org.freedesktop.Secret.Service.ReadAlias string:default 2>/dev/null | grep -q '/collection/'; then
    ready=1; break
  fi
  sleep 0.1
done
[ -n "$ready" ] || { echo "gnome-keyring never became ready in this session" >&2; exit 98; }
exec "$@""#;
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script, "sh"])
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env(inside, "1")
        .env("HOME", &home)
        .env("XDG_RUNTIME_DIR", &runtime)
        // gnome-keyring keeps its keyring files in $XDG_DATA_HOME/keyrings: inherited from the suite's sandbox, this
        // session's daemon and the sandbox's wrote the same login.keyring, and each reloaded the other's file (a key
        // just stored was gone on the next read: KeychainUnavailable or HistoryLocked, only under the full suite).
        .env("XDG_DATA_HOME", tmp.path("data-home"))
        .env("XDG_CONFIG_HOME", tmp.path("config-home"))
        .env("XDG_CACHE_HOME", tmp.path("cache-home"))
        .env("BALCAO_DATA_DIR", tmp.path("data"))
        .env("BALCAO_POLICY_DIR", tmp.path("policy"))
        .env("BALCAO_KEYRING_SERVICE", format!("br.gov.balcao.test.{service_tag}.{}", std::process::id()))
        .env_remove("BALCAO_CLIENT_ID")
        .env_remove("BALCAO_CLIENT_SECRET")
        .output()
        .expect("dbus-run-session runs (install the packages dbus and gnome-keyring)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "inside the D-Bus session: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 passed"), "the test ran inside the session: {stdout}");
    false
}

/// What one measured run of the real binary left: exit status, output, wall time and peak memory.
pub struct Run {
    /// `None` when the process was killed (signal, or over the test's hard deadline).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Bytes written to stdout (the captured text keeps only the first [`CAPTURE`] of them).
    pub stdout_len: usize,
    pub elapsed: std::time::Duration,
    /// Peak resident memory of the CLI process, in KiB, as GNU time reports it (`%M`).
    pub peak_kib: u64,
}

/// The promise every hostile case must keep.
pub const TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);
pub const MEMORY_LIMIT_KIB: u64 = 200 * 1024;
/// How much of each output stream a run keeps for its assertions.
pub const CAPTURE: usize = 1 << 20;
/// A run still going after this is killed (the test then fails on time instead of hanging).
const HARD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(40);

/// Standard input for a measured run: written by a thread while the CLI runs (it may stop reading early).
pub type Feed = Box<dyn FnOnce(&mut std::process::ChildStdin) + Send>;

/// Runs `balcao-cli ARGS` under GNU time (`/usr/bin/time -f %M`) with `env` added, stdin from `feed` (or empty),
/// and measures it. `wrap` is an optional shell prefix run before the CLI (e.g. `ulimit -f 64;`).
pub fn measure(args: &[&std::ffi::OsStr], env: &[(&str, &std::ffi::OsStr)], feed: Option<Feed>) -> Run {
    measure_wrapped("", args, env, feed)
}

/// [`measure`] with a shell prefix (`trap '' XFSZ; ulimit -f 1024;`) run before `exec balcao-cli`.
pub fn measure_wrapped(
    shell_prefix: &str,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &std::ffi::OsStr)],
    feed: Option<Feed>,
) -> Run {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;

    let report = Scratch::new("time");
    let time_out = report.path("peak");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f").arg("%M").arg("-o").arg(&time_out);
    if shell_prefix.is_empty() {
        cmd.arg(env!("CARGO_BIN_EXE_balcao-cli"));
    } else {
        cmd.args(["sh", "-c", &format!("{shell_prefix} exec \"$0\" \"$@\""), env!("CARGO_BIN_EXE_balcao-cli")]);
    }
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = std::time::Instant::now();
    let mut child = cmd.spawn().expect("/usr/bin/time runs balcao-cli (package `time`)");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        if let Some(feed) = feed {
            feed(&mut stdin);
        }
    });
    let capture = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let (mut kept, mut total, mut buf) = (Vec::new(), 0usize, vec![0u8; 64 * 1024]);
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                total += n;
                let room = CAPTURE.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buf[..room]);
            }
            (String::from_utf8_lossy(&kept).into_owned(), total)
        })
    };
    let out = capture(Box::new(child.stdout.take().expect("stdout")));
    let err = capture(Box::new(child.stderr.take().expect("stderr")));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > HARD_DEADLINE {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let _ = writer.join();
    let (stdout, stdout_len) = out.join().expect("stdout reader");
    let (stderr, _) = err.join().expect("stderr reader");
    let report_text = std::fs::read_to_string(&time_out).unwrap_or_default();
    // GNU time prints "Command exited with non-zero status N" before the figure when the status is not 0.
    let peak_kib = report_text.lines().filter_map(|l| l.trim().parse().ok()).next_back().unwrap_or(0);
    let code = status.and_then(|s| s.code());
    Run { code, stdout, stderr, stdout_len, elapsed, peak_kib }
}

/// `args` as the `&OsStr` list [`measure`] takes.
pub fn os<'a>(args: &'a [&'a str]) -> Vec<&'a std::ffi::OsStr> {
    args.iter().map(std::ffi::OsStr::new).collect()
}

/// English a library or the argument parser writes, which must never reach the clerk or IT.
const ENGLISH: [&str; 24] = [
    "panicked",
    "error:",
    "Error:",
    "Usage:",
    "usage:",
    "For more information",
    "unexpected argument",
    "invalid value",
    "invalid type",
    "missing field",
    "unknown field",
    "unknown variant",
    "expected",
    "os error",
    "No such file",
    "Is a directory",
    "Permission denied",
    "invalid digit",
    "TOML parse error",
    "at line",
    "File too large",
    "stream did not contain valid UTF-8",
    "invalid socket address",
    "required arguments were not provided",
];

impl Run {
    /// Both output streams, for the language checks.
    pub fn all_text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Ended by itself with `code`, within the time and memory promise.
    pub fn assert_ends(&self, code: i32) -> &Self {
        eprintln!("measured: exit {:?}, {:.2?}, peak {} MiB", self.code, self.elapsed, self.peak_kib / 1024);
        assert!(self.elapsed < TIME_LIMIT, "took {:?} (limit {TIME_LIMIT:?})\n{}", self.elapsed, self.all_text());
        assert!(self.peak_kib > 0, "GNU time reported the peak memory");
        assert!(
            self.peak_kib < MEMORY_LIMIT_KIB,
            "peak memory {} MiB (limit 200 MiB)\n{}",
            self.peak_kib / 1024,
            self.all_text()
        );
        assert_eq!(self.code, Some(code), "exit status\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }

    /// Every line written is pt-BR: no English library or parser text, no panic, and some Portuguese.
    pub fn assert_pt_br(&self) -> &Self {
        assert_pt_br(&self.all_text());
        self
    }

    /// The `{"error": {"code", "message"}}` a failing `lookup` or `batch` prints on stdout.
    pub fn error_json(&self) -> (String, String) {
        let v: serde_json::Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr));
        let code = v["error"]["code"].as_str().unwrap_or_else(|| panic!("an error object: {v}")).to_owned();
        (code, v["error"]["message"].as_str().unwrap_or_default().to_owned())
    }
}

/// Asserts that `text` holds no English library text and no panic (for output that need not be a message, such
/// as a lookup's JSON record).
pub fn assert_no_english(text: &str) {
    for english in ENGLISH {
        assert!(!text.contains(english), "English «{english}» reached the user:\n{text}");
    }
}

/// Asserts that `text` holds no English library text and no panic, and reads as Portuguese.
pub fn assert_pt_br(text: &str) {
    assert_no_english(text);
    const PT: [&str; 16] = [
        "serviço",
        "consulta",
        "não",
        "Não",
        "arquivo",
        "inválid",
        "linha",
        "Lote",
        "pasta",
        "perfil",
        "Perfil",
        "deve",
        "argumento",
        "comando",
        "opções",
        "valor",
    ];
    assert!(PT.iter().any(|w| text.contains(w)), "no Portuguese message:\n{text}");
}

/// Every file name left in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}
