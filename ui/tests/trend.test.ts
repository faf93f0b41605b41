import { describe, expect, it } from 'vitest';
import { formatNumber, labTrends, makeScale, polyline } from '../src/lib/trend';

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
