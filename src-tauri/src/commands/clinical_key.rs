//! Passing the clinical key to a new colleague: a doctor or nurse sees who waits for it and
//! confirms them after checking their name, role and key fingerprint with them in person.

use mamori_core::clinic::PendingRecipient;
use tauri::State;

use crate::error::UiResult;
use crate::state::AppState;

#[tauri::command]
pub async fn pending_recipients(state: State<'_, AppState>) -> UiResult<Vec<PendingRecipient>> {
    state.with_session(|c| c.pending_recipients())
}

#[tauri::command]
pub async fn confirm_recipient(state: State<'_, AppState>, user: String, fingerprint: String) -> UiResult<()> {
    state.with_session(|c| c.confirm_recipient(&user, &fingerprint))
}
