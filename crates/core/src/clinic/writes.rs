//! Writing the chart: each method asks the policy, validates its input, checks the chart's
//! current state, and commits its change with its audit event through [`Clinic::commit`].

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use uuid::Uuid;

use super::access::{self, note_section};
use super::Clinic;
use crate::changelog::{ChangeBody, ClinicalBody, OpenBody};
use crate::domain::validation::Problem as Why;
use crate::domain::*;
use crate::policy::{Access, Section};
use crate::{Error, Result};

impl Clinic {
    pub fn register_patient(&mut self, input: &PatientInput) -> Result<Patient> {
        self.authorize(Section::Demographics, Access::Write, None)?;
        let patient = Patient::build(self.new_id()?, input, self.today())?;
        self.ensure_chart_no_free(&patient.chart_no, patient.id)?;
        self.commit(OpenBody::PatientRegistered(patient.clone()))?;
        Ok(patient)
    }

    pub fn update_patient(&mut self, id: Uuid, input: &PatientInput) -> Result<Patient> {
        self.authorize(Section::Demographics, Access::Write, Some(id))?;
        self.load_patient(id)?;
        let patient = Patient::build(id, input, self.today())?;
        self.ensure_chart_no_free(&patient.chart_no, id)?;
        self.commit(OpenBody::PatientUpdated(patient.clone()))?;
        Ok(patient)
    }

    /// The next free numeric chart number, suggested when registering a patient.
    pub fn next_chart_no(&mut self) -> Result<String> {
        self.authorize(Section::Demographics, Access::Write, None)?;
        self.next_free_chart_no()
    }

    pub(crate) fn next_free_chart_no(&self) -> Result<String> {
        let highest: Option<i64> = self.conn()?.query_row(
            "SELECT max(CAST(chart_no AS INTEGER)) FROM patients WHERE chart_no GLOB '[0-9]*'",
            [],
            |row| row.get(0),
        )?;
        Ok(format!("{:06}", highest.unwrap_or(0) + 1))
    }

    /// Opens a visit (受付 or the clinician at the start of a consultation or home visit).
    pub fn open_encounter(&mut self, patient_id: Uuid, kind: EncounterKind) -> Result<Encounter> {
        self.authorize(Section::Appointments, Access::Write, Some(patient_id))?;
        self.load_patient(patient_id)?;
        let encounter = Encounter {
            id: self.new_id()?,
            patient_id,
            kind,
            started_at: self.now(),
            clinician: self.user.name.clone(),
        };
        self.commit(OpenBody::EncounterOpened(encounter.clone()))?;
        Ok(encounter)
    }

    /// A new draft: a doctor's SOAP note, or a nurse's nursing note.
    pub fn write_note(&mut self, encounter_id: Uuid, text: SoapText) -> Result<SoapNote> {
        let kind = self.own_note_kind();
        self.authorize(note_section(kind), Access::Write, None)?;
        let text = text.validated()?;
        let encounter = self.load_encounter(encounter_id)?;
        let note = SoapNote::draft(
            self.new_id()?,
            encounter.patient_id,
            encounter.id,
            kind,
            &self.user.name,
            text,
            self.now(),
        );
        self.commit(ClinicalBody::NoteDrafted(note.clone()))?;
        Ok(note)
    }

    pub fn edit_note(&mut self, note_id: Uuid, text: SoapText) -> Result<SoapNote> {
        let previous = self.authorized_note(note_id, Access::Write)?;
        let note = previous.edited(&self.user.name, text.validated()?, self.now())?;
        self.commit(ClinicalBody::NoteDrafted(note.clone()))?;
        Ok(note)
    }

    pub fn sign_note(&mut self, note_id: Uuid) -> Result<SoapNote> {
        let note = self.authorized_note(note_id, Access::Sign)?.signed(&self.user.name, self.now())?;
        self.commit(ClinicalBody::NoteSigned(note.clone()))?;
        Ok(note)
    }

