//! The fixed wording of the reasons the core writes into audit events, so a report can be shown in
//! the reader's language: each reason becomes a key and its variable parts (a user, a role, a
//! time). Stored events keep their English text (it is what the hash chain covers); this only
//! reads it. A reason a person typed — why they broke the glass — has no key and is shown as typed.

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

use super::{Action, AuditEvent};

/// A reason as a translation key (`audit_reasons.<key>` in the UI's locale files) and the values
/// of its placeholders. Placeholders named `role`, `sections` (comma-separated) and `at` (RFC 3339)
/// hold the core's own identifiers and times, for the reader to translate and format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct ReasonCode {
    pub key: &'static str,
    pub params: BTreeMap<String, String>,
}

/// Every reason the core writes, as `(key, template)`. More specific templates come first: the
/// first that matches wins.
const TEMPLATES: &[(&str, &str)] = &[
    // A refusal names the access that was refused (see `Clinic::authorize`).
    ("denied_read", "read"),
    ("denied_write", "write"),
    ("denied_sign", "sign"),
    ("under_grant", "under a break-the-glass grant"),
    ("grant_read", "break-the-glass grant for {sections}"),
    ("grant_refused_sealed", "break-the-glass refused: sealed clinical section ({typed})"),
    ("grant_expired", "grant expired at {at}"),
    ("wrong_code", "wrong one-time code"),
    ("wrong_password_at", "wrong password at {at}"),
    ("idle_lock", "idle for more than {minutes} minutes"),
    ("changed_own_password", "changed own password"),
    ("sealed_own_vault_record", "sealed own vault record version {version}"),
    ("invited_device", "invited device {device}"),
    ("revoked_device", "revoked device {device}"),
    ("marked_device_lost", "marked device {device} lost and ordered it wiped"),
    ("lease_policy_with_self_wipe", "set the offline lease to {days} days, self-wipe after {wipe_days} days"),
    ("lease_policy", "set the offline lease to {days} days"),
    ("joined_with_vault_record", "joined the clinic on this device with own vault record"),
    ("published_user_key", "published own user key"),
    ("replaced_user_key", "replaced own user key; earlier clinical key wraps dropped"),
    ("key_epoch_started", "started clinical key epoch {epoch}"),
    ("key_passed", "passed clinical key epoch {epochs} to {user}"),
    ("key_withdrawn", "withdrew the clinical key from {user}"),
    ("recipient_confirmed", "confirmed {user} as a clinical key recipient"),
    ("database_key_rotated", "rotated the database key after disabling {user}"),
    ("invitation_withdrawn", "withdrew the open invitation of {user}"),
    ("database_key_resent", "sent the database key again to {user}"),
    ("disable_finished", "finished the interrupted disable of {user}"),
    ("database_key_taken_up", "took up the database key rotated since the last login"),
    ("invitation_accepted", "accepted the invitation: own password, second factor and key"),
    ("second_factor_redeemed", "redeemed a second-factor reset and enrolled a new authenticator"),
    ("key_wrap_refused", "a clinical key wrap for epoch {epoch} does not match the epoch's signed commitment"),
    (
        "records_withheld",
        "{count} clinical records of this chart do not verify (altered, moved or not signed by their author)",
    ),
    ("records_missing", "{count} clinical records the audit log names are missing from this chart (deleted)"),
    ("user_added", "added user {user} ({role})"),
    ("user_set_disabled", "set user {user} to {role}, disabled"),
    ("user_set", "set user {user} to {role}"),
    ("account_unlocked", "unlocked the account of {user}"),
    ("second_factor_reset", "reset the second factor of {user}"),
    ("setting_changed", "set {setting} to {value}"),
    ("detection_setting_changed", "changed {setting}"),
    ("alert_acknowledged", "acknowledged alert {alert}"),
    ("alerts_listed", "listed {count} insider alerts"),
    ("detection_context_exported", "exported the insider detector's context (names and addresses as tokens)"),
    ("audit_verified", "verified the audit log"),
    ("audit_key_replaced", "the audit signing key is not the one pinned at the last login, lock or logout"),
    (
        "audit_truncated",
        "the audit log ends at event {events}, before the event {seq} pinned at the last login, lock or logout",
    ),
    ("audit_rewritten", "the audit log was changed at or below event {seq}, pinned at the last login, lock or logout"),
    ("report_all", "all events"),
    ("report_alerts", "alerts"),
    ("report_patient", "events about patient {patient}"),
    ("report_chart_no", "events about the patient with chart number {chart_no}"),
    ("chart_no_unknown", "looked up chart number {chart_no} for an audit report: no such patient"),
    ("report_user", "events by user {user}"),
    ("rebuilt", "rebuilt state from {count} changes"),
    ("device_enrolled", "enrolled this computer in the clinic's sync"),
    ("data_key_epoch_started", "started clinic data key epoch {epoch}"),
    ("data_key_received", "received clinic data key epoch {epoch}"),
    ("demo_login", "demo generator"),
    ("demo_generated", "generated {patients} synthetic demo patients (seed {seed})"),
];

