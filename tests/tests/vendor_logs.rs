//! Story: the clinic's log files go to the vendor when something breaks, so they must hold no
//! patient and no secret. A whole day runs with logging on at its most verbose: the demo clinic is
//! set up, reception checks patients in, registers a walk-in and searches by name, the nurse takes
//! vitals, the doctor writes, signs and amends a note and prescribes, staff mistype passwords and
//! codes (one types her password into the user field), reception tries the glass on a sealed
//! section, the admin breaks the glass on a chart, reads and verifies the audit log, resets the
//! nurse's second factor, adds a doctor and rebuilds the store, the nurse logs in with a recovery
//! code and her session locks when idle. Then every log file is read for every patient's name in
//! kanji and kana, every note written, every password, code and recovery code typed or issued,
//! and every key the test can reach, in hex and base32 — and none is found, while the events of
//! the day are all there.

use chrono::Duration;
use mamori_core::auth::SecondFactor;
use mamori_core::clock::Clock;
use mamori_core::domain::{
    AllergyInput, EncounterKind, Patient, PrescriptionItemInput, Role, Severity, SoapText, User, VitalsInput,
};
use mamori_core::log::file::file_subscriber;
use mamori_core::log::{LevelFilter, LogSettings};
use mamori_core::policy::Section;
use mamori_core::secret::Password;
use mamori_core::vault::{DeviceSecretStore, KeyFile, KeyringStore};
use mamori_core::Error;
use mamori_story_tests::*;

/// What the day typed, issued and wrote: none of it may reach a log file.
#[derive(Default)]
struct Secrets {
    /// Text that must not occur anywhere (names, notes, passwords, keys, recovery codes).
    text: Vec<(&'static str, String)>,
    /// Six-digit codes, which must not occur as a token of their own (digits inside a longer
    /// number or id are no code).
    codes: Vec<String>,
}

impl Secrets {
    fn add(&mut self, what: &'static str, text: impl Into<String>) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.text.push((what, text));
        }
    }

    fn patient(&mut self, p: &Patient) {
        self.add("family name", &p.family_name);
        self.add("given name", &p.given_name);
        self.add("family kana", &p.family_kana);
        self.add("given kana", &p.given_kana);
        self.add("full name", format!("{} {}", p.family_name, p.given_name));
        self.add("address", &p.address);
        self.add("phone", p.phone.clone().unwrap_or_default());
    }

    fn key(&mut self, what: &'static str, bytes: &[u8]) {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.add(what, hex.to_uppercase());
        self.add(what, hex);
    }

    fn totp_secret(&mut self, base32: &str) {
        self.add("TOTP secret", base32);
        let secret = totp_rs::Secret::try_from_base32(base32).expect("base32");
        self.key("TOTP secret bytes", secret.as_bytes());
    }

    fn typed(&mut self, typed: &str) {
        if typed.len() == 6 && typed.chars().all(|c| c.is_ascii_digit()) {
            self.codes.push(typed.to_string());
        } else {
            self.add("typed at login", typed);
            self.add("typed at login", typed.replace('-', ""));
        }
    }
}

#[test]
fn a_clinic_days_logs_hold_its_events_but_no_patient_note_password_code_or_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let logs = tmp.path().join("logs");
    let subscriber =
        file_subscriber(&LogSettings::new(&logs, "mamori-story", LevelFilter::TRACE)).expect("the log files open");
    let secrets = tracing::subscriber::with_default(subscriber, || clinic_day(tmp.path()));

    let files = files_under(&logs);
    assert!(!files.is_empty(), "the day was logged");
    let mut all = String::new();
    for file in &files {
        let bytes = std::fs::read(file).expect("read log");
        assert!(bytes.is_ascii(), "{} holds non-ASCII text (a name in kanji or kana?)", file.display());
        let text = String::from_utf8(bytes).expect("ASCII");
        for (what, needle) in &secrets.text {
            assert!(!text.contains(needle.as_str()), "{} holds a {what}", file.display());
        }
        let tokens: Vec<&str> = text.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        for code in &secrets.codes {
            assert!(!tokens.contains(&code.as_str()), "{} holds a one-time code", file.display());
        }
        all.push_str(&text);
    }
    assert!(secrets.text.len() > 200 && secrets.codes.len() > 5, "the scan had something to look for");

    // Not vacuous: the day's events are all there, with their ids and codes.
    for expected in [
        "demo clinic created",
        "chart schema migrated",
        "chart database opened",
        "unlocked user=reception role=reception",
        "unlocked user=doctor role=doctor factor=totp",
        "unlocked user=admin role=admin",
        "login failed: wrong password or unknown user known=true user=reception",
        "login failed: wrong password or unknown user known=false",
        "login failed: second factor refused user=doctor code=wrong_second_factor",
        "patients searched",
        "change appended kind=patient",
        "change appended kind=vitals",
        "change appended kind=note",
        "change appended kind=prescription",
        "changes committed",
        "access denied section=vitals access=write role=reception",
        "break-the-glass refused: sealed clinical section section=allergies role=reception",
        "break-the-glass grant opened section=demographics role=admin",
        "audit report read filter=all",
        "audit log verified",
        "second factor reset user=nurse by=admin",
        "user invited user=k.sato role=doctor by=admin",
        "invitation accepted user=k.sato role=doctor",
        "second factor reset redeemed user=nurse",
        "state rebuilt from the change log",
        "password changed user=doctor",
        "session locked user=nurse idle=true",
        "unlocked user=nurse role=nurse factor=recovery_code",
        "session resumed user=nurse role=nurse factor=totp",
        "logged out user=doctor",
        "clinical key passed on",
    ] {
        assert!(all.contains(expected), "the logs lack \"{expected}\":\n{all}");
    }
    assert!(all.lines().count() > 100, "a day's worth of lines: {}", all.lines().count());
}

