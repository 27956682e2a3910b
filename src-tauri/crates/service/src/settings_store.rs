//! The settings file (settings.json in the data folder): agency policy, clerk, profiles — never a secret.

use std::path::{Path, PathBuf};

use balcao_core::api::Settings;
use balcao_core::profile::Profile;
use balcao_core::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};

/// What settings.json holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SettingsFile {
    pub settings: Settings,
    /// Profiles configured in the app or provisioned by IT (the built-in Demonstração is not stored).
    pub profiles: Vec<Profile>,
    /// The agency's rules about clerks (until the managed policy of #17 provides them).
    pub clerk_policy: crate::clerks::ClerkPolicy,
    /// Clerks added on this PC (Configurações), when the policy allows.
    pub clerks: Vec<crate::clerks::Clerk>,
}

#[derive(Debug, Clone)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    pub fn new(data_dir: &Path) -> Self {
        Self { path: data_dir.join("settings.json") }
    }

    /// Reads the file; a missing file gives the defaults, an unreadable one is an error that names the file.
    pub fn load(&self) -> Result<SettingsFile, AppError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                AppError::new(
                    ErrorCode::Config,
                    format!("O arquivo de configurações {} está corrompido ({e}). Avise a TI.", self.path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SettingsFile::default()),
            Err(e) => {
                Err(AppError::new(ErrorCode::Config, format!("Não foi possível ler {}: {e}.", self.path.display())))
            }
        }
    }

    /// Writes atomically (temporary file, then rename), so a crash never leaves half a file; private to the user
    /// (0600 on Unix: it holds the clerk's CPF).
    pub fn save(&self, file: &SettingsFile) -> Result<(), AppError> {
        let text = serde_json::to_string_pretty(file).map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?;
        let tmp = self.path.with_extension("json.tmp");
        let write = || -> std::io::Result<()> {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut f = balcao_platform::create_private_file(&tmp)?;
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            AppError::new(ErrorCode::Config, format!("Não foi possível gravar {}: {e}.", self.path.display()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::new(dir.path());
        assert_eq!(store.load().unwrap(), SettingsFile::default());
        let mut f = SettingsFile::default();
        f.settings.purpose_required = true;
        f.settings.clerk_cpf = Some("40442820135".into());
        store.save(&f).unwrap();
        assert_eq!(store.load().unwrap(), f);
    }

    #[test]
    fn corrupt_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.json"), "{not json").unwrap();
        let e = SettingsStore::new(dir.path()).load().unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains("corrompido"));
    }
}
