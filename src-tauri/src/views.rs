//! Shapes the window needs that the core does not have as such.

use mamori_core::audit::PinBreak;
use mamori_core::auth::Enrollment;
use mamori_core::chain::RecoveryKit;
use mamori_core::clinic::{BreakGlassGrant, Clinic, MAX_IDLE_MINUTES, MIN_IDLE_MINUTES};
use mamori_core::domain::Role;
use mamori_core::policy::{self, Access, Section};
use serde::Serialize;
use ts_rs::TS;

/// Who is logged in and which menus exist for them.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "Session")]
pub struct SessionView {
    pub user: String,
    pub display_name: String,
    pub role: Role,
    pub readable: Vec<Section>,
    pub writable: Vec<Section>,
    pub idle_timeout_minutes: i64,
    /// The idle timeout an admin may set (the core's bounds).
    pub idle_timeout_min_minutes: i64,
    pub idle_timeout_max_minutes: i64,
    /// Tampering with what this user verified at their last login, lock or logout, found at
    /// this login (also raised as an alert for the administrator).
    pub tampering_found: Vec<PinBreak>,
    /// This user's key fingerprint, which a colleague checks with them before confirming them
    /// as a recipient of the clinical key.
    pub key_fingerprint: String,
    /// At the login that redeemed a second-factor reset only: the new authenticator, shown once.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_second_factor: Option<EnrollmentView>,
}

impl SessionView {
    pub fn of(clinic: &Clinic) -> Self {
        let user = clinic.user();
        Self {
            user: user.name.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            readable: policy::sections_allowed(user.role, Access::Read),
            writable: policy::sections_allowed(user.role, Access::Write),
            idle_timeout_minutes: clinic.idle_timeout_minutes(),
            idle_timeout_min_minutes: MIN_IDLE_MINUTES,
            idle_timeout_max_minutes: MAX_IDLE_MINUTES,
            tampering_found: clinic.tampering_found_at_login().to_vec(),
            key_fingerprint: clinic.key_fingerprint().unwrap_or_default(),
            new_second_factor: None,
        }
    }

    /// The view a login (or resume) answers with: it also carries, once, an authenticator the
    /// user enrolled by redeeming a reset code.
    pub fn at_login(clinic: &mut Clinic) -> mamori_core::Result<Self> {
        let new = clinic.take_new_second_factor();
        let mut view = Self::of(clinic);
        view.new_second_factor = new.as_ref().map(EnrollmentView::of).transpose()?;
        Ok(view)
    }
}

/// A one-time code for an administrator to hand over in person: an invitation (the user's first
/// login) or a second-factor reset. Shown once.
#[derive(Serialize, TS)]
pub struct OneTimeCodeView {
    pub user: String,
    pub code: String,
}

/// A new second factor, shown once: the URI, its QR code as SVG, the secret and recovery codes.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "Enrollment")]
pub struct EnrollmentView {
    pub user: String,
    pub secret_base32: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
    pub recovery_codes: Vec<String>,
    /// At the clinic's first setup only: the root key's recovery kit, printed once and kept by
    /// Mamori nowhere.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_kit: Option<RecoveryKitView>,
}

/// The clinic's recovery kit as the setup screen shows it.
#[derive(Debug, Serialize, TS)]
pub struct RecoveryKitView {
    pub clinic_fingerprint: String,
    pub secret: String,
}

impl EnrollmentView {
    pub fn of(enrollment: &Enrollment) -> mamori_core::Result<Self> {
        Ok(Self {
            user: enrollment.user.clone(),
            secret_base32: enrollment.secret_base32.clone(),
            otpauth_uri: enrollment.otpauth_uri.clone(),
            qr_svg: enrollment.qr_svg()?,
            recovery_codes: enrollment.recovery_codes.clone(),
            recovery_kit: None,
        })
    }

    /// The first setup's view: the admin's second factor and the clinic's recovery kit.
    pub fn with_kit(enrollment: &Enrollment, kit: &RecoveryKit) -> mamori_core::Result<Self> {
        let mut view = Self::of(enrollment)?;
        view.recovery_kit = Some(RecoveryKitView {
            clinic_fingerprint: kit.clinic_fingerprint.clone(),
            secret: kit.secret.to_string(),
        });
        Ok(view)
    }
}

/// Whether a session exists, whether it is locked, and its running break-the-glass grants.
#[derive(Debug, Serialize, TS)]
pub struct SessionState {
    pub session: Option<SessionView>,
    pub locked: bool,
    pub grants: Vec<BreakGlassGrant>,
}
