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

// ---- errors ----

/** What every command rejects with. */
export interface CommandErrorShape {
  code: string;
  message: string;
}
