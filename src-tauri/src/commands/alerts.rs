//! The administrator's insider-detection alerts: the list (after a fresh scan of this
//! computer's audit log), acknowledging one with a comment, and the day's summary. The core
//! decides who may; the detector runs there.

use mamori_core::alerts::{AlertFilter, AlertSummary, AlertView};
use tauri::State;

use crate::error::UiResult;
use crate::state::AppState;

#[tauri::command]
pub async fn insider_alerts(state: State<'_, AppState>, filter: AlertFilter) -> UiResult<Vec<AlertView>> {
    state.with_session(|c| c.alerts(&filter))
}

#[tauri::command]
pub async fn acknowledge_alert(state: State<'_, AppState>, id: String, comment: String) -> UiResult<()> {
    state.with_session(|c| c.acknowledge_alert(&id, &comment))
}

#[tauri::command]
pub async fn alert_summary(state: State<'_, AppState>) -> UiResult<AlertSummary> {
    state.with_session(|c| c.alert_summary())
}
