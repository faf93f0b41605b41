import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Command } from '../src/generated/commands';
import type {
  AllergyInput,
  ClinicHours,
  PatientInput,
  PrescriptionItemInput,
  ProblemInput,
  Shift,
  VitalsInput,
} from '../src/lib/types';

const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const api = await import('../src/lib/api');
const { COMMANDS } = await import('../src/generated/commands');
const { CommandError } = await import('../src/lib/errors');

beforeEach(() => {
  invoke.mockReset();
  invoke.mockResolvedValue(null);
});

const PATIENT = '0190d5a8-0000-7000-8000-000000000001';
const ENCOUNTER = '0190d5a8-0000-7000-8000-000000000002';
const HOURS: ClinicHours = {
  utc_offset_minutes: 540,
  hours: [{ weekday: 0, open: '09:00:00', close: '18:00:00' }],
  holidays: ['2026-12-31'],
};
const SHIFT: Shift = { user: 'doctor', kind: 'on_call', from: '2026-11-30T09:00:00Z', to: '2026-11-30T23:00:00Z', covers: null };

describe('command wrappers', () => {
  it('name each command and pass camelCase arguments as in docs/desktop-ipc.md', async () => {
    const soap = { subjective: '咳', objective: '', assessment: '', plan: '' };
    const patientInput: PatientInput = {
      chart_no: '000123',
      family_name: '山田',
      given_name: '花子',
      family_kana: 'ヤマダ',
      given_kana: 'ハナコ',
      sex: 'female',
      birth_date: 'S25.3.12',
      postal_code: '',
      address: '',
      phone: '',
      insurance: null,
      sensitive: false,
      sensitive_kind: '',
      staff_member: '',
    };
    const vitals: VitalsInput = {
      systolic_mmhg: 128,
      diastolic_mmhg: 82,
      pulse_bpm: null,
      temperature_c: 36.5,
      spo2_percent: null,
      respiratory_rate: null,
      weight_kg: null,
      height_cm: null,
    };
    const allergy: AllergyInput = { substance: '卵', reaction: '発疹', severity: 'mild' };
    const problem: ProblemInput = { name: '高血圧症', icd10: 'I10', onset: null, status: 'active' };
    const item: PrescriptionItemInput = { drug: 'アムロジピン錠5mg', dose: 1, unit: '錠', frequency: '1日1回朝食後', days: 28 };
    const calls: [() => Promise<unknown>, string, Record<string, unknown> | undefined][] = [
      [() => api.appStatus(), 'app_status', undefined],
      [() => api.setupClinic('admin', '院長', 'pw'), 'setup_clinic', { user: 'admin', displayName: '院長', password: 'pw' }],
      [() => api.unlock('dr', 'pw', '123456'), 'unlock', { user: 'dr', password: 'pw', totp: '123456' }],
      [() => api.lock(), 'lock', undefined],
      [() => api.resume('pw', '123456'), 'resume', { password: 'pw', totp: '123456' }],
      [() => api.logout(), 'logout', undefined],
      [() => api.sessionState(), 'session_state', undefined],
      [() => api.searchPatients('やまだ'), 'search_patients', { query: 'やまだ' }],
      [() => api.searchPatients('やまだ', 20), 'search_patients', { query: 'やまだ', limit: 20 }],
      [() => api.todaysVisits(), 'todays_visits', undefined],
      [() => api.nextChartNo(), 'next_chart_no', undefined],
      [() => api.patient(PATIENT), 'patient', { id: PATIENT }],
      [
        () => api.bookAppointment(PATIENT, '2026-11-30T00:00:00Z', '定期受診'),
        'book_appointment',
        { patientId: PATIENT, scheduledAt: '2026-11-30T00:00:00Z', purpose: '定期受診' },
      ],
      [
        () => api.bookAppointment(PATIENT, '2026-11-30T05:00:00Z', '訪問診療', 'home_visit', 'nurse'),
        'book_appointment',
        { patientId: PATIENT, scheduledAt: '2026-11-30T05:00:00Z', purpose: '訪問診療', kind: 'home_visit', clinician: 'nurse' },
      ],
      [() => api.clinicians(), 'clinicians', undefined],
      [() => api.checkIn('a1'), 'check_in', { appointmentId: 'a1' }],
      [() => api.checkInWalkIn(PATIENT, '発熱'), 'check_in_walk_in', { patientId: PATIENT, purpose: '発熱' }],
      [() => api.chart(PATIENT), 'chart', { patientId: PATIENT }],
      [() => api.openEncounter(PATIENT, 'outpatient'), 'open_encounter', { patientId: PATIENT, kind: 'outpatient' }],
      [() => api.writeNote(ENCOUNTER, soap), 'write_note', { encounterId: ENCOUNTER, text: soap }],
      [() => api.editNote('n1', soap), 'edit_note', { noteId: 'n1', text: soap }],
      [() => api.signNote('n1'), 'sign_note', { noteId: 'n1' }],
      [() => api.amendNote('n1', soap), 'amend_note', { noteId: 'n1', text: soap }],
      [() => api.registerPatient(patientInput), 'register_patient', { input: patientInput }],
      [() => api.updatePatient(PATIENT, patientInput), 'update_patient', { id: PATIENT, input: patientInput }],
      [() => api.recordVitals(PATIENT, vitals), 'record_vitals', { patientId: PATIENT, input: vitals }],
      [() => api.recordAllergy(PATIENT, allergy), 'record_allergy', { patientId: PATIENT, input: allergy }],
      [() => api.recordProblem(PATIENT, problem), 'record_problem', { patientId: PATIENT, input: problem }],
      [() => api.prescribe(PATIENT, [item], ENCOUNTER), 'prescribe', { patientId: PATIENT, encounterId: ENCOUNTER, items: [item] }],
      [() => api.prescribeDo(PATIENT), 'prescribe_do', { patientId: PATIENT }],
      [() => api.prescribeDo(PATIENT, ENCOUNTER), 'prescribe_do', { patientId: PATIENT, encounterId: ENCOUNTER }],
      [
        () => api.breakGlass(PATIENT, 'demographics', 'alert review'),
        'break_glass',
        { patientId: PATIENT, section: 'demographics', reason: 'alert review' },
      ],
      [() => api.users(), 'users', undefined],
      [() => api.inviteUser('nurse1', '看護 花子', 'nurse'), 'invite_user', { name: 'nurse1', displayName: '看護 花子', role: 'nurse' }],
      [
        () => api.acceptInvitation('nurse1', 'ABCDE-FGHJK-LMNPQ-RSTUV', 'pw'),
        'accept_invitation',
        { user: 'nurse1', code: 'ABCDE-FGHJK-LMNPQ-RSTUV', password: 'pw' },
      ],
      [() => api.changePassword('old-pw', 'new-pw'), 'change_password', { current: 'old-pw', new: 'new-pw' }],
      [() => api.setUserDisabled('nurse1', true), 'set_user_disabled', { name: 'nurse1', disabled: true }],
      [() => api.pendingRecipients(), 'pending_recipients', undefined],
      [
        () => api.confirmRecipient('nurse1', 'AB12 CD34'),
        'confirm_recipient',
        { user: 'nurse1', fingerprint: 'AB12 CD34' },
      ],
      [() => api.resetSecondFactor('nurse1'), 'reset_second_factor', { name: 'nurse1' }],
      [() => api.unlockAccount('nurse1'), 'unlock_account', { name: 'nurse1' }],
      [() => api.auditReport({ patientId: PATIENT }), 'audit_report', { patientId: PATIENT }],
      [() => api.auditReport({ user: 'dr' }), 'audit_report', { user: 'dr' }],
      [() => api.auditReportByChartNo('000123'), 'audit_report_by_chart_no', { chartNo: '000123' }],
      [() => api.auditAlerts(), 'audit_alerts', undefined],
      [() => api.setIdleTimeout(15), 'set_idle_timeout', { minutes: 15 }],
      [
        () => api.insiderAlerts({ status: 'open', rule: null, user: null, since: null }),
        'insider_alerts',
        { filter: { status: 'open', rule: null, user: null, since: null } },
      ],
      [() => api.acknowledgeAlert('ab12', '確認済み'), 'acknowledge_alert', { id: 'ab12', comment: '確認済み' }],
      [() => api.clinicWideAlerts(), 'clinic_wide_alerts', undefined],
      [() => api.alertCoverage(), 'alert_coverage', undefined],
      [() => api.alertSummary(), 'alert_summary', undefined],
      [() => api.staffProfiles(), 'staff_profiles', undefined],
      [
        () => api.setStaffProfile({ user: 'nurse', surname: '高橋', surname_kana: null, home_town: '下馬', home_block: '3' }),
        'set_staff_profile',
        { profile: { user: 'nurse', surname: '高橋', surname_kana: null, home_town: '下馬', home_block: '3' } },
      ],
      [() => api.clinicHours(), 'clinic_hours', undefined],
      [
        () => api.setClinicHours(HOURS),
        'set_clinic_hours',
        { hours: HOURS },
      ],
      [() => api.roster(), 'roster', undefined],
      [() => api.setRoster([SHIFT]), 'set_roster', { roster: [SHIFT] }],
      [() => api.posture(), 'posture', undefined],
      [
        () => api.recordTraining('nurse', '2026-11-30', 'phishing_drill', '標的型メール訓練', true),
        'record_training',
        { user: 'nurse', date: '2026-11-30', kind: 'phishing_drill', topic: '標的型メール訓練', reportedTestMail: true },
      ],
      [
        () => api.recordReview('access_log', '2026-11-30', '', '異常なし'),
        'record_review',
        { kind: 'access_log', date: '2026-11-30', by: '', findings: '異常なし' },
      ],
      [() => api.joinClinic('MJ1-X', 'doctor', 'pw', 'MSK1-Y'), 'join_clinic', { code: 'MJ1-X', user: 'doctor', password: 'pw', secretKey: 'MSK1-Y' }],
      [() => api.syncStatus(), 'sync_status', undefined],
      [() => api.syncNow(), 'sync_now', undefined],
      [() => api.patientConflicts(), 'patient_conflicts', undefined],
      [() => api.resolveConflict(PATIENT, { phone: 'c1' }), 'resolve_conflict', { patientId: PATIENT, picks: { phone: 'c1' } }],
      [() => api.devices(), 'devices', undefined],
      [() => api.inviteDevice('laptop', ['doctor']), 'invite_device', { name: 'laptop', roles: ['doctor'] }],
      [() => api.revokeDevice('laptop'), 'revoke_device', { name: 'laptop' }],
      [() => api.wipeDevice('laptop'), 'wipe_device', { name: 'laptop' }],
    ];
    for (const [run, command, args] of calls) {
      invoke.mockClear();
      await run();
      expect(invoke, command).toHaveBeenCalledWith(command, args);
    }
    // The shell's command list (generated from src-tauri/src/command_names.rs): each has a wrapper.
    expect(new Set(calls.map(([, command]) => command))).toEqual(new Set(COMMANDS));
  });

  it('take only the names of commands the shell registers', () => {
    const known: Command = 'check_in_walk_in';
    // @ts-expect-error a command the shell does not register does not type-check
    const unknown: Command = 'check_in_walkin';
    expect(COMMANDS).toContain(known);
    expect(COMMANDS).not.toContain(unknown);
  });

  it('send inputs with the core structs\' snake_case fields', async () => {
    const vitals = {
      systolic_mmhg: 128,
      diastolic_mmhg: 82,
      pulse_bpm: null,
      temperature_c: null,
      spo2_percent: null,
      respiratory_rate: null,
      weight_kg: null,
      height_cm: null,
    };
    await api.recordVitals(PATIENT, vitals, ENCOUNTER);
    expect(invoke).toHaveBeenLastCalledWith('record_vitals', { patientId: PATIENT, encounterId: ENCOUNTER, input: vitals });

    const items = [{ drug: 'アムロジピン錠5mg', dose: 1, unit: '錠', frequency: '1日1回朝食後', days: 28 }];
    await api.prescribe(PATIENT, items);
    expect(invoke).toHaveBeenLastCalledWith('prescribe', { patientId: PATIENT, items });

    const allergy = { substance: 'ペニシリン', reaction: '発疹', severity: 'severe' as const };
    await api.recordAllergy(PATIENT, allergy);
    expect(invoke).toHaveBeenLastCalledWith('record_allergy', { patientId: PATIENT, input: allergy });

    const problem = { name: '2型糖尿病', icd10: 'E11.9', onset: '2020-04-01', status: 'active' as const };
    await api.recordProblem(PATIENT, problem);
    expect(invoke).toHaveBeenLastCalledWith('record_problem', { patientId: PATIENT, input: problem });
  });

  it('turn rejections into CommandErrors', async () => {
    invoke.mockRejectedValueOnce({ code: 'denied', message: 'your role may not read notes' });
    const err = await api.chart(PATIENT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ code: 'denied' });
  });

  it('report a locked or ended session whichever command failed', async () => {
    const losses: string[] = [];
    const stop = api.onSessionLost((loss) => losses.push(loss));
    invoke.mockRejectedValueOnce({ code: 'session_locked', message: 'the session is locked' });
    await api.todaysVisits().catch(() => undefined);
    invoke.mockRejectedValueOnce({ code: 'no_session', message: 'nobody is logged in' });
    await api.users().catch(() => undefined);
    invoke.mockRejectedValueOnce({ code: 'denied', message: 'no' });
    await api.users().catch(() => undefined);
    stop();
    invoke.mockRejectedValueOnce({ code: 'session_locked', message: 'the session is locked' });
    await api.todaysVisits().catch(() => undefined);
    expect(losses).toEqual(['locked', 'logged_out']);
  });
});
