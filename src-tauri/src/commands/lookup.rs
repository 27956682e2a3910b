//! Commands of the Consulta screen: app and status info, the lookup itself.

use balcao_command::command;
use balcao_core::AppError;
use balcao_core::api::{AppInfo, LookupRequest, LookupResponse, StatusInfo};
use tauri::State;

use crate::{Activity, AppState};

#[command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, AppError> {
    Ok(state.get().await?.lookup().app_info().await)
}

#[command]
pub async fn status_info(state: State<'_, AppState>) -> Result<StatusInfo, AppError> {
    Ok(state.get().await?.lookup().status_info().await)
}

/// The UI reports when the input is focused and ready (read by the start-up benchmark).
#[command]
pub fn ui_ready(millis: f64) {
    balcao_service::report_ui_ready(millis);
}

/// Looks a number up; counted as running work until it answers, so that an update never installs in the middle.
#[command]
pub async fn lookup(
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
    request: LookupRequest,
) -> Result<LookupResponse, AppError> {
    let _busy = activity.begin();
    state.get().await?.lookup().lookup(request).await
}
