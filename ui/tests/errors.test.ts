import { describe, expect, it } from 'vitest';
import { errorText, invalidField, throttleSeconds, toCommandError } from '../src/lib/errors';

describe('command errors', () => {
  it('keep the code and message of a rejection', () => {
    const err = toCommandError({ code: 'denied', message: 'your role may not read notes' });
    expect(err.code).toBe('denied');
    expect(err.message).toBe('your role may not read notes');
    expect(toCommandError('{"code":"locked_out","message":"x"}').code).toBe('locked_out');
    expect(toCommandError('plain').code).toBe('unexpected');
    expect(toCommandError(new Error('boom')).message).toBe('boom');
  });

  it('are shown translated when the code is known, else by their message', () => {
    expect(errorText({ code: 'wrong_password', message: 'wrong user name or password' })).toBe(
      'ユーザー名またはパスワードが違います。',
    );
    expect(errorText({ code: 'brand_new_code', message: 'something new happened' })).toBe('something new happened');
  });

  it('show the seconds to wait when throttled', () => {
    const err = { code: 'throttled', message: 'too many failed logins; try again in 42 seconds' };
    expect(throttleSeconds(err.message)).toBe(42);
    expect(errorText(err)).toContain('42');
    expect(errorText({ code: 'throttled', message: 'too many failed logins' })).toBe(
      'ログインの失敗が続いたため、しばらく待ってから再試行してください。',
    );
  });

  it('split an invalid message into field and problem', () => {
    expect(invalidField('birth date: is in the future')).toEqual({ field: 'birth date', problem: 'is in the future' });
    expect(invalidField('no field here')).toBeNull();
    expect(errorText({ code: 'invalid_input', message: 'phone: must be 10 or 11 digits' })).toContain('phone');
    expect(errorText({ code: 'invalid', message: 'phone: must be 10 or 11 digits' })).toContain('phone');
  });
});
