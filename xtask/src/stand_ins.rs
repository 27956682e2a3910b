//! Stand-ins for the desktop's D-Bus services in the e2e session, which a headless display does not have:
//! `org.freedesktop.Notifications` and `org.freedesktop.FileManager1`, each recording every call it gets (one JSON
//! line per call) in a file the tests read.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;
use zbus::zvariant::OwnedValue;

use crate::sh::Result;

/// The file the notification stand-in appends to, in the calls folder.
pub const NOTIFICATIONS: &str = "notifications.jsonl";
/// The file the file-manager stand-in appends to, in the calls folder.
pub const FILE_MANAGER: &str = "file-manager.jsonl";

fn record(file: &Path, line: &serde_json::Value) {
    let written =
        std::fs::OpenOptions::new().create(true).append(true).open(file).and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        eprintln!("stand-in: {}: {e}", file.display());
    }
}

struct Notifications {
    file: PathBuf,
    next_id: u32,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &mut self,
        app_name: String,
        replaces_id: u32,
        app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        expire_timeout: i32,
    ) -> u32 {
        self.next_id = self.next_id.saturating_add(1);
        let mut hint_names: Vec<&String> = hints.keys().collect();
        hint_names.sort();
        record(
            &self.file,
            &json!({
                "method": "Notify", "appName": app_name, "replacesId": replaces_id, "appIcon": app_icon,
                "summary": summary, "body": body, "actions": actions, "hints": hint_names,
                "expireTimeout": expire_timeout,
            }),
        );
        self.next_id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".to_owned()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("balcao-e2e".to_owned(), "Balcão".to_owned(), "1".to_owned(), "1.2".to_owned())
    }

    fn close_notification(&self, _id: u32) {}
}

struct FileManager {
    file: PathBuf,
}

#[zbus::interface(name = "org.freedesktop.FileManager1")]
impl FileManager {
    fn show_items(&self, uris: Vec<String>, startup_id: String) {
        record(&self.file, &json!({ "method": "ShowItems", "uris": uris, "startupId": startup_id }));
    }

    fn show_folders(&self, uris: Vec<String>, startup_id: String) {
        record(&self.file, &json!({ "method": "ShowFolders", "uris": uris, "startupId": startup_id }));
    }

    fn show_item_properties(&self, uris: Vec<String>, startup_id: String) {
        record(&self.file, &json!({ "method": "ShowItemProperties", "uris": uris, "startupId": startup_id }));
    }
}

/// Both stand-ins, served on the session bus at `bus` while this value lives; calls recorded under `dir`.
pub struct StandIns {
    _conn: zbus::blocking::Connection,
}

impl std::fmt::Debug for StandIns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StandIns")
    }
}

pub fn start(bus: &str, dir: &Path) -> Result<StandIns> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let failed = |e: zbus::Error| format!("D-Bus stand-ins: {e}");
    let conn = zbus::blocking::connection::Builder::address(bus)
        .map_err(failed)?
        .serve_at("/org/freedesktop/Notifications", Notifications { file: dir.join(NOTIFICATIONS), next_id: 0 })
        .map_err(failed)?
        .serve_at("/org/freedesktop/FileManager1", FileManager { file: dir.join(FILE_MANAGER) })
        .map_err(failed)?
        .name("org.freedesktop.Notifications")
        .map_err(failed)?
        .name("org.freedesktop.FileManager1")
        .map_err(failed)?
        .build()
        .map_err(failed)?;
    Ok(StandIns { _conn: conn })
}
