//! The session's side of the membership chain: verifying the stored chain at login against what
//! the user pinned, and appending links this user signs (checked against the chain's rules before
//! anything is written).

use rusqlite::Connection;

use super::Clinic;
use crate::audit::NewEvent;
use crate::chain::{self, Link, Membership, Statement};
use crate::domain::User;
use crate::vault::{ChainPin, UserKeyPair};
use crate::{Error, Result};

/// Verifies the stored chain from the root `pin` names, refuses one that does not extend the
/// pinned head, and returns the chain's state and `user_name` as the chain has them. The user's
/// own keys must be the ones their link names.
pub(super) fn verify_at_login(
    conn: &Connection,
    pin: Option<&ChainPin>,
    user_name: &str,
    pair: &UserKeyPair,
) -> Result<(Membership, User)> {
    let pin = pin.ok_or(Error::StorePredatesChain)?;
    // A user who pinned a chain finds it gone: removed, not a store from before chains.
    let links = chain::load(conn)?;
    if links.is_empty() {
        return Err(Error::ChainBroken { seq: 1, problem: "the membership record was deleted" });
    }
    let membership = Membership::verify(&pin.root, &links)?;
    if !membership.contains(pin.seq, &pin.hash) {
        crate::log_safe!(error, "membership chain does not extend the user's pin", pinned = pin.seq);
        return Err(Error::ChainRolledBack);
    }
    let member = membership
        .member(user_name)
        .ok_or(Error::InvalidState("your account is not in the clinic's signed membership record"))?;
    if member.x25519 != pair.public() || member.signing_key != pair.signing_public() {
        return Err(Error::InvalidState("your keys are not the ones the clinic's signed membership record names"));
    }
    let user = member.user();
    Ok((membership, user))
}

/// A link this session is about to append: checked against the chain's rules already.
pub(super) struct NextLink {
    pub seq: u64,
    pub link: Link,
    pub membership: Membership,
}

impl NextLink {
    /// Where the new user's pin starts (the chain as it is once this link is in).
    pub fn pin(&self) -> ChainPin {
        ChainPin { root: *self.membership.root(), seq: self.seq, hash: self.link.hash }
    }

    /// Stores the link; call in the transaction of the change it belongs to.
    pub fn store(&self, conn: &Connection) -> Result<()> {
        chain::append(conn, self.seq, &self.link)
    }
}

impl Clinic {
    /// Takes in links another session on this computer appended since this one verified the
    /// chain (an administrator's role change while a doctor's session is open), each checked
    /// like at login. A stored chain that no longer extends what this session verified is
    /// refused.
    pub(super) fn refresh_membership(&mut self) -> Result<()> {
        self.refresh_membership_when(|stored, head| stored != head)
    }

    /// Reads the chain again if another session or process added links since (before a commit:
    /// a chain shorter than the session's — only while the clinic's first link is being written —
    /// is left to the checks that read it whole).
    pub(super) fn refresh_membership_if_grown(&mut self) -> Result<()> {
        self.refresh_membership_when(|stored, head| stored > head)
    }

    fn refresh_membership_when(&mut self, stale: impl Fn(u64, u64) -> bool) -> Result<()> {
        let keys = self.keys()?;
        let (head, hash) = keys.membership.head();
        let stored: i64 = keys.store.conn().query_row("SELECT count(*) FROM membership_links", [], |r| r.get(0))?;
        if !stale(u64::try_from(stored).unwrap_or(0), head) {
            return Ok(());
        }
        let links = chain::load(keys.store.conn())?;
        let membership = Membership::verify(keys.membership.root(), &links)?;
        if !membership.contains(head, &hash) {
            return Err(Error::ChainRolledBack);
        }
        if let Some(member) = membership.member(&self.user.name) {
            self.user = member.user();
        }
        if let Some(keys) = self.keys.as_mut() {
            keys.membership = membership;
        }
        Ok(())
    }

    /// Signs `statement` with this user's key as the next link and checks it: a user who lacks
    /// the power it needs is refused before anything is written.
    pub(super) fn next_link(&mut self, statement: Statement) -> Result<NextLink> {
        self.refresh_membership()?;
        let keys = self.keys()?;
        let (head, prev) = keys.membership.head();
        let seq = head + 1;
        let link = Link::sign(keys.membership.root(), seq, &prev, statement, &keys.user_key.signing_key())?;
        let mut membership = keys.membership.clone();
        membership.apply(&link).map_err(|e| Error::InvalidState(e.problem))?;
        Ok(NextLink { seq, link, membership })
    }

    /// Appends a link this user signs, with its audit `events` and `then` (bookkeeping that must
    /// land with it), in one transaction; the session's chain moves on once it has committed.
    pub(super) fn append_link(
        &mut self,
        statement: Statement,
        events: Vec<NewEvent>,
        then: impl FnOnce(&Connection) -> Result<()>,
    ) -> Result<()> {
        let next = self.next_link(statement)?;
        self.transact(true, |conn, _| {
            next.store(conn)?;
            then(conn)?;
            Ok(((), events))
        })?;
        self.adopt(next);
        Ok(())
    }

    /// The session's chain once a link it appended has committed.
    pub(super) fn adopt(&mut self, next: NextLink) {
        if let Some(keys) = self.keys.as_mut() {
            keys.membership = next.membership;
        }
    }
}
