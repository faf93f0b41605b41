import { describe, expect, it } from 'vitest';
import OneTimeCode from '../src/components/OneTimeCode.svelte';
import AddUserForm from '../src/components/AddUserForm.svelte';
import { html, text } from './render';

const value = { user: 'nurse2', code: 'ABCDE-FGHJK-LMNPQ-RSTUV' };

describe('one-time codes for the administrator to hand over', () => {
  it('show an invitation code with what the user does with it, in Japanese', () => {
    const shown = text(html(OneTimeCode, { value, kind: 'invitation' }));
    expect(shown).toContain('ABCDE-FGHJK-LMNPQ-RSTUV');
    expect(shown).toContain('招待コードで初回ログイン');
  });

  it('show a reset code in English', () => {
    const shown = text(html(OneTimeCode, { value, kind: 'reset' }, 'en'));
    expect(shown).toContain('one-time code field');
  });

  it('invite without asking the administrator for the new user\u2019s password', () => {
    const form = html(AddUserForm, { onadded: () => {}, oncancel: () => {} });
    expect(form).not.toContain('type="password"');
    expect(text(form)).toContain('本人が初回ログインで自分で設定します');
  });
});
