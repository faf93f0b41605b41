import { describe, expect, it } from 'vitest';
import TamperingBanner from '../src/components/TamperingBanner.svelte';
import type { TamperingFound } from '../src/generated';
import { html, text } from './render';

const banner = (found: TamperingFound[], locale: 'ja' | 'en' = 'ja') => text(html(TamperingBanner, { found }, locale));

describe('the tampering banner', () => {
  it('says in Japanese what was found, with its event numbers', () => {
    const shown = banner([{ kind: 'truncated', events: 9, pinned: 12 }]);
    expect(shown).toContain('改ざんが検出されました');
    expect(shown).toContain('イベント 9');
    expect(shown).toContain('12');
  });

  it('says it in English too, one line per finding', () => {
    const shown = banner([{ kind: 'key_replaced' }, { kind: 'rewritten', seq: 7 }], 'en');
    expect(shown).toContain('audit signing key');
    expect(shown).toContain('at or below event 7');
  });

  it('shows nothing when nothing was found', () => {
    expect(banner([])).toBe('');
  });
});
