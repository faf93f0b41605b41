import { describe, expect, it } from 'vitest';
import { breakGlassSections, ownNoteSection, viewsFor } from '../src/lib/roles';
import type { Role, Section, Session } from '../src/lib/types';

// The role table of crates/core/src/policy.rs: R = read, W = write or sign.
const TABLE: Record<Section, [string, string, string, string]> = {
  demographics: ['W', 'R', 'W', '-'],
  appointments: ['W', 'R', 'W', '-'],
  vitals: ['-', 'W', 'W', '-'],
  allergies: ['-', 'R', 'W', '-'],
  problems: ['-', 'R', 'W', '-'],
  notes: ['-', 'R', 'W', '-'],
  nursing_notes: ['-', 'W', 'W', '-'],
  prescriptions: ['-', 'R', 'W', '-'],
  results: ['-', 'R', 'W', '-'],
  administration: ['-', '-', '-', 'W'],
};
const COLUMN: Record<Role, number> = { reception: 0, nurse: 1, doctor: 2, admin: 3 };

function session(role: Role): Session {
  const entries = Object.entries(TABLE) as [Section, string[]][];
  const grant = (s: string[]) => s[COLUMN[role]] ?? '-';
  return {
    user: role,
    display_name: role,
    role,
    readable: entries.filter(([, g]) => grant(g) !== '-').map(([s]) => s),
    writable: entries.filter(([, g]) => grant(g) === 'W').map(([s]) => s),
    idle_timeout_minutes: 10,
    idle_timeout_min_minutes: 1,
    idle_timeout_max_minutes: 240,
    tampering_found: [],
    key_fingerprint: 'ABCD 1234 ABCD 1234 ABCD 1234 ABCD 1234',
  };
}

describe('menus by role', () => {
  it('give reception the front desk only, clinicians reception and chart, admins administration only', () => {
    expect(viewsFor(session('reception'))).toEqual(['reception']);
    expect(viewsFor(session('nurse'))).toEqual(['reception', 'chart']);
    expect(viewsFor(session('doctor'))).toEqual(['reception', 'chart']);
    expect(viewsFor(session('admin'))).toEqual(['admin']);
    expect(viewsFor(null)).toEqual([]);
  });

  it('let doctors write medical notes and nurses nursing notes', () => {
    expect(ownNoteSection(session('doctor'))).toBe('notes');
    expect(ownNoteSection(session('nurse'))).toBe('nursing_notes');
    expect(ownNoteSection(session('reception'))).toBeNull();
  });

  it('offer break-the-glass only for chart sections the role cannot read', () => {
    expect(breakGlassSections(session('doctor'))).toEqual([]);
    expect(breakGlassSections(session('admin'))).toContain('demographics');
    expect(breakGlassSections(session('admin'))).not.toContain('administration');
    expect(breakGlassSections(session('reception'))).toEqual([]);
    expect(breakGlassSections(session('admin'))).not.toContain('notes');
  });
});
