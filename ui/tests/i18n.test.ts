import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

function fakeStorage(initial: Record<string, string> = {}): Storage {
  const data = new Map(Object.entries(initial));
  return {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (k) => data.get(k) ?? null,
    key: (i) => [...data.keys()][i] ?? null,
    removeItem: (k) => void data.delete(k),
    setItem: (k, v) => void data.set(k, String(v)),
  };
}

describe('i18n', () => {
  beforeEach(() => {
    vi.resetModules();
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('speaks Japanese by default and fills placeholders', async () => {
    vi.stubGlobal('localStorage', fakeStorage());
    const { t, getLocale } = await import('../src/lib/i18n');
    expect(getLocale()).toBe('ja');
    expect(t('nav.reception')).toBe('受付');
    expect(t('patient.age', { age: 76 })).toBe('76歳');
  });

  it('switches to English and remembers the choice', async () => {
    const storage = fakeStorage();
    vi.stubGlobal('localStorage', storage);
    const { t, setLocale, STORAGE_KEY } = await import('../src/lib/i18n');
    setLocale('en');
    expect(t('nav.reception')).toBe('Reception');
    expect(storage.getItem(STORAGE_KEY)).toBe('en');

    vi.resetModules();
    const again = await import('../src/lib/i18n');
    expect(again.getLocale()).toBe('en');
    expect(again.t('patient.age', { age: 3 })).toBe('3 y');
  });

  it('ignores an unknown saved locale', async () => {
    vi.stubGlobal('localStorage', fakeStorage({ 'mamori.locale': 'fr' }));
    const { getLocale } = await import('../src/lib/i18n');
    expect(getLocale()).toBe('ja');
  });

  it('shows the key for a missing translation and knows what it has', async () => {
    vi.stubGlobal('localStorage', fakeStorage());
    const { t, has } = await import('../src/lib/i18n');
    expect(t('no.such.key')).toBe('no.such.key');
    expect(has('errors.denied')).toBe(true);
    expect(has('errors.made_up_code')).toBe(false);
  });

  it('leaves placeholders without a value as they are', async () => {
    const { interpolate } = await import('../src/lib/i18n');
    expect(interpolate('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });
});
