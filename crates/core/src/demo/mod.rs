//! The demo clinic: one user per role with demo passwords, and synthetic patients with realistic
//! Japanese names, readings, addresses, insurance and clinical histories. The same seed and the
//! same "now" give the same clinic. Everything here is invented; nothing comes from real people.

mod accesses;
mod catalog;
mod history;
mod people;
mod random;

use chrono::Duration;
use serde::Serialize;

use self::history::{clinic_hours, Authored, Staff};
use self::random::DemoRng;
use crate::audit::{Action, NewEvent};
use crate::auth::Enrollment;
use crate::changelog::OpenBody;
use crate::clinic::{Clinic, DataDir};
use crate::clock::Clock;
use crate::domain::{Appointment, AppointmentInput, Encounter, EncounterKind, Role, User};
use crate::secret::Password;
use crate::vault::DeviceSecretStore;
use crate::{Error, Result};

/// Patients are written in transactions of this many, so a 100k clinic takes minutes, not hours.
/// The generated audit batches (`accesses.rs`), for the generator's session to append.
pub(crate) type GeneratedAccesses = Vec<accesses::Batch>;
pub use accesses::{NURSE_BLOCK, NURSE_SURNAME, NURSE_TOWN};

const PATIENTS_PER_TRANSACTION: usize = 250;

#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub patients: u32,
    pub seed: u64,
}

/// A demo login, printed so a newcomer can sign in.
#[derive(Clone, Debug, Serialize)]
pub struct DemoUser {
    pub name: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    /// Base32 TOTP secret for an authenticator app (filled in when the demo is created).
    pub totp_secret: String,
    pub otpauth_uri: String,
    /// Their Secret Key (with the password, it opens their vault record on another device).
    pub secret_key: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    pub users: Vec<DemoUser>,
    pub patients: u32,
    pub changes: u64,
    /// The clinic root fingerprint (hex), to set a clinic server up for the demo clinic.
    pub clinic_root: String,
}

impl DemoUser {
    fn remember(&mut self, enrollment: &Enrollment) {
        self.totp_secret = enrollment.secret_base32.clone();
        self.otpauth_uri = enrollment.otpauth_uri.clone();
    }

    /// Seals their vault record in their own session, so they can log in on other devices.
    fn seal_vault_record(&mut self, session: &mut Clinic, secrets: &dyn DeviceSecretStore) -> Result<()> {
        let made = session.make_vault_record(secrets, &Password::new(self.password.clone()))?;
        self.secret_key = made.map(|key| key.to_text().to_string()).unwrap_or_default();
        Ok(())
    }
}

/// The demo staff, one per role. Passwords are public: this is a demo.
pub fn demo_users() -> Vec<DemoUser> {
    [
        (Role::Admin, "admin", "管理 一郎"),
        (Role::Doctor, "doctor", "守 太郎"),
        (Role::Nurse, "nurse", "看護 花子"),
        (Role::Reception, "reception", "受付 さくら"),
    ]
    .into_iter()
    .map(|(role, name, display)| DemoUser {
        name: name.into(),
        display_name: display.into(),
        role,
        password: format!("demo-{name}-password"),
        totp_secret: String::new(),
        otpauth_uri: String::new(),
        secret_key: String::new(),
    })
    .collect()
}

/// Creates a demo clinic in an empty `dir`. Returns the logins and what was written.
///
/// The clinic is built in a hidden folder beside `dir` and moved into place only when complete,
/// so an interrupted or failed demo leaves nothing half-written (and no keyring entry).
pub fn create(
    dir: &DataDir,
    secrets: &dyn DeviceSecretStore,
    clock: Box<dyn Clock>,
    options: &DemoOptions,
) -> Result<DemoReport> {
    create_with_progress(dir, secrets, clock, options, &mut |_, _| {})
}

