// The window's view of the IPC types. Every type a command takes or returns is generated from
// the Rust types into ../generated/ (scripts/gen-ipc; the Rust tests fail when they drift) and
// re-exported here; this file adds only what the UI needs on top of them.

export type * from '../generated';

/** A UUID as serde writes it (hyphenated, lower case). */
export type Uuid = string;
/** chrono `DateTime<Utc>`: RFC 3339, e.g. "2026-11-29T01:23:45.678Z". */
export type DateTimeUtc = string;
/** chrono `NaiveDate`: "YYYY-MM-DD". */
export type IsoDate = string;

export { ALL_SECTIONS, CLINICAL_SECTIONS } from '../generated/sections';

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
