//! First-run setup, login, lock, resume and logout.

use mamori_core::auth::SecondFactor;
use mamori_core::clinic::Clinic;
use mamori_core::domain::{Role, User};
use mamori_core::secret::Password;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::{UiError, UiResult};
use crate::state::AppState;
use crate::views::{EnrollmentView, SessionState, SessionView};

#[derive(Serialize, TS)]
pub struct AppStatus {
    pub initialized: bool,
    pub data_dir: String,
    pub session: Option<SessionView>,
    pub locked: bool,
    /// The clinic ordered this computer wiped and it was (the window says so instead of setup).
    pub wiped: bool,
}

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> UiResult<AppStatus> {
    let current = current_state(&state);
    Ok(AppStatus {
        initialized: state.dir.check_initialized().is_ok(),
        data_dir: state.dir.root().display().to_string(),
        session: current.session,
        locked: current.locked,
        wiped: state.sync.status().wiped,
    })
}

/// First run: creates the clinic with its administrator and shows their second factor and the
/// clinic's recovery kit once.
/// The new admin then logs in like anyone else (which proves the authenticator was set up).
#[tauri::command]
pub async fn setup_clinic(
    state: State<'_, AppState>,
    user: String,
    display_name: String,
    password: String,
) -> UiResult<EnrollmentView> {
    let password = Password::new(password);
    let admin = User::build(&user, &display_name, Role::Admin)?;
    let (clinic, enrollment, kit) = Clinic::init(&state.dir, state.keyring.as_ref(), state.clock(), &admin, &password)?;
    let view = EnrollmentView::with_kit(&enrollment, &kit)?;
    clinic.logout()?;
    Ok(view)
}

#[tauri::command]
pub async fn unlock(state: State<'_, AppState>, user: String, password: String, totp: String) -> UiResult<SessionView> {
    let password = Password::new(password);
    let mut clinic = Clinic::unlock(
        &state.dir,
        state.keyring.as_ref(),
        state.clock(),
        &user,
        &password,
        &SecondFactor::parse(&totp),
    )?;
    if let Some(previous) = state.take() {
        // A new login on this window ends the previous one.
        let _ = previous.logout();
    }
    let view = SessionView::at_login(&mut clinic)?;
    let shown = state.install(clinic, |_| view);
    state.sync.poke();
    Ok(shown)
}

/// An invited user's first login: their invitation code and the password they choose. Answers
/// their new authenticator, shown once; they then log in like anyone else (which proves it works).
#[tauri::command]
pub async fn accept_invitation(
    state: State<'_, AppState>,
    user: String,
    code: String,
    password: String,
) -> UiResult<EnrollmentView> {
    let password = Password::new(password);
    let (clinic, enrollment) =
        Clinic::accept_invitation(&state.dir, state.keyring.as_ref(), state.clock(), &user, &code, &password)?;
    let view = EnrollmentView::of(&enrollment)?;
    clinic.logout()?;
    Ok(view)
}

/// The logged-in user changes their own password (the current one is asked again).
#[tauri::command]
pub async fn change_password(state: State<'_, AppState>, current: String, new: String) -> UiResult<()> {
    let (current, new) = (Password::new(current), Password::new(new));
    state.with_session(|clinic| clinic.change_password(state.keyring.as_ref(), &current, &new))
}

#[tauri::command]
pub async fn lock(state: State<'_, AppState>) -> UiResult<()> {
    state.with_session(|clinic| clinic.lock())
}

#[tauri::command]
pub async fn resume(state: State<'_, AppState>, password: String, totp: String) -> UiResult<SessionView> {
    let password = Password::new(password);
    let factor = SecondFactor::parse(&totp);
    state.with_session(|clinic| {
        clinic.resume(state.keyring.as_ref(), &password, &factor)?;
        SessionView::at_login(clinic)
    })
}

#[tauri::command]
pub async fn logout(state: State<'_, AppState>) -> UiResult<()> {
    let clinic = state.take().ok_or_else(UiError::no_session)?;
    if clinic.is_locked() {
        return Ok(());
    }
    Ok(clinic.logout()?)
}

/// The window's periodic check: applies the idle timeout (without counting as activity).
#[tauri::command]
pub async fn session_state(state: State<'_, AppState>) -> UiResult<SessionState> {
    Ok(current_state(&state))
}

fn current_state(state: &AppState) -> SessionState {
    let checked = state.with_session(|clinic| {
        let locked = clinic.lock_if_idle()?;
        let now = clinic.now();
        let grants = clinic.break_glass_grants().iter().filter(|g| g.until > now).cloned().collect();
        Ok(SessionState { session: Some(SessionView::of(clinic)), locked, grants })
    });
    checked.unwrap_or(SessionState { session: None, locked: false, grants: Vec::new() })
}
