//! The settings file (settings.json in the data folder): agency policy, clerk, profiles — never a secret.

use std::path::{Path, PathBuf};

use balcao_core::api::Settings;
use balcao_core::error::FieldProblem;

use crate::errors::{cause_chain, internal, io_failure};
use balcao_core::profile::Profile;
use balcao_core::{AppError, ErrorCode};
use balcao_platform::LimitedReadError;
use serde::{Deserialize, Serialize};
use serde_json::error::Category;

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

/// The most settings.json may weigh: 500 profiles of a few hundred bytes and the clerks fit many times over.
pub const MAX_SETTINGS_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Why settings.json could not be read. Typed, with the library's error as its source (for the log); the clerk
/// and IT see [`SettingsFileError::into_app_error`]'s pt-BR message.
#[derive(Debug, thiserror::Error)]
pub enum SettingsFileError {
    #[error("settings file unreadable")]
    Read(#[source] std::io::Error),
    #[error("settings file is a folder")]
    Folder,
    #[error("settings file too large ({bytes} bytes)")]
    TooLarge { bytes: u64 },
    #[error("settings file is not valid JSON (line {line}, column {column})")]
    Syntax {
        line: usize,
        column: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("settings file field {field} (line {line}): {problem}")]
    Field {
        field: String,
        line: usize,
        problem: String,
        #[source]
        source: serde_json::Error,
    },
}

impl SettingsFileError {
    /// The pt-BR `Config` error naming `file`, the line and the field; the whole cause chain goes to the log.
    pub fn into_app_error(self, file: &Path) -> AppError {
        tracing::warn!(file = %file.display(), error = %cause_chain(&self), "settings file refused");
        let name = file.display();
        let message = match self {
            SettingsFileError::Read(e) => format!(
                "Não foi possível ler o arquivo de configurações {name}: {}. Avise a TI.",
                balcao_core::error::io_reason(&e)
            ),
            SettingsFileError::Folder => format!(
                "O arquivo de configurações {name} é uma pasta, não um arquivo. Remova ou renomeie a pasta (o \
                 Balcão cria o arquivo de novo) ou avise a TI."
            ),
            SettingsFileError::TooLarge { bytes } => format!(
                "O arquivo de configurações {name} é grande demais ({} KiB; no máximo {} KiB). Avise a TI.",
                bytes / 1024,
                MAX_SETTINGS_FILE_BYTES / 1024
            ),
            SettingsFileError::Syntax { line, column, .. } => format!(
                "O arquivo de configurações {name} está corrompido: não é um JSON válido (linha {line}, coluna \
                 {column}; vírgula, aspas ou chave faltando?). Corrija o arquivo ou avise a TI."
            ),
            SettingsFileError::Field { field, line, problem, .. } => format!(
                "O arquivo de configurações {name} tem um erro na linha {line}, campo «{field}»: {problem}. \
                 Corrija o arquivo ou avise a TI."
            ),
        };
        AppError::new(ErrorCode::Config, message)
    }
}

#[derive(Debug, Clone)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    pub fn new(data_dir: &Path) -> Self {
        Self { path: data_dir.join("settings.json") }
    }

    /// Reads the file; a missing file gives the defaults. What the clerk or IT can get wrong in it (a folder in its
    /// place, malformed JSON, a missing field, a wrong type) is a pt-BR `Config` error naming the file, the line and
    /// the field; the library's own text goes to the log ([`SettingsFileError::into_app_error`]).
    pub fn load(&self) -> Result<SettingsFile, AppError> {
        self.read().map_err(|e| e.into_app_error(&self.path))
    }

    /// [`SettingsStore::load`] with its typed error.
    pub fn read(&self) -> Result<SettingsFile, SettingsFileError> {
        let bytes = match balcao_platform::read_limited(&self.path, MAX_SETTINGS_FILE_BYTES) {
            Ok(b) => b,
            Err(LimitedReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SettingsFile::default());
            }
            Err(LimitedReadError::Io(e)) => return Err(SettingsFileError::Read(e)),
            Err(LimitedReadError::Folder) => return Err(SettingsFileError::Folder),
            Err(LimitedReadError::TooLarge { bytes }) => return Err(SettingsFileError::TooLarge { bytes }),
        };
        let mut json = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut json).map_err(|e| {
            let field = e.path().to_string();
            let source = e.into_inner();
            let (line, column) = (source.line(), source.column());
            match source.classify() {
                Category::Data => {
                    let problem = FieldProblem::from_serde(&source.to_string());
                    let field = match (field.as_str(), problem.field) {
                        (".", Some(f)) => f,
                        (".", None) => "(raiz)".to_owned(),
                        (path, Some(f)) => format!("{path}.{f}"),
                        (path, None) => path.to_owned(),
                    };
                    SettingsFileError::Field { field, line, problem: problem.problem, source }
                }
                Category::Syntax | Category::Eof | Category::Io => SettingsFileError::Syntax { line, column, source },
            }
        })
    }

    /// Writes atomically (temporary file, then rename), so a crash never leaves half a file; private to the user
    /// (0600 on Unix: it holds the clerk's CPF).
    pub fn save(&self, file: &SettingsFile) -> Result<(), AppError> {
        let text = serde_json::to_string_pretty(file)
            .map_err(|e| internal("Não foi possível preparar as configurações para gravar.", &e))?;
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
        write().map_err(|e| io_failure(ErrorCode::Config, "Não foi possível gravar", &self.path, &e))
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

    /// English a library writes, which must never reach the clerk or IT.
    const ENGLISH: [&str; 10] = [
        "expected",
        "invalid type",
        "missing field",
        "at line",
        "trailing",
        "EOF",
        "key must be",
        "Is a directory",
        "os error",
        "unknown variant",
    ];

    /// Loads `text` as settings.json and returns the pt-BR message, checked for the file's name and no English.
    fn refused(text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, text).unwrap();
        let e = SettingsStore::new(dir.path()).load().unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains(&path.display().to_string()), "names the file: {}", e.message);
        for english in ENGLISH {
            assert!(!e.message.contains(english), "English «{english}» in: {}", e.message);
        }
        e.message
    }

    #[test]
    fn malformed_json_names_the_file_line_and_column_in_pt_br() {
        let m = refused("{\n  \"settings\": {\n    \"purposeRequired\": true,\n  }\n}");
        assert!(m.contains("corrompido") && m.contains("linha 4"), "{m}");
    }

    #[test]
    fn a_missing_field_names_the_file_line_and_field_in_pt_br() {
        let m = refused(
            "{\n  \"profiles\": [\n    {\"id\": \"p1\", \"name\": \"P\", \"provider\": \"serpro\", \"environment\": \"homologacao\"}\n  ]\n}",
        );
        assert!(m.contains("linha 3") && m.contains("campo «profiles[0].baseUrl»"), "{m}");
        assert!(m.contains("falta o campo obrigatório"), "{m}");
    }

    #[test]
    fn a_wrong_type_names_the_file_line_and_field_in_pt_br() {
        let m = refused("{\n  \"settings\": {\n    \"purposeRequired\": \"sim\"\n  }\n}");
        assert!(m.contains("linha 3") && m.contains("campo «settings.purposeRequired»"), "{m}");
        assert!(m.contains("tipo de valor errado (esperado true ou false)"), "{m}");
    }

    #[test]
    fn a_folder_where_the_file_was_expected_is_named_in_pt_br() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("settings.json")).unwrap();
        let e = SettingsStore::new(dir.path()).load().unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains("é uma pasta") && e.message.contains("settings.json"), "{}", e.message);
        for english in ENGLISH {
            assert!(!e.message.contains(english), "English «{english}» in: {}", e.message);
        }
    }

    #[test]
    fn the_librarys_text_stays_in_the_cause_chain_for_the_log() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.json"), r#"{"settings":{"purposeRequired":"sim"}}"#).unwrap();
        let e = SettingsStore::new(dir.path()).read().unwrap_err();
        let chain = cause_chain(&e);
        assert!(chain.contains("settings.purposeRequired") && chain.contains("invalid type"), "{chain}");
    }
}
