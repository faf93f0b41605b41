// Dates as the clinic reads them: 和暦 (昭和25年3月12日) beside the western form, ages, and times in
// Japan time (clinics keep JST whatever the computer's zone).

import type { DateTimeUtc, IsoDate } from './types';

interface Era {
  name: string;
  /** The western year before the era's year 1. */
  offset: number;
  /** The era's first day, "YYYY-MM-DD" (compares correctly as a string). */
  first: string;
}

// Same table as crates/core/src/domain/dates.rs.
const ERAS: readonly Era[] = [
  { name: '明治', offset: 1867, first: '1868-01-25' },
  { name: '大正', offset: 1911, first: '1912-07-30' },
  { name: '昭和', offset: 1925, first: '1926-12-25' },
  { name: '平成', offset: 1988, first: '1989-01-08' },
  { name: '令和', offset: 2018, first: '2019-05-01' },
];

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

function parts(date: IsoDate): [number, number, number] | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** The date in the Japanese era calendar, e.g. 昭和25年3月12日 (元年 for year one). */
export function toWareki(date: IsoDate): string {
  const p = parts(date);
  if (!p) return date;
  const [y, m, d] = p;
  const era = [...ERAS].reverse().find((e) => date >= e.first);
  if (!era) return `${y}年${m}月${d}日`;
  const year = y - era.offset;
  return `${era.name}${year === 1 ? '元' : year}年${m}月${d}日`;
}

/** "1950-03-12" → "1950/03/12". */
export function toWestern(date: IsoDate): string {
  return date.replaceAll('-', '/');
}

/** Today's date in Japan, "YYYY-MM-DD". */
export function todayJst(now: Date = new Date()): IsoDate {
  return new Date(now.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Age in whole years on `on` (both "YYYY-MM-DD"). */
export function ageOn(birth: IsoDate, on: IsoDate): number {
  const b = parts(birth);
  const o = parts(on);
  if (!b || !o) return 0;
  let age = o[0] - b[0];
  if (o[1] < b[1] || (o[1] === b[1] && o[2] < b[2])) age -= 1;
  return Math.max(0, age);
}

function jst(at: DateTimeUtc): Date | null {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? null : new Date(ms + JST_OFFSET_MS);
}

/** "2026-11-29T01:05:00Z" → "2026/11/29 10:05" (JST). */
export function formatDateTime(at: DateTimeUtc): string {
  const d = jst(at);
  if (!d) return at;
  const iso = d.toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '/')} ${iso.slice(11, 16)}`;
}

/** "2026-11-29T01:05:00Z" → "2026/11/29" (JST). */
export function formatDate(at: DateTimeUtc): string {
  const d = jst(at);
  return d ? d.toISOString().slice(0, 10).replaceAll('-', '/') : at;
}

/** "2026-11-29T01:05:00Z" → "10:05" (JST). */
export function formatTime(at: DateTimeUtc): string {
  const d = jst(at);
  return d ? d.toISOString().slice(11, 16) : at;
}

/** Whole minutes from `now` until `until`, rounded up; 0 once passed. */
export function minutesLeft(until: DateTimeUtc, now: number = Date.now()): number {
  const ms = Date.parse(until) - now;
  return Number.isNaN(ms) || ms <= 0 ? 0 : Math.ceil(ms / 60_000);
}
