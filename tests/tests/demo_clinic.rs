//! Story: a newcomer creates the demo clinic; it looks like a real clinic, and the same seed
//! always gives the same clinic.

use mamori_core::clinic::Clinic;
use mamori_core::demo::{self, DemoOptions};
use mamori_core::domain::{NoteStatus, Role};
use mamori_core::vault::MemoryStore;
use mamori_story_tests::*;

fn make(tmp: &std::path::Path, seed: u64) -> (Clinic, demo::DemoReport) {
    let site = Site::demo(tmp, MemoryStore::default(), 80, seed);
    let clinic = site.login("doctor");
    (clinic, site.demo.expect("a demo site"))
}

#[test]
fn the_same_seed_gives_the_same_clinic_and_another_seed_another() {
    let (a, b, c) = (tempfile::tempdir().expect("t"), tempfile::tempdir().expect("t"), tempfile::tempdir().expect("t"));
    let (mut first, _) = make(a.path(), 42);
    let (mut second, _) = make(b.path(), 42);
    let (mut third, _) = make(c.path(), 43);
    // Each clinic seals its clinical records under its own random key, so the stored bytes
    // differ; what must match is every chart as a doctor reads it.
    let charts = all_charts(&mut first);
    assert_eq!(charts.len(), 80);
    assert_eq!(charts, all_charts(&mut second));
    assert_ne!(charts, all_charts(&mut third));
}

fn all_charts(clinic: &mut Clinic) -> Vec<String> {
    let ids: Vec<String> = clinic
        .raw_sql_for_inspection()
        .expect("open")
        .prepare("SELECT id FROM patients ORDER BY chart_no")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("ids");
    ids.iter()
        .map(|id| {
            let chart = clinic.chart(id.parse().expect("uuid")).expect("chart");
            serde_json::to_string(&chart).expect("json")
        })
        .collect()
}

#[test]
fn the_demo_has_every_role_and_charts_with_history() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mut clinic, report) = make(tmp.path(), 1);
    let roles: Vec<Role> = report.users.iter().map(|u| u.role).collect();
    for role in Role::ALL {
        assert!(roles.contains(&role), "{role:?} missing");
    }
    assert_eq!(report.patients, 80);
    let count: i64 = clinic
        .raw_sql_for_inspection()
        .expect("an unlocked session")
        .query_row("SELECT count(*) FROM patients", [], |r| r.get(0))
        .expect("count");
    assert_eq!(count, 80);

    let mut notes = 0;
    let mut repeats = 0;
    let mut labs = 0;
    let mut allergies = 0;
    let ids: Vec<String> = {
        let mut stmt = clinic
            .raw_sql_for_inspection()
            .expect("an unlocked session")
            .prepare("SELECT id FROM patients")
            .expect("prepare");
        stmt.query_map([], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("ids")
    };
    for id in ids {
        let chart = clinic.chart(id.parse().expect("uuid")).expect("chart");
        assert!(!chart.encounters.is_empty(), "every demo patient has visited");
        assert_eq!((chart.records_withheld, chart.records_missing), (0, 0), "every demo record verifies");
        assert!(chart.notes.as_deref().expect("the doctor reads notes").iter().all(|n| n.status == NoteStatus::Signed));
        notes += chart.notes.iter().flatten().count();
        repeats += chart.prescriptions.iter().flatten().filter(|rx| rx.repeat_of.is_some()).count();
        labs += chart.lab_reports.iter().flatten().count();
        allergies += chart.allergies.iter().flatten().count();
    }
    assert!(
        notes >= 80 && repeats > 0 && labs > 0 && allergies > 0,
        "notes {notes} Do {repeats} labs {labs} allergies {allergies}"
    );
}

/// A keyring that stops answering after a few lookups, as when the desktop locks it mid-setup.
struct FlakyKeyring {
    inner: MemoryStore,
    loads_left: std::sync::atomic::AtomicI32,
}

impl mamori_core::vault::DeviceSecretStore for FlakyKeyring {
    fn create(&self, device: &str) -> mamori_core::Result<mamori_core::secret::Key32> {
        self.inner.create(device)
    }
    fn load(&self, device: &str) -> mamori_core::Result<Option<mamori_core::secret::Key32>> {
        if self.loads_left.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) <= 0 {
            return Err(mamori_core::Error::KeyringUnavailable("locked".into()));
        }
        self.inner.load(device)
    }
    fn delete(&self, device: &str) -> mamori_core::Result<()> {
        self.inner.delete(device)
    }
    fn load_record(&self, device: &str, kind: &str) -> mamori_core::Result<Option<Vec<u8>>> {
        self.inner.load_record(device, kind)
    }
    fn store_record(&self, device: &str, kind: &str, bytes: &[u8]) -> mamori_core::Result<()> {
        self.inner.store_record(device, kind, bytes)
    }
    fn delete_record(&self, device: &str, kind: &str) -> mamori_core::Result<()> {
        self.inner.delete_record(device, kind)
    }
}

#[test]
fn a_demo_that_fails_halfway_leaves_no_files_and_no_keyring_entry() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let keyring = FlakyKeyring { inner: MemoryStore::default(), loads_left: 1.into() };
    let dir = data_dir(tmp.path());
    let result = demo::create(&dir, &keyring, Box::new(clinic_clock()), &DemoOptions { patients: 10, seed: 1 });
    assert!(matches!(result, Err(mamori_core::Error::KeyringUnavailable(_))), "{result:?}");
    assert!(files_under(tmp.path()).is_empty(), "left behind: {:?}", files_under(tmp.path()));
    let entries: Vec<_> = std::fs::read_dir(tmp.path()).expect("dir").collect();
    assert!(entries.is_empty(), "no staging folder may remain");
    assert!(keyring.inner.is_empty(), "the device secret made for the failed clinic was removed again");
}

#[test]
fn a_large_demo_reports_its_progress_to_the_end_and_builds_the_same_clinic() {
    let (a, b) = (tempfile::tempdir().expect("t"), tempfile::tempdir().expect("t"));
    let (mut quiet, _) = make(a.path(), 7);
    let mut seen: Vec<(u64, u64)> = Vec::new();
    let dir = data_dir(b.path());
    let keyring = MemoryStore::default();
    let clock = clinic_clock();
    let report = demo::create_with_progress(
        &dir,
        &keyring,
        Box::new(clock.clone()),
        &DemoOptions { patients: 80, seed: 7 },
        &mut |done, total| seen.push((done, total)),
    )
    .expect("demo with progress");
    assert_eq!(seen.first(), Some(&(0, 80)), "the bar starts empty");
    assert_eq!(seen.last(), Some(&(80, 80)), "the bar reaches the end");
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0 && w[1].1 == 80), "progress never goes back: {seen:?}");

    // Watching the progress changes nothing about the clinic.
    let doctor = report.users.iter().find(|u| u.role == Role::Doctor).expect("a demo doctor");
    clock.advance(chrono::Duration::seconds(30));
    let code = totp_code(&doctor.totp_secret, mamori_core::clock::Clock::now(&clock));
    let mut watched = Clinic::unlock(
        &dir,
        &keyring,
        Box::new(clock),
        &doctor.name,
        &mamori_core::secret::Password::new(doctor.password.clone()),
        &mamori_core::auth::SecondFactor::Totp(code),
    )
    .expect("the doctor logs in");
    assert_eq!(all_charts(&mut watched), all_charts(&mut quiet));
}
