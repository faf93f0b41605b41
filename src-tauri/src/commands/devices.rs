//! The administrator's devices screen: every device the chain names with what the server last
//! heard from it, enrolling a new one (a one-time code and its QR code), revoking one, and
//! marking one lost so it wipes itself at its next contact. Each change is a link signed in the
//! core and synced at once, so the server has it.

use mamori_core::clinic::Clinic;
use mamori_core::domain::Role;
use mamori_sync::device_overview::{overview, DeviceOverview};
use mamori_sync::http::HttpTransport;
use mamori_sync::session::sync_session;
use mamori_sync::wire::standing::{DeviceReports, WipeAcks};
use mamori_sync::Settings;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::{UiError, UiResult};
use crate::state::AppState;

/// A new device's one-time enrollment code, as text and as a QR code.
#[derive(Serialize, TS)]
pub struct DeviceInvitationView {
    pub device: String,
    pub code: String,
    pub qr_svg: String,
}

/// One sync round, so the server has the link just made.
fn sync(state: &AppState, clinic: &mut Clinic) -> UiResult<()> {
    state.sync.with_server(|runtime, server| {
        let keyring = state.keyring.as_ref();
        let transport = HttpTransport::for_session(server, clinic, keyring)?;
        runtime.block_on(sync_session(clinic, keyring, &transport, Settings::default(), &mut |_, _| {}))
    })?;
    Ok(())
}

/// Where shutting `device` out cuts its history off (`mamori_sync::shut_out`). Whom the core
/// refuses to revoke is refused before the server is asked.
fn cut_off(state: &AppState, clinic: &mut Clinic, device: &str) -> UiResult<u64> {
    clinic.check_shut_out(device)?;
    // Moved in as `&mut`: a session is sent to the thread, never shared with it.
    Ok(state.sync.with_server(move |runtime, server| {
        let transport = HttpTransport::for_session(server, clinic, state.keyring.as_ref())?;
        runtime.block_on(mamori_sync::shut_out::cut_off(clinic, &transport, device))
    })?)
}

#[tauri::command]
pub async fn devices(state: State<'_, AppState>) -> UiResult<Vec<DeviceOverview>> {
    let state: &AppState = &state;
    state.with_session_reaching(|clinic| {
        clinic.authorize_admin()?;
        // Offline, the chain alone: no last-seen, version or lease.
        let heard = heard_from(state, clinic).unwrap_or_default();
        let now = chrono::Utc::now().timestamp();
        Ok(overview(clinic.membership()?, clinic.device_id(), &heard.0, &heard.1, now))
    })
}

/// What the clinic server last heard from each device, and the wipes reported; `None` offline.
pub fn heard_from(state: &AppState, clinic: &mut Clinic) -> Option<(DeviceReports, WipeAcks)> {
    let session: &mut Clinic = clinic;
    state
        .sync
        .with_server(move |runtime, server| {
            let transport = HttpTransport::for_session(server, session, state.keyring.as_ref())?;
            Ok((runtime.block_on(transport.device_reports())?, runtime.block_on(transport.wipe_acks())?))
        })
        .ok()
}

#[tauri::command]
pub async fn invite_device(
    state: State<'_, AppState>,
    name: String,
    roles: Vec<Role>,
) -> UiResult<DeviceInvitationView> {
    let server = mamori_sync::ServerSettings::remembered(&state.dir)?
        .ok_or_else(|| UiError::from(mamori_sync::Error::NoServer))?;
    let pin = server.pin()?;
    state.with_session_reaching(|clinic| {
        let code = clinic.invite_device(&name, roles, &server.server, pin)?;
        sync(&state, clinic)?;
        Ok(DeviceInvitationView { device: name.clone(), code: code.to_text().to_string(), qr_svg: code.qr_svg()? })
    })
}

#[tauri::command]
pub async fn revoke_device(state: State<'_, AppState>, name: String) -> UiResult<()> {
    state.with_session_reaching(|clinic| {
        let through = cut_off(&state, clinic, &name)?;
        clinic.revoke_device(&name, through)?;
        sync(&state, clinic)
    })
}

/// Marks a device lost: revoked (unless it was) and ordered wiped at its next contact.
#[tauri::command]
pub async fn wipe_device(state: State<'_, AppState>, name: String) -> UiResult<()> {
    state.with_session_reaching(|clinic| {
        let through = cut_off(&state, clinic, &name)?;
        clinic.mark_device_lost(&name, through)?;
        sync(&state, clinic)
    })
}
