import { describe, expect, it } from 'vitest';
import { ageOn, formatDateTime, formatTime, minutesLeft, todayJst, toWareki, toWestern } from '../src/lib/dates';

describe('和暦', () => {
  it('prints dates in the era they fall in (as the core does)', () => {
    expect(toWareki('1950-03-12')).toBe('昭和25年3月12日');
    expect(toWareki('1989-01-07')).toBe('昭和64年1月7日');
    expect(toWareki('1989-01-08')).toBe('平成元年1月8日');
    expect(toWareki('2019-04-30')).toBe('平成31年4月30日');
    expect(toWareki('2019-05-01')).toBe('令和元年5月1日');
    expect(toWareki('1926-12-25')).toBe('昭和元年12月25日');
    expect(toWareki('1912-07-29')).toBe('明治45年7月29日');
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
