import { afterEach, describe, expect, it } from 'vitest';
import { errorText, fieldText, problemText, throttleWait, toCommandError } from '../src/lib/errors';
import { setLocale } from '../src/lib/i18n';

afterEach(() => setLocale('ja'));

describe('command errors', () => {
  it('keep the code, message and typed members of a rejection', () => {
    const err = toCommandError({
      code: 'denied',
      message: 'your role may not read notes',
      fields: [],
      section: 'notes',
      access: 'read',
    });
    expect(err.code).toBe('denied');
    expect(err.message).toBe('your role may not read notes');
    expect(err.report.section).toBe('notes');
    expect(toCommandError('{"code":"locked_out","message":"x","fields":[]}').code).toBe('locked_out');
    expect(toCommandError('plain').code).toBe('unexpected');
    expect(toCommandError(new Error('boom')).message).toBe('boom');
  });

  it('are shown translated when the code is known, else by their message', () => {
    expect(errorText({ code: 'wrong_password', message: 'wrong user name or password', fields: [] })).toBe(
      'ユーザー名またはパスワードが違います。',
    );
    expect(errorText({ code: 'brand_new_code', message: 'something new happened', fields: [] })).toBe(
      'something new happened',
    );
  });

  it('name the refused section and access in the reader’s language', () => {
    const denied = { code: 'denied', message: 'm', fields: [], section: 'administration', access: 'read' };
    expect(errorText(denied)).toBe('あなたの役割では管理を閲覧できません。この試みは記録されました。');
    setLocale('en');
    expect(errorText(denied)).toBe('Your role may not read administration; the attempt has been recorded.');
  });
});

describe('a throttled login', () => {
  const throttled = {
    code: 'throttled',
    message: 'too many failed logins; try again in 42 seconds',
    fields: [],
    retry_after_secs: 42,
  };

  it('says how long to wait from the typed seconds', () => {
    expect(throttleWait(throttled)).toBe(42);
    expect(errorText(throttled)).toBe('ログインの失敗が続いたため、あと42秒待ってから再試行してください。');
    setLocale('en');
    expect(errorText(throttled)).toBe('Too many failed logins; try again in 42 seconds.');
  });

  it('never reads the wait out of the English message', () => {
    const untyped = { code: 'throttled', message: 'too many failed logins; try again in 42 seconds', fields: [] };
    expect(throttleWait(untyped)).toBeNull();
    expect(errorText(untyped)).toBe(untyped.message);
    expect(throttleWait({ code: 'wrong_password', message: 'x', fields: [], retry_after_secs: 5 })).toBeNull();
    expect(throttleWait('{"code":"throttled","message":"x","fields":[],"retry_after_secs":"42"}')).toBeNull();
  });
});

describe('an invalid form', () => {
  const threeBad = {
    code: 'invalid_input',
    message: 'Family name (kana): … Birth date: … Phone: …',
    fields: [
      { field: 'family_kana', problem: 'wrong_kana' },
      { field: 'birth_date', problem: 'impossible_date' },
      { field: 'weight_kg', problem: 'out_of_range', min: 0.3, max: 400 },
    ],
  };

  it('lists every refused field with its translated problem', () => {
    expect(errorText(threeBad)).toBe(
      '入力内容を確認してください。' +
        'セイ（カナ）：カタカナまたはひらがなで入力してください（例: ヤマダ）。' +
        '生年月日：暦にない日付です。月と日を確認してください。' +
        '体重：0.3〜400の範囲で入力してください。',
    );
    setLocale('en');
    expect(errorText(threeBad)).toBe(
      'Please check the input. Family name (kana): Write it in kana only (katakana or hiragana), e.g. ヤマダ. ' +
        'Birth date: No such day in the calendar; check the month and day. Weight: Must be between 0.3 and 400.',
    );
  });

  it('fills a problem’s parameters and names the item of a list', () => {
    expect(problemText({ field: 'address', problem: 'too_long', max: 200 })).toBe('200文字以内で入力してください。');
    expect(fieldText({ field: 'drug', problem: 'required', item: 2 })).toBe('2件目の薬剤：入力してください。');
  });

  it('ignores field entries that are not field problems', () => {
    const err = toCommandError({ code: 'invalid_input', message: 'm', fields: ['phone: bad', { field: 'phone' }] });
    expect(err.fields).toEqual([]);
  });
});
