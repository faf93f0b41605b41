// Command errors: every command rejects with the core's error report (docs/desktop-ipc.md,
// `mamori_core::ErrorReport`): a stable `code`, the English `message` (a last fallback), every
// refused field as `{ field, problem, ...params }`, and the data a message needs as typed members
// (`retry_after_secs`, `section`, …). Texts come from the shared catalog (`errors.<code>`,
// `validation.<code>`, `fields.<id>`); nothing here reads the English message for data.

import type { ErrorCode, ErrorReport as CoreErrorReport, FieldError } from '../generated';
import { getLocale, has, t, type Params } from './i18n';

/** One refused field (`FieldError`, generated from the core): its id (e.g. `family_kana`), the
 * problem code (e.g. `wrong_kana`) with the problem's parameters (`max`, `min`, …) and, in a
 * list, the 1-based item it is in. */
export type FieldProblem = FieldError;

/** What a failed command rejects with: the core's `ErrorReport` (generated), or the window's own
 * `unexpected` report for a rejection that is not one. */
export type ErrorReport = Omit<CoreErrorReport, 'code'> & { code: ErrorCode | 'unexpected' };

export class CommandError extends Error {
  readonly code: ErrorReport['code'];
  readonly report: ErrorReport;

  constructor(report: ErrorReport) {
    super(report.message);
    this.name = 'CommandError';
    this.code = report.code;
    this.report = report;
  }

  /** Every refused field (empty unless the code is `invalid_input`). */
  get fields(): FieldProblem[] {
    return this.report.fields;
  }
}

/** Members that name something the catalog translates, and where: the same list as the core's
 * `messages::TRANSLATED_PARAMS`. */
const TRANSLATED_PARAMS: Readonly<Record<string, string>> = {
  section: 'section_names',
  access: 'access_names',
  what: 'record_names',
};

type Shape = { code: string; message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isShape(value: unknown): value is Shape & Record<string, unknown> {
  return isObject(value) && typeof value.code === 'string' && typeof value.message === 'string';
}

function isFieldProblem(value: unknown): value is FieldProblem {
  return isObject(value) && typeof value.field === 'string' && typeof value.problem === 'string';
}

/** The report's members as given, keeping only those of the expected type. */
function toReport(value: Shape & Record<string, unknown>): ErrorReport {
  const report: ErrorReport = {
    // The shell sends only the core's codes; an unknown one is shown by its English message.
    code: value.code as ErrorCode,
    message: value.message,
    fields: Array.isArray(value.fields) ? value.fields.filter(isFieldProblem) : [],
  };
  for (const key of ['retry_after_secs', 'found', 'supported'] as const) {
    const member = value[key];
    if (typeof member === 'number' && Number.isFinite(member)) report[key] = member;
  }
  for (const key of ['section', 'access', 'what', 'path', 'device', 'name', 'detail'] as const) {
    const member = value[key];
    if (typeof member === 'string') report[key] = member;
  }
  return report;
}

function unexpected(message: string): CommandError {
  return new CommandError({ code: 'unexpected', message, fields: [] });
}

/** Whatever `invoke` rejected with, as a CommandError (a bare string or a JS error gets the code
 * `unexpected`). */
export function toCommandError(value: unknown): CommandError {
  if (value instanceof CommandError) return value;
  if (isShape(value)) return new CommandError(toReport(value));
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (isShape(parsed)) return new CommandError(toReport(parsed));
    } catch {
      // not JSON: a plain message
    }
    return unexpected(value);
  }
  if (value instanceof Error) return unexpected(value.message);
  return unexpected(String(value));
}

export function errorCode(value: unknown): string {
  return toCommandError(value).code;
}

export function isInvalid(value: unknown): boolean {
  return errorCode(value) === 'invalid_input';
}

/** The seconds to wait before the next login, when the error is a throttled login. */
export function throttleWait(value: unknown): number | null {
  const err = toCommandError(value);
  const seconds = err.report.retry_after_secs;
  return err.code === 'throttled' && seconds !== undefined && seconds > 0 ? Math.ceil(seconds) : null;
}

/** An object's members as template parameters, with the names the catalog translates shown in
 * the current language. */
function params(members: object): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(members)) {
    if (typeof value === 'string' || typeof value === 'number') out[key] = value;
  }
  for (const [key, group] of Object.entries(TRANSLATED_PARAMS)) {
    const name = out[key];
    if (typeof name === 'string' && has(`${group}.${name}`)) out[key] = t(`${group}.${name}`);
  }
  return out;
}

const UNFILLED = /\{\w+\}/;

/** A field's label, with its item in a list ("2件目の薬剤"). */
export function fieldLabel(problem: FieldProblem): string {
  const key = `fields.${problem.field}`;
  const label = has(key) ? t(key) : problem.field;
  return problem.item === undefined ? label : t('format.field_in_item', { field: label, item: problem.item });
}

/** What is wrong with a field, on its own: the text shown next to the field. */
export function problemText(problem: FieldProblem): string {
  const key = `validation.${problem.problem}`;
  return has(key) ? t(key, params(problem)) : t('errors.invalid_input');
}

/** "Field: what is wrong". */
export function fieldText(problem: FieldProblem): string {
  return t('format.field_problem', { field: fieldLabel(problem), problem: problemText(problem) });
}

/** The text to show for an error: `errors.<code>` filled from the report's members, then every
 * refused field; the English message when the code is not translated. */
export function errorText(value: unknown): string {
  const err = toCommandError(value);
  const key = `errors.${err.code}`;
  let head = err.message || t('errors.unexpected');
  if (err.code !== 'unexpected' && has(key)) {
    const text = t(key, params(err.report));
    if (!UNFILLED.test(text)) head = text;
  }
  // Japanese sentences end in 。 and need no space between them (as the CLI prints them).
  return [head, ...err.fields.map(fieldText)].join(getLocale() === 'ja' ? '' : ' ');
}
