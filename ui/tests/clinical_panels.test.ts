import { afterEach, describe, expect, it } from 'vitest';
import EncounterTimeline from '../src/components/EncounterTimeline.svelte';
import NotesPanel from '../src/components/NotesPanel.svelte';
import PrescriptionPanel from '../src/components/PrescriptionPanel.svelte';
import SoapEditor from '../src/components/SoapEditor.svelte';
import { app } from '../src/lib/app.svelte';
import { staffName } from '../src/lib/staff';
import type { Role, Section, Session, SoapNote } from '../src/lib/types';
import { html, text } from './render';

// What the chart shows a nurse and a doctor: staff by their names, and whose note an editor writes.

const STAFF = { doctor: '守 太郎', nurse: '看護 花子' };

function session(role: Role): Session {
  const clinical: Section[] = ['vitals', 'allergies', 'problems', 'notes', 'nursing_notes', 'prescriptions', 'results'];
  return {
    user: role,
    display_name: role === 'doctor' ? STAFF.doctor : STAFF.nurse,
    role,
    readable: ['demographics', 'appointments', ...clinical],
    writable: role === 'doctor' ? ['demographics', 'appointments', ...clinical] : ['vitals', 'nursing_notes'],
    idle_timeout_minutes: 10,
    idle_timeout_min_minutes: 1,
    idle_timeout_max_minutes: 240,
    tampering_found: [],
    key_fingerprint: 'ABCD 1234 ABCD 1234 ABCD 1234 ABCD 1234',
  };
}

function doctorsNote(): SoapNote {
  return {
    id: 'n1',
    patient_id: 'p',
    encounter_id: 'e1',
    kind: 'medical',
    author: 'doctor',
    text: { subjective: '咽頭痛', objective: '', assessment: '急性上気道炎', plan: '' },
    status: 'signed',
    version: 1,
    replaces: null,
    written_at: '2026-11-20T01:00:00Z',
    signed_at: '2026-11-20T01:10:00Z',
    signed_by: 'doctor',
  };
}

const panel = (role: Role) => {
  app.session = session(role);
  return html(NotesPanel, { encounterId: 'e1', notes: [doctorsNote()], staff: STAFF, onchanged: () => {} });
};

afterEach(() => {
  app.session = null;
});

describe('staff names in the chart', () => {
  it('show who wrote and signed a note by name, not by login', () => {
    const shown = text(panel('doctor'));
    expect(shown).toContain('守 太郎 が');
    expect(shown).toContain('に署名');
    expect(shown).not.toMatch(/\bdoctor\b/);
  });

  it('show who opened a visit and who prescribed by name', () => {
    const timeline = text(
      html(EncounterTimeline, {
        encounters: [{ id: 'e1', patient_id: 'p', kind: 'outpatient', started_at: '2026-11-20T00:30:00Z', clinician: 'doctor' }],
        notes: [doctorsNote()],
        staff: STAFF,
        selectedId: 'e1',
        canOpen: false,
        onselect: () => {},
        onopen: () => {},
      }),
    );
    expect(timeline).toContain('外来 · 守 太郎');
    app.session = session('doctor');
    const rx = text(
      html(PrescriptionPanel, {
        patientId: 'p',
        encounterId: 'e1',
        prescriptions: [
          {
            id: 'rx1',
            patient_id: 'p',
            encounter_id: 'e1',
            prescriber: 'doctor',
            prescribed_at: '2026-11-20T01:20:00Z',
            items: [{ drug: 'カロナール錠200mg', dose: 1, unit: '錠', frequency: '1日3回毎食後', days: 5 }],
            repeat_of: null,
          },
        ],
        staff: STAFF,
        canWrite: false,
        onchanged: () => {},
      }),
    );
    expect(rx).toContain('守 太郎');
    expect(rx).not.toMatch(/\bdoctor\b/);
  });

  it('fall back to the login for someone the chart has no name for', () => {
    expect(staffName(STAFF, 'doctor')).toBe('守 太郎');
    expect(staffName(STAFF, 'locum')).toBe('locum');
    expect(staffName(STAFF, null)).toBe('');
    expect(staffName(STAFF, 'toString')).toBe('toString');
  });
});

describe("a nurse's note editor", () => {
  it('is not an empty SOAP editor with a sign button above the doctor\'s note', () => {
    const markup = panel('nurse');
    expect(markup).not.toContain('data-testid="soap-editor"');
    expect(markup).not.toContain('data-testid="note-sign"');
    expect(markup).toContain('data-testid="nursing-note-open"');
    const shown = text(markup);
    expect(shown).toContain('看護記録を書く');
    expect(shown).toContain('医師の診療記録は下に表示され、読むだけです');
    expect(shown.indexOf('看護記録を書く')).toBeLessThan(shown.indexOf('急性上気道炎'));
  });

  it('says plainly that it writes a nursing note, and signs a nursing note', () => {
    const props = { text: { subjective: '', objective: '', assessment: '', plan: '' }, status: '', canSign: true, cansave: false, onsave: () => {}, onsign: () => {} };
    const nursing = text(html(SoapEditor, { ...props, kind: 'nursing' }));
    expect(nursing).toContain('看護記録（看護師の記録）');
    expect(nursing).toContain('看護記録に署名');
    const medical = text(html(SoapEditor, { ...props, kind: 'medical' }));
    expect(medical).toContain('診療記録（SOAP）');
    expect(medical).not.toContain('看護記録');
    expect(text(html(SoapEditor, { ...props, kind: 'nursing' }, 'en'))).toContain('Sign nursing note');
  });

  it("stays a doctor's editor, open, for a doctor", () => {
    const markup = panel('doctor');
    expect(markup).toContain('data-testid="soap-editor"');
    expect(markup).toContain('data-kind="medical"');
    expect(markup).not.toContain('data-testid="nursing-note-open"');
  });
});
