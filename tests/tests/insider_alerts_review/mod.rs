//! Security review of the insider detector (`clinic/alerts`): the nurse, with her own login and
//! raw SQL on the database her password opens, tries to hide her alerts, frame a colleague, blind
//! the administrator's list, and reach the demo's audit generator; the administrator tries to
//! learn a patient's name through the detector. Each test asserts what SHOULD hold.
//!
//! Tests marked `BROKE, FIXED` broke at the reviewed commit (the attack worked) and pass since
//! the fix; those marked `HOLDS` held from the start. The export's token oracle (an administrator
//! probing a surname through a staff profile) is documented in docs/security-model.md.
//!
//! The scene (`Scene::new`): the doctor registers 高橋 (下馬3, the nurse's relative) and 山田
//! (a stranger, seen by the doctor that day, so an established patient); the admin fills the
//! nurse's profile (高橋, 下馬3). Two days later (Tuesday 2026-12-01) the nurse opens 高橋 at
//! 17:00 (same_surname) and 山田 at 23:30 (off_hours). The admin's list shows both.

mod framing_junk_and_names;
mod hiding;

pub(super) use chrono::{DateTime, Duration, Utc};
pub(super) use ed25519_dalek::Signer;
pub(super) use mamori_core::alerts::{AlertFilter, AlertStatus, AlertView, StaffProfile};
pub(super) use mamori_core::audit::Filter;
pub(super) use mamori_core::clinic::{Standing, TrainingKind};
pub(super) use mamori_core::clock::Clock;
pub(super) use mamori_core::domain::EncounterKind;
pub(super) use mamori_core::vault::MemoryStore;
pub(super) use mamori_core::OpenBody;
pub(super) use mamori_detect::context::{ClinicHours, OpenHours, Shift, ShiftKind};
pub(super) use mamori_story_tests::*;
pub(super) use uuid::Uuid;

pub(super) struct Scene {
    pub(super) site: Site<MemoryStore>,
    pub(super) relative: Uuid,
    pub(super) stranger: Uuid,
    /// Three more established patients nobody on the nurse's side has a reason to open.
    pub(super) others: Vec<Uuid>,
    /// When the nurse opened the stranger's chart (Tuesday 23:30 JST).
    pub(super) night: DateTime<Utc>,
    _tmp: tempfile::TempDir,
}

pub(super) fn open() -> AlertFilter {
    AlertFilter { status: AlertStatus::Open, ..AlertFilter::default() }
}

pub(super) fn names(alerts: &[AlertView], rule: Option<&str>, user: &str, patient: Uuid) -> bool {
    alerts.iter().any(|a| {
        rule.is_none_or(|r| a.rule == r) && a.user == user && a.patients.iter().any(|p| p.id == patient.to_string())
    })
}

impl Scene {
    pub(super) fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let site = Site::new(tmp.path(), MemoryStore::default());
        let (relative, stranger, others) = {
            let mut doctor = site.login("doctor");
            let mut input = patient("000101", ("高橋", "花子"), ("タカハシ", "ハナコ"), "1950-03-12", "");
            input.address = "東京都世田谷区下馬3-12-5".into();
            let relative = doctor.register_patient(&input).expect("register").id;
            let mut input = patient("000102", ("山田", "一郎"), ("ヤマダ", "イチロウ"), "1948-01-02", "");
            input.address = "東京都目黒区中町1-2-3".into();
            let stranger = doctor.register_patient(&input).expect("register").id;
            doctor.open_encounter(stranger, EncounterKind::Outpatient).expect("a visit with the doctor");
            let mut others = Vec::new();
            for (i, (family, kana)) in
                [("佐藤", "サトウ"), ("鈴木", "スズキ"), ("伊藤", "イトウ")].into_iter().enumerate()
            {
                let input = patient(&format!("00020{i}"), (family, "太郎"), (kana, "タロウ"), "1960-01-01", "");
                let id = doctor.register_patient(&input).expect("register").id;
                doctor.open_encounter(id, EncounterKind::Outpatient).expect("a visit");
                others.push(id);
            }
            doctor.logout().expect("logout");
            (relative, stranger, others)
        };
        {
            let mut admin = site.login("admin");
            admin
                .set_staff_profile(&StaffProfile {
                    user: "nurse".into(),
                    surname: Some("高橋".into()),
                    surname_kana: Some("タカハシ".into()),
                    home_town: Some("下馬".into()),
                    home_block: Some("3".into()),
                })
                .expect("profile");
            admin.logout().expect("logout");
        }
        site.clock.advance(Duration::days(2) + Duration::hours(7));
        let mut nurse = site.login("nurse");
        nurse.chart(relative).expect("read");
        nurse.logout().expect("logout");
        site.clock.advance(Duration::hours(6) + Duration::minutes(30));
        let night = site.clock.now();
        let mut nurse = site.login("nurse");
        nurse.chart(stranger).expect("read");
        nurse.logout().expect("logout");

        let scene = Self { site, relative, stranger, others, night, _tmp: tmp };
        let alerts = scene.admin_alerts();
        assert!(names(&alerts, Some("same_surname"), "nurse", relative), "baseline: {alerts:#?}");
        assert!(names(&alerts, Some("off_hours"), "nurse", stranger), "baseline: {alerts:#?}");
        scene
    }

    pub(super) fn admin_alerts(&self) -> Vec<AlertView> {
        let mut admin = self.site.login("admin");
        let alerts = admin.alerts(&open()).expect("the admin's alert list");
        admin.logout().expect("logout");
        alerts
    }

    /// The nurse logs in and runs `sql` on the database her password opens.
    pub(super) fn nurse_sql(&self, sql: &str, params: impl rusqlite::Params) {
        let nurse = self.site.login("nurse");
        nurse.raw_sql_for_inspection().expect("raw SQL").execute(sql, params).expect("her raw SQL runs");
        nurse.logout().expect("logout");
    }
}
