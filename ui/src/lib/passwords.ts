import { t } from './i18n';

// The core refuses shorter passwords (crates/core/src/domain/user.rs); the forms say so before sending.
export const MIN_PASSWORD = 10;

/** What is wrong with a new password and its confirmation, in the user's language; '' when nothing is. */
export function newPasswordProblem(password: string, confirm: string): string {
  if (password.length < MIN_PASSWORD) return t('setup.password_short', { min: MIN_PASSWORD });
  if (password !== confirm) return t('setup.password_mismatch');
  return '';
}
