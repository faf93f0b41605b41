//! Story: every member of staff does every kind of thing to a chart. Each role gets exactly what
//! the role table in docs/roles.md grants, and every refusal lands in the audit log.

use std::sync::LazyLock;

use chrono::Duration;
use mamori_core::audit::{Action, AuditEvent, Outcome};
use mamori_core::clinic::Clinic;
use mamori_core::domain::*;
use mamori_core::policy::{self, Access, Section};
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;
use uuid::Uuid;

/// The role table as the clinic reads it, written independently of the code.
const ROLES_DOC: &str = include_str!("../../docs/roles.md");

/// docs/roles.md's table: for each section, the most each role (in `Role::ALL` order) may do.
static DOCUMENTED: LazyLock<Vec<(Section, Vec<Option<Access>>)>> = LazyLock::new(|| parse_role_table(ROLES_DOC));

fn parse_role_table(doc: &str) -> Vec<(Section, Vec<Option<Access>>)> {
    let rows: Vec<Vec<&str>> = doc
        .lines()
        .filter_map(|line| line.trim().strip_prefix('|')?.strip_suffix('|'))
        .map(|inner| inner.split('|').map(str::trim).collect())
        .collect();
    let header = rows.iter().find(|row| row.first() == Some(&"section")).expect("docs/roles.md has a table header");
    let columns: Vec<usize> = Role::ALL
        .iter()
        .map(|role| header.iter().position(|h| *h == role.as_str()).expect("a column for every role"))
        .collect();
    rows.iter()
        .filter_map(|row| {
            let name = row.first()?.strip_prefix('`')?.strip_suffix('`')?;
            let section = Section::ALL.into_iter().find(|s| s.as_str() == name).expect("a section the code knows");
            let grants = columns
                .iter()
                .map(|&c| match row[c] {
                    "—" => None,
                    "read" => Some(Access::Read),
                    "read/write" => Some(Access::Write),
                    "read/write/sign" => Some(Access::Sign),
                    other => panic!("docs/roles.md: {name}: unknown grant {other:?}"),
                })
                .collect();
            Some((section, grants))
        })
        .collect()
}

fn expected(role: Role, section: Section, access: Access) -> bool {
    let column = Role::ALL.iter().position(|r| *r == role).expect("role");
    let grants = &DOCUMENTED.iter().find(|(s, _)| *s == section).expect("section").1;
    grants[column].is_some_and(|most| access <= most)
}

#[test]
fn docs_roles_md_names_every_section_once() {
    let sections: Vec<Section> = DOCUMENTED.iter().map(|(s, _)| *s).collect();
    assert_eq!(sections, Section::ALL, "one row per section, in the code's order");
}

#[test]
fn the_policy_module_is_the_documented_table() {
    for role in Role::ALL {
        for section in Section::ALL {
            for access in Access::ALL {
                assert_eq!(
                    policy::allows(role, section, access),
                    expected(role, section, access),
                    "{role:?} {section:?} {access:?}"
                );
            }
        }
    }
}

type Command = fn(&mut Clinic, &Fixture) -> Result<(), Error>;

struct Fixture {
    patient: Uuid,
    signed_note: Uuid,
}

fn commands() -> Vec<(&'static str, Section, Access, Command)> {
    vec![
        ("search patients", Section::Demographics, Access::Read, |c, _| c.search_patients("ヤ", 5).map(drop)),
        ("open a chart", Section::Demographics, Access::Read, |c, f| c.chart(f.patient).map(drop)),
        ("register a patient", Section::Demographics, Access::Write, |c, _| {
            let chart_no = format!("{}", 800_000 + Uuid::new_v4().as_u128() % 100_000);
            c.register_patient(&patient(&chart_no, ("試験", "花子"), ("シケン", "ハナコ"), "1990-01-01", "")).map(drop)
        }),
        ("edit demographics", Section::Demographics, Access::Write, |c, f| {
            let mut input = patient("555555", ("試験", "太郎"), ("シケン", "タロウ"), "1980-05-05", "");
            input.chart_no = format!("{}", 700_000 + Uuid::new_v4().as_u128() % 100_000);
            c.update_patient(f.patient, &input).map(drop)
        }),
        ("book an appointment", Section::Appointments, Access::Write, |c, f| {
            let input = AppointmentInput {
                scheduled_at: c.now() + Duration::days(7),
                purpose: "再診".into(),
                ..AppointmentInput::default()
            };
            c.book_appointment(f.patient, &input).map(drop)
        }),
        ("check in a walk-in", Section::Appointments, Access::Write, |c, f| {
            c.check_in_walk_in(f.patient, "発熱").map(drop)
        }),
        ("open an encounter", Section::Appointments, Access::Write, |c, f| {
            c.open_encounter(f.patient, EncounterKind::Outpatient).map(drop)
        }),
        ("record vitals", Section::Vitals, Access::Write, |c, f| {
            c.record_vitals(f.patient, None, &VitalsInput { pulse_bpm: Some(72), ..Default::default() }).map(drop)
        }),
        ("record an allergy", Section::Allergies, Access::Write, |c, f| {
            let input = AllergyInput { substance: "卵".into(), reaction: "発疹".into(), severity: Severity::Mild };
            c.record_allergy(f.patient, &input).map(drop)
        }),
        ("record a problem", Section::Problems, Access::Write, |c, f| {
            let input = ProblemInput {
                name: "高血圧症".into(),
                icd10: "I10".into(),
                onset: None,
                status: ProblemStatus::Active,
            };
            c.record_problem(f.patient, &input).map(drop)
        }),
        ("amend a doctor's signed note", Section::Notes, Access::Write, |c, f| {
            c.amend_note(f.signed_note, SoapText::build("追記", "", "", "").expect("text")).map(drop)
        }),
        ("prescribe", Section::Prescriptions, Access::Sign, |c, f| {
            let item = PrescriptionItemInput {
                drug: "アムロジピン錠5mg".into(),
                dose: 1.0,
                unit: "錠".into(),
                frequency: "1日1回朝食後".into(),
                days: 28,
            };
            c.prescribe(f.patient, None, &[item]).map(drop)
        }),
        ("prescribe Do", Section::Prescriptions, Access::Sign, |c, f| c.prescribe_do(f.patient, None).map(drop)),
        ("record lab results", Section::Results, Access::Write, |c, f| {
            let at = c.now();
            let result = LabResultInput {
                test: "HbA1c".into(),
                value: 6.1,
                unit: "%".into(),
                reference_low: Some(4.6),
                reference_high: Some(6.2),
            };
            c.record_lab_report(f.patient, at, &[result]).map(drop)
        }),
        ("verify the audit log", Section::Administration, Access::Read, |c, _| c.verify_audit().map(drop)),
        ("read the audit log", Section::Administration, Access::Read, |c, _| {
            c.audit_events(&mamori_core::audit::Filter::All).map(drop)
        }),
    ]
}

