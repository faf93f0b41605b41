//! Shared fixtures for the story tests: a private keyring namespace per test, a clinic clock,
//! and patients with known names.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use mamori_core::clinic::{Clinic, DataDir};
use mamori_core::clock::ManualClock;
use mamori_core::domain::{InsuranceInput, PatientInput, Role, User};
use mamori_core::secret::Password;
use mamori_core::vault::{DeviceSecretStore, KeyringStore};

pub const DOCTOR_PASSWORD: &str = "doctor-password-1";

/// The real OS keyring (Secret Service), under a service name used only by this test, so tests
/// running side by side never see each other's device secrets.
pub fn test_keyring(test: &str) -> KeyringStore {
    KeyringStore::new(format!("mamori-test-{test}-{}", uuid_suffix()))
}

fn uuid_suffix() -> String {
    let mut bytes = [0u8; 6];
    mamori_core::secret::fill_random(&mut bytes).expect("random");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 2026-11-29 10:00 JST.
pub fn clinic_clock() -> ManualClock {
    ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 29, 1, 0, 0).single().expect("valid time"))
}

pub fn doctor() -> User {
    User::build("doctor", "守 太郎", Role::Doctor).expect("valid user")
}

/// A new clinic in `dir/clinic` with one doctor.
pub fn new_clinic(dir: &Path, keyring: &dyn DeviceSecretStore) -> Clinic {
    Clinic::init(&data_dir(dir), keyring, Box::new(clinic_clock()), &doctor(), &Password::new(DOCTOR_PASSWORD))
        .expect("init")
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
        sensitive: false,
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