/// An audit event as a report shows it: the event (its exported JSON, unchanged) and its reason
/// as a translation key.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[ts(rename = "ReportedEvent")]
pub struct ExplainedEvent {
    #[serde(flatten)]
    pub event: AuditEvent,
    pub reason_code: Option<ReasonCode>,
}

impl From<AuditEvent> for ExplainedEvent {
    fn from(event: AuditEvent) -> Self {
        Self { reason_code: explain(&event), event }
    }
}

/// The key and values of `event`'s reason, or `None` when it has none or a person typed it.
pub fn explain(event: &AuditEvent) -> Option<ReasonCode> {
    let reason = event.reason.as_deref()?;
    // A grant's reason is the clinician's own words.
    if event.action == Action::BreakGlass && !reason.starts_with("grant expired at ") {
        return None;
    }
    TEMPLATES.iter().find_map(|(key, template)| matches(template, reason).map(|params| ReasonCode { key, params }))
}

/// The placeholder values if `text` is `template` with its `{name}`s filled in. Each value is
/// non-empty and runs up to the first occurrence of the literal after it.
fn matches(template: &str, text: &str) -> Option<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    let mut rest_template = template;
    let mut rest = text;
    loop {
        let Some(open) = rest_template.find('{') else {
            return (rest == rest_template).then_some(params);
        };
        let literal = &rest_template[..open];
        rest = rest.strip_prefix(literal)?;
        let close = open + rest_template[open..].find('}')?;
        let name = &rest_template[open + 1..close];
        rest_template = &rest_template[close + 1..];
        let next_literal = rest_template.find('{').map_or(rest_template, |i| &rest_template[..i]);
        let end = if next_literal.is_empty() {
            rest.len()
        } else if rest_template.contains('{') {
            rest.find(next_literal)?
        } else {
            // The last literal closes the text: the value runs up to its last occurrence.
            rest.strip_suffix(next_literal)?.len()
        };
        if end == 0 {
            return None;
        }
        params.insert(name.to_string(), rest[..end].to_string());
        rest = &rest[end..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(reason: &str) -> Option<(&'static str, BTreeMap<String, String>)> {
        TEMPLATES.iter().find_map(|(key, template)| matches(template, reason).map(|p| (*key, p)))
    }

    #[test]
    fn fixed_wording_becomes_a_key_and_the_rest_its_values() {
        let (key, params) = key_of("set user nurse to doctor, disabled").expect("known");
        assert_eq!(key, "user_set_disabled");
        assert_eq!(params["user"], "nurse");
        assert_eq!(params["role"], "doctor");
        let (key, params) = key_of("set user nurse to doctor").expect("known");
        assert_eq!((key, params["role"].as_str()), ("user_set", "doctor"));
        let (key, params) = key_of("set idle_timeout_minutes to 15").expect("known");
        assert_eq!(
            (key, params["setting"].as_str(), params["value"].as_str()),
            ("setting_changed", "idle_timeout_minutes", "15")
        );
        let (key, params) = key_of("break-the-glass refused: sealed clinical section (救急 (夜間))").expect("known");
        assert_eq!((key, params["typed"].as_str()), ("grant_refused_sealed", "救急 (夜間)"));
        assert_eq!(key_of("write").map(|(k, _)| k), Some("denied_write"));
        assert_eq!(key_of("demo generator").map(|(k, _)| k), Some("demo_login"));
    }

    #[test]
    fn text_that_is_not_the_core_s_wording_has_no_key() {
        assert!(key_of("writes").is_none());
        assert!(key_of("set user  to ").is_none(), "placeholders are never empty");
        assert!(key_of("救急外来からの問い合わせ").is_none());
    }
}
