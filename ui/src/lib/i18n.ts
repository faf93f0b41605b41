// A tiny i18n store: `t(key, params?)` looks a dotted key up in the current locale's JSON and
// fills `{name}` placeholders. Japanese is the default; the choice is kept in localStorage.
// The texts of errors, validation problems and fields (`errors.*`, `validation.*`, `fields.*`, …)
// come from the core's message catalog, the one the CLI prints from too
// (crates/core/messages/*.json); the UI's own texts are in ../locales.
// `t` is reactive in Svelte templates (createSubscriber re-runs them when the locale changes)
// and an ordinary function everywhere else.

import { createSubscriber } from 'svelte/reactivity';
import catalogEn from '../../../crates/core/messages/en.json';
import catalogJa from '../../../crates/core/messages/ja.json';
import en from '../locales/en.json';
import ja from '../locales/ja.json';

export type Locale = 'ja' | 'en';
export type Params = Record<string, string | number>;

type Tree = { [key: string]: string | Tree };

export const LOCALES: readonly Locale[] = ['ja', 'en'];
export const DEFAULT_LOCALE: Locale = 'ja';
export const STORAGE_KEY = 'mamori.locale';

/** The top-level groups that come from the core's catalog (a UI locale file must not hold them). */
export const CATALOG_GROUPS: readonly string[] = Object.keys(catalogJa);

const dictionaries: Record<Locale, Tree> = { ja: { ...ja, ...catalogJa }, en: { ...en, ...catalogEn } };

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

function initialLocale(): Locale {
  const saved = storage()?.getItem(STORAGE_KEY);
  return isLocale(saved) ? saved : DEFAULT_LOCALE;
}

let current: Locale = initialLocale();
let changed: (() => void) | null = null;
const subscribe = createSubscriber((update) => {
  changed = update;
  return () => {
    changed = null;
  };
});

function applyToDocument(locale: Locale): void {
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

applyToDocument(current);

export function getLocale(): Locale {
  subscribe();
  return current;
}

export function setLocale(locale: Locale): void {
  if (!isLocale(locale) || locale === current) return;
  current = locale;
  storage()?.setItem(STORAGE_KEY, locale);
  applyToDocument(locale);
  changed?.();
}

function lookup(tree: Tree, key: string): string | undefined {
  let node: string | Tree | undefined = tree;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

export function interpolate(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** True when `key` is translated (in the current locale or the default one). */
export function has(key: string): boolean {
  return lookup(dictionaries[current], key) !== undefined || lookup(dictionaries[DEFAULT_LOCALE], key) !== undefined;
}

/** The text for `key` in the current locale, with `{name}` placeholders filled from `params`.
 * Falls back to Japanese, then to the key itself (so a missing key is visible, never blank). */
export function t(key: string, params?: Params): string {
  subscribe();
  const text = lookup(dictionaries[current], key) ?? lookup(dictionaries[DEFAULT_LOCALE], key) ?? key;
  return interpolate(text, params);
}

/** Every dotted key of a translation tree with its text (used by the tests). */
export function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (typeof value === 'string') out.set(key, value);
    else for (const [k, v] of flatten(value, key)) out.set(k, v);
  }
  return out;
}

export { dictionaries };