/// [`create`], telling `progress(done, total)` as patients are written (a 100k clinic takes
/// minutes; the CLI draws a bar). The last call, `(total, total)`, comes once all are committed.
pub fn create_with_progress(
    dir: &DataDir,
    secrets: &dyn DeviceSecretStore,
    clock: Box<dyn Clock>,
    options: &DemoOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<DemoReport> {
    let root = dir.root();
    let occupied = std::fs::read_dir(root).map(|mut entries| entries.next().is_some()).unwrap_or(false);
    if occupied {
        return Err(Error::AlreadyInitialized(root.to_path_buf()));
    }
    let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "mamori".into());
    let staging = DataDir::new(root.with_file_name(format!(".{name}.creating")));
    if staging.root().exists() {
        std::fs::remove_dir_all(staging.root()).map_err(Error::io("remove the unfinished demo in", staging.root()))?;
    }
    let mut device = None;
    let started = std::time::Instant::now();
    let built = build(&staging, secrets, clock, options, &mut device, progress).and_then(|report| {
        std::fs::rename(staging.root(), root).map(|()| report).map_err(Error::io("move the demo clinic to", root))
    });
    match &built {
        Ok(report) => crate::log_safe!(
            info,
            "demo clinic created",
            patients = report.patients,
            changes = report.changes,
            elapsed_ms = started.elapsed()
        ),
        Err(error) => crate::log_safe!(error, "demo clinic not created; nothing was left behind", code = error),
    }
    if built.is_err() {
        let _ = std::fs::remove_dir_all(staging.root());
        if let Some(device) = device {
            let _ = secrets.delete(&device);
        }
    }
    built
}

