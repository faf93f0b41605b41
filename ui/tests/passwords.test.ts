import { describe, expect, it } from 'vitest';
import { MIN_PASSWORD, newPasswordProblem } from '../src/lib/passwords';

describe('a new password', () => {
  it('is refused when shorter than the core allows, before the confirmation is compared', () => {
    const short = 'x'.repeat(MIN_PASSWORD - 1);
    expect(newPasswordProblem(short, 'different')).toContain(String(MIN_PASSWORD));
  });

  it('is refused when the confirmation differs', () => {
    const problem = newPasswordProblem('long-enough-password', 'long-enough-passw0rd');
    expect(problem).not.toBe('');
    expect(problem).not.toContain(String(MIN_PASSWORD));
  });

  it('is accepted when long enough and confirmed', () => {
    expect(newPasswordProblem('x'.repeat(MIN_PASSWORD), 'x'.repeat(MIN_PASSWORD))).toBe('');
  });
});
