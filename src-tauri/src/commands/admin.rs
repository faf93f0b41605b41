//! Administration: users, second factors, lockouts, the idle timeout, the audit reports and the
//! alerts.

use mamori_core::audit::{ExplainedEvent, Filter};
use mamori_core::clinic::PatientAuditReport;
use mamori_core::domain::validation::{Field, Problem};
use mamori_core::domain::{Role, User};
use tauri::State;
use uuid::Uuid;

use crate::error::{UiError, UiResult};
use crate::state::AppState;
use crate::views::OneTimeCodeView;

#[tauri::command]
pub async fn users(state: State<'_, AppState>) -> UiResult<Vec<User>> {
    state.with_session(|c| c.users())
}

/// Invites a user: answers the one-time code to hand them; they set their own password,
/// authenticator and key at their first login.
#[tauri::command]
pub async fn invite_user(
    state: State<'_, AppState>,
    name: String,
    display_name: String,
    role: Role,
) -> UiResult<OneTimeCodeView> {
    let user = User::build(&name, &display_name, role)?;
    state.with_session(|c| {
        let invitation = c.invite_user(state.keyring.as_ref(), &user)?;
        Ok(OneTimeCodeView { user: invitation.user.clone(), code: invitation.code.to_string() })
    })
}

/// Disables a user (their key leaves this computer and the database key changes), or enables
/// them again, which answers a new invitation code to hand them.
#[tauri::command]
pub async fn set_user_disabled(
    state: State<'_, AppState>,
    name: String,
    disabled: bool,
) -> UiResult<Option<OneTimeCodeView>> {
    state.with_session(|c| {
        if disabled {
            c.set_user_disabled(&name, true)?;
            return Ok(None);
        }
        let invitation = c.enable_user(state.keyring.as_ref(), &name)?;
        Ok(Some(OneTimeCodeView { user: invitation.user.clone(), code: invitation.code.to_string() }))
    })
}

#[tauri::command]
pub async fn reset_second_factor(state: State<'_, AppState>, name: String) -> UiResult<OneTimeCodeView> {
    state.with_session(|c| {
        let reset = c.reset_second_factor(&name)?;
        Ok(OneTimeCodeView { user: reset.user.clone(), code: reset.code.to_string() })
    })
}

#[tauri::command]
pub async fn unlock_account(state: State<'_, AppState>, name: String) -> UiResult<()> {
    state.with_session(|c| c.unlock_account(state.keyring.as_ref(), &name))
}

/// "Who opened this chart" (`patient_id`) or "what did this user open" (`user`).
#[tauri::command]
pub async fn audit_report(
    state: State<'_, AppState>,
    patient_id: Option<Uuid>,
    user: Option<String>,
) -> UiResult<Vec<ExplainedEvent>> {
    let filter = match (patient_id, user) {
        (Some(patient), None) => Filter::Patient(patient),
        (None, Some(user)) => Filter::User(user),
        _ => return Err(UiError::invalid(Field::Report, Problem::PatientOrUser)),
    };
    state.with_session(|c| Ok(c.audit_events(&filter)?.into_iter().map(ExplainedEvent::from).collect()))
}

/// "Who opened this chart", by the number on the patient's card; the answer names no one.
#[tauri::command]
pub async fn audit_report_by_chart_no(state: State<'_, AppState>, chart_no: String) -> UiResult<PatientAuditReport> {
    state.with_session(|c| c.audit_events_for_chart_no(&chart_no))
}

/// What the admin should look at: break-the-glass, refusals and failed logins.
#[tauri::command]
pub async fn audit_alerts(state: State<'_, AppState>) -> UiResult<Vec<ExplainedEvent>> {
    state.with_session(|c| Ok(c.audit_events(&Filter::Alerts)?.into_iter().map(ExplainedEvent::from).collect()))
}

#[tauri::command]
pub async fn set_idle_timeout(state: State<'_, AppState>, minutes: i64) -> UiResult<()> {
    state.with_session(|c| c.set_idle_timeout(minutes))
}
