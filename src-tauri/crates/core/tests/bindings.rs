//! Fails when the TypeScript bindings committed under `ui/src/lib/bindings` differ from what the Rust types generate.
//! Regenerate with `cargo xtask bindings` (which runs this test with `BALCAO_BLESS=1`). Integers are TypeScript
//! `number`s: ids and counters cross IPC as JSON numbers. `commands.ts` in the same folder is the shell's (generated
//! from its command declaration by its own test) and is left alone here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use balcao_core::{api, error, record};
use ts_rs::TS;

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ui/src/lib/bindings")
}

/// Generated into the same folder by the shell's bindings test, not from these types.
const SHELL_OWNED: &[&str] = &["commands.ts"];

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ts") && !SHELL_OWNED.contains(&name.as_str()) {
                out.insert(name, std::fs::read_to_string(e.path()).expect("readable binding"));
            }
        }
    }
    out
}

#[test]
fn typescript_bindings_are_fresh() {
    let tmp = std::env::temp_dir().join(format!("balcao-bindings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let cfg = ts_rs::Config::new().with_out_dir(&tmp).with_large_int("number");
    macro_rules! export {
        ($($t:ty),* $(,)?) => { $( <$t>::export_all(&cfg).expect(stringify!($t)); )* };
    }
    export!(
        api::AppInfo,
        api::LookupRequest,
        api::LookupResponse,
        api::Validation,
        api::Settings,
        api::StatusInfo,
        api::HistoryStats,
        api::ExportKind,
        error::AppError,
        record::Record,
        record::Lookup,
        balcao_core::history_api::HistoryQuery,
        balcao_core::history_api::HistoryPage,
        balcao_core::history_api::HistoryEntry,
        balcao_core::history_api::RetentionPolicy,
        balcao_core::history_api::PurgeScope,
        balcao_core::history_api::PurgeResult,
        balcao_core::history_api::DailyStat,
        balcao_core::history_api::QuotaUsage,
        balcao_core::history_api::AuditPage,
        balcao_core::history_api::DayRange,
        balcao_core::profile::Profile,
        balcao_core::extra_base::BaseAnswer,
        balcao_core::extra_base::BaseOffer,
        balcao_core::extra_base::BaseLookupRequest,
        balcao_core::extra_base::BaseLookupResponse,
        balcao_core::profile::ProfileEntry,
        balcao_core::profile::CredentialsState,
        balcao_core::profile::ApiCredentialsState,
        balcao_core::profile::TokenStatus,
        balcao_core::profile::QuotaStatus,
        balcao_core::doc::DocError,
        balcao_core::compare::RecordDiff,
        balcao_core::compare::Declaration,
        balcao_core::compare::DeclarationCheck,
        balcao_core::compare::PartnerCheck,
        balcao_core::lock_api::LockStatus,
        balcao_core::lock_api::HealthIssue,
        balcao_core::lock_api::ClerksView,
        balcao_core::lock_api::UpdateCheck,
        balcao_core::lock_api::UpdateProgress,
        balcao_core::batch_api::BatchOptions,
        balcao_core::batch_api::BatchPreview,
        balcao_core::batch_api::BatchProgress,
        balcao_core::batch_api::BatchSaved,
    );
    let generated = read_dir(&tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(generated.len() > 5, "ts-rs exported too little: {:?}", generated.keys());
    let dir = committed_dir();
    if std::env::var_os("BALCAO_BLESS").is_some() {
        std::fs::create_dir_all(&dir).expect("bindings dir");
        for name in read_dir(&dir).keys().filter(|k| !generated.contains_key(*k)) {
            std::fs::remove_file(dir.join(name)).expect("remove a stale binding");
        }
        for (name, text) in &generated {
            std::fs::write(dir.join(name), text).expect("write binding");
        }
        return;
    }
    let committed = read_dir(&dir);
    let stale: Vec<_> =
        generated.keys().chain(committed.keys()).filter(|k| generated.get(*k) != committed.get(*k)).collect();
    assert!(stale.is_empty(), "stale TypeScript bindings {stale:?}: run `cargo xtask bindings` and commit the result");
}
