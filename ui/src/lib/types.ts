// TypeScript mirrors of the serde JSON of mamori_core's types (snake_case fields).
// Sources: crates/core/src/domain/*.rs, search.rs (PatientSummary), clinic/reads.rs (Chart),
// clinic/break_glass.rs (BreakGlassGrant), audit/event.rs (AuditEvent), policy.rs (Section),
// and docs/desktop-ipc.md for the shapes that only the Tauri shell defines.

/** A UUID as serde writes it (hyphenated, lower case). */
export type Uuid = string;
/** chrono `DateTime<Utc>`: RFC 3339, e.g. "2026-11-29T01:23:45.678Z". */
export type DateTimeUtc = string;
/** chrono `NaiveDate`: "YYYY-MM-DD". */
export type IsoDate = string;

export type Role = 'reception' | 'nurse' | 'doctor' | 'admin';

export type Section =
  | 'demographics'
  | 'appointments'
  | 'vitals'
  | 'allergies'
  | 'problems'
  | 'notes'
  | 'nursing_notes'
  | 'prescriptions'
  | 'results'
  | 'administration';

export const ALL_SECTIONS: readonly Section[] = [
  'demographics',
  'appointments',
  'vitals',
  'allergies',
  'problems',
  'notes',
  'nursing_notes',
  'prescriptions',
  'results',
  'administration',
];

/** Sections sealed under the clinical key (`Section::is_clinical`). */
export const CLINICAL_SECTIONS: readonly Section[] = [
  'vitals',
  'allergies',
  'problems',
  'notes',
  'nursing_notes',
  'prescriptions',
  'results',
];

// ---- session and setup (shapes from docs/desktop-ipc.md) ----

export interface Session {
  user: string;
  display_name: string;
  role: Role;
  readable: Section[];
  writable: Section[];
  idle_timeout_minutes: number;
}

export interface AppStatus {
  initialized: boolean;
  data_dir: string;
  session: Session | null;
  locked: boolean;
  /** Not in the contract yet: shown in the top bar when present. */
  clinic_name?: string | null;
}

export interface SessionState {
  session: Session | null;
  locked: boolean;
  /** Not in the contract yet: the running break-the-glass grants, when the shell reports them. */
  grants?: BreakGlassGrant[];
}

export interface Enrollment {
  user: string;
  secret_base32: string;
  otpauth_uri: string;
  /** A complete `<svg …>…</svg>` document of the otpauth URI's QR code. */
  qr_svg: string;
  recovery_codes: string[];
}

export interface User {
  name: string;
  display_name: string;
  role: Role;
  disabled: boolean;
}

// ---- patients ----

export type Sex = 'male' | 'female' | 'other';

export interface Insurance {
  insurer_number: string;
  symbol: string;
  number: string;
  /** 10, 20 or 30. */
  copay_percent: number;
}

export type InsuranceInput = Insurance;

export interface Patient {
  id: Uuid;
  chart_no: string;
  family_name: string;
  given_name: string;
  family_kana: string;
  given_kana: string;
  sex: Sex;
  birth_date: IsoDate;
  postal_code: string | null;
  address: string;
  phone: string | null;
  insurance: Insurance | null;
  sensitive: boolean;
}

/** What the registration form sends; the core validates and normalizes every field. */
export interface PatientInput {
  chart_no: string;
  family_name: string;
  given_name: string;
  family_kana: string;
  given_kana: string;
  /** Any form `Sex::parse` accepts; the UI sends "male" | "female" | "other". */
  sex: string;
  /** Western or 和暦 as typed (1950-03-12, S25.3.12, 昭和25年3月12日). */
  birth_date: string;
  postal_code: string;
  address: string;
  phone: string;
  insurance: InsuranceInput | null;
  sensitive: boolean;
}

export interface PatientSummary {
  id: Uuid;
  chart_no: string;
  /** Family and given name separated by a space. */
  name: string;
  kana: string;
  sex: Sex;
  birth_date: IsoDate;
  phone: string | null;
}

// ---- reception ----

export interface Appointment {
  id: Uuid;
  patient_id: Uuid;
  scheduled_at: DateTimeUtc;
  purpose: string;
  walk_in: boolean;
  checked_in_at: DateTimeUtc | null;
  cancelled: boolean;
}

export interface Visit {
  appointment: Appointment;
  patient: PatientSummary;
}

// ---- clinical ----

export type EncounterKind = 'outpatient' | 'home_visit';

export interface Encounter {
  id: Uuid;
  patient_id: Uuid;
  kind: EncounterKind;
  started_at: DateTimeUtc;
  clinician: string;
}

export interface VitalsInput {
  systolic_mmhg: number | null;
  diastolic_mmhg: number | null;
  pulse_bpm: number | null;
  temperature_c: number | null;
  spo2_percent: number | null;
  respiratory_rate: number | null;
  weight_kg: number | null;
  height_cm: number | null;
}

