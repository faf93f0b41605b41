import { describe, expect, it } from 'vitest';
import BookAppointment from '../src/components/BookAppointment.svelte';
import ClinicHoursEditor from '../src/components/ClinicHoursEditor.svelte';
import RosterEditor from '../src/components/RosterEditor.svelte';
import type { PatientSummary, User } from '../src/lib/types';
import { html, text } from './render';

const patient: PatientSummary = {
  id: '0190d5a8-0000-7000-8000-000000000001',
  chart_no: '000123',
  name: '山田 花子',
  kana: 'ヤマダ ハナコ',
  sex: 'female',
  birth_date: '1950-03-12',
  phone: null,
};

const staff: User[] = [
  { name: 'doctor', display_name: '守 太郎', role: 'doctor', disabled: false },
  { name: 'nurse', display_name: '看護 花子', role: 'nurse', disabled: false },
];

describe('the booking form', () => {
  it('offers 外来 and 訪問診療 and the doctors and nurses by login and role', () => {
    const markup = html(BookAppointment, {
      patient,
      onbooked: () => {},
      clinicians: [
        { name: 'doctor', role: 'doctor' },
        { name: 'nurse', role: 'nurse' },
      ],
    });
    const shown = text(markup);
    for (const label of ['予約を入れる', '日付', '時刻', '受診区分', '外来', '訪問診療', 'doctor（医師）', 'nurse（看護師）', '指定しない']) {
      expect(shown).toContain(label);
    }
    expect(markup).toContain('value="home_visit"');
  });

  it('says it in English too', () => {
    const shown = text(html(BookAppointment, { patient, onbooked: () => {}, clinicians: [{ name: 'nurse', role: 'nurse' }] }, 'en'));
    expect(shown).toContain('Book a visit');
    expect(shown).toContain('nurse (Nurse)');
    expect(shown).toContain('Home visit');
  });
});

describe('the clinic hours editor', () => {
  it('shows every weekday, the closed ones ticked, the times on the clinic clock, and the holidays', () => {
    const initial = {
      utc_offset_minutes: 540,
      hours: [{ weekday: 0, open: '09:00:00', close: '18:00:00' }],
      holidays: ['2026-12-31'],
    };
    const markup = html(ClinicHoursEditor, { initial });
    const shown = text(markup);
    for (const day of ['月曜', '火曜', '水曜', '木曜', '金曜', '土曜', '日曜']) expect(shown).toContain(day);
    expect(shown).toContain('UTC+09:00');
    expect(shown).toContain('2026-12-31');
    expect(markup).toContain('value="09:00"');
    expect(markup.match(/data-testid="hours-row"/g)).toHaveLength(7);
  });
});

describe('the roster editor', () => {
  it('lists the shifts in clinic time with their kind and whom a cover covers', () => {
    const roster = [
      { user: 'doctor', kind: 'cover' as const, from: '2026-12-01T09:00:00Z', to: '2026-12-02T00:00:00Z', covers: 'nurse' },
    ];
    const markup = html(RosterEditor, { initial: { roster, staff, offset: 540 } });
    const shown = text(markup);
    expect(shown).toContain('当直・代診の予定');
    expect(shown).toContain('当直・オンコール');
    expect(shown).toContain('代診');
    expect(markup).toContain('value="2026-12-01"');
    expect(markup).toContain('value="18:00"');
    expect(markup).toContain('value="2026-12-02"');
    expect(markup).toContain('value="09:00"');
  });

  it('says when there is no shift yet, in English too', () => {
    expect(text(html(RosterEditor, { initial: { roster: [], staff, offset: 540 } }, 'en'))).toContain('No on-call or cover shifts yet.');
  });
});
