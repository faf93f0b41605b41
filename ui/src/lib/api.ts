// Typed wrappers over Tauri's `invoke`, one per command of docs/desktop-ipc.md. Arguments are
// camelCase objects (Tauri's convention); results are the core's snake_case JSON, typed by the
// types generated from the Rust types (types.ts). Command names are the generated `Command` union,
// so a name the shell does not register is a type error.
// Every rejection becomes a CommandError; `session_locked` and `no_session` are also reported to
// the app (onSessionLost) so it can show the Resume or Unlock screen whatever failed.

import { invoke } from '@tauri-apps/api/core';
import type { Command } from '../generated/commands';
import { toCommandError } from './errors';
import type {
  AlertCoverage,
  AlertFilter,
  AlertSummary,
  AlertView,
  AllergyInput,
  Allergy,
  AppStatus,
  Appointment,
  BreakGlassGrant,
  Chart,
  ClinicHours,
  Clinician,
  Encounter,
  EncounterKind,
  IsoDate,
  Enrollment,
  Patient,
  PatientInput,
  PatientAuditReport,
  OneTimeCodeView,
  PatientSummary,
  PendingRecipient,
  PostureItem,
  ReviewKind,
  ReviewRecord,
  TrainingKind,
  TrainingRecord,
  Prescription,
  PrescriptionItemInput,
  Problem,
  ProblemInput,
  ReportedEvent,
  Role,
  Section,
  Session,
  SessionState,
  Shift,
  SoapNote,
  SoapText,
  StaffProfile,
  User,
  Uuid,
  Visit,
  Vitals,
  VitalsInput,
  DateTimeUtc,
  DeviceInvitationView,
  DeviceOverview,
  PatientConflictView,
  SyncStatus,
} from './types';

export type SessionLoss = 'locked' | 'logged_out';
type LossListener = (loss: SessionLoss) => void;

const listeners = new Set<LossListener>();

