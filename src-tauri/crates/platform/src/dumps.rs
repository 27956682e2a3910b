//! No crash dump of Balcão's memory (secrets, the history key, citizens' data): called first thing at start.
//!
//! - Linux: `RLIMIT_CORE` 0, soft and hard (no core file; every process started afterwards, WebKit's web and
//!   network processes included, inherits it and cannot raise it), and `PR_SET_DUMPABLE` 0 for the main process (no
//!   core even if a handler raises the limit, and no other process of the same user may read its memory through
//!   `/proc/<pid>/mem` or ptrace; root still can).
//! - macOS: `RLIMIT_CORE` 0 as on Linux; the signed app's hardened runtime already refuses debugger attachment.
//! - Windows: there is no per-process core limit. Crash dumps come from Windows Error Reporting, which keeps a full
//!   memory dump only where IT configured `LocalDumps` in the registry; the agency keeps that off for Balcão (see
//!   docs/security.md). Nothing is set here.

use std::io;

/// Forbids core dumps of this process and of every process it starts from now on. Errors say which step failed.
pub fn forbid_core_dumps() -> io::Result<()> {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: Some(0) })
            .map_err(|e| io::Error::other(format!("setrlimit(RLIMIT_CORE, 0): {e}")))?;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::process::{DumpableBehavior, set_dumpable_behavior};
        set_dumpable_behavior(DumpableBehavior::NotDumpable)
            .map_err(|e| io::Error::other(format!("prctl(PR_SET_DUMPABLE, 0): {e}")))?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn after_the_call_no_core_file_can_be_written_by_the_process_or_its_children() {
        forbid_core_dumps().expect("allowed for an unprivileged process too");
        use rustix::process::{Resource, Rlimit, getrlimit};
        assert_eq!(getrlimit(Resource::Core), Rlimit { current: Some(0), maximum: Some(0) });
        // A child (as WebKit's processes are) inherits the limit.
        let out = std::process::Command::new("sh").args(["-c", "ulimit -c; ulimit -H -c"]).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "0\n0\n");
        // Calling it again (a second start path) is harmless.
        forbid_core_dumps().expect("idempotent");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn after_the_call_the_main_process_is_not_dumpable() {
        forbid_core_dumps().unwrap();
        use rustix::process::{DumpableBehavior, dumpable_behavior};
        assert_eq!(dumpable_behavior().unwrap(), DumpableBehavior::NotDumpable);
    }
}
