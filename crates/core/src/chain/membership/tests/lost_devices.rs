//! Wipe orders and the lease policy in the chain, and a wipe order found only where the chain a
//! device pinned proves it.

use super::*;

#[test]
fn only_an_administrator_orders_a_revoked_device_wiped_once() {
    let mut clinic = Clinic::new();
    enroll(&mut clinic, "desk-1", 1).expect("enrolled");
    let wipe = || Statement::WipeDevice { device: "desk-1".into() };
    assert!(clinic.push("admin", wipe()).is_err(), "a device still enrolled was ordered wiped");
    clinic.push("admin", Statement::RevokeDevice { device: "desk-1".into(), accepted_through: 3 }).expect("revoked");
    for by in ["doctor", "nurse", "reception"] {
        assert!(clinic.push(by, wipe()).is_err(), "{by} ordered a wipe");
    }
    assert!(clinic.push("admin", Statement::WipeDevice { device: "desk-9".into() }).is_err(), "an unknown device");
    let state = clinic.push("admin", wipe()).expect("ordered");
    let seq = state.head().0;
    let desk = state.devices().get("desk-1").expect("named");
    assert_eq!(desk.wipe_ordered_at, Some(seq));
    assert_eq!(state.devices().with_signing_key(&desk.signing_key).map(|d| d.name.as_str()), Some("desk-1"));
    assert!(clinic.push("admin", wipe()).is_err(), "ordered twice");
}

#[test]
fn the_lease_policy_defaults_to_two_weeks_and_only_an_administrator_sets_it() {
    let mut clinic = Clinic::new();
    assert_eq!(clinic.state().devices().lease_policy(), crate::chain::LeasePolicy::default());
    assert_eq!(clinic.state().devices().lease_policy().lease_days, 14);
    assert_eq!(clinic.state().devices().lease_policy().self_wipe_days, None, "self-wipe is off by default");
    let policy = |lease_days, self_wipe_days| Statement::LeasePolicy { lease_days, self_wipe_days };
    for by in ["doctor", "nurse", "reception"] {
        assert!(clinic.push(by, policy(30, None)).is_err(), "{by} set the lease");
    }
    assert!(clinic.push("admin", policy(367, None)).is_err(), "a lease over a year");
    assert!(clinic.push("admin", policy(30, Some(30))).is_err(), "a self-wipe before the lease ends");
    assert!(clinic.push("admin", policy(30, Some(400))).is_err(), "a self-wipe over a year");
    let state = clinic.push("admin", policy(7, Some(30))).expect("set");
    assert_eq!(state.devices().lease_policy().lease_days, 7);
    assert_eq!(state.devices().lease_policy().self_wipe_days, Some(30));
}

#[test]
fn a_wipe_order_counts_only_from_the_pinned_root_for_this_devices_own_key() {
    use crate::lost_device::find_wipe_order;
    let mut clinic = Clinic::new();
    let desk = enroll(&mut clinic, "desk-1", 1).expect("enrolled").verifying_key().to_bytes();
    let laptop = enroll(&mut clinic, "laptop", 2).expect("enrolled").verifying_key().to_bytes();
    clinic.push("admin", Statement::RevokeDevice { device: "laptop".into(), accepted_through: 0 }).expect("revoked");
    clinic.push("admin", Statement::WipeDevice { device: "laptop".into() }).expect("ordered");
    let root = clinic.root.public();
    let seq = clinic.state().head().0;

    let (_, order) = find_wipe_order(&root, None, &clinic.links, "laptop", &laptop).expect("verifies");
    assert_eq!(order.map(|o| o.link), Some(seq), "the laptop finds its order");
    // Replayed to another device: the order names the laptop, not the desk.
    assert_eq!(find_wipe_order(&root, None, &clinic.links, "desk-1", &desk).expect("verifies").1, None);
    // A device claiming the laptop's name without its key is not the laptop.
    assert_eq!(find_wipe_order(&root, None, &clinic.links, "laptop", &desk).expect("verifies").1, None);
    // An older chain (or a fork) than the head the device pinned proves nothing either.
    let pinned = clinic.state().head();
    let older = &clinic.links[..clinic.links.len() - 1];
    assert!(find_wipe_order(&root, Some(pinned), older, "laptop", &laptop).is_err(), "an older chain was taken");
    assert!(find_wipe_order(&root, Some(pinned), &clinic.links, "laptop", &laptop).expect("extends").1.is_some());
    // Another clinic's root (a server serving a chain of its own making) proves nothing.
    let other_root = RootKey::generate().expect("root").public();
    assert!(find_wipe_order(&other_root, None, &clinic.links, "laptop", &laptop).is_err());

    // A server forging the order: a wipe link signed by a key that is not an administrator's,
    // appended to the real chain, breaks verification, so no order is found.
    let mut forged = Clinic::new();
    let desk = enroll(&mut forged, "desk-1", 1).expect("enrolled").verifying_key().to_bytes();
    forged.push("admin", Statement::RevokeDevice { device: "desk-1".into(), accepted_through: 0 }).expect("revoked");
    let (head, prev) = forged.state().head();
    let server_key = SigningKey::from_bytes(&[77; 32]);
    let link = Link::sign(
        &forged.root.public(),
        head + 1,
        &prev,
        Statement::WipeDevice { device: "desk-1".into() },
        &server_key,
    )
    .expect("signed");
    let mut links = forged.links.clone();
    links.push(link);
    assert!(find_wipe_order(&forged.root.public(), None, &links, "desk-1", &desk).is_err(), "a forged order verified");
    for by in ["doctor", "nurse", "reception"] {
        assert!(forged.push(by, Statement::WipeDevice { device: "desk-1".into() }).is_err(), "{by} ordered a wipe");
    }
}
