//! Commands of the Consulta screen: app and status info, local validation, the lookup itself.

use balcao_core::AppError;
use balcao_core::api::{AppInfo, LookupRequest, LookupResponse, StatusInfo, Validation};
use tauri::State;

use crate::AppState;

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, AppError> {
    Ok(state.get().await?.lookup().app_info().await)
}

#[tauri::command]
pub async fn status_info(state: State<'_, AppState>) -> Result<StatusInfo, AppError> {
    Ok(state.get().await?.lookup().status_info().await)
}

/// The UI reports when the input is focused and ready (read by the start-up benchmark).
#[tauri::command]
pub fn ui_ready(millis: f64) {
    balcao_service::report_ui_ready(millis);
}

#[tauri::command]
pub fn validate_input(input: String) -> Validation {
    balcao_service::validate(&input)
}

#[tauri::command]
pub async fn lookup(state: State<'_, AppState>, request: LookupRequest) -> Result<LookupResponse, AppError> {
    state.get().await?.lookup().lookup(request).await
}
