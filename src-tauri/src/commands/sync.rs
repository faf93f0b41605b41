//! Sync in the window: its status for the status bar, a round at once, and the records edited on
//! two devices at once, with the choice between their versions (itself a change, like any other).

use std::collections::BTreeMap;

use mamori_core::clinic::PatientConflict;
use mamori_core::domain::Patient;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;
use uuid::Uuid;

use crate::error::UiResult;
use crate::state::AppState;
use crate::sync_service::SyncStatus;

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> UiResult<SyncStatus> {
    Ok(state.sync.status())
}

/// Asks for a round now; the status shows when it has run.
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> UiResult<SyncStatus> {
    state.sync.poke();
    Ok(state.sync.status())
}

/// A patient edited on two devices at once, with the name and chart number to recognise them.
#[derive(Serialize, TS)]
pub struct PatientConflictView {
    pub chart_no: String,
    pub name: String,
    #[serde(flatten)]
    #[ts(flatten)]
    pub conflict: PatientConflict,
}

/// The patients in conflict this user may read (reception, doctors; nurses read them too).
#[tauri::command]
pub async fn patient_conflicts(state: State<'_, AppState>) -> UiResult<Vec<PatientConflictView>> {
    state.with_session(|clinic| {
        let flagged: Vec<Uuid> = clinic
            .conflicts()?
            .into_iter()
            .filter(|c| c.kind == "patient")
            .filter_map(|c| Uuid::parse_str(&c.id).ok())
            .collect();
        flagged
            .into_iter()
            .map(|id| {
                let conflict = clinic.patient_conflict(id)?;
                let patient = clinic.patient(id)?;
                Ok(PatientConflictView {
                    chart_no: patient.chart_no.clone(),
                    name: format!("{} {}", patient.family_name, patient.given_name),
                    conflict,
                })
            })
            .collect()
    })
}

/// Settles a patient in conflict with the value chosen for each field (field → change id).
#[tauri::command]
pub async fn resolve_conflict(
    state: State<'_, AppState>,
    patient_id: Uuid,
    picks: BTreeMap<String, String>,
) -> UiResult<Patient> {
    let patient = state.with_session(|clinic| clinic.resolve_patient_conflict(patient_id, &picks))?;
    state.sync.poke();
    Ok(patient)
}
