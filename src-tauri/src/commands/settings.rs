//! Commands of the Configurações screen: profiles, credentials (write-only) and agency settings.

use balcao_command::command;
use balcao_core::AppError;
use balcao_core::api::{AppInfo, Settings};
use balcao_core::profile::{Profile, ProfileEntry};
use balcao_core::record::ApiKind;
use tauri::State;

use crate::AppState;

#[command]
pub async fn profiles_list(state: State<'_, AppState>) -> Result<Vec<ProfileEntry>, AppError> {
    Ok(state.get().await?.profiles().entries().await)
}

#[command]
pub async fn profile_save(state: State<'_, AppState>, profile: Profile) -> Result<(), AppError> {
    state.get().await?.profiles().save(profile).await
}

#[command]
pub async fn profile_delete(state: State<'_, AppState>, id: String) -> Result<(), AppError> {
    state.get().await?.profiles().delete(&id).await
}

#[command]
pub async fn profile_activate(state: State<'_, AppState>, id: String) -> Result<AppInfo, AppError> {
    state.get().await?.profiles().activate(&id).await
}

#[command]
pub async fn profile_set_credentials(
    state: State<'_, AppState>,
    id: String,
    client_id: String,
    client_secret: String,
    api: Option<ApiKind>,
) -> Result<(), AppError> {
    state.get().await?.profiles().set_credentials_for(&id, api, client_id, client_secret.into()).await
}

#[command]
pub async fn profile_test(state: State<'_, AppState>, id: String) -> Result<String, AppError> {
    state.get().await?.profiles().test(&id).await
}

#[command]
pub async fn settings_get(state: State<'_, AppState>) -> Result<Settings, AppError> {
    Ok(state.get().await?.settings().get().await)
}

#[command]
pub async fn settings_save(state: State<'_, AppState>, settings: Settings) -> Result<(), AppError> {
    state.get().await?.settings().save(settings).await
}
