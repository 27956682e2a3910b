//! Sizes: the release binaries, the `.deb` (when one was built), and the UI's JavaScript gzipped (all of it, and
//! what the first paint loads).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::sh::Result;

#[derive(Debug, Default)]
pub struct Sizes {
    pub balcao_bin: u64,
    pub hello_bin: u64,
    /// The newest `.deb` found, if any.
    pub deb: Option<(PathBuf, u64)>,
    /// (file name, raw bytes, gzip -9 bytes, loaded by index.html).
    pub js: Vec<(String, u64, u64, bool)>,
    pub css_gz: u64,
}

impl Sizes {
    pub fn js_gz_total(&self) -> u64 {
        self.js.iter().map(|j| j.2).sum()
    }
    pub fn js_gz_first_paint(&self) -> u64 {
        self.js.iter().filter(|j| j.3).map(|j| j.2).sum()
    }
}

pub fn measure(balcao_bin: &Path, hello_bin: &Path, target: &Path, dist: &Path) -> Result<Sizes> {
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).map_err(|e| format!("{}: {e}", p.display()));
    let mut s = Sizes { balcao_bin: len(balcao_bin)?, hello_bin: len(hello_bin)?, ..Sizes::default() };
    s.deb = newest_deb(&[target.join("release/bundle/deb"), crate::sh::root().join("artifacts")]);
    let index = std::fs::read_to_string(dist.join("index.html"))
        .map_err(|e| format!("ui/dist/index.html: {e} (build the UI)"))?;
    let assets = dist.join("assets");
    let mut names: Vec<String> = std::fs::read_dir(&assets)
        .map_err(|e| format!("{}: {e}", assets.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let path = assets.join(&name);
        if name.ends_with(".js") {
            let first = index.contains(&format!("/assets/{name}"));
            s.js.push((name, len(&path)?, gzip_len(&path)?, first));
        } else if name.ends_with(".css") && index.contains(&format!("/assets/{name}")) {
            s.css_gz += gzip_len(&path)?;
        }
    }
    Ok(s)
}

fn newest_deb(dirs: &[PathBuf]) -> Option<(PathBuf, u64)> {
    dirs.iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|r| r.flatten())
        .filter(|e| e.path().extension().is_some_and(|x| x == "deb"))
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((e.path(), m.len(), m.modified().ok()?))
        })
        .max_by_key(|d| d.2)
        .map(|(p, n, _)| (p, n))
}

/// Bytes of `gzip -9` of a file (what the UI's budget script counts).
pub fn gzip_len(path: &Path) -> Result<u64> {
    let out = Command::new("gzip").args(["-9", "-c", "-n"]).arg(path).output().map_err(|e| format!("gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip {} failed", path.display()));
    }
    Ok(out.stdout.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::gzip_len;

    #[test]
    fn gzip_shrinks_repetitive_text() {
        let dir = std::env::temp_dir().join(format!("xtask-gzip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.js");
        std::fs::write(&f, "const a = 1;\n".repeat(1000)).unwrap();
        let n = gzip_len(&f).unwrap();
        assert!(n > 20 && n < 200, "{n}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