/** Called when any command fails with `session_locked` or `no_session`. */
export function onSessionLost(listener: LossListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

type Args = Record<string, unknown>;

/** Drops `undefined` members so optional arguments are absent rather than null. */
function clean(args: Args): Args {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
}

async function call<T>(command: Command, args?: Args): Promise<T> {
  try {
    return await invoke<T>(command, args ? clean(args) : undefined);
  } catch (raw) {
    const err = toCommandError(raw);
    if (err.code === 'session_locked') listeners.forEach((l) => l('locked'));
    else if (err.code === 'no_session') listeners.forEach((l) => l('logged_out'));
    throw err;
  }
}

// ---- device and session ----

export const appStatus = () => call<AppStatus>('app_status');

export const setupClinic = (user: string, displayName: string, password: string) =>
  call<Enrollment>('setup_clinic', { user, displayName, password });

export const unlock = (user: string, password: string, totp: string) =>
  call<Session>('unlock', { user, password, totp });

/** An invited user's first login: their code and the password they choose; answers their authenticator. */
export const acceptInvitation = (user: string, code: string, password: string) =>
  call<Enrollment>('accept_invitation', { user, code, password });

/** The logged-in user's own password. */
export const changePassword = (current: string, next: string) =>
  call<null>('change_password', { current, new: next });

export const lock = () => call<null>('lock');

export const resume = (password: string, totp: string) => call<Session>('resume', { password, totp });

export const logout = () => call<null>('logout');

export const sessionState = () => call<SessionState>('session_state');

// ---- reception ----

export const searchPatients = (query: string, limit?: number) =>
  call<PatientSummary[]>('search_patients', { query, limit });

export const todaysVisits = () => call<Visit[]>('todays_visits');

export const nextChartNo = () => call<string>('next_chart_no');

export const registerPatient = (input: PatientInput) => call<Patient>('register_patient', { input });

export const updatePatient = (id: Uuid, input: PatientInput) => call<Patient>('update_patient', { id, input });

export const patient = (id: Uuid) => call<Patient>('patient', { id });

/** The doctors and nurses an appointment may name as the clinician in charge (login and role). */
export const clinicians = () => call<Clinician[]>('clinicians');

/** Books a visit; `clinician` is a login from `clinicians()`, absent for none. */
export const bookAppointment = (
  patientId: Uuid,
  scheduledAt: DateTimeUtc,
  purpose: string,
  kind?: EncounterKind,
  clinician?: string,
) => call<Appointment>('book_appointment', { patientId, scheduledAt, purpose, kind, clinician });

export const checkIn = (appointmentId: Uuid) => call<Appointment>('check_in', { appointmentId });

export const checkInWalkIn = (patientId: Uuid, purpose: string) =>
  call<Appointment>('check_in_walk_in', { patientId, purpose });

// ---- chart ----

export const chart = (patientId: Uuid) => call<Chart>('chart', { patientId });

export const openEncounter = (patientId: Uuid, kind: EncounterKind) =>
  call<Encounter>('open_encounter', { patientId, kind });

export const writeNote = (encounterId: Uuid, text: SoapText) => call<SoapNote>('write_note', { encounterId, text });

export const editNote = (noteId: Uuid, text: SoapText) => call<SoapNote>('edit_note', { noteId, text });

export const signNote = (noteId: Uuid) => call<SoapNote>('sign_note', { noteId });

export const amendNote = (noteId: Uuid, text: SoapText) => call<SoapNote>('amend_note', { noteId, text });

export const recordVitals = (patientId: Uuid, input: VitalsInput, encounterId?: Uuid) =>
  call<Vitals>('record_vitals', { patientId, encounterId, input });

export const recordAllergy = (patientId: Uuid, input: AllergyInput) =>
  call<Allergy>('record_allergy', { patientId, input });

export const recordProblem = (patientId: Uuid, input: ProblemInput) =>
  call<Problem>('record_problem', { patientId, input });

export const prescribe = (patientId: Uuid, items: PrescriptionItemInput[], encounterId?: Uuid) =>
  call<Prescription>('prescribe', { patientId, encounterId, items });

export const prescribeDo = (patientId: Uuid, encounterId?: Uuid) =>
  call<Prescription>('prescribe_do', { patientId, encounterId });

export const breakGlass = (patientId: Uuid, section: Section, reason: string) =>
  call<BreakGlassGrant>('break_glass', { patientId, section, reason });

// ---- the clinical key ----

/** Colleagues waiting for a clinician to confirm them before the clinical key is passed on. */
export const pendingRecipients = () => call<PendingRecipient[]>('pending_recipients');

/** Confirms a colleague after checking their name, role and key fingerprint with them. */
export const confirmRecipient = (user: string, fingerprint: string) =>
  call<null>('confirm_recipient', { user, fingerprint });

// ---- administration ----

export const users = () => call<User[]>('users');

/** Invites a user: the one-time code to hand them; they choose their own password at first login. */
export const inviteUser = (name: string, displayName: string, role: Role) =>
  call<OneTimeCodeView>('invite_user', { name, displayName, role });

/** Disables a user, or enables them again (answering a new invitation code to hand them). */
export const setUserDisabled = (name: string, disabled: boolean) =>
  call<OneTimeCodeView | null>('set_user_disabled', { name, disabled });

/** A second-factor reset code to hand the user; they enroll a new authenticator in their own session. */
export const resetSecondFactor = (name: string) => call<OneTimeCodeView>('reset_second_factor', { name });

export const unlockAccount = (name: string) => call<null>('unlock_account', { name });

/** One of the two filters. */
export const auditReport = (filter: { patientId: Uuid } | { user: string }) =>
  call<ReportedEvent[]>('audit_report', { ...filter });

/** A patient's audit by the number on her card (診察券番号); the answer carries no name. */
export const auditReportByChartNo = (chartNo: string) =>
  call<PatientAuditReport>('audit_report_by_chart_no', { chartNo });

/** Break-the-glass, refusals and failed logins. */
export const auditAlerts = () => call<ReportedEvent[]>('audit_alerts');

export const setIdleTimeout = (minutes: number) => call<null>('set_idle_timeout', { minutes });

// ---- insider alerts ----

export const insiderAlerts = (filter: AlertFilter) => call<AlertView[]>('insider_alerts', { filter });
export const clinicWideAlerts = () => call<AlertCoverage>('clinic_wide_alerts');
export const alertCoverage = () => call<AlertCoverage>('alert_coverage');

export const acknowledgeAlert = (id: string, comment: string) => call<null>('acknowledge_alert', { id, comment });

export const alertSummary = () => call<AlertSummary>('alert_summary');

export const staffProfiles = () => call<StaffProfile[]>('staff_profiles');

export const setStaffProfile = (profile: StaffProfile) => call<null>('set_staff_profile', { profile });

/** Opening hours by weekday (0 = Monday, clinic time) and holidays. */
export const clinicHours = () => call<ClinicHours>('clinic_hours');

export const setClinicHours = (hours: ClinicHours) => call<null>('set_clinic_hours', { hours });

/** On-call and cover shifts, times in UTC. */
export const roster = () => call<Shift[]>('roster');

/** Replaces the whole roster. */
export const setRoster = (roster: Shift[]) => call<null>('set_roster', { roster });

// ---- posture and staff records ----

export const posture = () => call<PostureItem[]>('posture');

export const recordTraining = (
  user: string,
  date: IsoDate,
  kind: TrainingKind,
  topic: string,
  reportedTestMail: boolean | null,
) => call<TrainingRecord>('record_training', { user, date, kind, topic, reportedTestMail });

export const recordReview = (kind: ReviewKind, date: IsoDate, by: string, findings: string) =>
  call<ReviewRecord>('record_review', { kind, date, by, findings });

// ---- sync ----

/** A new device's first login with an administrator's enrollment code (needs the server once). */
export const joinClinic = (code: string, user: string, password: string, secretKey: string) =>
  call<Session>('join_clinic', { code, user, password, secretKey });

export const syncStatus = () => call<SyncStatus>('sync_status');

export const syncNow = () => call<SyncStatus>('sync_now');

export const patientConflicts = () => call<PatientConflictView[]>('patient_conflicts');

/** Settles a patient edited on two devices: for each field, the change whose value to keep. */
export const resolveConflict = (patientId: Uuid, picks: Record<string, string>) =>
  call<Patient>('resolve_conflict', { patientId, picks });

// ---- devices (admin) ----

export const devices = () => call<DeviceOverview[]>('devices');

export const inviteDevice = (name: string, roles: Role[]) =>
  call<DeviceInvitationView>('invite_device', { name, roles });

export const revokeDevice = (name: string) => call<null>('revoke_device', { name });

/** Marks a device lost: it is shut out and wipes itself at its next contact. */
export const wipeDevice = (name: string) => call<null>('wipe_device', { name });
