//! The clinic server and the home-visit laptop for the sync stories. The server (HTTPS, its own
//! certificate, SQLite) runs in the story's process and follows the demo clinic's membership
//! chain; the desk's app window syncs with it in the background. The laptop is a second data
//! folder with its own keyring, driven through the core and the sync crate as the `mamori` CLI
//! drives them: joined with an enrollment code the administrator made at the desk.

use std::sync::Arc;

use mamori_core::clinic::{Clinic, DataDir, JoinCode};
use mamori_core::clock::SystemClock;
use mamori_core::domain::Role;
use mamori_core::secret::Password;
use mamori_core::vault::vault_record::SecretKey;
use mamori_core::vault::{DeviceSecretStore, MemoryStore};
use mamori_server::http::{self, App as ServerApp};
use mamori_server::storage::sqlite::SqliteStorage;
use mamori_server::ClinicServer;
use mamori_sync::check_in::{check_in, CheckedIn};
use mamori_sync::http::HttpTransport;
use mamori_sync::join::{join_clinic, FirstLogin};
use mamori_sync::session::{sync_session, SessionReport};
use mamori_sync::{ServerSettings, Settings};

use crate::Demo;

pub const LAPTOP: &str = "home-visit-laptop";

/// The clinic server, serving until the story ends.
pub struct Server {
    pub url: String,
    pub pin: [u8; 32],
    pub app: Arc<ServerApp<SqliteStorage>>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server for `demo`'s clinic and tells the desk (its data folder) where it is.
    pub async fn start(demo: &Demo) -> Server {
        let dir = tempfile::tempdir().expect("server folder");
        let pin = http::tls::create(dir.path(), &["127.0.0.1".to_string()]).expect("certificate");
        let root: [u8; 32] =
            hex::decode(&demo.report.clinic_root).expect("hex").try_into().expect("a 32-byte clinic root");
        let storage = SqliteStorage::open(&dir.path().join("server.db")).expect("server database");
        let clinic = ClinicServer::following_chain(storage, root).await.expect("server");
        let app = Arc::new(ServerApp::new(clinic));
        let addr = mamori_story_tests::serving::serve(Arc::clone(&app), dir.path(), &pin).await;
        let url = format!("https://{addr}");
        ServerSettings::new(&url, &hex::encode(pin)).expect("settings").remember(&demo.dir).expect("remembered");
        Server { url, pin, app, _dir: dir }
    }

    /// One sync round for `session` on a computer with `keyring`.
    pub async fn sync(&self, session: &mut Clinic, keyring: &dyn DeviceSecretStore) -> SessionReport {
        let settings = ServerSettings::new(&self.url, &hex::encode(self.pin)).expect("settings");
        let transport = HttpTransport::for_session(&settings, session, keyring).expect("transport");
        sync_session(session, keyring, &transport, Settings::default(), &mut |_, _| {}).await.expect("sync")
    }
}

/// The home-visit laptop: its own folder and keyring.
pub struct Laptop {
    pub dir: DataDir,
    pub keyring: Box<dyn DeviceSecretStore>,
    password: String,
    secret_key: String,
    totp_secret: String,
    /// The authenticator step last used here (a code is accepted once).
    last_step: std::sync::Mutex<i64>,
    _tmp: tempfile::TempDir,
}

impl Laptop {
    /// The administrator at the desk invites the laptop, the doctor joins on it with her password
    /// and Secret Key, and the desk passes the clinic data key on: afterwards the laptop holds
    /// every chart. Leaves nobody logged in anywhere.
    pub async fn join(server: &Server, demo: &mut Demo) -> Laptop {
        Self::join_with(server, demo, Box::new(MemoryStore::default())).await
    }

    /// [`Laptop::join`] with the laptop's keyring given (the OS keyring, when the app runs on it).
    pub async fn join_with(server: &Server, demo: &mut Demo, keyring: Box<dyn DeviceSecretStore>) -> Laptop {
        let mut admin = demo.login("admin").await;
        server.sync(&mut admin, &demo.keyring).await;
        let code = admin
            .invite_device(LAPTOP, vec![Role::Doctor, Role::Nurse], &server.url, server.pin)
            .expect("the laptop is invited");
        server.sync(&mut admin, &demo.keyring).await;
        let doctor = demo.report.users.iter().find(|u| u.name == "doctor").expect("doctor");
        let tmp = tempfile::tempdir().expect("laptop folder");
        let laptop = Laptop {
            dir: DataDir::new(tmp.path().join("clinic")),
            keyring,
            password: doctor.password.clone(),
            secret_key: doctor.secret_key.clone(),
            totp_secret: doctor.totp_secret.clone(),
            last_step: std::sync::Mutex::new(0),
            _tmp: tmp,
        };
        let login = FirstLogin {
            user: "doctor",
            password: &Password::new(laptop.password.clone()),
            secret_key: &SecretKey::parse(&laptop.secret_key).expect("secret key"),
        };
        let code = JoinCode::parse(&code.to_text()).expect("code");
        let mut on_laptop = join_clinic(&laptop.dir, laptop.keyring.as_ref(), Box::new(SystemClock), &code, login)
            .await
            .expect("joined");
        server.sync(&mut admin, &demo.keyring).await;
        admin.logout().expect("logout");
        server.sync(&mut on_laptop, laptop.keyring.as_ref()).await;
        on_laptop.logout().expect("logout");
        laptop
    }

    /// The doctor logs in on the laptop (offline: no server involved).
    pub async fn doctor(&self) -> Clinic {
        // One code per 30-second step: wait for a fresh one if this step's was used here.
        let used = *self.last_step.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if chrono::Utc::now().timestamp() / 30 == used {
            let wait = 30 - chrono::Utc::now().timestamp() % 30;
            tokio::time::sleep(std::time::Duration::from_secs(u64::try_from(wait).unwrap_or(30) + 1)).await;
        }
        *self.last_step.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = chrono::Utc::now().timestamp() / 30;
        let code = mamori_story_tests::totp_code(&self.totp_secret, chrono::Utc::now());
        Clinic::unlock(
            &self.dir,
            self.keyring.as_ref(),
            Box::new(SystemClock),
            "doctor",
            &Password::new(self.password.clone()),
            &mamori_core::auth::SecondFactor::Totp(code),
        )
        .expect("the doctor logs in on the laptop")
    }

    /// The laptop's login screen checks in with the server (nobody logged in).
    pub async fn check_in(&self) -> CheckedIn {
        check_in(&self.dir, self.keyring.as_ref(), chrono::Utc::now().timestamp()).await.expect("check-in")
    }
}
