//! Shared fixtures for the story tests: a clinic folder with its keyring, one clock shared by
//! every session, and the staff's passwords and second factors, so a test logs in like staff do.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use chrono::{Duration, TimeZone, Utc};
use mamori_core::auth::{Enrollment, SecondFactor};
use mamori_core::clinic::{Clinic, DataDir};
use mamori_core::clock::{Clock, ManualClock};
use mamori_core::demo::{self, DemoOptions};
use mamori_core::domain::{InsuranceInput, PatientInput, Role, User};
use mamori_core::secret::Password;
use mamori_core::vault::{DeviceSecretStore, KeyringStore};

/// The real OS keyring (Secret Service), under a service name used only by this test, so tests
/// running side by side never see each other's device secrets.
pub fn test_keyring(test: &str) -> KeyringStore {
    KeyringStore::new(format!("mamori-test-{test}-{}", random_suffix()))
}

/// The lock every Mamori process takes around a keyring call (`vault::device_secret`): while a
/// test holds it, no Mamori keyring call is in flight in any process.
pub fn keyring_turn() -> Option<std::fs::File> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| std::path::PathBuf::from(home).join(".cache")))?;
    let dir = cache.join("mamori");
    std::fs::create_dir_all(&dir).ok()?;
    let file =
        std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("keyring.lock")).ok()?;
    file.lock().ok()?;
    Some(file)
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 6];
    mamori_core::secret::fill_random(&mut bytes).expect("random");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 2026-11-29 10:00 JST.
pub fn clinic_clock() -> ManualClock {
    ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 29, 1, 0, 0).single().expect("valid time"))
}

/// The current six-digit code of a base32 TOTP secret at `at`, as an authenticator app shows it.
pub fn totp_code(secret_base32: &str, at: chrono::DateTime<Utc>) -> String {
    let uri = format!("otpauth://totp/Mamori:x?secret={secret_base32}&issuer=Mamori");
    let app = totp_rs::Totp::from_url(uri).expect("valid secret");
    app.generate(u64::try_from(at.timestamp()).expect("after 1970")).to_string()
}

/// A clinic folder: its keyring, a clock every session shares, and each user's password and
/// TOTP secret.
pub struct Site<K: DeviceSecretStore> {
    pub dir: DataDir,
    pub clock: ManualClock,
    pub keyring: K,
    /// What `mamori demo` reported, for a demo site.
    pub demo: Option<demo::DemoReport>,
    logins: HashMap<String, (String, String)>,
    /// Every password and code typed at a login, right or wrong (for scans that must not find them).
    typed: Mutex<Vec<String>>,
}

impl<K: DeviceSecretStore> Site<K> {
    /// A new clinic in `tmp/clinic`: an admin, a doctor and a nurse; the doctor has logged in
    /// once, so the nurse holds the clinical key too.
    pub fn new(tmp: &Path, keyring: K) -> Self {
        let site = Self::before_first_login(tmp, keyring);
        // The doctor, first clinical user, starts the clinical key at their first login and
        // confirms the nurse (checking her key's fingerprint), which passes it on to her. The
        // admin who added them never holds it.
        let mut doctor = site.login("doctor");
        site.confirm_all(&mut doctor);
        doctor.logout().expect("doctor logs out");
        site
    }

    /// The clinician confirms every colleague waiting for the clinical key, with the fingerprint
    /// each one's own screen would show.
    pub fn confirm_all(&self, clinician: &mut Clinic) {
        for pending in clinician.pending_recipients().expect("pending recipients") {
            clinician.confirm_recipient(&pending.user, &pending.fingerprint).expect("confirm");
        }
    }

    /// A new clinic in `tmp/clinic` as the admin left it: admin, doctor and nurse added, nobody
    /// logged in yet.
    pub fn before_first_login(tmp: &Path, keyring: K) -> Self {
        let dir = data_dir(tmp);
        let clock = clinic_clock();
        let admin = User::build("admin", "管理 一郎", Role::Admin).expect("user");
        let (mut clinic, enrollment, _recovery_kit) =
            Clinic::init(&dir, &keyring, Box::new(clock.clone()), &admin, &Password::new(password_of("admin")))
                .expect("init");
        let mut logins = HashMap::new();
        logins.insert("admin".to_string(), (password_of("admin"), enrollment.secret_base32.clone()));
        let mut site = Self { dir, clock, keyring, demo: None, logins, typed: Mutex::default() };
        for (name, role) in [("doctor", Role::Doctor), ("nurse", Role::Nurse)] {
            let user = User::build(name, name, role).expect("user");
            site.invite(&mut clinic, &user, &password_of(name));
        }
        drop(clinic);
        site
    }

    /// The admin invites `user`, who accepts at once with `password` (their first login), and
    /// logs out; the site remembers their login.
    pub fn invite(&mut self, admin: &mut Clinic, user: &User, password: &str) {
        let invitation = admin.invite_user(&self.keyring, user).expect("invite");
        let (session, enrollment) = self.accept(&user.name, &invitation.code, password).expect("accept");
        session.logout().expect("logout");
        self.logins.insert(user.name.clone(), (password.to_string(), enrollment.secret_base32.clone()));
    }

    /// `user`'s first login with the invitation `code`, choosing `password`.
    pub fn accept(&self, user: &str, code: &str, password: &str) -> mamori_core::Result<(Clinic, Enrollment)> {
        self.clock.advance(Duration::seconds(30));
        self.typed.lock().unwrap_or_else(PoisonError::into_inner).extend([password.to_string(), code.to_string()]);
        Clinic::accept_invitation(
            &self.dir,
            &self.keyring,
            Box::new(self.clock.clone()),
            user,
            code,
            &Password::new(password),
        )
    }

