// Renders a component to HTML in Node (Svelte's server renderer) so a test can read what the
// window would show, in the locale it asks for.

import type { Component } from 'svelte';
import { render } from 'svelte/server';
import { setLocale, type Locale } from '../src/lib/i18n';

export function html<P extends Record<string, unknown>>(component: Component<P>, props: P, locale: Locale = 'ja'): string {
  setLocale(locale);
  return render(component, { props }).body;
}

/** The visible text: tags and Svelte's hydration comments removed, whitespace folded. */
export function text(markup: string): string {
  return markup
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<title>[\s\S]*?<\/title>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
