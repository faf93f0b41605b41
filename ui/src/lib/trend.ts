// Scales for the small SVG trend charts (vitals, lab results): pure, so it is tested.

import { t } from './i18n';

export interface Point {
  /** Milliseconds since the epoch. */
  t: number;
  v: number;
}

export interface Box {
  width: number;
  height: number;
  /** Space left for the axis labels. */
  padLeft: number;
  padRight: number;
  padTop: number;
  padBottom: number;
}

export interface Scale {
  x: (t: number) => number;
  y: (v: number) => number;
  tMin: number;
  tMax: number;
  vMin: number;
  vMax: number;
  /** The lowest and highest values plotted (without head room): what the axis labels show. */
  lo: number;
  hi: number;
}

/** Maps time to x and value to y (upwards) over all points, with `extra` values (e.g. a reference
 * range) kept in view and a little head room. */
export function makeScale(series: readonly (readonly Point[])[], box: Box, extra: readonly number[] = []): Scale {
  const points = series.flat();
  const ts = points.map((p) => p.t);
  const vs = [...points.map((p) => p.v), ...extra];
  let tMin = ts.length ? Math.min(...ts) : 0;
  let tMax = ts.length ? Math.max(...ts) : 1;
  let vMin = vs.length ? Math.min(...vs) : 0;
  let vMax = vs.length ? Math.max(...vs) : 1;
  const lo = vMin;
  const hi = vMax;
  if (tMax === tMin) {
    tMin -= 1;
    tMax += 1;
  }
  const room = vMax === vMin ? Math.max(Math.abs(vMax) * 0.1, 1) : (vMax - vMin) * 0.08;
  vMin -= room;
  vMax += room;
  const plotW = box.width - box.padLeft - box.padRight;
  const plotH = box.height - box.padTop - box.padBottom;
  return {
    x: (t) => box.padLeft + ((t - tMin) / (tMax - tMin)) * plotW,
    y: (v) => box.padTop + (1 - (v - vMin) / (vMax - vMin)) * plotH,
    tMin,
    tMax,
    vMin,
    vMax,
    lo,
    hi,
  };
}

/** SVG polyline points ("x,y x,y …"), rounded to tenths. */
export function polyline(points: readonly Point[], scale: Scale): string {
  return [...points]
    .sort((a, b) => a.t - b.t)
    .map((p) => `${round(scale.x(p.t))},${round(scale.y(p.v))}`)
    .join(' ');
}

export function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** A value printed without float noise: 7.1000000001 → "7.1". */
export function formatNumber(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** One line of a TrendChart. */
export interface Series {
  key: string;
  label: string;
  /** Printed after each value in its tooltip (mmHg, ℃, mg/dL); may be empty. */
  unit: string;
  points: Point[];
  /** Colour class: s1, s2 or s3. */
  tone: 's1' | 's2' | 's3';
}

/** A dot's tooltip, label and value kept apart and the unit after the value:
 * 「収縮期血圧: 128 mmHg（2026/11/29）」. */
export function pointTitle(series: Pick<Series, 'label' | 'unit'>, point: Point, date: string): string {
  const value = series.unit ? `${formatNumber(point.v)} ${series.unit}` : formatNumber(point.v);
  return t('trend.point', { label: series.label, value, date });
}

/** The measurements of one vital sign, oldest first; a visit without it is left out. */
export function vitalPoints<K extends string>(
  vitals: readonly ({ measured_at: string } & { [key in K]: number | null })[],
  key: K,
): Point[] {
  return vitals
    .flatMap((v) => {
      const value = v[key];
      return value === null ? [] : [{ t: Date.parse(v.measured_at), v: value }];
    })
    .sort((a, b) => a.t - b.t);
}

/** Lab results grouped by test across reports, oldest first, with the latest reference range. */
export interface LabTrend {
  test: string;
  unit: string;
  points: Point[];
  low: number | null;
  high: number | null;
}

export function labTrends(
  reports: readonly {
    collected_at: string;
    results: readonly {
      test: string;
      value: number;
      unit: string;
      reference_low: number | null;
      reference_high: number | null;
    }[];
  }[],
): LabTrend[] {
  const byTest = new Map<string, LabTrend>();
  const ordered = [...reports].sort((a, b) => a.collected_at.localeCompare(b.collected_at));
  for (const report of ordered) {
    const t = Date.parse(report.collected_at);
    for (const r of report.results) {
      const trend = byTest.get(r.test) ?? { test: r.test, unit: r.unit, points: [], low: null, high: null };
      trend.points.push({ t, v: r.value });
      trend.unit = r.unit;
      trend.low = r.reference_low;
      trend.high = r.reference_high;
      byTest.set(r.test, trend);
    }
  }
  return [...byTest.values()];
}
