import { afterEach, describe, expect, it } from 'vitest';
import { toCommandError } from '../src/lib/errors';
import { setLocale } from '../src/lib/i18n';
import { formErrors } from '../src/lib/patientForm';

afterEach(() => setLocale('ja'));

const threeBad = toCommandError({
  code: 'invalid_input',
  message: 'English fallback',
  fields: [
    { field: 'family_kana', problem: 'wrong_kana' },
    { field: 'birth_date', problem: 'impossible_date' },
    { field: 'phone', problem: 'bad_phone' },
  ],
});

describe('the registration form', () => {
  it('shows every refused field’s problem next to it at once, in Japanese', () => {
    const shown = formErrors(threeBad);
    expect(shown.fields).toEqual({
      family_kana: 'カタカナまたはひらがなで入力してください（例: ヤマダ）。',
      birth_date: '暦にない日付です。月と日を確認してください。',
      phone: '0から始まる10桁または11桁の番号を入力してください（例: 03-1234-5678）。',
    });
    expect(shown.message).toBe('入力内容を確認してください。');
    expect(shown.first).toBe('family_kana');
  });

  it('shows them in English when the user chose English', () => {
    setLocale('en');
    expect(formErrors(threeBad).fields.phone).toBe(
      'A Japanese number of 10 or 11 digits starting with 0, e.g. 03-1234-5678.',
    );
  });

  it('focuses the first refused field in form order and says what it cannot place', () => {
    const err = toCommandError({
      code: 'invalid_input',
      message: 'm',
      fields: [
        { field: 'copay_percent', problem: 'bad_copay' },
        { field: 'chart_no', problem: 'chart_no_taken' },
        { field: 'search', problem: 'empty_search' },
      ],
    });
    const shown = formErrors(err);
    expect(shown.first).toBe('chart_no');
    expect(shown.fields.chart_no).toBe('ほかの患者さんが使っています。');
    expect(shown.message).toContain('検索語：');
  });

  it('puts any other refusal in the message', () => {
    const shown = formErrors(toCommandError({ code: 'denied', message: 'm', fields: [], section: 'demographics', access: 'write' }));
    expect(shown.fields).toEqual({});
    expect(shown.first).toBeNull();
    expect(shown.message).toBe('あなたの役割では基本情報を記録できません。この試みは記録されました。');
  });
});
