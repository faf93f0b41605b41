// The registration form's fields, how a Patient fills them for editing, and which field an
// `invalid` error names (the core's field names, crates/core/src/domain/patient.rs & insurance.rs).

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
  };
}

/** The core's field name in an `invalid` message → the form field it is about. */
export const CORE_FIELDS: Readonly<Record<string, FormField>> = {
  'chart number': 'chart_no',
  'family name': 'family_name',
  'given name': 'given_name',
  'family name reading (kana)': 'family_kana',
  'given name reading (kana)': 'given_kana',
  sex: 'sex',
  'birth date': 'birth_date',
  'postal code': 'postal_code',
  address: 'address',
  phone: 'phone',
  'insurer number': 'insurer_number',
  'insurance symbol': 'insurance_symbol',
  'insurance number': 'insurance_number',
  'copay rate': 'copay_percent',
};
