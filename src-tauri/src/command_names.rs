// Every IPC command, written once: `module::name` under `src/commands/`, in the order of
// docs/desktop-ipc.md. This file is included by build.rs (each name becomes its own permission,
// `allow-<name>`) and by lib.rs (the handler list and `COMMANDS`). The capability file and
// `ui/src/generated/commands.ts` are generated from `COMMANDS` by `scripts/gen-ipc`; the tests fail
// when they, or the table in docs/desktop-ipc.md, no longer list exactly these commands.
//
// `ipc_commands!(callback)` calls the macro `callback` with the whole list, so each use expands
// the list its own way.
macro_rules! ipc_commands {
    ($callback:ident) => {
        $callback! {
            session::app_status,
            session::setup_clinic,
            session::unlock,
            session::accept_invitation,
            session::change_password,
            session::lock,
            session::resume,
            session::logout,
            session::session_state,
            join::join_clinic,
            sync::sync_status,
            sync::sync_now,
            sync::patient_conflicts,
            sync::resolve_conflict,
            front_desk::search_patients,
            front_desk::todays_visits,
            front_desk::next_chart_no,
            front_desk::register_patient,
            front_desk::update_patient,
            front_desk::patient,
            front_desk::clinicians,
            front_desk::book_appointment,
            front_desk::check_in,
            front_desk::check_in_walk_in,
            chart::chart,
            chart::open_encounter,
            chart::write_note,
            chart::edit_note,
            chart::sign_note,
            chart::amend_note,
            chart::record_vitals,
            chart::record_allergy,
            chart::record_problem,
            chart::prescribe,
            chart::prescribe_do,
            chart::break_glass,
            clinical_key::pending_recipients,
            clinical_key::confirm_recipient,
            admin::users,
            admin::invite_user,
            admin::set_user_disabled,
            admin::reset_second_factor,
            admin::unlock_account,
            admin::audit_report,
            admin::audit_report_by_chart_no,
            admin::audit_alerts,
            admin::set_idle_timeout,
            alerts::insider_alerts,
            alerts::clinic_wide_alerts,
            alerts::alert_coverage,
            alerts::acknowledge_alert,
            alerts::alert_summary,
            alerts::staff_profiles,
            alerts::set_staff_profile,
            alerts::clinic_hours,
            alerts::set_clinic_hours,
            alerts::roster,
            alerts::set_roster,
            posture::posture,
            posture::record_training,
            posture::record_review,
            devices::devices,
            devices::invite_device,
            devices::revoke_device,
            devices::wipe_device,
        }
    };
}

/// Expands the list to the commands' names.
macro_rules! command_names {
    ($($module:ident :: $name:ident),* $(,)?) => {
        &[$(stringify!($name)),*]
    };
}

/// Every IPC command, by name, in the order of docs/desktop-ipc.md.
pub const COMMANDS: &[&str] = ipc_commands!(command_names);
