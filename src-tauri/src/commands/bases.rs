//! Commands of «Outras bases» (#19): which declared bases apply after a lookup, the call to one, and the answers
//! kept with a history entry.

use balcao_command::command;
use balcao_core::extra_base::{BaseAnswer, BaseLookupRequest, BaseLookupResponse, BaseOffer};
use balcao_core::{AppError, DocKind};
use tauri::State;

use crate::{Activity, AppState};

#[command]
pub async fn bases_offers(state: State<'_, AppState>, kind: DocKind) -> Result<Vec<BaseOffer>, AppError> {
    Ok(state.get().await?.bases().offers(kind).await)
}

/// Asks one extra base about the number just looked up; counted as running work, like a lookup.
#[command]
pub async fn bases_lookup(
    state: State<'_, AppState>,
    activity: State<'_, Activity>,
    request: BaseLookupRequest,
) -> Result<BaseLookupResponse, AppError> {
    let _busy = activity.begin();
    state.get().await?.bases().lookup(request).await
}

#[command]
pub async fn bases_of_entry(state: State<'_, AppState>, id: i64) -> Result<Vec<BaseAnswer>, AppError> {
    state.get().await?.bases().of_entry(id).await
}

/// Writes the own credential of a profile's extra base (`credential = "own"`) to the OS keyring, bound to the base's
/// origin and token path; never read back.
#[command]
pub async fn profile_set_base_credentials(
    state: State<'_, AppState>,
    id: String,
    base_id: String,
    client_id: String,
    client_secret: String,
) -> Result<(), AppError> {
    state.get().await?.profiles().set_base_credentials(&id, &base_id, client_id, client_secret.into()).await
}
