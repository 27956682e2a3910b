//! Files only the administrator may change (the agency's policy): who may write the file and its folder.

use std::path::{Path, PathBuf};

/// Why a file the administrator owns could be changed by someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminFileProblem {
    /// The group or other users may write it (the file, or its folder: a file could be put in its place).
    Writable { path: PathBuf, mode: u32 },
    /// It belongs to a user who is not the administrator (uid 0), nor, where allowed, the user running Balcão.
    Owner { path: PathBuf, uid: u32 },
}

/// The rule on one file or folder's mode and owner: writable by its owner only; owned by root, or by `euid` when
/// `root_only` is false (a folder redirected for tests belongs to whoever runs them).
pub fn admin_only(path: &Path, mode: u32, uid: u32, euid: u32, root_only: bool) -> Result<(), AdminFileProblem> {
    if mode & 0o022 != 0 {
        return Err(AdminFileProblem::Writable { path: path.to_owned(), mode: mode & 0o7777 });
    }
    if uid != 0 && (root_only || uid != euid) {
        return Err(AdminFileProblem::Owner { path: path.to_owned(), uid });
    }
    Ok(())
}

/// Checks `file` (following a link, as reading it does) and its folder with [`admin_only`]. A file or folder that
/// cannot be looked at is left to the reading that follows (which reports it). Only Unix has these modes; on
/// Windows the policy folder's ACLs are the installer's (see docs/deploy.md).
pub fn check_admin_file(file: &Path, root_only: bool) -> Result<(), AdminFileProblem> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let euid = rustix::process::geteuid().as_raw();
        let folder = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        for path in [folder, file] {
            if let Ok(m) = std::fs::metadata(path) {
                admin_only(path, m.mode(), m.uid(), euid, root_only)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (file, root_only);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_owner_may_write_and_the_owner_is_root_or_where_allowed_the_user_running_balcao() {
        let p = Path::new("/etc/balcao/policy.toml");
        assert_eq!(admin_only(p, 0o100644, 0, 1000, true), Ok(()));
        assert_eq!(admin_only(p, 0o40755, 0, 1000, true), Ok(()));
        for mode in [0o100664, 0o100646, 0o100666, 0o40775, 0o40777] {
            assert_eq!(
                admin_only(p, mode, 0, 1000, true),
                Err(AdminFileProblem::Writable { path: p.to_owned(), mode: mode & 0o7777 })
            );
        }
        // The clerk's own file is refused in the machine's folder, accepted in a redirected (test) folder.
        assert_eq!(
            admin_only(p, 0o100644, 1000, 1000, true),
            Err(AdminFileProblem::Owner { path: p.to_owned(), uid: 1000 })
        );
        assert_eq!(admin_only(p, 0o100644, 1000, 1000, false), Ok(()));
        // Another user's file never.
        assert_eq!(
            admin_only(p, 0o100644, 1001, 1000, false),
            Err(AdminFileProblem::Owner { path: p.to_owned(), uid: 1001 })
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_real_file_others_may_write_or_in_a_folder_others_may_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("policy.toml");
        std::fs::write(&f, "").unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(check_admin_file(&f, false), Ok(()));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(matches!(check_admin_file(&f, false), Err(AdminFileProblem::Writable { mode: 0o666, .. })));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(check_admin_file(&f, false), Err(AdminFileProblem::Writable { mode: 0o777, .. })));
    }
}
