//! Two server processes on one database: they are one clinic server (one instance id), and when
//! a device's retry reaches both at once, each place in its history is still stored once.

use mamori_server::storage::{Incoming, Storage, Stored};
use mamori_sync::wire::Hash32;

use super::backend::{on_postgres, on_sqlite, Database};
use super::fake::{bytes, chain, envelope, GENESIS};
use super::{everything, ENVELOPES, FORKS};

#[test]
fn the_instance_survives_reopening_and_is_shared_by_two_instances() {
    on_sqlite("SQLite", |db| async move { instance(&db).await });
    on_postgres("PostgreSQL", |db| async move { instance(&db).await });
}

async fn instance<D: Database>(db: &D) {
    // Two processes creating the database at the same moment agree on one id.
    let (first, second) = tokio::join!(db.open(), db.open());
    let id = first.instance().await.expect("instance");
    assert_eq!(second.instance().await.expect("instance"), id);
    drop((first, second));
    assert_eq!(db.open().await.instance().await.expect("instance"), id, "reopened, still the same server");
}

#[test]
fn two_instances_offered_the_same_envelopes_at_once_store_each_seq_once() {
    on_two_instances!(same_envelopes_at_once);
}

async fn same_envelopes_at_once<S: Storage>(a: &S, b: &S, db: &impl Database) {
    let ana = chain("tablet-ana", 60, 0);
    // The same batch size keeps the two in step, so most of their batches race for one place.
    let (from_a, from_b) = tokio::join!(offer(a, &ana, 2), offer(b, &ana, 2));
    for (seq, (&to_a, &to_b)) in (1..).zip(from_a.iter().zip(&from_b)) {
        assert!(stored_once(to_a, to_b), "seq {seq}: {to_a:?} / {to_b:?}");
    }
    assert_gap_free(db, 60).await;
    assert_eq!(everything(a).await, bytes(&ana));
}

/// Offers `run` in batches of `size`, as a device retrying against one instance would.
async fn offer<S: Storage>(storage: &S, run: &[Incoming], size: usize) -> Vec<Stored> {
    let mut outcomes = Vec::new();
    for batch in run.chunks(size) {
        outcomes.extend(storage.append(batch.to_vec()).await.expect("append"));
    }
    outcomes
}

#[test]
fn two_instances_offered_different_envelopes_at_one_seq_store_exactly_one() {
    on_two_instances!(different_envelopes_at_once);
}

async fn different_envelopes_at_once<S: Storage>(a: &S, b: &S, db: &impl Database) {
    let mut head: (u64, Hash32) = (0, GENESIS);
    let mut kept = Vec::new();
    for _ in 0..30 {
        let seq = head.0 + 1;
        let (mine, theirs) = (envelope("tablet-ana", seq, head.1, 1), envelope("tablet-ana", seq, head.1, 2));
        let (to_a, to_b) = tokio::join!(a.append(vec![mine.clone()]), b.append(vec![theirs.clone()]));
        let winner = match (&to_a.expect("append")[..], &to_b.expect("append")[..]) {
            ([Stored::Stored], [Stored::Fork]) => mine,
            ([Stored::Fork], [Stored::Stored]) => theirs,
            outcomes => panic!("seq {seq}: {outcomes:?}"),
        };
        head = (seq, winner.hash);
        kept.push(winner);
    }
    assert_gap_free(db, 30).await;
    assert_eq!(db.count(FORKS).await, 30, "every loser is kept aside");
    assert_eq!(b.frontier().await.expect("frontier").seq("tablet-ana"), 30);
    assert_eq!(everything(a).await, bytes(&kept));
}

#[test]
fn two_instances_given_batches_naming_two_devices_in_opposite_orders_both_finish() {
    on_two_instances!(opposite_orders);
}

async fn opposite_orders<S: Storage>(a: &S, b: &S, db: &impl Database) {
    // Locks taken in batch order would deadlock here: a holds ana's and waits for ben's, b the
    // reverse. PostgreSQL would then abort one of the two appends.
    let (ana, ben) = (chain("tablet-ana", 40, 0), chain("laptop-ben", 40, 0));
    for (next_ana, next_ben) in ana.iter().zip(&ben) {
        let (to_a, to_b) = tokio::join!(
            a.append(vec![next_ana.clone(), next_ben.clone()]),
            b.append(vec![next_ben.clone(), next_ana.clone()])
        );
        let (to_a, to_b) = (to_a.expect("append"), to_b.expect("append"));
        let once = stored_once(to_a[0], to_b[1]) && stored_once(to_a[1], to_b[0]);
        assert!(once, "seq {}: {to_a:?} / {to_b:?}", next_ana.seq);
    }
    assert_eq!(db.count(ENVELOPES).await, 80);
    assert_eq!(everything(b).await, [bytes(&ben), bytes(&ana)].concat());
}

/// One instance stored the envelope, the other found it already held.
fn stored_once(a: Stored, b: Stored) -> bool {
    matches!((a, b), (Stored::Stored, Stored::AlreadyHeld) | (Stored::AlreadyHeld, Stored::Stored))
}

/// The device's run is 1..=`last`, each seq once.
async fn assert_gap_free(db: &impl Database, last: i64) {
    assert_eq!(db.count("SELECT count(DISTINCT seq) FROM envelopes WHERE device = 'tablet-ana'").await, last);
    assert_eq!(db.count("SELECT count(*) FROM envelopes").await, last);
    assert_eq!(db.count("SELECT min(seq) FROM envelopes").await, 1);
    assert_eq!(db.count("SELECT max(seq) FROM envelopes").await, last);
}
