import { describe, expect, it } from 'vitest';
import {
  addDays,
  fromShiftRow,
  fromWeekRows,
  localToUtc,
  missing,
  offsetText,
  toShiftRow,
  toWeekRows,
  utcToLocal,
} from '../src/lib/clinicTime';
import { errorText } from '../src/lib/errors';
import { setLocale } from '../src/lib/i18n';
import type { ClinicHours } from '../src/lib/types';

const JAPAN = 540;

describe('times on the clinic clock', () => {
  it('turn a date and time typed in Japan into UTC and back, across midnight', () => {
    expect(localToUtc('2026-12-01', '08:30', JAPAN)).toBe('2026-11-30T23:30:00Z');
    expect(localToUtc('2026-12-01', '18:00', JAPAN)).toBe('2026-12-01T09:00:00Z');
    expect(utcToLocal('2026-11-30T23:30:00Z', JAPAN)).toEqual({ date: '2026-12-01', time: '08:30' });
    expect(localToUtc('', '08:30', JAPAN)).toBeNull();
    expect(localToUtc('2026-12-01', '', JAPAN)).toBeNull();
  });

  it('move dates and write offsets as people read them', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(offsetText(540)).toBe('+09:00');
    expect(offsetText(-150)).toBe('-02:30');
  });
});

describe('the hours editor', () => {
  const stored: ClinicHours = {
    utc_offset_minutes: JAPAN,
    hours: [
      { weekday: 0, open: '09:00:00', close: '18:00:00' },
      { weekday: 5, open: '09:00:00', close: '13:00:00' },
    ],
    holidays: ['2026-12-31'],
  };

  it('shows one row per weekday, Monday first, a day not named being closed', () => {
    const rows = toWeekRows(stored);
    expect(rows.map((r) => r.weekday)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(rows[0]).toEqual({ weekday: 0, closed: false, open: '09:00', close: '18:00' });
    expect(rows[1]?.closed).toBe(true);
    expect(rows[5]?.close).toBe('13:00');
  });

  it('saves the open days only, as the core reads times, with sorted distinct holidays', () => {
    const rows = toWeekRows(stored);
    rows[0]!.closed = true;
    rows[2] = { weekday: 2, closed: false, open: '14:30', close: '19:00' };
    const saved = fromWeekRows(rows, JAPAN, ['2027-01-02', '2026-12-31', '2027-01-02']);
    expect(saved).toEqual({
      utc_offset_minutes: JAPAN,
      hours: [
        { weekday: 2, open: '14:30:00', close: '19:00:00' },
        { weekday: 5, open: '09:00:00', close: '13:00:00' },
      ],
      holidays: ['2026-12-31', '2027-01-02'],
    });
  });
});

describe('the roster editor', () => {
  it('enters a night on call in Japan time and stores it in UTC', () => {
    const row = {
      user: 'doctor',
      kind: 'on_call' as const,
      fromDate: '2026-12-01',
      fromTime: '18:00',
      toDate: '2026-12-02',
      toTime: '09:00',
      covers: 'nurse',
    };
    const shift = fromShiftRow(row, JAPAN);
    expect(shift).toEqual({
      user: 'doctor',
      kind: 'on_call',
      from: '2026-12-01T09:00:00Z',
      to: '2026-12-02T00:00:00Z',
      covers: null,
    });
    expect(toShiftRow(shift!, JAPAN)).toEqual({ ...row, covers: '' });
    expect(fromShiftRow({ ...row, kind: 'cover' }, JAPAN)?.covers).toBe('nurse');
    expect(fromShiftRow({ ...row, toTime: '' }, JAPAN)).toBeNull();
  });

  it('names an incomplete shift the way the core names a refused one', () => {
    setLocale('ja');
    expect(errorText(missing('shift', 2))).toBe('入力内容を確認してください。2件目の当直・代診の予定：入力してください。');
    setLocale('en');
    expect(errorText(missing('shift', 2))).toContain('On-call or cover shift');
    setLocale('ja');
  });
});
