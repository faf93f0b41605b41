import { describe, expect, it } from 'vitest';
import AuditTable from '../src/components/AuditTable.svelte';
import { reasonText } from '../src/lib/auditReasons';
import { has, setLocale } from '../src/lib/i18n';
import type { ReportedEvent } from '../src/lib/types';
import { html, text } from './render';

// The admin's audit screens in the reader's language: reasons the core wrote are translated from
// their key, a reason a person typed is shown as typed.

const core = import.meta.glob<string>('../../crates/core/src/audit/reasons.rs', { query: '?raw', import: 'default', eager: true });

function event(over: Partial<ReportedEvent>): ReportedEvent {
  return {
    seq: 1,
    id: 'e1',
    at: '2026-11-29T01:00:00Z',
    user: 'reception',
    role: 'reception',
    device: 'd',
    patient: null,
    section: 'vitals',
    action: 'denied',
    outcome: 'denied',
    reason: 'write',
    break_glass: false,
    patients_listed: [],
    sections_read: [],
    reason_code: { key: 'denied_write', params: {} },
    ...over,
  };
}

describe('audit reasons', () => {
  it('have a translation for every key the core writes', () => {
    const source = Object.values(core)[0] ?? '';
    const keys = [...source.matchAll(/^\s*\("([a-z_]+)", "/gm)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(20);
    for (const locale of ['ja', 'en'] as const) {
      setLocale(locale);
      for (const key of keys) expect(has(`audit_reasons.${key}`), `${locale}: ${key}`).toBe(true);
    }
  });

  it('are shown in Japanese, roles, sections and times included', () => {
    setLocale('ja');
    expect(reasonText(event({}))).toBe('記録の権限がありません');
    const role = event({ reason: 'set user locum to nurse, disabled', reason_code: { key: 'user_set_disabled', params: { user: 'locum', role: 'nurse' } } });
    expect(reasonText(role)).toBe('ユーザー locum を看護師に設定し、無効化');
    const grant = event({ reason: 'break-the-glass grant for demographics, appointments', reason_code: { key: 'grant_read', params: { sections: 'demographics, appointments' } } });
    expect(reasonText(grant)).toBe('緊急閲覧の許可で閲覧：基本情報、予約・受付');
    const expired = event({ reason: 'grant expired at 2026-11-29T01:30:00+00:00', reason_code: { key: 'grant_expired', params: { at: '2026-11-29T01:30:00+00:00' } } });
    expect(reasonText(expired)).toBe('緊急閲覧の許可が 2026/11/29 10:30 に終了');
  });

  it('keep what a person typed as typed, and unknown wording as written', () => {
    setLocale('ja');
    const typed = event({ action: 'break_glass', reason: '監査アラートの患者確認', reason_code: null });
    expect(reasonText(typed)).toBe('入力された理由：監査アラートの患者確認');
    expect(reasonText(event({ reason: 'something new', reason_code: { key: 'not_a_key', params: {} } }))).toBe('something new');
    expect(reasonText(event({ reason: null, reason_code: null }))).toBe('');
  });
});

describe('the audit table', () => {
  it('shows no English action, role, outcome or reason in Japanese', () => {
    const rows = [
      event({}),
      event({ seq: 2, id: 'e2', action: 'sign', outcome: 'allowed', role: 'doctor', user: 'doctor', reason: null, reason_code: null }),
    ];
    const markup = html(AuditTable, { events: rows }, 'ja');
    const cells = (testid: string) =>
      [...markup.matchAll(new RegExp(`data-testid="${testid}"[^>]*>([^<]*)<`, 'g'))].map((m) => m[1]);
    expect(cells('audit-role')).toEqual(['医師', '受付']);
    expect(cells('audit-action')).toEqual(['署名', '拒否']);
    expect(cells('audit-reason')).toEqual(['', '記録の権限がありません']);
    expect(text(markup)).toContain('許可');
    expect(text(markup)).not.toMatch(/\b(write|sign|denied|allowed)\b/);
  });

  it('keeps short columns on one line and its header in view', () => {
    const markup = html(AuditTable, { events: [event({})] }, 'ja');
    expect(markup).toMatch(/<td class="nowrap[^"]*"[^>]*data-testid="audit-role"/);
    expect(markup).toMatch(/<td class="nowrap[^"]*"[^>]*data-testid="audit-action"/);
  });
});
