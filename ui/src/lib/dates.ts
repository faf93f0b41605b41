// Dates as the clinic reads them: 和暦 (昭和25年3月12日) beside the western form, ages, and times in
// Japan time (clinics keep JST whatever the computer's zone).

import type { DateTimeUtc, IsoDate } from './types';

// 和暦 comes from the platform's Japanese calendar (ICU, in WebKitGTK and Node alike), not from an
// era table of our own; the core (crates/core/src/domain/dates.rs) is the one place that parses era
// dates. ICU agrees with the core on every boundary from 大正 to 令和 (tests/dates.test.ts); older ICU
// (72, Debian 12's WebKitGTK) starts 明治 on 1868-09-08 rather than 1868-10-23, a day no patient has.
const WAREKI = new Intl.DateTimeFormat('ja-JP-u-ca-japanese', {
  era: 'long',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  timeZone: 'UTC',
});

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
  const at = new Date(0);
  at.setUTCFullYear(y, m - 1, d);
  if (at.getUTCMonth() !== m - 1 || at.getUTCDate() !== d) return date;
  return WAREKI.format(at);
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