fn last_event(clinic: &Clinic) -> AuditEvent {
    let body: String = clinic
        .raw_sql_for_inspection()
        .expect("an unlocked session")
        .query_row("SELECT body FROM audit_events ORDER BY seq DESC LIMIT 1", [], |r| r.get(0))
        .expect("an audit event");
    serde_json::from_str(&body).expect("event")
}

#[test]
fn every_role_can_do_exactly_what_the_table_grants_and_every_denial_is_audited() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 20, 8);
    let open = |name: &str| site.login(name);
    let fixture = {
        let mut doctor = open("doctor");
        let patient = doctor.search_patients("000001", 1).expect("search")[0].id;
        let note = doctor
            .chart(patient)
            .expect("chart")
            .notes
            .expect("notes")
            .into_iter()
            .find(|n| n.status == NoteStatus::Signed)
            .expect("a signed note");
        Fixture { patient, signed_note: note.id }
    };

    let mut checked = 0;
    for role in Role::ALL {
        let mut clinic = open(role.as_str());
        for (name, section, access, command) in commands() {
            let allowed = expected(role, section, access);
            let result = command(&mut clinic, &fixture);
            if allowed {
                // Allowed commands may still refuse for a chart reason (a note amended twice),
                // but never for permissions.
                assert!(
                    !matches!(result, Err(Error::Denied { .. })),
                    "{role:?} should be allowed to {name}: {result:?}"
                );
            } else {
                assert!(matches!(result, Err(Error::Denied { .. })), "{role:?} must not {name}: {result:?}");
                let event = last_event(&clinic);
                assert_eq!((event.action, event.outcome), (Action::Denied, Outcome::Denied), "{role:?} {name}");
                assert_eq!(event.user, role.as_str());
                assert!(event.section.is_some(), "the denial names the section");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 4 * commands().len());
}

#[test]
fn a_chart_holds_only_the_sections_a_role_may_read_and_each_read_is_audited() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 10, 2);
    for role in [Role::Reception, Role::Nurse, Role::Doctor] {
        let name = role.as_str();
        let mut clinic = site.login(name);
        let id = clinic.search_patients("000002", 1).expect("search")[0].id;
        let chart = clinic.chart(id).expect("chart");
        let may = |s| expected(role, s, Access::Read);
        assert_eq!(chart.allergies.is_some(), may(Section::Allergies), "{role:?}");
        assert_eq!(chart.notes.is_some(), may(Section::Notes), "{role:?}");
        assert_eq!(chart.vitals.is_some(), may(Section::Vitals), "{role:?}");
        assert_eq!(chart.prescriptions.is_some(), may(Section::Prescriptions), "{role:?}");
        assert_eq!(chart.lab_reports.is_some(), may(Section::Results), "{role:?}");
        let events = clinic
            .raw_sql_for_inspection()
            .expect("an unlocked session")
            .prepare("SELECT body FROM audit_events WHERE patient_id = ?1 ORDER BY seq")
            .expect("prepare")
            .query_map([id.to_string()], |r| r.get::<_, String>(0))
            .expect("query")
            .map(|b| serde_json::from_str::<AuditEvent>(&b.expect("row")).expect("event"))
            .filter(|e| e.user == name && e.action == Action::Read)
            .collect::<Vec<_>>();
        let readable: Vec<Section> =
            Section::ALL.into_iter().filter(|s| *s != Section::Administration && may(*s)).collect();
        assert_eq!(events.len(), 1, "{role:?}: one read event per chart open");
        assert_eq!(events[0].sections_read, readable, "{role:?}: it names exactly the sections served");
    }
}
