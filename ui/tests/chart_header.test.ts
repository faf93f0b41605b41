import { describe, expect, it } from 'vitest';
import ChartHeader from '../src/components/ChartHeader.svelte';
import type { Patient } from '../src/lib/types';
import { html, text } from './render';

function patient(copay: number): Patient {
  return {
    id: 'p1',
    chart_no: '880001',
    family_name: '守山',
    given_name: 'ゆき',
    family_kana: 'モリヤマ',
    given_kana: 'ユキ',
    sex: 'female',
    birth_date: '1962-04-01',
    postal_code: null,
    address: '',
    phone: null,
    insurance: { insurer_number: '01130012', symbol: '12', number: '345', copay_percent: copay },
    sensitive: false,
  };
}

const header = (copay: number, locale: 'ja' | 'en' = 'ja') =>
  text(html(ChartHeader, { patient: patient(copay), canBreakGlass: false, onbreakglass: () => {}, onreload: () => {} }, locale));

describe('the chart header', () => {
  it('reads a copay stored in percent as 割 (20 % is 2割負担)', () => {
    expect(header(10)).toContain('1割負担');
    expect(header(20)).toContain('2割負担');
    expect(header(30)).toContain('3割負担');
    expect(header(20)).not.toContain('20割');
  });

  it('shows the same rate in percent in English', () => {
    expect(header(20, 'en')).toContain('20% copay');
    expect(header(30, 'en')).toContain('30% copay');
  });
});
