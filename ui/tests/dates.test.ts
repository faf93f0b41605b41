import { describe, expect, it } from 'vitest';
import { ageOn, formatDateTime, formatTime, minutesLeft, todayJst, toWareki, toWestern } from '../src/lib/dates';

describe('和暦', () => {
  it('prints dates in the era they fall in (as the core does)', () => {
    expect(toWareki('1950-03-12')).toBe('昭和25年3月12日');
    expect(toWareki('1989-01-07')).toBe('昭和64年1月7日');
    expect(toWareki('1989-01-08')).toBe('平成元年1月8日');
    expect(toWareki('1926-12-24')).toBe('大正15年12月24日');
    expect(toWareki('1926-12-25')).toBe('昭和元年12月25日');
    expect(toWareki('1912-07-29')).toBe('明治45年7月29日');
    expect(toWareki('1912-07-30')).toBe('大正元年7月30日');
    expect(toWareki('2026-11-29')).toBe('令和8年11月29日');
  });

  it('turns 平成31年4月30日 into 令和元年5月1日 overnight', () => {
    expect(toWareki('2019-04-30')).toBe('平成31年4月30日');
    expect(toWareki('2019-05-01')).toBe('令和元年5月1日');
  });

  it('changes era on exactly the days the core says, day by day from 大正 to 2100', () => {
    const changes: [string, string][] = [];
    let era = '';
    for (let at = Date.UTC(1912, 6, 30); at <= Date.UTC(2100, 11, 31); at += 86_400_000) {
      const day = new Date(at).toISOString().slice(0, 10);
      const name = toWareki(day).slice(0, 2);
      if (name !== era) changes.push([day, name]);
      era = name;
    }
    expect(changes).toEqual([
      ['1912-07-30', '大正'],
      ['1926-12-25', '昭和'],
      ['1989-01-08', '平成'],
      ['2019-05-01', '令和'],
    ]);
  });

  it('comes from the Japanese calendar of Intl, not from a table of its own', () => {
    const calendar = new Intl.DateTimeFormat('ja-JP-u-ca-japanese', { era: 'long', year: 'numeric' });
    expect(calendar.resolvedOptions().calendar).toBe('japanese');
    const sources = Object.entries(
      import.meta.glob<string>('../src/**/*.{svelte,ts}', { query: '?raw', import: 'default', eager: true }),
    );
    expect(sources.length).toBeGreaterThan(10);
    for (const [file, source] of sources) {
      for (const era of ['明治', '大正', '昭和', '平成', '令和']) {
        // An era table would hold each name as a string of its own: '平成'.
        expect(new RegExp(`['"\`]${era}['"\`]`).test(source), `${file} keeps an era table (${era})`).toBe(false);
      }
    }
  });

  it('leaves what is not a calendar day as it came', () => {
    expect(toWareki('1950-02-30')).toBe('1950-02-30');
    expect(toWareki('not a date')).toBe('not a date');
  });

  it('shows the western form beside it', () => {
    expect(toWestern('1950-03-12')).toBe('1950/03/12');
  });
});

describe('ages and times', () => {
  it('counts whole years', () => {
    expect(ageOn('1950-03-12', '2026-11-29')).toBe(76);
    expect(ageOn('1950-03-12', '2026-03-11')).toBe(75);
    expect(ageOn('1950-03-12', '2026-03-12')).toBe(76);
    expect(ageOn('2026-01-01', '2026-11-29')).toBe(0);
  });

  it('uses Japan time for today and for times', () => {
    expect(todayJst(new Date('2026-11-29T15:30:00Z'))).toBe('2026-11-30');
    expect(todayJst(new Date('2026-11-29T14:59:00Z'))).toBe('2026-11-29');
    expect(formatDateTime('2026-11-29T01:05:00Z')).toBe('2026/11/29 10:05');
    expect(formatTime('2026-11-29T01:05:00.123456Z')).toBe('10:05');
  });

  it('counts the minutes a grant has left, rounded up', () => {
    const now = Date.parse('2026-11-29T01:00:00Z');
    expect(minutesLeft('2026-11-29T01:30:00Z', now)).toBe(30);
    expect(minutesLeft('2026-11-29T01:00:01Z', now)).toBe(1);
    expect(minutesLeft('2026-11-29T00:59:00Z', now)).toBe(0);
  });
});
