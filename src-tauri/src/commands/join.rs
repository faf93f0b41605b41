//! A new device's first login: the one-time enrollment code an administrator made, the user's
//! password and Secret Key. It needs the clinic server this once (the code names it); afterwards
//! the device works offline like any other.

use mamori_core::clinic::JoinCode;
use mamori_core::secret::Password;
use mamori_core::vault::vault_record::SecretKey;
use mamori_sync::join::{join_clinic as join, FirstLogin};
use tauri::State;

use crate::error::{UiError, UiResult};
use crate::state::AppState;
use crate::views::SessionView;

#[tauri::command]
pub async fn join_clinic(
    state: State<'_, AppState>,
    code: String,
    user: String,
    password: String,
    secret_key: String,
) -> UiResult<SessionView> {
    let code = JoinCode::parse(&code)?;
    let secret_key = SecretKey::parse(&secret_key)?;
    let password = Password::new(password);
    let login = FirstLogin { user: &user, password: &password, secret_key: &secret_key };
    let dir = state.dir.clone();
    let keyring = std::sync::Arc::clone(&state.keyring);
    let clock = state.clock();
    let joined = std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| mamori_sync::Error::Unreachable(format!("no async runtime: {e}")))?;
                runtime.block_on(join(&dir, keyring.as_ref(), clock, &code, login))
            })
            .join()
            .unwrap_or_else(|_| Err(mamori_sync::Error::Unreachable("the join stopped".into())))
    });
    let mut clinic = joined.map_err(UiError::from)?;
    let view = SessionView::at_login(&mut clinic)?;
    let shown = state.install(clinic, |_| view);
    state.sync.poke();
    Ok(shown)
}
