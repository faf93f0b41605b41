//! The administrator's posture page and the staff records behind it: the clinic's standing
//! against the MHLW guideline 6.0 technical items (devices as the clinic server last heard from
//! them), recording training, drills and reviews, (the CSV for an inspector is `mamori training export`).

use chrono::NaiveDate;
use mamori_core::clinic::{PostureItem, ReviewKind, ReviewRecord, TrainingKind, TrainingRecord};
use mamori_sync::device_overview::{for_posture, overview};
use tauri::State;

use crate::error::UiResult;
use crate::state::AppState;

#[tauri::command]
pub async fn posture(state: State<'_, AppState>) -> UiResult<Vec<PostureItem>> {
    let state: &AppState = &state;
    state.with_session_reaching(|clinic| {
        clinic.authorize_admin()?;
        let devices = match super::devices::heard_from(state, clinic) {
            Some((reports, acks)) => {
                let now = chrono::Utc::now().timestamp();
                Some(for_posture(&overview(clinic.membership()?, clinic.device_id(), &reports, &acks, now)))
            }
            None => None,
        };
        Ok(clinic.posture(devices.as_deref())?)
    })
}

#[tauri::command]
pub async fn record_training(
    state: State<'_, AppState>,
    user: String,
    date: NaiveDate,
    kind: TrainingKind,
    topic: String,
    reported_test_mail: Option<bool>,
) -> UiResult<TrainingRecord> {
    state.with_session(|c| c.record_training(&user, date, kind, &topic, reported_test_mail))
}

#[tauri::command]
pub async fn record_review(
    state: State<'_, AppState>,
    kind: ReviewKind,
    date: NaiveDate,
    by: String,
    findings: String,
) -> UiResult<ReviewRecord> {
    state.with_session(|c| c.record_review(kind, date, &by, &findings))
}