    /// A new version of a signed note; the signed one stays as it was.
    pub fn amend_note(&mut self, note_id: Uuid, text: SoapText) -> Result<SoapNote> {
        let previous = self.authorized_note(note_id, Access::Write)?;
        let text = text.validated()?;
        if self.amended_already(&previous)? {
            return Err(Error::invalid(Field::Note, Why::AlreadyAmended));
        }
        let amendment = previous.amendment(self.new_id()?, &self.user.name, text, self.now())?;
        self.commit(ClinicalBody::NoteAmended(amendment.clone()))?;
        Ok(amendment)
    }

    /// Vitals measured now, filed under today's visit (`encounter_id` may name it; a visit of an
    /// earlier day is refused).
    pub fn record_vitals(
        &mut self,
        patient_id: Uuid,
        encounter_id: Option<Uuid>,
        input: &VitalsInput,
    ) -> Result<Vitals> {
        self.authorize(Section::Vitals, Access::Write, Some(patient_id))?;
        self.load_patient(patient_id)?;
        let encounter_id = self.visit_for_now(patient_id, encounter_id)?;
        let vitals = Vitals::build(self.new_id()?, patient_id, encounter_id, self.now(), input)?;
        self.commit(ClinicalBody::VitalsRecorded(vitals.clone()))?;
        Ok(vitals)
    }

    pub fn record_allergy(&mut self, patient_id: Uuid, input: &AllergyInput) -> Result<Allergy> {
        self.authorize(Section::Allergies, Access::Write, Some(patient_id))?;
        self.load_patient(patient_id)?;
        let allergy = Allergy::build(self.new_id()?, patient_id, self.now(), input)?;
        self.commit(ClinicalBody::AllergyRecorded(allergy.clone()))?;
        Ok(allergy)
    }

    pub fn record_problem(&mut self, patient_id: Uuid, input: &ProblemInput) -> Result<Problem> {
        self.authorize(Section::Problems, Access::Write, Some(patient_id))?;
        self.load_patient(patient_id)?;
        let problem = Problem::build(self.new_id()?, patient_id, self.today(), input)?;
        self.commit(ClinicalBody::ProblemRecorded(problem.clone()))?;
        Ok(problem)
    }

    /// A prescription issued now, filed under today's visit like [`Clinic::record_vitals`].
    pub fn prescribe(
        &mut self,
        patient_id: Uuid,
        encounter_id: Option<Uuid>,
        items: &[PrescriptionItemInput],
    ) -> Result<Prescription> {
        self.authorize(Section::Prescriptions, Access::Sign, Some(patient_id))?;
        self.load_patient(patient_id)?;
        let encounter_id = self.visit_for_now(patient_id, encounter_id)?;
        let rx = Prescription::build(self.new_id()?, patient_id, encounter_id, &self.user.name, self.now(), items)?;
        self.commit(ClinicalBody::PrescriptionIssued(rx.clone()))?;
        Ok(rx)
    }

    /// Do処方: repeats the patient's most recent prescription.
    pub fn prescribe_do(&mut self, patient_id: Uuid, encounter_id: Option<Uuid>) -> Result<Prescription> {
        self.authorize(Section::Prescriptions, Access::Sign, Some(patient_id))?;
        let previous = self
            .latest_prescription(patient_id)?
            .ok_or_else(|| Error::invalid(Field::Prescription, Why::NothingToRepeat))?;
        let encounter_id = self.visit_for_now(patient_id, encounter_id)?;
        let rx = previous.repeat(self.new_id()?, encounter_id, &self.user.name, self.now());
        self.commit(ClinicalBody::PrescriptionIssued(rx.clone()))?;
        Ok(rx)
    }

