//! The administrator's insider-detection alerts: the list (after a fresh scan of this
//! computer's audit log and, once fetched, every other device's), acknowledging one with a
//! comment, the day's summary, and what the detector is told about the clinic: the staff
//! profiles it compares with charts, the clinic's hours and holidays, and the on-call and cover
//! roster. The core decides who may; the detector runs there.

use mamori_core::alerts::{AlertCoverage, AlertFilter, AlertSummary, AlertView, ClinicHours, Shift, StaffProfile};
use mamori_core::clinic::Clinic;
use mamori_sync::http::HttpTransport;
use tauri::State;

use crate::error::UiResult;
use crate::state::AppState;

#[tauri::command]
pub async fn insider_alerts(state: State<'_, AppState>, filter: AlertFilter) -> UiResult<Vec<AlertView>> {
    state.with_session(|c| c.alerts(&filter))
}

/// Fetches every other device's audit events from the clinic server (checked against their
/// devices' signatures) for this session's scans. Offline, or with no server, it fails and the
/// alerts cover this computer only.
#[tauri::command]
pub async fn clinic_wide_alerts(state: State<'_, AppState>) -> UiResult<AlertCoverage> {
    let state: &AppState = &state;
    state.with_session_reaching(|clinic| {
        clinic.authorize_admin()?;
        let now = clinic.now();
        let session: &mut Clinic = clinic;
        Ok(state.sync.with_server(move |runtime, server| {
            let transport = HttpTransport::for_session(server, session, state.keyring.as_ref())?;
            runtime.block_on(mamori_sync::clinic_audit::refresh(session, &transport, now))
        })?)
    })
}

/// Which devices' events the alerts cover.
#[tauri::command]
pub async fn alert_coverage(state: State<'_, AppState>) -> UiResult<AlertCoverage> {
    state.with_session(|c| c.alert_coverage())
}

#[tauri::command]
pub async fn acknowledge_alert(state: State<'_, AppState>, id: String, comment: String) -> UiResult<()> {
    state.with_session(|c| c.acknowledge_alert(&id, &comment))
}

#[tauri::command]
pub async fn alert_summary(state: State<'_, AppState>) -> UiResult<AlertSummary> {
    state.with_session(|c| c.alert_summary())
}

/// The staff members' optional profiles the detector compares with charts.
#[tauri::command]
pub async fn staff_profiles(state: State<'_, AppState>) -> UiResult<Vec<StaffProfile>> {
    state.with_session(|c| Ok(c.detection_settings()?.2))
}

#[tauri::command]
pub async fn set_staff_profile(state: State<'_, AppState>, profile: StaffProfile) -> UiResult<()> {
    state.with_session(|c| c.set_staff_profile(&profile))
}

/// The clinic's opening hours and holidays (the default week until an administrator sets them).
#[tauri::command]
pub async fn clinic_hours(state: State<'_, AppState>) -> UiResult<ClinicHours> {
    state.with_session(|c| Ok(c.detection_settings()?.0))
}

#[tauri::command]
pub async fn set_clinic_hours(state: State<'_, AppState>, hours: ClinicHours) -> UiResult<()> {
    state.with_session(|c| c.set_clinic_hours(&hours))
}

/// The on-call and cover shifts (times in UTC).
#[tauri::command]
pub async fn roster(state: State<'_, AppState>) -> UiResult<Vec<Shift>> {
    state.with_session(|c| Ok(c.detection_settings()?.1))
}

/// Replaces the whole roster.
#[tauri::command]
pub async fn set_roster(state: State<'_, AppState>, roster: Vec<Shift>) -> UiResult<()> {
    state.with_session(|c| c.set_roster(&roster))
}