/// The clinic day; returns what must not be in the logs.
fn clinic_day(tmp: &std::path::Path) -> Secrets {
    let mut secrets = Secrets::default();
    let site = Site::demo(tmp, test_keyring("vendor-logs"), 30, 8);
    let report = site.demo.clone().expect("a demo site");
    for user in &report.users {
        secrets.add("password", &user.password);
        secrets.totp_secret(&user.totp_secret);
        secrets.add("otpauth URI", &user.otpauth_uri);
        secrets.add("staff display name", &user.display_name);
    }

    // Reception: the day's list (every demo patient is booked today), check-ins, a walk-in.
    let mut desk = site.login("reception");
    let visits = desk.todays_visits().expect("the day's list");
    assert_eq!(visits.len(), 30, "every demo patient is on today's list");
    for visit in &visits {
        secrets.patient(&desk.patient(visit.patient.id).expect("the patient's record"));
        secrets.add("kana as listed", &visit.patient.kana);
    }
    for visit in visits.iter().filter(|v| v.appointment.checked_in_at.is_none()).take(5) {
        desk.check_in(visit.appointment.id).expect("check in");
    }
    let walk_in = desk
        .register_patient(&patient("7001", ("鈴木", "美咲"), ("スズキ", "ミサキ"), "1988-04-02", "090-1111-2222"))
        .expect("register");
    secrets.patient(&walk_in);
    desk.check_in_walk_in(walk_in.id, "発熱と咳").expect("walk-in");
    secrets.add("visit purpose", "発熱と咳");
    assert!(!desk.search_patients("スズキ ミサキ", 5).expect("search").is_empty());
    assert!(matches!(desk.record_vitals(walk_in.id, None, &VitalsInput::default()), Err(Error::Denied { .. })));
    let reason = "救急隊へ鈴木美咲さんのアレルギーを伝えるため";
    secrets.add("break-the-glass reason", reason);
    assert!(matches!(desk.break_glass(walk_in.id, Section::Allergies, reason), Err(Error::SealedSection { .. })));
    desk.logout().expect("logout");

    // Mistakes at the login screen: a typo, a password typed into the user field, an old code.
    let now_code = |user: &str| SecondFactor::Totp(totp_code(&site.totp_secret(user), site.clock.now()));
    site.clock.advance(Duration::seconds(30));
    let typo = site.password("reception").trim_end_matches(char::is_alphanumeric).to_string() + "pasword";
    assert!(matches!(site.login_with("reception", &typo, now_code("reception")), Err(Error::WrongPassword)));
    site.clock.advance(Duration::seconds(30));
    let nurse_password = site.password("nurse");
    assert!(matches!(site.login_with(&nurse_password, &nurse_password, now_code("nurse")), Err(Error::WrongPassword)));
    site.clock.advance(Duration::seconds(30));
    let stale = totp_code(&site.totp_secret("doctor"), site.clock.now() - Duration::hours(1));
    assert!(matches!(
        site.login_with("doctor", &site.password("doctor"), SecondFactor::Totp(stale)),
        Err(Error::WrongSecondFactor)
    ));

    // The nurse takes the walk-in's vitals.
    let mut nurse = site.login("nurse");
    let vitals = VitalsInput {
        systolic_mmhg: Some(131),
        diastolic_mmhg: Some(84),
        pulse_bpm: Some(97),
        temperature_c: Some(38.4),
        ..Default::default()
    };
    nurse.record_vitals(walk_in.id, None, &vitals).expect("vitals");
    nurse.logout().expect("logout");

    // The doctor sees her: a note written, signed and amended, an allergy, a prescription.
    let mut doctor = site.login("doctor");
    let visit = doctor.open_encounter(walk_in.id, EncounterKind::Outpatient).expect("encounter");
    let soap =
        ["三日前から咳と三十八度台の発熱", "咽頭発赤あり、肺音清", "急性上気道炎", "解熱剤で経過観察、三日後再診"];
    for text in soap {
        secrets.add("note text", text);
    }
    let note =
        doctor.write_note(visit.id, SoapText::build(soap[0], soap[1], soap[2], soap[3]).expect("soap")).expect("note");
    doctor.sign_note(note.id).expect("sign");
    let addendum = "追記：同居の家族にインフルエンザ陽性者あり";
    secrets.add("note text", addendum);
    doctor.amend_note(note.id, SoapText::build(addendum, "", "", "").expect("soap")).expect("amend");
    let allergy =
        AllergyInput {
            substance: "ロキソプロフェン".into(), reaction: "蕁麻疹".into(), severity: Severity::Moderate
        };
    secrets.add("allergy", "ロキソプロフェン");
    secrets.add("allergy reaction", "蕁麻疹");
    doctor.record_allergy(walk_in.id, &allergy).expect("allergy");
    let item = PrescriptionItemInput {
        drug: "カロナール錠200mg".into(),
        dose: 2.0,
        unit: "錠".into(),
        frequency: "1日3回毎食後".into(),
        days: 3,
    };
    secrets.add("drug", "カロナール錠200mg");
    doctor.prescribe(walk_in.id, Some(visit.id), &[item]).expect("prescribe");
    let chart = doctor.chart(visits[0].patient.id).expect("a regular's chart");
    for note in chart.notes.iter().flatten() {
        for text in [&note.text.subjective, &note.text.objective, &note.text.assessment, &note.text.plan] {
            if text.chars().count() >= 4 {
                secrets.add("demo note text", text.as_str());
            }
        }
    }
    let new_password = "doctor-evening-password-7";
    doctor
        .change_password(&site.keyring, &Password::new(site.password("doctor")), &Password::new(new_password))
        .expect("change password");
    secrets.add("password", new_password);
    doctor.logout().expect("logout");

    // The admin: the glass on one chart, the audit log, a second factor reset, a new doctor.
    let mut admin = site.login("admin");
    let glass = "鈴木美咲さんの請求内容の確認";
    secrets.add("break-the-glass reason", glass);
    admin.break_glass(walk_in.id, Section::Demographics, glass).expect("grant");
    admin.patient(walk_in.id).expect("read under the grant");
    assert!(!admin.audit_events(&mamori_core::audit::Filter::All).expect("report").is_empty());
    admin.audit_events(&mamori_core::audit::Filter::Alerts).expect("alerts");
    admin.verify_audit().expect("verify");
    let reset = admin.reset_second_factor("nurse").expect("reset");
    secrets.add("second-factor reset code", reset.code.as_str());
    let sato = User::build("k.sato", "佐藤 健", Role::Doctor).expect("user");
    secrets.add("staff display name", "佐藤 健");
    let invitation = admin.invite_user(&site.keyring, &sato).expect("invite");
    secrets.add("invitation code", invitation.code.as_str());
    admin.rebuild().expect("rebuild");
    admin.logout().expect("logout");
    // The new doctor's first login: his own password and authenticator.
    let sato_password = "sato-first-password-9";
    secrets.add("password", sato_password);
    let (sato_session, enrollment) = site.accept("k.sato", &invitation.code, sato_password).expect("accept");
    secrets.totp_secret(&enrollment.secret_base32);
    for code in &enrollment.recovery_codes {
        secrets.typed(code);
    }
    sato_session.logout().expect("logout");

    // The nurse lost her phone: the reset code, then her new authenticator after an idle lock.
    site.clock.advance(Duration::seconds(30));
    let redeem = SecondFactor::parse(&reset.code);
    let mut nurse = site.login_with("nurse", &site.password("nurse"), redeem).expect("reset login");
    let new_factor = nurse.take_new_second_factor().expect("a new authenticator to enroll");
    secrets.totp_secret(&new_factor.secret_base32);
    secrets.add("otpauth URI", &new_factor.otpauth_uri);
    for code in &new_factor.recovery_codes {
        secrets.typed(code);
    }
    site.clock.advance(Duration::minutes(15));
    assert!(nurse.lock_if_idle().expect("idle check"), "locked after the idle timeout");
    let code = totp_code(&new_factor.secret_base32, site.clock.now());
    secrets.typed(&code);
    nurse.resume(&site.keyring, &Password::new(site.password("nurse")), &SecondFactor::Totp(code)).expect("resume");
    nurse.logout().expect("logout");

    for typed in site.typed_at_logins() {
        secrets.typed(&typed);
    }
    reachable_keys(&site, &mut secrets, &[("admin", site.password("admin")), ("doctor", new_password.into())]);
    secrets
}

/// The device secret, the database key and users' key seeds, as far as the test can open them.
fn reachable_keys(site: &Site<KeyringStore>, secrets: &mut Secrets, users: &[(&str, String)]) {
    let key_file = KeyFile::load(&site.dir.key_file()).expect("key file");
    let device_secret = site.keyring.load(&key_file.device_id).expect("keyring").expect("device secret");
    secrets.key("device secret", device_secret.expose());
    for (user, password) in users {
        let opened = key_file.open(user, &Password::new(password.as_str()), &device_secret).expect("open");
        secrets.key("database key", opened.secrets.dek.expose());
        secrets.key("user key seed", opened.secrets.user_key.secret_key().expose());
        secrets.key("key-encryption key", opened.kek.expose());
    }
}