    pub fn record_lab_report(
        &mut self,
        patient_id: Uuid,
        collected_at: DateTime<Utc>,
        results: &[LabResultInput],
    ) -> Result<LabReport> {
        self.authorize(Section::Results, Access::Write, Some(patient_id))?;
        self.load_patient(patient_id)?;
        if collected_at > self.now() {
            return Err(Error::invalid(Field::CollectedAt, Why::InFuture));
        }
        let report = LabReport::build(self.new_id()?, patient_id, collected_at, results)?;
        self.commit(ClinicalBody::LabReported(report.clone()))?;
        Ok(report)
    }

    pub fn book_appointment(&mut self, patient_id: Uuid, input: &AppointmentInput) -> Result<Appointment> {
        self.authorize(Section::Appointments, Access::Write, Some(patient_id))?;
        self.load_patient(patient_id)?;
        let appointment = Appointment::build(self.new_id()?, patient_id, input)?;
        // The clinician in charge explains her looks at the chart to the insider detector: only
        // a doctor or nurse of the clinic (as the form's list offers) may be named.
        if let Some(clinician) = &appointment.clinician {
            if !self.clinicians()?.iter().any(|c| &c.name == clinician) {
                return Err(Error::invalid(Field::Clinician, Why::UnknownChoice));
            }
        }
        self.commit(OpenBody::AppointmentSaved(appointment.clone()))?;
        Ok(appointment)
    }

    /// 受付: marks a booked appointment as arrived and opens the patient's visit for today
    /// (unless one is open), so the nurse's vitals and the doctor's note have a visit to go to.
    pub fn check_in(&mut self, appointment_id: Uuid) -> Result<Appointment> {
        self.authorize(Section::Appointments, Access::Write, None)?;
        let appointment = self.load_appointment(appointment_id)?.checked_in(self.now())?;
        self.commit_check_in(&appointment)?;
        Ok(appointment)
    }

    /// 受付 without a booking; opens today's visit like [`Clinic::check_in`].
    pub fn check_in_walk_in(&mut self, patient_id: Uuid, purpose: &str) -> Result<Appointment> {
        self.authorize(Section::Appointments, Access::Write, Some(patient_id))?;
        self.load_patient(patient_id)?;
        let appointment = Appointment::walk_in(self.new_id()?, patient_id, self.now(), purpose)?;
        self.commit_check_in(&appointment)?;
        Ok(appointment)
    }

    /// The arrival and, in the same transaction, today's visit if none is open yet.
    fn commit_check_in(&mut self, appointment: &Appointment) -> Result<()> {
        let mut bodies: Vec<ChangeBody> = vec![OpenBody::AppointmentSaved(appointment.clone()).into()];
        bodies.extend(self.todays_visit_opening(appointment.patient_id)?.map(ChangeBody::from));
        let events = bodies.iter().map(access::audit_of).collect();
        let author = self.user.name.clone();
        self.commit_as(bodies.into_iter().map(|body| (author.clone(), body)).collect(), events)
    }

    /// Authorizes `access` to the user's own note section first, then loads the note and, if it
    /// belongs to the other note section, asks (and audits) again for that one.
    fn authorized_note(&mut self, note_id: Uuid, access: Access) -> Result<SoapNote> {
        self.authorize(note_section(self.own_note_kind()), access, None)?;
        let note = self.load_note(note_id)?;
        if note.kind != self.own_note_kind() {
            self.authorize(note_section(note.kind), access, Some(note.patient_id))?;
        }
        Ok(note)
    }

    pub(super) fn ensure_chart_no_free(&self, chart_no: &str, own_id: Uuid) -> Result<()> {
        let holder: Option<String> = self
            .conn()?
            .query_row("SELECT id FROM patients WHERE chart_no = ?1", [chart_no], |row| row.get(0))
            .optional()?;
        match holder {
            Some(id) if id != own_id.to_string() => Err(Error::invalid(Field::ChartNo, Why::ChartNoTaken)),
            _ => Ok(()),
        }
    }
}
