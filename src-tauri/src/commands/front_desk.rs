//! The front desk (受付): search, the day's list, registration, booking and check-in.

use chrono::{DateTime, Utc};
use mamori_core::clinic::Visit;
use mamori_core::domain::{Appointment, AppointmentInput, Clinician, Patient, PatientInput};
use mamori_core::search::PatientSummary;
use tauri::State;
use uuid::Uuid;

use crate::error::UiResult;
use crate::state::AppState;

/// As many results as fit on the screen at a glance.
const SEARCH_LIMIT: usize = 30;

#[tauri::command]
pub async fn search_patients(
    state: State<'_, AppState>,
    query: String,
    limit: Option<usize>,
) -> UiResult<Vec<PatientSummary>> {
    state.with_session(|c| c.search_patients(&query, limit.unwrap_or(SEARCH_LIMIT).min(100)))
}

#[tauri::command]
pub async fn todays_visits(state: State<'_, AppState>) -> UiResult<Vec<Visit>> {
    state.with_session(|c| c.todays_visits())
}

#[tauri::command]
pub async fn next_chart_no(state: State<'_, AppState>) -> UiResult<String> {
    state.with_session(|c| c.next_chart_no())
}

#[tauri::command]
pub async fn register_patient(state: State<'_, AppState>, input: PatientInput) -> UiResult<Patient> {
    state.with_session(|c| c.register_patient(&input))
}

#[tauri::command]
pub async fn update_patient(state: State<'_, AppState>, id: Uuid, input: PatientInput) -> UiResult<Patient> {
    state.with_session(|c| c.update_patient(id, &input))
}

#[tauri::command]
pub async fn patient(state: State<'_, AppState>, id: Uuid) -> UiResult<Patient> {
    state.with_session(|c| c.patient(id))
}

/// The doctors and nurses an appointment may name as the clinician in charge (logins and roles).
#[tauri::command]
pub async fn clinicians(state: State<'_, AppState>) -> UiResult<Vec<Clinician>> {
    state.with_session(|c| c.clinicians())
}

#[tauri::command]
pub async fn book_appointment(
    state: State<'_, AppState>,
    patient_id: Uuid,
    scheduled_at: DateTime<Utc>,
    purpose: String,
    kind: Option<String>,
    clinician: Option<String>,
) -> UiResult<Appointment> {
    let input = AppointmentInput {
        scheduled_at,
        purpose,
        kind: kind.unwrap_or_default(),
        clinician: clinician.unwrap_or_default(),
    };
    state.with_session(|c| c.book_appointment(patient_id, &input))
}

#[tauri::command]
pub async fn check_in(state: State<'_, AppState>, appointment_id: Uuid) -> UiResult<Appointment> {
    state.with_session(|c| c.check_in(appointment_id))
}

#[tauri::command]
pub async fn check_in_walk_in(state: State<'_, AppState>, patient_id: Uuid, purpose: String) -> UiResult<Appointment> {
    state.with_session(|c| c.check_in_walk_in(patient_id, &purpose))
}
