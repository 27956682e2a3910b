//! The command table: every command the webview may call (each has its own permission in capabilities/main.json).

mod compare;
mod history;
mod lookup;
mod settings;

pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        lookup::app_info,
        lookup::status_info,
        lookup::ui_ready,
        lookup::validate_input,
        lookup::lookup,
        history::history_search,
        history::history_get,
        history::history_previous,
        history::history_purge,
        history::history_export,
        history::history_stats,
        compare::compare_records,
        compare::check_declaration,
        compare::find_partner,
        settings::profiles_list,
        settings::profile_save,
        settings::profile_delete,
        settings::profile_activate,
        settings::profile_set_credentials,
        settings::profile_test,
        settings::settings_get,
        settings::settings_save,
    ]
}
