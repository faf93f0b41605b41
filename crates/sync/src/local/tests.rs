//! The device's side of sync: a change naming a chain link this device lacks waits and is applied
//! once the link arrives; a change stamped far ahead of this device's clock is applied and flagged.

use std::collections::BTreeMap;

use ed25519_dalek::SigningKey;
use mamori_core::domain::Role;
use mamori_core::replication::{self, AuthorKeys, Hlc};
use mamori_core::secret::Key32;
use mamori_core::OpenBody;
use rusqlite::Connection;

use super::*;
use crate::wire::{DataKey, Frontier};

struct Chain {
    head: u64,
}

fn admin_key() -> SigningKey {
    SigningKey::from_bytes(&[0xA1; 32])
}

fn desk_key() -> SigningKey {
    SigningKey::from_bytes(&[0xD1; 32])
}

impl AuthorKeys for Chain {
    fn signing_keys_of(&self, user: &str) -> Vec<[u8; 32]> {
        BTreeMap::from([("admin", admin_key().verifying_key().to_bytes())]).get(user).copied().into_iter().collect()
    }

    fn roles_of(&self, user: &str) -> Vec<Role> {
        if user == "admin" {
            vec![Role::Admin]
        } else {
            Vec::new()
        }
    }

    fn chain_head(&self) -> Option<u64> {
        Some(self.head)
    }
}

impl Directory for Chain {
    fn device_key(&self, device: &str) -> Option<Hash32> {
        (device == "desk").then(|| desk_key().verifying_key().to_bytes())
    }
}

fn identity(device: &str) -> DeviceIdentity {
    let signing_key = if device == "desk" { desk_key() } else { SigningKey::from_bytes(&[0xD2; 32]) };
    DeviceIdentity {
        clinic: [0xC1; 32],
        device: device.into(),
        signing_key,
        data_keys: vec![DataKey { epoch: 1, key: Key32::from_bytes([0x4B; 32]) }],
    }
}

fn replica() -> Connection {
    let mut conn = Connection::open_in_memory().expect("open");
    replication::testing::migrate(&mut conn).expect("migrate");
    prepare(&conn).expect("sync tables");
    conn
}

#[test]
fn a_change_naming_a_link_not_here_yet_waits_and_is_applied_once_it_arrives() {
    let mut desk = replica();
    let body = OpenBody::SettingChanged { key: "idle_timeout_minutes".into(), value: "20".into() };
    let hlc = Hlc { wall_ms: 1_790_000_000_000, counter: 0 };
    replication::testing::write_open_at(&mut desk, "admin", &admin_key(), "desk", hlc, body, 9).expect("write");
    seal_pending(&mut desk, &identity("desk"), 10).expect("seal");
    let page = envelopes_beyond(&desk, &Frontier::default(), 10).expect("outbox");

    let mut laptop = replica();
    let me = identity("laptop");
    let report = apply_page(&mut laptop, page, &me, &Chain { head: 5 }).expect("the page is held");
    assert_eq!((report.held, report.applied, report.set_aside), (1, 0, 1));
    assert_eq!(frontier(&laptop).expect("frontier").seq("desk"), 1, "its place counts");
    assert_eq!(replication::change_count(&laptop).expect("count"), 0, "not applied");

    assert_eq!(retry_set_aside(&mut laptop, &me, &Chain { head: 8 }).expect("retry"), 0, "still waiting");
    assert_eq!(retry_set_aside(&mut laptop, &me, &Chain { head: 9 }).expect("retry"), 1, "the link arrived");
    assert_eq!(set_aside_count(&laptop).expect("count"), 0);
    assert_eq!(replication::state_digest(&laptop).expect("digest"), replication::state_digest(&desk).expect("digest"));
}

#[test]
fn a_change_stamped_far_ahead_is_applied_and_flagged_never_dropped() {
    let mut desk = replica();
    let now = 1_790_000_000_000;
    for (value, wall_ms) in [("10", now + 60_000), ("30", now + 3_600_000)] {
        let body = OpenBody::SettingChanged { key: format!("setting_{value}"), value: value.into() };
        let hlc = Hlc { wall_ms, counter: 0 };
        replication::testing::write_open(&mut desk, "admin", &admin_key(), "desk", hlc, body).expect("write");
    }
    seal_pending(&mut desk, &identity("desk"), 10).expect("seal");
    let page = envelopes_beyond(&desk, &Frontier::default(), 10).expect("outbox");
    let mut laptop = replica();
    let report = apply_page_at(&mut laptop, page, &identity("laptop"), &Chain { head: 5 }, now).expect("applied");
    assert_eq!((report.applied, report.far_ahead), (2, 1), "a minute ahead is normal drift; an hour is flagged");
    assert_eq!(clock_flag_count(&laptop).expect("count"), 1);
    assert_eq!(replication::state_digest(&laptop).expect("digest"), replication::state_digest(&desk).expect("digest"));
}
