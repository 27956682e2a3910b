//! The command table: every command the webview may call (each has its own permission in capabilities/main.json),
//! behind the idle lock's gate.

mod batch;
mod compare;
mod history;
mod lookup;
mod settings;

use tauri::ipc::Invoke;
use tauri::{Manager, Runtime};

use crate::{AppState, activity, diagnostics, idle_lock, state, updater};

/// The Consulta screen's lookup command, called by [`activity::tracked_lookup`].
pub(crate) use lookup::lookup as lookup_command;

pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    let inner = typed::<R, _>(tauri::generate_handler![
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
        idle_lock::lock_status,
        idle_lock::lock_now,
        idle_lock::lock_unlock,
        idle_lock::lock_set_pin,
        idle_lock::clerks_list,
        idle_lock::clerk_sign_in,
        idle_lock::clerk_switch,
        idle_lock::clerk_add,
        idle_lock::clerk_remove,
        idle_lock::clerk_set_pin,
        state::app_health,
        state::app_retry,
        updater::update_status,
        updater::update_check,
        updater::update_install,
        diagnostics::diagnostics,
        batch::batch_choose_file,
        batch::batch_open_dropped,
        batch::batch_refresh,
        batch::window_drops,
        batch::batch_start,
        batch::batch_progress,
        batch::batch_cancel,
        batch::batch_saved,
        batch::batch_resume,
        batch::batch_export,
        batch::batch_discard,
    ]);
    move |invoke: Invoke<R>| {
        // Fails closed: without the state, or before start-up has read the lock, only harmless commands run.
        let services = invoke.message.webview_ref().try_state::<AppState>().and_then(|s| s.started());
        let refuse = !idle_lock::allowed(services.as_deref(), invoke.message.command());
        if refuse {
            invoke.resolver.reject(idle_lock::locked_error());
            return true;
        }
        if invoke.message.command() == "lookup" {
            // Counted as running work, so that an update never installs in the middle of a lookup.
            activity::tracked_lookup(invoke);
            return true;
        }
        inner(invoke)
    }
}

/// Names the handler's argument type (the generated closure cannot infer it in a generic function).
fn typed<R: Runtime, F: Fn(Invoke<R>) -> bool>(f: F) -> F {
    f
}
