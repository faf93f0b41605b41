// The registration form's fields, how a Patient fills them for editing, and which of them an
// `invalid_input` error refuses (the core's field ids are the form's field names,
// crates/core/src/domain/field.rs).

import { errorText, problemText, type CommandError } from './errors';
import { t } from './i18n';
import type { Patient, PatientInput } from './types';

export interface PatientFormValues {
  chart_no: string;
  family_name: string;
  given_name: string;
  family_kana: string;
  given_kana: string;
  sex: '' | 'male' | 'female' | 'other';
  birth_date: string;
  postal_code: string;
  address: string;
  phone: string;
  has_insurance: boolean;
  insurer_number: string;
  insurance_symbol: string;
  insurance_number: string;
  copay_percent: string;
  sensitive: boolean;
  /** Why the chart is watched: '', 'staff', 'staff_family' or 'public_figure'. */
  sensitive_kind: string;
  /** The staff member's login, for a staff member's own or family chart. */
  staff_member: string;
}

export type FormField = keyof PatientFormValues;

export function emptyForm(chartNo = ''): PatientFormValues {
  return {
    chart_no: chartNo,
    family_name: '',
    given_name: '',
    family_kana: '',
    given_kana: '',
    sex: '',
    birth_date: '',
    postal_code: '',
    address: '',
    phone: '',
    has_insurance: false,
    insurer_number: '',
    insurance_symbol: '',
    insurance_number: '',
    copay_percent: '30',
    sensitive: false,
    sensitive_kind: '',
    staff_member: '',
  };
}

export function formFromPatient(p: Patient): PatientFormValues {
  return {
    chart_no: p.chart_no,
    family_name: p.family_name,
    given_name: p.given_name,
    family_kana: p.family_kana,
    given_kana: p.given_kana,
    sex: p.sex,
    birth_date: p.birth_date,
    postal_code: p.postal_code ?? '',
    address: p.address,
    phone: p.phone ?? '',
    has_insurance: p.insurance !== null,
    insurer_number: p.insurance?.insurer_number ?? '',
    insurance_symbol: p.insurance?.symbol ?? '',
    insurance_number: p.insurance?.number ?? '',
    copay_percent: String(p.insurance?.copay_percent ?? 30),
    sensitive: p.sensitive,
    sensitive_kind: p.sensitive_kind ?? '',
    staff_member: p.staff_member ?? '',
  };
}

export function toInput(f: PatientFormValues): PatientInput {
  return {
    chart_no: f.chart_no,
    family_name: f.family_name,
    given_name: f.given_name,
    family_kana: f.family_kana,
    given_kana: f.given_kana,
    sex: f.sex,
    birth_date: f.birth_date,
    postal_code: f.postal_code,
    address: f.address,
    phone: f.phone,
    insurance: f.has_insurance
      ? {
          insurer_number: f.insurer_number,
          symbol: f.insurance_symbol,
          number: f.insurance_number,
          copay_percent: Number(f.copay_percent),
        }
      : null,
    sensitive: f.sensitive,
    sensitive_kind: f.sensitive_kind,
    staff_member: f.sensitive_kind === 'staff' || f.sensitive_kind === 'staff_family' ? f.staff_member : '',
  };
}

/** The form fields the core can refuse (its field ids for a PatientInput). */
export const FORM_FIELDS: readonly FormField[] = [
  'chart_no',
  'family_name',
  'given_name',
  'family_kana',
  'given_kana',
  'sex',
  'birth_date',
  'postal_code',
  'address',
  'phone',
  'insurer_number',
  'insurance_symbol',
  'insurance_number',
  'copay_percent',
  'sensitive_kind',
  'staff_member',
];

function isFormField(field: string): field is FormField {
  return (FORM_FIELDS as readonly string[]).includes(field);
}

export interface FormErrors {
  /** The translated problem of each refused field, shown next to it. */
  fields: Partial<Record<FormField, string>>;
  /** What to say above the buttons. */
  message: string;
  /** The first refused field, in form order (to focus it). */
  first: FormField | null;
}

/** Every refused field's problem, translated, at once; anything the form has no field for goes
 * into the message. */
export function formErrors(err: CommandError): FormErrors {
  const fields: Partial<Record<FormField, string>> = {};
  const elsewhere = err.fields.filter((problem) => !isFormField(problem.field));
  for (const problem of err.fields) {
    if (!isFormField(problem.field)) continue;
    const text = problemText(problem);
    fields[problem.field] = fields[problem.field] ? `${fields[problem.field]} ${text}` : text;
  }
  const first = FORM_FIELDS.find((field) => fields[field] !== undefined) ?? null;
  if (first === null || elsewhere.length > 0) {
    return { fields, message: errorText({ ...err.report, fields: elsewhere }), first };
  }
  return { fields, message: t('errors.invalid_input'), first };
}
