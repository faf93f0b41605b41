import { describe, expect, it } from 'vitest';
import html from '../index.html?raw';

// The app runs under `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:`.
const components = Object.entries(
  import.meta.glob<string>('../src/**/*.svelte', { query: '?raw', import: 'default', eager: true }),
);
const sources = Object.entries(
  import.meta.glob<string>('../src/**/*.{svelte,ts}', { query: '?raw', import: 'default', eager: true }),
);

describe('CSP', () => {
  it('index.html loads one module script and nothing inline', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]?.[1]).toMatch(/type="module"/);
    expect(scripts[0]?.[1]).toMatch(/src=/);
    expect(scripts[0]?.[2]?.trim()).toBe('');
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\sstyle=/);
  });

  it('components use no style attributes, raw HTML or transitions', () => {
    for (const [file, text] of components) {
      const markup = text.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<style[\s\S]*?<\/style>/g, '');
      expect(markup, file).not.toMatch(/\sstyle=/);
      expect(markup, file).not.toMatch(/\{@html/);
      expect(markup, file).not.toMatch(/\s(transition|in|out|animate):/);
    }
  });

  it('no code evaluates strings', () => {
    for (const [file, text] of sources) {
      expect(text, file).not.toMatch(/\beval\(|new Function\(/);
    }
  });
});

describe('test hooks', () => {
  it('every data-testid the shell tests rely on exists', () => {
    const all = components.map(([, text]) => text).join('\n');
    const ids = [
      'unlock-user',
      'unlock-password',
      'unlock-totp',
      'unlock-submit',
      'unlock-error',
      'resume-screen',
      'resume-password',
      'resume-totp',
      'resume-submit',
      'lock-button',
      'search-input',
      'search-result',
      'search-empty',
      'visits-list',
      'visit-row',
      'checkin-button',
      'walkin-button',
      'register-open',
      'register-chart-no',
      'register-family-name',
      'register-given-name',
      'register-family-kana',
      'register-given-kana',
      'register-sex',
      'register-birth-date',
      'register-phone',
      'register-address',
      'register-postal-code',
      'register-submit',
      'register-error',
      'chart-header',
      'allergy-banner',
      'clinical-sections',
      'encounter-new',
      'soap-s',
      'soap-o',
      'soap-a',
      'soap-p',
      'note-save',
      'note-sign',
      'note-status',
      'note-list',
      'rx-do',
      'rx-list',
      'rx-item-drug',
      'vitals-chart',
      'lab-list',
      'break-glass-open',
      'break-glass-reason',
      'break-glass-section',
      'break-glass-submit',
      'grant-countdown',
      'lang-switch',
      'admin-users',
    ];
    const missing = ids.filter(
      (id) => !all.includes(`data-testid="${id}"`) && !all.includes(`testid="${id}"`) && !all.includes(`'${id}'`),
    );
    expect(missing).toEqual([]);
    // nav-reception / nav-chart / nav-admin are built from the view names in TopBar.svelte.
    expect(all).toContain('data-testid={`nav-${view}`}');
    expect(all).toContain('data-patient-id={p.id}');
  });
});
