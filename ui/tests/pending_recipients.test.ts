import { describe, expect, it } from 'vitest';
import PendingRecipients from '../src/components/PendingRecipients.svelte';
import type { PendingRecipient } from '../src/lib/types';
import { html, text } from './render';

const nurse: PendingRecipient = {
  user: 'nurse2',
  display_name: '看護 次郎',
  role: 'nurse',
  added_by: 'admin',
  fingerprint: 'AB12 CD34 EF56 7890 AB12 CD34 EF56 7890',
  reinvited: false,
};

describe('colleagues waiting for the clinical key', () => {
  it('name who waits, their role and who added them, and ask for the fingerprint on their screen', () => {
    const shown = text(html(PendingRecipients, { initial: [nurse] }));
    expect(shown).toContain('看護 次郎');
    expect(shown).toContain('看護師');
    expect(shown).toContain('追加した管理者: admin');
    expect(shown).toContain('本人の画面の鍵の指紋');
    // The fingerprint is typed from the colleague's screen, never shown here to be copied.
    expect(shown).not.toContain('AB12 CD34');
  });

  it('warn when the account was invited again (whoever held that code chose its keys)', () => {
    expect(text(html(PendingRecipients, { initial: [nurse] }))).not.toContain('再招待');
    expect(text(html(PendingRecipients, { initial: [{ ...nurse, reinvited: true }] }))).toContain('再招待されています');
  });

  it('say it in English too', () => {
    const shown = text(html(PendingRecipients, { initial: [nurse] }, 'en'));
    expect(shown).toContain('Colleagues waiting for the clinical key');
    expect(shown).toContain('Confirm and pass the key');
  });

  it('show nothing when nobody waits', () => {
    expect(text(html(PendingRecipients, { initial: [] }))).toBe('');
  });
});
