//! The real `balcao-cli` binary, running (`sim`), as the kernel sees it: no core file size, not dumpable.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A field of /proc/PID/status, e.g. `Uid`.
fn status_field(pid: u32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap_or_default().to_owned();
    line.split_whitespace().nth(1).unwrap_or_default().to_owned()
}

#[test]
fn a_running_balcao_cli_has_no_core_file_size_and_is_not_dumpable() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_balcao-cli"));
    cmd.args(["sim", "--addr", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::null());
    // Run as an unprivileged user, so the dumpable flag shows: the kernel hands a non-dumpable process's /proc
    // entries to root instead of to the process's own user.
    let as_root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    if as_root {
        cmd.uid(65534).gid(65534);
    }
    let mut child = Running(cmd.spawn().expect("balcao-cli starts"));
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("http://127.0.0.1:"), "the simulator is up: {line:?}");
    let pid = child.0.id();

    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    assert_eq!(core.split_whitespace().skip(4).take(2).collect::<Vec<_>>(), ["0", "0"], "soft and hard: {core}");

    let uid: u32 = status_field(pid, "Uid").parse().unwrap();
    assert_ne!(uid, 0, "the process runs as an unprivileged user");
    let owner = std::fs::metadata(format!("/proc/{pid}/status")).unwrap().uid();
    assert_eq!(owner, 0, "not dumpable: /proc/{pid} belongs to root, not to the process's user {uid}");
    if as_root {
        // The memory benchmark (as root) still reads a non-dumpable process's memory.
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap();
        assert!(rollup.contains("Pss:"), "{rollup}");
    }
}
