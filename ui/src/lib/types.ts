// The window's view of the IPC types. Every type a command takes or returns is generated from
// the Rust types into ../generated/ (scripts/gen-ipc; the Rust tests fail when they drift) and
// re-exported here; this file adds only what the UI needs on top of them.

import type { Section } from '../generated';

export type * from '../generated';

/** A UUID as serde writes it (hyphenated, lower case). */
export type Uuid = string;
/** chrono `DateTime<Utc>`: RFC 3339, e.g. "2026-11-29T01:23:45.678Z". */
export type DateTimeUtc = string;
/** chrono `NaiveDate`: "YYYY-MM-DD". */
export type IsoDate = string;

/** Every section, in the order of `Section::ALL` (a missing one is a type error below). */
export const ALL_SECTIONS = [
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
] as const satisfies readonly Section[];

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

// ALL_SECTIONS names every Section the Rust enum has: this fails to compile when one is added.
const everySection: Exclude<Section, (typeof ALL_SECTIONS)[number]> extends never ? true : false = true;
void everySection;

// ---- errors ----

/** What every command rejects with. */
export interface CommandErrorShape {
  code: string;
  message: string;
}
