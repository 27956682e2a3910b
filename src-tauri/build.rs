//! Generates one permission per app command (`allow-<command>`), so the capability can list exactly Balcão's commands.

const COMMANDS: &[&str] = &[
    "app_info",
    "status_info",
    "ui_ready",
    "validate_input",
    "lookup",
    "history_search",
    "history_get",
    "history_previous",
    "history_purge",
    "history_export",
    "history_stats",
    "compare_records",
    "check_declaration",
    "find_partner",
    "profiles_list",
    "profile_save",
    "profile_delete",
    "profile_activate",
    "profile_set_credentials",
    "profile_test",
    "settings_get",
    "settings_save",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
