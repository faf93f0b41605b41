//! Drives the real Mamori desktop app end to end: a demo clinic in a temporary folder, the debug
//! build of `mamori-desktop` started by tauri-driver (WebKitWebDriver underneath), and a
//! WebDriver client that types and clicks like a person. Every story saves screenshots under
//! `target/e2e-screenshots/<story>/`.
//!
//! Needs what `scripts/test` prepares: the app built (`cargo build -p mamori-desktop`), the UI
//! built into `ui/dist`, `tauri-driver` and `WebKitWebDriver` installed, a display (Xvfb) and a
//! Secret Service (`scripts/lib/with-secret-service`).

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use mamori_core::clinic::DataDir;
use mamori_core::clock::SystemClock;
use mamori_core::demo::{self, DemoOptions, DemoReport};
use mamori_core::vault::KeyringStore;
use serde_json::json;

pub use fantoccini;

pub mod synced;

/// How long a story waits for something to appear before it fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// One app window on its own demo clinic. Stories run one at a time (one display, two cores).
pub struct App {
    pub client: Client,
    pub demo: DemoReport,
    pub dir: DataDir,
    pub keyring_service: String,
    driver: Child,
    shots: PathBuf,
    shot: usize,
    last_step: HashMap<String, i64>,
    _tmp: tempfile::TempDir,
    _serial: tokio::sync::OwnedMutexGuard<()>,
}

/// What a user does in the clinic through the core before the window opens.
type Preparation<'a> = Box<dyn FnOnce(&mut mamori_core::clinic::Clinic) + 'a>;

/// A demo clinic made for a story, before its window opens.
pub struct Demo {
    pub tmp: tempfile::TempDir,
    pub dir: DataDir,
    pub keyring: KeyringStore,
    pub keyring_service: String,
    pub report: DemoReport,
    last_step: HashMap<String, i64>,
    serial: tokio::sync::OwnedMutexGuard<()>,
}

impl Demo {
    /// `user` logs in through the core (password and the authenticator's code), as at this
    /// computer before the window opens.
    pub async fn login(&mut self, user: &str) -> mamori_core::clinic::Clinic {
        // A code is accepted once: wait for a fresh one if this user used this step's.
        if self.last_step.get(user) == Some(&(Utc::now().timestamp() / 30)) {
            let wait = 30 - Utc::now().timestamp() % 30;
            tokio::time::sleep(Duration::from_secs(u64::try_from(wait).unwrap_or(30) + 1)).await;
        }
        let login = self.report.users.iter().find(|u| u.name == user).expect("a demo user");
        let now = Utc::now();
        let code = mamori_story_tests::totp_code(&login.totp_secret, now);
        let clinic = mamori_core::clinic::Clinic::unlock(
            &self.dir,
            &self.keyring,
            Box::new(SystemClock),
            user,
            &mamori_core::secret::Password::new(login.password.clone()),
            &mamori_core::auth::SecondFactor::Totp(code),
        )
        .expect("the user logs in");
        self.last_step.insert(user.to_string(), now.timestamp() / 30);
        clinic
    }
}

fn serial() -> Arc<tokio::sync::Mutex<()>> {
    static SERIAL: OnceLock<Arc<tokio::sync::Mutex<()>>> = OnceLock::new();
    SERIAL.get_or_init(|| Arc::new(tokio::sync::Mutex::new(()))).clone()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the e2e crate sits in the workspace").to_path_buf()
}

/// Where cargo builds: `CARGO_TARGET_DIR` when set (relative to the workspace), else `target/`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace().join("target"), |dir| workspace().join(dir))
}

fn require(path: PathBuf, what: &str) -> PathBuf {
    assert!(path.exists(), "{what} is missing at {}; run the suite with scripts/test", path.display());
    path
}

fn tauri_driver() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"));
    let in_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("tauri-driver")).find(|f| f.exists()))
        .unwrap_or_default();
    require(in_path.unwrap_or_else(|| cargo_home.join("bin/tauri-driver")), "tauri-driver")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