/** A recorded set: the measurements as entered, with where and when they were taken. */
export interface Vitals extends VitalsInput {
  id: Uuid;
  patient_id: Uuid;
  encounter_id: Uuid | null;
  measured_at: DateTimeUtc;
}

export type Severity = 'mild' | 'moderate' | 'severe';

export interface AllergyInput {
  substance: string;
  reaction: string;
  severity: Severity;
}

export interface Allergy extends AllergyInput {
  id: Uuid;
  patient_id: Uuid;
  recorded_at: DateTimeUtc;
}

export type ProblemStatus = 'active' | 'resolved';

export interface Problem {
  id: Uuid;
  patient_id: Uuid;
  name: string;
  icd10: string | null;
  onset: IsoDate | null;
  status: ProblemStatus;
}

export interface ProblemInput {
  name: string;
  /** May be empty. */
  icd10: string;
  onset: IsoDate | null;
  status: ProblemStatus;
}

export type LabFlag = 'low' | 'normal' | 'high';

export interface LabResult {
  test: string;
  value: number;
  unit: string;
  reference_low: number | null;
  reference_high: number | null;
  flag: LabFlag;
}

export interface LabReport {
  id: Uuid;
  patient_id: Uuid;
  collected_at: DateTimeUtc;
  results: LabResult[];
}

export interface SoapText {
  subjective: string;
  objective: string;
  assessment: string;
  plan: string;
}

export type NoteKind = 'medical' | 'nursing';
export type NoteStatus = 'draft' | 'signed';

export interface SoapNote {
  id: Uuid;
  patient_id: Uuid;
  encounter_id: Uuid;
  kind: NoteKind;
  author: string;
  text: SoapText;
  status: NoteStatus;
  /** 1 for the first version; each amendment adds one. */
  version: number;
  /** The signed note this version amends. */
  replaces: Uuid | null;
  written_at: DateTimeUtc;
  signed_at: DateTimeUtc | null;
  signed_by: string | null;
}

export interface PrescriptionItem {
  drug: string;
  dose: number;
  unit: string;
  frequency: string;
  days: number;
}

export type PrescriptionItemInput = PrescriptionItem;

export interface Prescription {
  id: Uuid;
  patient_id: Uuid;
  encounter_id: Uuid | null;
  prescriber: string;
  prescribed_at: DateTimeUtc;
  items: PrescriptionItem[];
  repeat_of: Uuid | null;
}

/** One patient's chart; a section the session may not read is `null`. */
export interface Chart {
  patient: Patient;
  encounters: Encounter[];
  appointments: Appointment[];
  allergies: Allergy[] | null;
  problems: Problem[] | null;
  notes: SoapNote[] | null;
  vitals: Vitals[] | null;
  prescriptions: Prescription[] | null;
  lab_reports: LabReport[] | null;
  /** Display names of the staff the served records name, by login (authors, signers, prescribers,
   * clinicians) — only those. */
  staff_names: Record<string, string>;
  /** Today's visit (Japan time), opened at check-in or by a clinician; today's vitals, notes and
   * prescriptions belong to it. */
  todays_encounter: Uuid | null;
}

export interface BreakGlassGrant {
  patient: Uuid;
  section: Section;
  until: DateTimeUtc;
  reason: string;
}

// ---- audit ----

export type AuditAction =
  | 'read'
  | 'search'
  | 'write'
  | 'sign'
  | 'amend'
  | 'export'
  | 'print'
  | 'login'
  | 'logout'
  | 'lock'
  | 'login_failed'
  | 'denied'
  | 'break_glass'
  | 'admin';

export type AuditOutcome = 'allowed' | 'denied';

export interface AuditEvent {
  seq: number;
  id: Uuid;
  at: DateTimeUtc;
  user: string;
  role: Role;
  device: string;
  patient: Uuid | null;
  section: Section | null;
  action: AuditAction;
  outcome: AuditOutcome;
  reason: string | null;
  break_glass: boolean;
  patients_listed: Uuid[];
  sections_read: Section[];
  /** Omitted when absent. */
  subject?: string | null;
}

// ---- audit reports as the admin screens show them (clinic issue 8, point 10) ----

/** A reason's fixed wording as a key (`audit_reasons.<key>`) and its variable parts
 * (crates/core/src/audit/reasons.rs). `role`, `sections` and `at` hold identifiers and times. */
export interface ReasonCode {
  key: string;
  params: Record<string, string>;
}

/** An audit event with its reason as a key; `reason_code` is null for a reason a person typed. */
export interface ReportedEvent extends AuditEvent {
  reason_code: ReasonCode | null;
}

/** "Who opened this chart", found by the number on the patient's card; no name. */
export interface PatientAuditReport {
  chart_no: string;
  patient: Uuid;
  events: ReportedEvent[];
}

// ---- errors ----

/** What every command rejects with. */
export interface CommandErrorShape {
  code: string;
  message: string;
}
