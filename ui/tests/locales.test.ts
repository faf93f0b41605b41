import { describe, expect, it } from 'vitest';
import en from '../src/locales/en.json';
import ja from '../src/locales/ja.json';
import catalogEn from '../../crates/core/messages/en.json';
import catalogJa from '../../crates/core/messages/ja.json';
import { CATALOG_GROUPS, dictionaries, flatten } from '../src/lib/i18n';
import { FORM_FIELDS } from '../src/lib/patientForm';
import { ALL_SECTIONS } from '../src/lib/types';

const jaKeys = flatten(ja);
const enKeys = flatten(en);
/** What `t` can find: the UI's own texts and the core's catalog. */
const allJaKeys = flatten(dictionaries.ja);

const sources = import.meta.glob<string>('../src/**/*.{svelte,ts}', { query: '?raw', import: 'default', eager: true });

describe('translation files', () => {
  it('have identical key sets', () => {
    expect([...enKeys.keys()].sort()).toEqual([...jaKeys.keys()].sort());
  });

  it('have no empty values', () => {
    for (const [key, text] of [...jaKeys, ...enKeys]) {
      expect(text.trim(), key).not.toBe('');
    }
  });

  it('use the same placeholders in both languages', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, text] of jaKeys) {
      expect(names(enKeys.get(key) ?? ''), key).toEqual(names(text));
    }
  });

  it('hold every key the components name literally', () => {
    const missing: string[] = [];
    for (const [file, text] of Object.entries(sources)) {
      for (const match of text.matchAll(/\bt\(\s*'([a-z0-9_.]+)'/g)) {
        const key = match[1] ?? '';
        if (!allJaKeys.has(key)) missing.push(`${file}: ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('hold every key built from an enum value', () => {
    const families: Record<string, readonly string[]> = {
      sections: ALL_SECTIONS,
      roles: ['reception', 'nurse', 'doctor', 'admin'],
      sex: ['male', 'female', 'other'],
      severity: ['mild', 'moderate', 'severe'],
      audit_actions: [
        'read',
        'search',
        'write',
        'sign',
        'amend',
        'export',
        'print',
        'login',
        'logout',
        'lock',
        'login_failed',
        'denied',
        'break_glass',
        'admin',
      ],
      encounters: ['outpatient', 'home_visit'],
      weekdays: ['0', '1', '2', '3', '4', '5', '6'],
      'roster.kind': ['on_call', 'cover'],
      problems: ['active', 'resolved'],
      language: ['ja', 'en'],
      'admin.tab': ['users', 'settings', 'audit', 'alerts'],
      'audit.outcome': ['allowed', 'denied'],
      'labs.flag': ['low', 'normal', 'high'],
      'notes.kind': ['medical', 'nursing'],
      notes: ['draft', 'signed', 'subjective', 'objective', 'assessment', 'plan'],
      vitals: [
        'systolic_mmhg',
        'diastolic_mmhg',
        'pulse_bpm',
        'temperature_c',
        'spo2_percent',
        'respiratory_rate',
        'weight_kg',
        'height_cm',
      ],
      patient_form: [
        'chart_no',
        'family_name',
        'given_name',
        'family_kana',
        'given_kana',
        'sex',
        'birth_date',
        'postal_code',
        'address',
        'phone',
        'insurer_number',
        'insurance_symbol',
        'insurance_number',
        'copay_percent',
      ],
    };
    for (const [prefix, values] of Object.entries(families)) {
      const joiner = prefix.includes('.') ? '_' : '.';
      for (const value of values) {
        const key = `${prefix}${joiner}${value}`;
        expect(jaKeys.has(key), key).toBe(true);
      }
    }
  });

  it('take the texts of errors, problems and fields from the core’s catalog only', () => {
    expect(CATALOG_GROUPS).toEqual(expect.arrayContaining(['errors', 'validation', 'fields']));
    for (const group of CATALOG_GROUPS) {
      expect(Object.keys(ja), group).not.toContain(group);
      expect(Object.keys(en), group).not.toContain(group);
    }
    expect(flatten(dictionaries.en).get('errors.wrong_password')).toBe(catalogEn.errors.wrong_password);
    expect(allJaKeys.get('validation.wrong_kana')).toBe(catalogJa.validation.wrong_kana);
  });

  it('translate the error codes the window handles itself', () => {
    const codes = ['wrong_password', 'wrong_second_factor', 'throttled', 'session_locked', 'no_session', 'unexpected'];
    for (const code of codes) expect(allJaKeys.has(`errors.${code}`), code).toBe(true);
  });

  it('translate every field the registration form shows as its own', () => {
    for (const field of FORM_FIELDS) expect(allJaKeys.has(`fields.${field}`), field).toBe(true);
  });
});
