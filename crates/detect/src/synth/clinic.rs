//! The synthetic clinic's people: its staff (with the optional profile fields an administrator
//! may fill) and its patients — common surnames and towns, so colleagues share surnames and
//! neighbourhoods with patients as they do in life — with the staff's own charts, their families'
//! and a few public figures marked sensitive. Some patients are kept quiet (never seen in the
//! three weeks): the misuse cases open them.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::rng::Rng;
use crate::context::{
    Appointment, ClinicHours, Context, PatientContext, Relation, SensitiveKind, StaffContext, StaffLink, VisitKind,
};
use crate::event::Role;

pub(crate) const SURNAMES: [(&str, &str); 20] = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
];
pub(crate) const TOWNS: [&str; 8] = ["三軒茶屋", "太子堂", "下馬", "池尻", "代沢", "北沢", "若林", "世田谷"];

/// The clinic's three weeks start on Monday 2026-11-02.
pub(crate) const DAYS: i64 = 21;
pub(crate) const PATIENTS: usize = 1200;
/// Patients from this index on are quiet: no visit, list or result in the three weeks.
pub(crate) const QUIET_FROM: usize = 600;
/// A national holiday inside the three weeks (a Monday).
pub(crate) const HOLIDAY: i64 = 14;

/// A staff member: login, role, surname, home town and block, usual device.
pub(crate) struct Member {
    pub user: &'static str,
    pub role: Role,
    pub surname: usize,
    pub town: usize,
    pub block: u32,
    pub device: &'static str,
}

pub(crate) const STAFF: [Member; 8] = [
    Member { user: "admin", role: Role::Admin, surname: 9, town: 7, block: 1, device: "office" },
    Member { user: "r1", role: Role::Reception, surname: 0, town: 0, block: 1, device: "desk-1" },
    Member { user: "r2", role: Role::Reception, surname: 1, town: 1, block: 2, device: "desk-2" },
    Member { user: "n1", role: Role::Nurse, surname: 2, town: 2, block: 3, device: "nurse-pc" },
    Member { user: "n2", role: Role::Nurse, surname: 3, town: 3, block: 1, device: "nurse-pc" },
    Member { user: "d1", role: Role::Doctor, surname: 4, town: 4, block: 4, device: "exam-1" },
    Member { user: "d2", role: Role::Doctor, surname: 5, town: 5, block: 2, device: "exam-2" },
    Member { user: "d3", role: Role::Doctor, surname: 6, town: 6, block: 3, device: "exam-3" },
];

pub(crate) fn member(user: &str) -> &'static Member {
    STAFF.iter().find(|m| m.user == user).expect("a staff member of the synthetic clinic")
}

pub(crate) fn day(d: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 2).expect("a date") + Duration::days(d)
}

/// Day `d` at `hour:minute` in Japan.
pub(crate) fn at(d: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("JST");
    let midnight = jst.from_local_datetime(&day(d).and_hms_opt(0, 0, 0).expect("midnight")).single().expect("one");
    (midnight + Duration::hours(i64::from(hour)) + Duration::minutes(i64::from(minute))).with_timezone(&Utc)
}

pub(crate) fn patient_id(i: usize) -> String {
    format!("pat-{i:04}")
}

pub(crate) fn context(rng: &mut Rng) -> Context {
    let staff = STAFF
        .iter()
        .map(|m| StaffContext {
            user: m.user.into(),
            role: m.role,
            surname: Some(SURNAMES[m.surname].0.into()),
            surname_kana: Some(SURNAMES[m.surname].1.into()),
            home_town: Some(TOWNS[m.town].into()),
            home_block: Some(m.block.to_string()),
        })
        .collect();
    let mut patients: Vec<PatientContext> = (0..PATIENTS)
        .map(|i| {
            let (surname, kana) = *rng.pick_common(&SURNAMES);
            PatientContext {
                id: patient_id(i),
                surname: surname.into(),
                surname_kana: kana.into(),
                town: (*rng.pick_common(&TOWNS)).into(),
                block: rng.range(1, 5).to_string(),
                sensitive: None,
                staff_links: Vec::new(),
            }
        })
        .collect();
    // The last quiet patients: each clinical and front-desk member's own chart, the doctors'
    // and r1's families, and five public figures.
    let mut next = PATIENTS - 1;
    for m in STAFF.iter().filter(|m| m.role != Role::Admin) {
        let own = &mut patients[next];
        own.surname = SURNAMES[m.surname].0.into();
        own.surname_kana = SURNAMES[m.surname].1.into();
        own.town = TOWNS[m.town].into();
        own.block = m.block.to_string();
        own.sensitive = Some(SensitiveKind::Staff);
        own.staff_links.push(StaffLink { staff: m.user.into(), relation: Relation::Own });
        next -= 1;
        if matches!(m.role, Role::Doctor) || m.user == "r1" {
            let family = &mut patients[next];
            family.surname = SURNAMES[m.surname].0.into();
            family.surname_kana = SURNAMES[m.surname].1.into();
            family.sensitive = Some(SensitiveKind::StaffFamily);
            family.staff_links.push(StaffLink { staff: m.user.into(), relation: Relation::Family });
            next -= 1;
        }
    }
    for _ in 0..5 {
        patients[next].sensitive = Some(SensitiveKind::PublicFigure);
        next -= 1;
    }
    // Earlier visits (before the three weeks) of the patients who are not quiet: the on-call
    // doctor's established patients, and follow-ups in the first days.
    let mut appointments = Vec::new();
    for i in 0..QUIET_FROM {
        for _ in 0..rng.range(1, 3) {
            let back = rng.range(1, 180);
            let clinician = *rng.pick(&["d1", "d2", "d3"]);
            appointments.push(Appointment {
                patient: patient_id(i),
                at: at(-back, 10, 0),
                kind: VisitKind::Outpatient,
                clinician: Some(clinician.into()),
            });
        }
    }
    Context {
        clinic: ClinicHours { holidays: vec![day(HOLIDAY)], ..ClinicHours::default() },
        patients,
        staff,
        appointments,
        ..Context::default()
    }
}
