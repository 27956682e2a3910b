//! A process and its descendants from /proc: the tree, each process's RSS and PSS, ending it by pid.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

/// The memory of one process (kB, from /proc/PID/smaps_rollup).
#[derive(Debug, Clone, PartialEq)]
pub struct ProcMem {
    pub pid: u32,
    pub name: String,
    pub rss_kb: u64,
    pub pss_kb: u64,
}

/// `pid` and every live descendant, parents first.
pub fn tree(pid: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
            if let Some((ppid, _)) = stat(p) {
                children.entry(ppid).or_default().push(p);
            }
        }
    }
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        if let Some(c) = children.get(&out[i]) {
            out.extend(c.iter().copied());
        }
        i += 1;
    }
    out
}

/// (parent pid, state) of a process, from /proc/PID/stat.
fn stat(pid: u32) -> Option<(u32, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((ppid, state))
}

/// CPU time (user + system, ms) used so far by every process in the tree of `pid`, from /proc/PID/stat (clock
/// ticks of 10 ms: coarse, but unlike wall time it does not grow when other work takes the cores).
pub fn cpu_ms(pid: u32) -> f64 {
    tree(pid)
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            let rest = &text[text.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            // After the comm: state(0) ppid(1) … utime(11) stime(12).
            Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
        })
        .sum::<f64>()
        * 10.0
}

/// Whether the process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(_, s)| s != 'Z' && s != 'X')
}

/// The memory of every process in the tree of `pid`.
pub fn memory(pid: u32) -> Vec<ProcMem> {
    tree(pid).into_iter().filter_map(mem_of).collect()
}

fn mem_of(pid: u32) -> Option<ProcMem> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| {
        rollup
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_owned();
    Some(ProcMem { pid, name, rss_kb: field("Rss:"), pss_kb: field("Pss:") })
}

/// Sends a signal to one process by pid.
pub fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill").args([&format!("-{sig}"), &pid.to_string()]).status();
}

/// Waits until none of `pids` is alive; the ones left after `timeout` get SIGKILL. Returns how many needed it.
pub fn reap(pids: &[u32], timeout: Duration) -> usize {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if pids.iter().all(|&p| !alive(p)) {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<u32> = pids.iter().copied().filter(|&p| alive(p)).collect();
    for &p in &left {
        signal(p, "KILL");
    }
    left.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shell_and_its_sleeping_child_are_one_tree_with_memory() {
        let mut child = Command::new("sh").args(["-c", "sleep 30 & wait"]).spawn().expect("sh");
        let pid = child.id();
        let start = Instant::now();
        while tree(pid).len() < 2 && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let t = tree(pid);
        assert_eq!(t.len(), 2, "sh and sleep");
        let mem = memory(pid);
        assert_eq!(mem.len(), 2);
        assert!(mem.iter().all(|m| m.rss_kb > 0 && m.pss_kb > 0 && m.pss_kb <= m.rss_kb));
        assert!(mem.iter().any(|m| m.name == "sleep"));
        assert!(cpu_ms(pid) >= 0.0 && cpu_ms(pid).is_finite());
        signal(t[1], "TERM");
        signal(pid, "TERM");
        let _ = child.wait();
        assert_eq!(reap(&t, Duration::from_secs(5)), 0);
        assert!(!alive(t[1]));
    }
}
