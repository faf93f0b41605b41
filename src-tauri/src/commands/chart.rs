//! The chart: reading it, notes in the 2号用紙 layout, vitals, allergies, problems, prescriptions
//! (with Do処方) and break-the-glass. What a role may not touch is refused by the core.

use mamori_core::clinic::{BreakGlassGrant, Chart};
use mamori_core::domain::*;
use mamori_core::policy::Section;
use tauri::State;
use uuid::Uuid;

use crate::error::UiResult;
use crate::state::AppState;

#[tauri::command]
pub async fn chart(state: State<'_, AppState>, patient_id: Uuid) -> UiResult<Chart> {
    state.with_session(|c| c.chart(patient_id))
}

#[tauri::command]
pub async fn open_encounter(state: State<'_, AppState>, patient_id: Uuid, kind: EncounterKind) -> UiResult<Encounter> {
    state.with_session(|c| c.open_encounter(patient_id, kind))
}

#[tauri::command]
pub async fn write_note(state: State<'_, AppState>, encounter_id: Uuid, text: SoapText) -> UiResult<SoapNote> {
    state.with_session(|c| c.write_note(encounter_id, text))
}

#[tauri::command]
pub async fn edit_note(state: State<'_, AppState>, note_id: Uuid, text: SoapText) -> UiResult<SoapNote> {
    state.with_session(|c| c.edit_note(note_id, text))
}

#[tauri::command]
pub async fn sign_note(state: State<'_, AppState>, note_id: Uuid) -> UiResult<SoapNote> {
    state.with_session(|c| c.sign_note(note_id))
}

#[tauri::command]
pub async fn amend_note(state: State<'_, AppState>, note_id: Uuid, text: SoapText) -> UiResult<SoapNote> {
    state.with_session(|c| c.amend_note(note_id, text))
}

#[tauri::command]
pub async fn record_vitals(
    state: State<'_, AppState>,
    patient_id: Uuid,
    encounter_id: Option<Uuid>,
    input: VitalsInput,
) -> UiResult<Vitals> {
    state.with_session(|c| c.record_vitals(patient_id, encounter_id, &input))
}

#[tauri::command]
pub async fn record_allergy(state: State<'_, AppState>, patient_id: Uuid, input: AllergyInput) -> UiResult<Allergy> {
    state.with_session(|c| c.record_allergy(patient_id, &input))
}

#[tauri::command]
pub async fn record_problem(state: State<'_, AppState>, patient_id: Uuid, input: ProblemInput) -> UiResult<Problem> {
    state.with_session(|c| c.record_problem(patient_id, &input))
}

#[tauri::command]
pub async fn prescribe(
    state: State<'_, AppState>,
    patient_id: Uuid,
    encounter_id: Option<Uuid>,
    items: Vec<PrescriptionItemInput>,
) -> UiResult<Prescription> {
    state.with_session(|c| c.prescribe(patient_id, encounter_id, &items))
}

#[tauri::command]
pub async fn prescribe_do(
    state: State<'_, AppState>,
    patient_id: Uuid,
    encounter_id: Option<Uuid>,
) -> UiResult<Prescription> {
    state.with_session(|c| c.prescribe_do(patient_id, encounter_id))
}

#[tauri::command]
pub async fn break_glass(
    state: State<'_, AppState>,
    patient_id: Uuid,
    section: Section,
    reason: String,
) -> UiResult<BreakGlassGrant> {
    state.with_session(|c| c.break_glass(patient_id, section, &reason))
}
