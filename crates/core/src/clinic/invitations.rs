//! An invited user's first login: the one-time code opens their invitation (the database key and
//! where the chain stood); they choose their own password, enroll their own authenticator and
//! make their own key seed, whose public keys they sign into the chain with the key the code
//! derives. Nothing they choose passes through an administrator.

use super::{Clinic, DataDir, Keys};
use crate::audit::{Action, DeviceIdentity, NewEvent};
use crate::auth::guard::LoginGuard;
use crate::auth::{self, Enrollment};
use crate::chain::{self, Link, Membership, Statement};
use crate::changelog::{self, HlcClock};
use crate::clock::Clock;
use crate::domain::user::check_password_strength;
use crate::log::LoginName;
use crate::log_safe;
use crate::secret::{Key32, Password};
use crate::store::Store;
use crate::vault::device_secret::load_required;
use crate::vault::{keyfile, ChainPin, DeviceSecretStore, EntrySecrets, KeyFile, Pins, UserKeyPair};
use crate::{Error, Result};

impl Clinic {
    /// Accepts `user_name`'s invitation with its `code` and the password they chose; returns
    /// their session and the authenticator enrollment to show them once.
    pub fn accept_invitation(
        dir: &DataDir,
        secrets: &dyn DeviceSecretStore,
        clock: Box<dyn Clock>,
        user_name: &str,
        code: &str,
        password: &Password,
    ) -> Result<(Clinic, Enrollment)> {
        check_password_strength(password.expose())?;
        dir.check_initialized()?;
        let path = dir.key_file();
        let lock = keyfile::lock(&path)?;
        let mut key_file = KeyFile::load(&path)?;
        let device_secret = load_required(secrets, &key_file.device_id, dir.root())?;
        let device_id = key_file.device_id.clone();
        let guard = LoginGuard::new(secrets, &device_id);
        let now = clock.now();
        // As at login: a name that is no account's is counted as one unknown user.
        let known = key_file.has_user(user_name);
        let counted_as = if known { user_name } else { super::UNKNOWN_USER };
        if let Err(error) = guard.check(counted_as, now) {
            return Err(if !known && matches!(error, Error::LockedOut) { Error::WrongPassword } else { error });
        }
        let invitation = match key_file.open_invitation(user_name, &auth::invitation_password(code), &device_secret) {
            Err(Error::WrongPassword) => {
                log_safe!(warn, "invitation refused: wrong code or no invitation", known = known);
                guard.failed(counted_as, now, Some("wrong invitation code"))?;
                return Err(Error::WrongPassword);
            }
            other => other?,
        };
        let store = Store::open(&dir.database(), &invitation.dek)?;
        let pin = invitation.pins.chain.clone().ok_or(Error::StorePredatesChain)?;
        let membership = Membership::verify(&pin.root, &chain::load(store.conn())?)?;
        if !membership.contains(pin.seq, &pin.hash) {
            return Err(Error::ChainRolledBack);
        }
        let invite_signer = auth::invitation_key(user_name, code);
        let member = membership
            .member(user_name)
            .filter(|m| m.invite_key == Some(invite_signer.verifying_key().to_bytes()))
            .cloned()
            .ok_or(Error::InvalidState("this invitation was already used or withdrawn; ask an administrator"))?;
        if member.disabled {
            return Err(Error::AccountDisabled);
        }

        // Their own key seed and authenticator, made here, in their session.
        let pair = UserKeyPair::generate()?;
        let (enrollment, second_factor) = auth::enroll(user_name)?;
        let (head, prev) = membership.head();
        let accept = Statement::AcceptInvitation {
            user: user_name.to_string(),
            signing_key: pair.signing_public(),
            x25519: pair.public(),
        };
        let link = Link::sign(&pin.root, head + 1, &prev, accept, &invite_signer)?;
        let mut accepted = membership.clone();
        accepted.apply(&link)?;
        let entry = EntrySecrets {
            dek: Key32::from_bytes(*invitation.dek.expose()),
            user_key: UserKeyPair::from_key(&pair.secret_key()),
            second_factor: Some(second_factor),
            pins: Pins { chain: Some(ChainPin { root: pin.root, seq: head + 1, hash: link.hash }), ..Pins::default() },
            clinical_keys: Default::default(),
            secret_key: None,
            record_key: None,
        };
        // Their own entry first (beside the invitation), then the link; the invitation goes once
        // the link has committed, so a failure in between leaves a state they can retry from.
        let kek = key_file.add_accepted(user_name, password, &device_secret, &entry)?;
        key_file.save(&path)?;

        let identity = DeviceIdentity::load_or_create(store.conn())?;
        let hlc = HlcClock::new(clock, changelog::last_stamp(store.conn(), &key_file.device_id)?);
        let mut keys = Keys::new(store, Key32::from_bytes(*invitation.dek.expose()), identity, pair, membership);
        keys.kek = Some(kek);
        let user = accepted.member(user_name).map(|m| m.user()).unwrap_or_else(|| member.user());
        let mut clinic = Clinic::assemble(dir, &device_id, user, hlc, keys)?;
        // Failed logins kept while the database was closed (anyone's) are audited with it.
        let kept = guard.pending()?;
        let mut events: Vec<NewEvent> = kept
            .iter()
            .map(|f| NewEvent::failed_login(&f.user, format!("{} at {}", f.reason, f.at.to_rfc3339())))
            .collect();
        events.push(
            NewEvent::allowed(Action::Login, None, None)
                .with_reason("accepted the invitation: own password, second factor and key"),
        );
        let committed = clinic.transact(true, |conn, _| Ok((chain::append(conn, head + 1, &link)?, events)));
        if let Err(error) = committed {
            key_file.close_invitation_accepted(user_name, false);
            key_file.save(&path)?;
            return Err(error);
        }
        key_file.close_invitation_accepted(user_name, true);
        key_file.save(&path)?;
        // Only now, with them in the audit log, does the keyring forget those failures.
        guard.audited(user_name, &kept)?;
        drop(lock);
        if let Some(keys) = clinic.keys.as_mut() {
            keys.membership = accepted;
        }
        log_safe!(info, "invitation accepted", user = LoginName::of(&clinic.user), role = clinic.user.role);
        clinic.take_up_section_keys()?;
        clinic.save_pins()?;
        Ok((clinic, enrollment))
    }
}
