import { describe, expect, it } from 'vitest';
import VitalsPanel from '../src/components/VitalsPanel.svelte';
import { setLocale } from '../src/lib/i18n';
import { formatNumber, labTrends, makeScale, pointTitle, polyline, vitalPoints } from '../src/lib/trend';
import { html } from './render';

const box = { width: 100, height: 60, padLeft: 10, padRight: 10, padTop: 5, padBottom: 5 };

describe('trend charts', () => {
  it('map time left to right and values bottom to top', () => {
    const points = [
      { t: 0, v: 100 },
      { t: 10, v: 150 },
    ];
    const scale = makeScale([points], box);
    expect(scale.x(0)).toBe(10);
    expect(scale.x(10)).toBe(90);
    expect(scale.y(150)).toBeLessThan(scale.y(100));
    expect(scale.y(150)).toBeGreaterThanOrEqual(5);
    expect(scale.y(100)).toBeLessThanOrEqual(55);
    expect(polyline(points, scale).split(' ')).toHaveLength(2);
  });

  it('cope with one point and keep a reference range in view', () => {
    const scale = makeScale([[{ t: 5, v: 7 }]], box, [4.6, 6.2]);
    expect(Number.isFinite(scale.x(5))).toBe(true);
    expect(scale.vMin).toBeLessThan(4.6);
    expect(scale.vMax).toBeGreaterThan(7);
  });

  it('group lab results by test, oldest first', () => {
    const result = (value: number) => ({ test: 'HbA1c', value, unit: '%', reference_low: 4.6, reference_high: 6.2 });
    const trends = labTrends([
      { collected_at: '2026-10-01T00:00:00Z', results: [result(7.1)] },
      { collected_at: '2026-08-01T00:00:00Z', results: [result(7.4), { ...result(140), test: 'Glu', unit: 'mg/dL' }] },
    ]);
    const hba1c = trends.find((t) => t.test === 'HbA1c');
    expect(hba1c?.points.map((p) => p.v)).toEqual([7.4, 7.1]);
    expect(hba1c?.high).toBe(6.2);
    expect(trends.find((t) => t.test === 'Glu')?.points).toHaveLength(1);
  });

  it('print numbers without float noise', () => {
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
    expect(formatNumber(7)).toBe('7');
  });
});

describe('vital sign trends', () => {
  const vitals = [
    { measured_at: '2026-11-20T01:00:00Z', temperature_c: 38.2, systolic_mmhg: 128 },
    { measured_at: '2026-11-01T01:00:00Z', temperature_c: 36.6, systolic_mmhg: 131 },
    { measured_at: '2026-11-10T01:00:00Z', temperature_c: null, systolic_mmhg: 125 },
  ];

  it('give temperature a trend of its own, oldest first, skipping visits without it', () => {
    expect(vitalPoints(vitals, 'temperature_c').map((p) => p.v)).toEqual([36.6, 38.2]);
    expect(vitalPoints(vitals, 'systolic_mmhg').map((p) => p.v)).toEqual([131, 125, 128]);
  });

  it('keep label, value and unit apart in a tooltip', () => {
    setLocale('ja');
    const point = { t: Date.parse('2026-11-20T01:00:00Z'), v: 128 };
    expect(pointTitle({ label: '収縮期血圧', unit: 'mmHg' }, point, '2026/11/20')).toBe('収縮期血圧：128 mmHg（2026/11/20）');
    setLocale('en');
    expect(pointTitle({ label: 'Temperature', unit: '°C' }, { t: 0, v: 38.2 }, '2026/11/20')).toBe('Temperature: 38.2 °C (2026/11/20)');
    expect(pointTitle({ label: 'HbA1c', unit: '' }, { t: 0, v: 7.1 }, '2026/11/20')).toBe('HbA1c: 7.1 (2026/11/20)');
  });

  it('show temperature in the vitals panel with tooltips that separate label and value', () => {
    setLocale('ja');
    const recorded = vitals.map((v, i) => ({
      ...v,
      id: `v${i}`,
      patient_id: 'p',
      encounter_id: null,
      diastolic_mmhg: 80,
      pulse_bpm: 70,
      spo2_percent: null,
      respiratory_rate: null,
      weight_kg: null,
      height_cm: null,
    }));
    const markup = html(VitalsPanel, { patientId: 'p', todaysEncounter: null, vitals: recorded, canWrite: false, onchanged: () => {} });
    expect(markup).toContain('data-testid="vitals-temperature-chart"');
    const titles = [...markup.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(titles).toContain('体温：38.2 ℃（2026/11/20）');
    expect(titles.some((t) => /^収縮期血圧：128 mmHg（/.test(t ?? ''))).toBe(true);
  });
});
