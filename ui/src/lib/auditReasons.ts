// An audit event's reason in the reader's language: the core sends the fixed wording as a key
// and its variable parts (`reason_code`); a reason a person typed is shown as typed.

import { formatDateTime } from './dates';
import { has, t } from './i18n';
import type { ReportedEvent } from './types';

/** A value the core put in a reason: its own identifiers and times, shown in the reader's words. */
function shown(name: string, value: string): string {
  if (name === 'role') return has(`roles.${value}`) ? t(`roles.${value}`) : value;
  if (name === 'sections') {
    return value
      .split(', ')
      .map((s) => (has(`sections.${s}`) ? t(`sections.${s}`) : s))
      .join(t('audit.list_separator'));
  }
  if (name === 'at') return formatDateTime(value);
  return value;
}

export function reasonText(event: Pick<ReportedEvent, 'action' | 'reason' | 'reason_code'>): string {
  const code = event.reason_code;
  if (!code && event.action === 'break_glass' && event.reason) return t('audit.reason_typed', { text: event.reason });
  if (!code || !has(`audit_reasons.${code.key}`)) return event.reason ?? '';
  const params = Object.fromEntries(Object.entries(code.params).map(([name, value]) => [name, shown(name, value)]));
  return t(`audit_reasons.${code.key}`, params);
}