async fn wait_for_port(port: u16, driver: &mut Child) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = driver.try_wait() {
            panic!("tauri-driver exited before listening: {status}");
        }
        assert!(start.elapsed() < PATIENCE, "tauri-driver did not listen on {port}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl App {
    /// Creates a demo clinic of `patients` patients and opens the app on it.
    pub async fn launch(story: &str, patients: u32) -> App {
        Self::launch_prepared(story, patients, None).await
    }

    /// The same, after `user` has done `prepare` in the clinic through the core (e.g. a patient
    /// registered, a setting changed), as on an earlier day.
    pub async fn launch_after(
        story: &str,
        patients: u32,
        user: &str,
        prepare: impl FnOnce(&mut mamori_core::clinic::Clinic),
    ) -> App {
        Self::launch_prepared(story, patients, Some((user, Box::new(prepare)))).await
    }

    async fn launch_prepared(story: &str, patients: u32, prepare: Option<(&str, Preparation<'_>)>) -> App {
        let mut demo = Self::demo(story, patients).await;
        if let Some((user, prepare)) = prepare {
            let mut clinic = demo.login(user).await;
            prepare(&mut clinic);
            clinic.logout().expect("logout");
        }
        Self::open(demo, story).await
    }

    /// A demo clinic of `patients` patients in a fresh folder, for a story to prepare (a server, a
    /// second computer) before [`App::open`] opens the window on it.
    pub async fn demo(story: &str, patients: u32) -> Demo {
        let serial = serial().lock_owned().await;
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = DataDir::new(tmp.path().join("clinic"));
        let keyring_service = format!("mamori-e2e-{}-{}", story, std::process::id());
        let keyring = KeyringStore::new(keyring_service.clone());
        let demo = demo::create(&dir, &keyring, Box::new(SystemClock), &DemoOptions { patients, seed: 7 })
            .expect("demo clinic");
        Demo { tmp, dir, keyring, keyring_service, report: demo, last_step: HashMap::new(), serial }
    }

    /// Opens the app on `demo`'s clinic, at its unlock screen.
    pub async fn open(demo: Demo, story: &str) -> App {
        let (dir, service) = (demo.dir.clone(), demo.keyring_service.clone());
        Self::open_computer(demo, story, &dir, &service, "unlock-screen").await
    }

    /// Opens the app on another computer's data folder and keyring (the home-visit laptop beside
    /// `demo`'s desk), once its window shows `first_screen`.
    pub async fn open_computer(
        demo: Demo,
        story: &str,
        dir: &DataDir,
        keyring_service: &str,
        first_screen: &str,
    ) -> App {
        let Demo { tmp, report: demo, last_step, serial, .. } = demo;
        let (dir, keyring_service) = (dir.clone(), keyring_service.to_owned());
        let app = std::env::var_os("MAMORI_E2E_APP")
            .map(PathBuf::from)
            .unwrap_or_else(|| target_dir().join("debug/mamori-desktop"));
        let app = require(app, "the desktop app (cargo build -p mamori-desktop)");
        let (port, native_port) = (free_port(), free_port());
        let log = std::fs::File::create(tmp.path().join("tauri-driver.log")).expect("log");
        let mut driver = Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("MAMORI_DATA_DIR", dir.root())
            .env("MAMORI_KEYRING_SERVICE", &keyring_service)
            // Stories with a clinic server see a background sync round every second.
            .env("MAMORI_SYNC_SECONDS", "1")
            // Each story's window starts as on a fresh computer: its own webview storage, so a
            // language chosen in an earlier story (kept in localStorage) does not carry over.
            .env("XDG_DATA_HOME", tmp.path().join("webview-data"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start tauri-driver");
        // Both ports must accept before a session starts: a session made earlier fails now and then.
        wait_for_port(port, &mut driver).await;
        wait_for_port(native_port, &mut driver).await;

        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("wry"));
        capabilities.insert("tauri:options".into(), json!({ "application": app }));
        let client = ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session on the app");

        let shots = target_dir().join("e2e-screenshots").join(story);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).expect("screenshot folder");
        let app =
            App { client, demo, dir, keyring_service, driver, shots, shot: 0, last_step, _tmp: tmp, _serial: serial };
        app.wait(first_screen).await;
        app
    }

    fn css(testid: &str) -> String {
        format!("[data-testid=\"{testid}\"]")
    }

    /// The element with `data-testid`, once it is on screen.
    pub async fn wait(&self, testid: &str) -> Element {
        self.wait_css(&Self::css(testid), PATIENCE).await
    }

    /// The first element matching the CSS `selector`, once it is on screen within `patience`.
    pub async fn wait_css(&self, selector: &str, patience: Duration) -> Element {
        self.client
            .wait()
            .at_most(patience)
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector} did not appear: {e}"))
    }

    /// Waits until at least `count` elements with `data-testid` are on screen; returns them.
    pub async fn wait_count(&self, testid: &str, count: usize) -> Vec<Element> {
        let start = Instant::now();
        loop {
            let found = self.all(testid).await;
            if found.len() >= count {
                return found;
            }
            assert!(start.elapsed() < PATIENCE, "fewer than {count} {testid} appeared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every element with `data-testid` now on screen (possibly none).
    pub async fn all(&self, testid: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(&Self::css(testid))).await.expect("find_all")
    }

    pub async fn is_present(&self, testid: &str) -> bool {
        !self.all(testid).await.is_empty()
    }

    /// Waits until `testid` has gone (or never appears within a short settle time).
    pub async fn wait_gone(&self, testid: &str) {
        let start = Instant::now();
        while self.is_present(testid).await {
            assert!(start.elapsed() < PATIENCE, "{testid} did not go away");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks `testid` as a person would: scrolled to the middle of the window first, so that the
    /// status bar fixed at the bottom never lies over it (WebKit's driver scrolls an element only
    /// just into view and then refuses a click that would land on the bar).
    pub async fn click(&self, testid: &str) {
        let element = self.wait(testid).await;
        let arg = serde_json::to_value(&element).expect("an element as a script argument");
        self.client
            .execute("arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' });", vec![arg])
            .await
            .unwrap_or_else(|e| panic!("scroll to {testid}: {e}"));
        element.click().await.unwrap_or_else(|e| panic!("click {testid}: {e}"));
    }

    /// Clears the field and types `text`, as a person would.
    pub async fn fill(&self, testid: &str, text: &str) {
        let field = self.wait(testid).await;
        field.clear().await.unwrap_or_else(|e| panic!("clear {testid}: {e}"));
        field.send_keys(text).await.unwrap_or_else(|e| panic!("type into {testid}: {e}"));
    }

    pub async fn select(&self, testid: &str, value: &str) {
        let field = self.wait(testid).await;
        field.select_by_value(value).await.unwrap_or_else(|e| panic!("select {value} in {testid}: {e}"));
    }

    /// Sets a date or time field as its picker would (WebKitGTK's date and time pickers take no
    /// typed keys), with the input event the page listens to.
    pub async fn set_value(&self, testid: &str, value: &str) {
        let field = self.wait(testid).await;
        let arg = serde_json::to_value(&field).expect("an element as a script argument");
        let script = "const f = arguments[0]; f.value = arguments[1]; \
                      f.dispatchEvent(new Event('input', { bubbles: true })); \
                      f.dispatchEvent(new Event('change', { bubbles: true }));";
        self.client
            .execute(script, vec![arg, json!(value)])
            .await
            .unwrap_or_else(|e| panic!("set {testid} to {value}: {e}"));
    }

    pub async fn text(&self, testid: &str) -> String {
        self.wait(testid).await.text().await.unwrap_or_else(|e| panic!("text of {testid}: {e}"))
    }

    /// Waits until `testid` shows text containing `expected`.
    pub async fn wait_text(&self, testid: &str, expected: &str) -> String {
        let start = Instant::now();
        loop {
            for element in self.all(testid).await {
                if let Ok(text) = element.text().await {
                    if text.contains(expected) {
                        return text;
                    }
                }
            }
            assert!(start.elapsed() < PATIENCE, "{testid} never showed {expected:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves what the window shows now as `NN-name.png` in this story's folder.
    pub async fn screenshot(&mut self, name: &str) -> PathBuf {
        self.shot += 1;
        let png = self.client.screenshot().await.expect("screenshot");
        let path = self.shots.join(format!("{:02}-{name}.png", self.shot));
        std::fs::write(&path, png).expect("save screenshot");
        path
    }

    pub fn password(&self, user: &str) -> String {
        self.demo_user(user).password.clone()
    }

    fn demo_user(&self, user: &str) -> &demo::DemoUser {
        self.demo.users.iter().find(|u| u.name == user).unwrap_or_else(|| panic!("no demo user {user}"))
    }

    /// The authenticator's code for `user` now, waiting for a fresh 30-second step if this user
    /// already used the current one (a code is accepted once).
    pub async fn fresh_code(&mut self, user: &str) -> String {
        let step = || Utc::now().timestamp() / 30;
        if self.last_step.get(user) == Some(&step()) {
            let wait = 30 - Utc::now().timestamp() % 30;
            tokio::time::sleep(Duration::from_secs(u64::try_from(wait).unwrap_or(30) + 1)).await;
        }
        self.last_step.insert(user.to_string(), step());
        mamori_story_tests::totp_code(&self.demo_user(user).totp_secret, Utc::now())
    }

    /// Logs `user` in on the unlock screen with password and the authenticator's code.
    pub async fn login(&mut self, user: &str) {
        let code = self.fresh_code(user).await;
        let password = self.password(user);
        self.fill("unlock-user", user).await;
        self.fill("unlock-password", &password).await;
        self.fill("unlock-totp", &code).await;
        self.click("unlock-submit").await;
        self.wait("session-user").await;
    }

    /// Ends the story: closes the WebDriver session (which quits the app) and the driver.
    pub async fn finish(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // A story that panicked still stops its driver (and with it the app).
        let _ = self.driver.kill();
    }
}
