//! Lost devices on the server (DESIGN.md, "Lost devices"): a check-in answers the whole chain
//! (the device verifies any wipe order in it from its own root pin; the server cannot write
//! one) and, for an enrolled device, a lease signed with the server's countersigning key; a
//! device the chain marked lost gets no lease and may only send back its signed acknowledgement,
//! which the server keeps for administrators (their devices check it against the chain too).

use mamori_sync::wire::{CheckIn, CheckInRequest, DeviceReport, DeviceReports, Lease, Signed, WipeAck, WipeAcks};

use crate::chain_registry::Standing;
use crate::service::ClinicServer;
use crate::storage::{ChainStorage, Storage};
use crate::Result;

impl<S: Storage + ChainStorage> ClinicServer<S> {
    /// Answers a check-in and notes what the device said of itself.
    pub async fn check_in(&self, device: &str, report: CheckInRequest) -> Result<CheckIn> {
        let standing = self.standing(device).await?;
        let links = self.chain_after(0).await?;
        let now = unix_now();
        let lease = match standing {
            Some(Standing::Active(_)) => Some(
                Lease {
                    clinic: self.clinic,
                    device: device.to_owned(),
                    chain_head: links.links.len() as u64,
                    issued_at: now,
                }
                .sign(&self.countersigner),
            ),
            _ => None,
        };
        let noted = DeviceReport {
            device: device.to_owned(),
            last_seen: now,
            app_version: report.app_version,
            waiting: report.waiting,
            leased_at: lease.is_some().then_some(now),
        };
        self.storage.note_check_in(noted).await?;
        Ok(CheckIn { links, lease, server_key: self.countersigner.verifying_key().to_bytes() })
    }

    pub async fn device_reports(&self) -> Result<DeviceReports> {
        Ok(DeviceReports { reports: self.storage.device_reports().await? })
    }

    /// Keeps `sender`'s acknowledgement if it is its own, signed with its device key, for this
    /// clinic and the link that ordered it wiped. `Ok(Err(why))` when it is not.
    pub async fn put_wipe_ack(&self, sender: &str, ack: Signed) -> Result<std::result::Result<(), String>> {
        let Some(Standing::Lost(key)) = self.standing(sender).await? else {
            return Ok(Err("the chain does not mark this device lost".into()));
        };
        let opened = match WipeAck::open(&ack, &key) {
            Ok(opened) => opened,
            Err(error) => return Ok(Err(format!("the acknowledgement does not verify: {error}"))),
        };
        let order = self.chain.as_ref().and_then(|chain| chain.wipe_order(sender));
        if opened.device != sender || opened.clinic != self.clinic || Some(opened.wipe_link) != order {
            return Ok(Err("the acknowledgement names another device, clinic or order".into()));
        }
        self.storage.put_wipe_ack(sender, (ack.bytes, ack.signature)).await?;
        Ok(Ok(()))
    }

    pub async fn wipe_acks(&self) -> Result<WipeAcks> {
        let acks = self.storage.wipe_acks().await?;
        Ok(WipeAcks { acks: acks.into_iter().map(|(bytes, signature)| Signed { bytes, signature }).collect() })
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
