import { describe, expect, it } from 'vitest';
import RecordIntegrityBanner from '../src/components/RecordIntegrityBanner.svelte';
import { html, text } from './render';

const banner = (withheld: number, missing: number, locale: 'ja' | 'en' = 'ja') =>
  text(html(RecordIntegrityBanner, { withheld, missing }, locale));

describe('the record integrity banner', () => {
  it('says in Japanese how many records were left out and how many are gone', () => {
    const shown = banner(2, 1);
    expect(shown).toContain('臨床記録の確認が必要です');
    expect(shown).toContain('2 件が検証できない');
    expect(shown).toContain('1 件が見つかりません');
  });

  it('says it in English, only the finding there is', () => {
    const shown = banner(0, 3, 'en');
    expect(shown).toContain('3 clinical records written to this chart are missing');
    expect(shown).not.toContain('do not verify');
  });

  it('shows nothing for a chart that verifies', () => {
    expect(banner(0, 0)).toBe('');
  });
});