    /// A demo clinic in `tmp/clinic` (users admin, doctor, nurse, reception).
    pub fn demo(tmp: &Path, keyring: K, patients: u32, seed: u64) -> Self {
        let dir = data_dir(tmp);
        let clock = clinic_clock();
        let report =
            demo::create(&dir, &keyring, Box::new(clock.clone()), &DemoOptions { patients, seed }).expect("demo");
        let logins =
            report.users.iter().map(|u| (u.name.clone(), (u.password.clone(), u.totp_secret.clone()))).collect();
        Self { dir, clock, keyring, demo: Some(report), logins, typed: Mutex::default() }
    }

    /// Logs `user` in with password and the authenticator's current code. The shared clock moves
    /// on one TOTP step first, as between two real logins (a code is accepted only once).
    pub fn login(&self, user: &str) -> Clinic {
        self.try_login(user).unwrap_or_else(|e| panic!("{user} logs in: {e}"))
    }

    pub fn try_login(&self, user: &str) -> mamori_core::Result<Clinic> {
        let (password, secret) = self.logins.get(user).cloned().unwrap_or_default();
        self.clock.advance(Duration::seconds(30));
        let code = if secret.is_empty() { "000000".into() } else { totp_code(&secret, self.clock.now()) };
        self.login_with(user, &password, SecondFactor::Totp(code))
    }

    pub fn login_with(&self, user: &str, password: &str, factor: SecondFactor) -> mamori_core::Result<Clinic> {
        let code = match &factor {
            SecondFactor::Totp(code) | SecondFactor::RecoveryCode(code) => code.clone(),
        };
        self.typed.lock().unwrap_or_else(PoisonError::into_inner).extend([password.to_string(), code]);
        Clinic::unlock(&self.dir, &self.keyring, Box::new(self.clock.clone()), user, &Password::new(password), &factor)
    }

    pub fn password(&self, user: &str) -> String {
        self.logins.get(user).map(|(p, _)| p.clone()).unwrap_or_default()
    }

    /// A user added after the site was made: their password and authenticator secret.
    pub fn add_login(&mut self, user: &str, password: &str, secret_base32: &str) {
        self.logins.insert(user.to_string(), (password.to_string(), secret_base32.to_string()));
    }

    /// A user's new authenticator secret (after a second-factor reset).
    pub fn set_totp_secret(&mut self, user: &str, secret_base32: &str) {
        if let Some(login) = self.logins.get_mut(user) {
            login.1 = secret_base32.to_string();
        }
    }

    pub fn totp_secret(&self, user: &str) -> String {
        self.logins.get(user).map(|(_, s)| s.clone()).unwrap_or_default()
    }

    /// Every password and one-time code typed at a login so far, right or wrong.
    pub fn typed_at_logins(&self) -> Vec<String> {
        self.typed.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

pub fn password_of(user: &str) -> String {
    format!("{user}-password-1")
}

pub fn data_dir(dir: &Path) -> DataDir {
    DataDir::new(dir.join("clinic"))
}

pub fn patient(chart_no: &str, name: (&str, &str), kana: (&str, &str), birth: &str, phone: &str) -> PatientInput {
    PatientInput {
        chart_no: chart_no.into(),
        family_name: name.0.into(),
        given_name: name.1.into(),
        family_kana: kana.0.into(),
        given_kana: kana.1.into(),
        sex: "F".into(),
        birth_date: birth.into(),
        postal_code: "154-0024".into(),
        address: "東京都世田谷区三軒茶屋1-2-3".into(),
        phone: phone.into(),
        insurance: Some(InsuranceInput {
            insurer_number: "01130012".into(),
            symbol: "12".into(),
            number: "34".into(),
            copay_percent: 30,
        }),
        ..PatientInput::default()
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path)
            } else {
                out.push(path)
            }
        }
    }
    out.sort();
    out
}

/// True when `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

pub mod serving;
pub mod sync_fixture;

/// The form input that registers `patient` again as she is (to change one field of it).
pub fn patient_input_of(patient: &mamori_core::domain::Patient) -> PatientInput {
    PatientInput {
        chart_no: patient.chart_no.clone(),
        family_name: patient.family_name.clone(),
        given_name: patient.given_name.clone(),
        family_kana: patient.family_kana.clone(),
        given_kana: patient.given_kana.clone(),
        sex: match patient.sex {
            mamori_core::domain::Sex::Male => "male",
            mamori_core::domain::Sex::Female => "female",
            mamori_core::domain::Sex::Other => "other",
        }
        .into(),
        birth_date: patient.birth_date.to_string(),
        postal_code: patient.postal_code.clone().unwrap_or_default(),
        address: patient.address.clone(),
        phone: patient.phone.clone().unwrap_or_default(),
        insurance: patient.insurance.as_ref().map(|i| InsuranceInput {
            insurer_number: i.insurer_number.clone(),
            symbol: i.symbol.clone(),
            number: i.number.clone(),
            copay_percent: i.copay_percent,
        }),
        sensitive: patient.sensitive,
        sensitive_kind: patient
            .sensitive_kind
            .and_then(|kind| serde_json::to_value(kind).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        staff_member: patient.staff_member.clone().unwrap_or_default(),
    }
}
