// Times as the clinic enters them. People type a date and a time on the clinic's clock (Japan,
// UTC+9: `utc_offset_minutes` of the clinic hours); the core stores instants in UTC and a day's
// opening hours as times of day on that clock. These convert between the two, and between the
// stored hours and the editor's one row per weekday.

import { CommandError } from './errors';
import type { ClinicHours, DateTimeUtc, Field, FieldError, IsoDate, OpenHours, Shift, ShiftKind } from './types';

/** Japan's offset, for the front desk (which does not read the clinic-hours setting). */
export const JAPAN_OFFSET_MINUTES = 540;

/** Monday first, as the core numbers weekdays (0 = Monday). */
export const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6] as const;

const TIME = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `date` at `time` ("HH:MM") on a clock `offsetMinutes` east of UTC, as UTC; null if unreadable. */
export function localToUtc(date: IsoDate, time: string, offsetMinutes: number): DateTimeUtc | null {
  const d = DATE.exec(date);
  const t = TIME.exec(time);
  if (!d || !t) return null;
  const ms = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]));
  if (Number.isNaN(ms)) return null;
  const at = new Date(ms - offsetMinutes * 60_000);
  return at.toISOString().replace('.000Z', 'Z');
}

/** A UTC instant as the date and "HH:MM" on a clock `offsetMinutes` east of UTC. */
export function utcToLocal(at: DateTimeUtc, offsetMinutes: number): { date: IsoDate; time: string } {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) return { date: '', time: '' };
  const iso = new Date(ms + offsetMinutes * 60_000).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 16) };
}

/** chrono's `NaiveTime` ("09:00:00") as a time field shows it ("09:00"). */
export function toHhmm(time: string): string {
  const t = TIME.exec(time);
  return t ? `${t[1]}:${t[2]}` : time;
}

/** A time field's "HH:MM" as chrono's `NaiveTime` reads it ("HH:MM:00"). */
export function toNaiveTime(hhmm: string): string {
  const t = TIME.exec(hhmm);
  return t ? `${t[1]}:${t[2]}:${t[3] ?? '00'}` : hhmm;
}

/** One weekday's row in the hours editor. */
export interface WeekRow {
  weekday: number;
  closed: boolean;
  open: string;
  close: string;
}

/**
 * The stored hours as one row per weekday, Monday first; a weekday the hours do not name is
 * closed. A weekday with several periods shows its first (the editor keeps one per day).
 */
export function toWeekRows(hours: ClinicHours): WeekRow[] {
  return WEEKDAYS.map((weekday) => {
    const day = hours.hours.find((h) => h.weekday === weekday);
    return day
      ? { weekday, closed: false, open: toHhmm(day.open), close: toHhmm(day.close) }
      : { weekday, closed: true, open: '09:00', close: '18:00' };
  });
}

/** The rows back as the core's hours: open days only, with the offset and holidays given. */
export function fromWeekRows(rows: WeekRow[], offsetMinutes: number, holidays: IsoDate[]): ClinicHours {
  const hours: OpenHours[] = rows
    .filter((r) => !r.closed)
    .map((r) => ({ weekday: r.weekday, open: toNaiveTime(r.open), close: toNaiveTime(r.close) }));
  return { utc_offset_minutes: offsetMinutes, hours, holidays: [...new Set(holidays)].sort() };
}

/** One shift as the roster editor holds it: dates and times on the clinic's clock. */
export interface ShiftRow {
  user: string;
  kind: ShiftKind;
  fromDate: IsoDate;
  fromTime: string;
  toDate: IsoDate;
  toTime: string;
  covers: string;
}

export function toShiftRow(shift: Shift, offsetMinutes: number): ShiftRow {
  const from = utcToLocal(shift.from, offsetMinutes);
  const to = utcToLocal(shift.to, offsetMinutes);
  return {
    user: shift.user,
    kind: shift.kind,
    fromDate: from.date,
    fromTime: from.time,
    toDate: to.date,
    toTime: to.time,
    covers: shift.covers ?? '',
  };
}

/** The row as the core's shift, times in UTC (an on-call shift covers nobody); null while a date
 * or time is missing. */
export function fromShiftRow(row: ShiftRow, offsetMinutes: number): Shift | null {
  const from = localToUtc(row.fromDate, row.fromTime, offsetMinutes);
  const to = localToUtc(row.toDate, row.toTime, offsetMinutes);
  if (!from || !to) return null;
  return { user: row.user, kind: row.kind, from, to, covers: row.kind === 'cover' && row.covers ? row.covers : null };
}

/** The error the core would give for fields left empty, shown the same way (`item` 1-based). */
export function missing(field: Field, item?: number): CommandError {
  const fields: FieldError[] = [{ field, problem: 'required', ...(item === undefined ? {} : { item }) }];
  return new CommandError({ code: 'invalid_input', message: 'Required fields are empty.', fields });
}

/** `date` moved by `days` ("2026-12-31" + 1 → "2027-01-01"). */
export function addDays(date: IsoDate, days: number): IsoDate {
  const d = DATE.exec(date);
  if (!d) return date;
  return new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]) + days)).toISOString().slice(0, 10);
}

/** An offset as people write it: 540 → "+09:00". */
export function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
