//! The demo generator's only: its staff's past days written into this device's audit log, each
//! batch under its own user, role and time (`demo/accesses.rs`). Refused for any user whose
//! signing key the session does not hold — that is, in every session but the generator's.

use rusqlite::TransactionBehavior;

use super::Clinic;
use crate::audit::{self, Actor};
use crate::demo::GeneratedAccesses;
use crate::{Error, Result};

impl Clinic {
    pub(crate) fn append_generated_audit(&mut self, batches: GeneratedAccesses) -> Result<()> {
        if batches.iter().any(|b| !self.signs_as(b.user)) {
            return Err(Error::InvalidState("only the demo generator writes its staff's past days"));
        }
        let device = self.device_id.clone();
        let keys = self.keys.as_mut().ok_or(Error::SessionLocked)?;
        let tx = keys.store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
        for batch in batches {
            let actor = Actor { user: batch.user, role: batch.role, device: &device };
            audit::append(&tx, keys.identity.signer(), &actor, batch.at, batch.events)?;
        }
        tx.commit()?;
        Ok(())
    }
}