fn build(
    dir: &DataDir,
    secrets: &dyn DeviceSecretStore,
    clock: Box<dyn Clock>,
    options: &DemoOptions,
    device: &mut Option<String>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<DemoReport> {
    let mut users = demo_users();
    let as_user = |u: &DemoUser| User::build(&u.name, &u.display_name, u.role);
    let (first, others) = users.split_first_mut().expect("the demo has users");
    // The demo's root key signs its first link and is dropped: a demo clinic has no recovery kit.
    let (mut clinic, enrollment, _kit) =
        Clinic::init(dir, secrets, clock, &as_user(first)?, &Password::new(first.password.clone()))?;
    *device = Some(clinic.device_id().to_string());
    first.remember(&enrollment);
    first.seal_vault_record(&mut clinic, secrets)?;
    // The admin invites each demo user; each accepts in their own session, choosing their
    // (demo) password and enrolling their own authenticator, as staff do at their first login.
    let mut invitations = Vec::new();
    for user in others.iter() {
        invitations.push(clinic.invite_user(secrets, &as_user(user)?)?);
    }
    // The admin enrolls the demo computer in the clinic's sync, for every role, so a local clinic
    // server can be set up for it straight away.
    clinic.enroll_this_device(secrets, vec![Role::Reception, Role::Nurse, Role::Doctor, Role::Admin])?;
    let clinic_root = hex::encode(clinic.membership()?.root());
    let mut clock = clinic.logout_keeping_clock()?;
    // Each demo user's signing key is handed to the generator, which writes the history they
    // sign (only the demo does this: a real session signs as its own user only).
    let mut signers = Vec::new();
    for (user, invitation) in others.iter_mut().zip(&invitations) {
        let password = Password::new(user.password.clone());
        let (mut session, enrollment) =
            Clinic::accept_invitation(dir, secrets, clock, &user.name, &invitation.code, &password)?;
        user.remember(&enrollment);
        user.seal_vault_record(&mut session, secrets)?;
        signers.push(session.signing_key_for_generator()?);
        clock = session.logout_keeping_clock()?;
    }
    // The admin never holds the clinical key: the history is written in the doctor's session
    // (the first clinician in, whose acceptance started the key); the doctor confirms the nurse
    // (as a real doctor would, checking the fingerprint with her), which passes it on.
    Ok(clock).and_then(|clock| {
        let doctor = users.iter().find(|u| u.role == Role::Doctor).ok_or(Error::InvalidState("no demo doctor"))?;
        let mut clinic =
            Clinic::open_for_generator(dir, secrets, clock, &doctor.name, &Password::new(doctor.password.clone()))?;
        for pending in clinic.pending_recipients()? {
            clinic.confirm_recipient(&pending.user, &pending.fingerprint)?;
        }
        clinic.adopt_generator_signers(signers);
        populate_with_progress(&mut clinic, options, progress)?;
        let clock = clinic.logout_keeping_clock()?;
        // The administrator fills the nurse's optional profile, which the detector compares with
        // charts.
        let admin = users.iter().find(|u| u.role == Role::Admin).ok_or(Error::InvalidState("no demo admin"))?;
        let mut clinic =
            Clinic::open_for_generator(dir, secrets, clock, &admin.name, &Password::new(admin.password.clone()))?;
        clinic.set_staff_profile(&crate::alerts::StaffProfile {
            user: "nurse".into(),
            surname: Some(NURSE_SURNAME.0.into()),
            surname_kana: Some(NURSE_SURNAME.1.into()),
            home_town: Some(NURSE_TOWN.into()),
            home_block: Some(NURSE_BLOCK.into()),
        })?;
        Ok(DemoReport { users, patients: options.patients, changes: clinic.change_count()?, clinic_root })
    })
}
/// Writes `options.patients` synthetic patients with histories into an open clinic.
pub fn populate(clinic: &mut Clinic, options: &DemoOptions) -> Result<()> {
    populate_with_progress(clinic, options, &mut |_, _| {})
}

/// [`populate`], telling `progress(done, total)` after each patient generated; the last call,
/// `(total, total)`, comes after the last transaction committed.
pub fn populate_with_progress(
    clinic: &mut Clinic,
    options: &DemoOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    let total = u64::from(options.patients);
    progress(0, total);
    let catalog = catalog::catalog();
    let mut rng = DemoRng::seeded(options.seed);
    let now = clinic.now();
    let today = clinic.today();
    // Every change is signed by its author: written in the demo receptionist's, nurse's or
    // doctor's name when this session holds their key (the demo clinic), else in the session
    // user's own.
    let me = clinic.user().name.clone();
    let author = |name: &'static str| if clinic.signs_as(name) { name.to_string() } else { me.clone() };
    let (reception, nurse, doctor) = (author("reception"), author("nurse"), author("doctor"));
    let staff = Staff { reception: &reception, nurse: &nurse, doctor: &doctor };
    let first_chart_no = clinic.next_free_chart_no()?.parse::<u32>().unwrap_or(1);
    // About thirty patients are booked for today, some already at the desk.
    let booked_today = (30.0 / f64::from(options.patients.max(1))).min(1.0);

    let mut batch: Vec<Authored> = Vec::new();
    let mut known = accesses::Patients::new();
    for n in 0..options.patients {
        let registered_at = now - Duration::days(rng.range(30, 3000));
        let mut patient = people::patient(&mut rng, catalog, first_chart_no + n, today, registered_at)?;
        accesses::make_candidate(&mut patient, n);
        let written = history::history(&mut rng, catalog, &patient, now, &staff)?;
        known.note(&patient, &written, now);
        batch.extend(written);
        if rng.chance(booked_today) {
            let at = clinic_hours(&mut rng, today);
            let mut appointment = Appointment::build(
                rng.id_at(now),
                patient.id,
                &AppointmentInput { scheduled_at: at, purpose: "再診".into(), ..AppointmentInput::default() },
            )?;
            let arrived = (at <= now).then(|| at - Duration::minutes(rng.range(0, 15)));
            if let Some(arrived) = arrived {
                appointment = appointment.checked_in(arrived)?;
            }
            known.booked(patient.id, at);
            batch.push((staff.reception.into(), OpenBody::AppointmentSaved(appointment).into()));
            // Check-in opens today's visit, as at the real desk.
            if let Some(arrived) = arrived {
                let visit = Encounter {
                    id: rng.id_at(arrived),
                    patient_id: patient.id,
                    kind: EncounterKind::Outpatient,
                    started_at: arrived,
                    clinician: staff.reception.into(),
                };
                batch.push((staff.reception.into(), OpenBody::EncounterOpened(visit).into()));
            }
        }
        if (n as usize + 1).is_multiple_of(PATIENTS_PER_TRANSACTION) {
            clinic.commit_as(std::mem::take(&mut batch), Vec::new())?;
        }
        if n + 1 < options.patients {
            progress(u64::from(n + 1), total);
        }
    }
    // The generator is one administrative act, audited once rather than per synthetic change.
    let summary = NewEvent::allowed(Action::Admin, None, None)
        .with_reason(format!("generated {} synthetic demo patients (seed {})", options.patients, options.seed));
    clinic.commit_as(batch, vec![summary])?;
    // The staff's last month in the audit log, with the planted misuse (demo clinic only:
    // the generator holds every demo user's key).
    if ["reception", "nurse", "doctor"].iter().all(|name| clinic.signs_as(name)) {
        clinic.append_generated_audit(accesses::generate(&known, now))?;
    }
    progress(total, total);
    Ok(())
}
