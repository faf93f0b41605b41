// Command errors: every command rejects with `{ code, message }` (docs/desktop-ipc.md). The UI
// shows `errors.<code>` from the translation file and falls back to the (English) message.

import { has, t } from './i18n';
import type { CommandErrorShape } from './types';

export class CommandError extends Error implements CommandErrorShape {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
  }
}

/** Codes of validation errors: the contract says `invalid`, the core's `Error::code()` says
 * `invalid_input`; both are accepted. */
export const INVALID_CODES: readonly string[] = ['invalid', 'invalid_input'];

function isShape(value: unknown): value is CommandErrorShape {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** Whatever `invoke` rejected with, as a CommandError (a bare string or a JS error gets the code
 * `unexpected`). */
export function toCommandError(value: unknown): CommandError {
  if (value instanceof CommandError) return value;
  if (isShape(value)) return new CommandError(value.code, value.message);
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isShape(parsed)) return new CommandError(parsed.code, parsed.message);
    } catch {
      // not JSON: a plain message
    }
    return new CommandError('unexpected', value);
  }
  if (value instanceof Error) return new CommandError('unexpected', value.message);
  return new CommandError('unexpected', String(value));
}

export function errorCode(value: unknown): string {
  return toCommandError(value).code;
}

export function isInvalid(value: unknown): boolean {
  return INVALID_CODES.includes(errorCode(value));
}

/** Seconds to wait from a `throttled` message ("… try again in 42 seconds"), if it says. */
export function throttleSeconds(message: string): number | null {
  const match = /(\d+)\s*(?:seconds?|secs?|s\b|秒)/i.exec(message) ?? /(\d+)/.exec(message);
  if (!match?.[1]) return null;
  const seconds = Number.parseInt(match[1], 10);
  return Number.isFinite(seconds) ? seconds : null;
}

/** The field and the problem of an `invalid` message ("<field>: <what is wrong>"). */
export function invalidField(message: string): { field: string; problem: string } | null {
  const at = message.indexOf(': ');
  if (at <= 0) return null;
  return { field: message.slice(0, at).trim(), problem: message.slice(at + 2).trim() };
}

/** The text to show for an error: `errors.<code>` when translated, else the message. */
export function errorText(value: unknown): string {
  const err = toCommandError(value);
  if (err.code === 'throttled') {
    const seconds = throttleSeconds(err.message);
    if (seconds !== null) return t('errors.throttled_wait', { seconds });
  }
  if (INVALID_CODES.includes(err.code)) {
    const parts = invalidField(err.message);
    return parts ? t('errors.invalid_detail', { detail: err.message }) : t('errors.invalid_input');
  }
  const key = `errors.${err.code}`;
  if (err.code !== 'unexpected' && has(key)) return t(key);
  return err.message || t('errors.unexpected');
}
