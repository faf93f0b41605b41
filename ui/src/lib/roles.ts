// What a session may see and do, from `Session.readable` / `Session.writable`. The core checks
// every call again; this only decides which menus and buttons exist.

import { CLINICAL_SECTIONS, type Section, type Session } from './types';

/** `conflicts` opens from the status bar, not the menu. */
export type View = 'reception' | 'chart' | 'admin' | 'conflicts';

export function canRead(session: Session | null, section: Section): boolean {
  return session?.readable.includes(section) ?? false;
}

export function canWrite(session: Session | null, section: Section): boolean {
  return session?.writable.includes(section) ?? false;
}

export function readsClinical(session: Session | null): boolean {
  return CLINICAL_SECTIONS.some((s) => canRead(session, s));
}

/** The menus of a session: reception → Reception; nurse/doctor → Reception + Chart; admin → Admin. */
export function viewsFor(session: Session | null): View[] {
  const views: View[] = [];
  if (canRead(session, 'demographics')) views.push('reception');
  if (canRead(session, 'demographics') && readsClinical(session)) views.push('chart');
  if (canRead(session, 'administration')) views.push('admin');
  return views;
}

/** The note section this session writes in: doctors write medical notes, nurses nursing notes. */
export function ownNoteSection(session: Session | null): Section | null {
  if (session?.role === 'nurse') return canWrite(session, 'nursing_notes') ? 'nursing_notes' : null;
  if (canWrite(session, 'notes')) return 'notes';
  if (canWrite(session, 'nursing_notes')) return 'nursing_notes';
  return null;
}

/**
 * Sections a break-the-glass grant could be asked for: demographic and appointment sections the
 * role cannot read. Clinical sections are sealed under a key only doctors and nurses hold (and
 * they read them all), so no grant can open one; the core refuses it as `sealed_section`.
 */
export function breakGlassSections(session: Session | null): Section[] {
  const openable: Section[] = ['demographics', 'appointments'];
  return openable.filter((s) => !canRead(session, s));
}
