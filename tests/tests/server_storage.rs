//! Story: the clinic server keeps every device's envelopes in order, each place once, whichever
//! database holds them. Every story runs on SQLite and on PostgreSQL, each also as two server
//! instances on one database (written through one, read through the other); the PostgreSQL
//! variants are skipped, saying so, when no PostgreSQL answers (see `backend::postgres_config`).

use mamori_server::storage::{Storage, Stored};
use mamori_sync::wire::{Frontier, Position};

use self::backend::Database;
use self::fake::{bytes, chain, envelope, place};

/// Runs `story(a, b, db)` on every backend: once with `a` and `b` the same server instance, once
/// with two instances on one database.
macro_rules! on_every_backend {
    ($story:ident) => {{
        use $crate::server_storage::backend::{on_postgres, on_sqlite, Database as _};
        on_sqlite("SQLite", |db| async move {
            let storage = db.open().await;
            $story(&storage, &storage, &db).await
        });
        on_postgres("PostgreSQL", |db| async move {
            let storage = db.open().await;
            $story(&storage, &storage, &db).await
        });
        on_two_instances!($story);
    }};
}

/// Runs `story(a, b, db)` with two server instances on one database, opened at the same moment.
macro_rules! on_two_instances {
    ($story:ident) => {{
        use $crate::server_storage::backend::{on_postgres, on_sqlite, Database as _};
        on_sqlite("two SQLite instances on one file", |db| async move {
            let (a, b) = tokio::join!(db.open(), db.open());
            $story(&a, &b, &db).await
        });
        on_postgres("two PostgreSQL instances on one schema", |db| async move {
            let (a, b) = tokio::join!(db.open(), db.open());
            $story(&a, &b, &db).await
        });
    }};
}

mod audit_batches;
pub mod backend;
mod fake;
mod instances;

const ENVELOPES: &str = "SELECT count(*) FROM envelopes";
const FORKS: &str = "SELECT count(*) FROM forks";

async fn everything<S: Storage>(storage: &S) -> Vec<Vec<u8>> {
    let (page, more) = storage.page(&Frontier::default(), 1000).await.expect("page");
    assert!(!more, "the stories hold fewer than 1000 envelopes");
    page
}

#[test]
fn a_devices_envelopes_are_stored_in_order_and_named_in_the_frontier() {
    on_every_backend!(stored_in_order);
}

async fn stored_in_order<S: Storage>(a: &S, b: &S, _db: &impl Database) {
    assert_eq!(b.frontier().await.expect("frontier"), Frontier::default(), "a new database holds nothing");
    let ana = chain("tablet-ana", 5, 0);
    let ben = chain("laptop-ben", 2, 0);
    assert_eq!(a.append(ana[..3].to_vec()).await.expect("append"), vec![Stored::Stored; 3]);
    // One batch with both devices interleaved: each envelope is its own device's next.
    let mixed = vec![ben[0].clone(), ana[3].clone(), ben[1].clone(), ana[4].clone()];
    assert_eq!(a.append(mixed).await.expect("append"), vec![Stored::Stored; 4]);

    let frontier = b.frontier().await.expect("frontier");
    assert_eq!(frontier.0.len(), 2);
    assert_eq!(frontier.get("tablet-ana"), Some(&Position { seq: 5, hash: ana[4].hash }));
    assert_eq!(frontier.get("laptop-ben"), Some(&Position { seq: 2, hash: ben[1].hash }));
    assert_eq!(everything(b).await, [bytes(&ben), bytes(&ana)].concat(), "in (device, seq) order");
    let instance = a.instance().await.expect("instance");
    assert!(!instance.is_nil());
    assert_eq!(b.instance().await.expect("instance"), instance, "one database, one instance");
}

#[test]
fn the_same_bytes_again_are_already_held_and_change_nothing() {
    on_every_backend!(already_held);
}

async fn already_held<S: Storage>(a: &S, b: &S, db: &impl Database) {
    let ana = chain("tablet-ana", 3, 0);
    assert_eq!(a.append(ana.clone()).await.expect("append"), vec![Stored::Stored; 3]);
    let frontier = b.frontier().await.expect("frontier");
    // A device that never heard the answer sends its envelopes again, to either instance.
    assert_eq!(b.append(ana.clone()).await.expect("append"), vec![Stored::AlreadyHeld; 3]);
    assert_eq!(a.append(vec![ana[1].clone()]).await.expect("append"), vec![Stored::AlreadyHeld]);
    assert_eq!(a.frontier().await.expect("frontier"), frontier);
    assert_eq!(everything(b).await, bytes(&ana));
    assert_eq!(db.count(ENVELOPES).await, 3);
    assert_eq!(db.count(FORKS).await, 0, "a repeat is not a fork");
}

#[test]
fn other_bytes_at_a_held_seq_are_a_fork_kept_aside_and_the_held_envelope_is_unchanged() {
    on_every_backend!(fork_at_held_seq);
}

async fn fork_at_held_seq<S: Storage>(a: &S, b: &S, db: &impl Database) {
    let ana = chain("tablet-ana", 3, 0);
    a.append(ana.clone()).await.expect("append");
    let frontier = a.frontier().await.expect("frontier");
    // A second history: other bytes at seq 2 (after the right predecessor), and at the head.
    let rewritten = envelope("tablet-ana", 2, ana[0].hash, 1);
    let other_head = envelope("tablet-ana", 3, ana[1].hash, 1);
    assert_eq!(b.append(vec![rewritten.clone()]).await.expect("append"), vec![Stored::Fork]);
    assert_eq!(a.append(vec![other_head, rewritten]).await.expect("append"), vec![Stored::Fork; 2]);

    assert_eq!(b.frontier().await.expect("frontier"), frontier);
    assert_eq!(everything(a).await, bytes(&ana), "the held envelopes are unchanged");
    assert_eq!(db.count(ENVELOPES).await, 3);
    assert_eq!(db.count("SELECT count(*) FROM forks WHERE device = 'tablet-ana' AND seq = 2").await, 1, "once");
    assert_eq!(db.count(FORKS).await, 2, "each fork is kept for an administrator");
}

#[test]
fn a_gap_is_refused_with_the_held_seq() {
    on_every_backend!(gap);
}

async fn gap<S: Storage>(a: &S, b: &S, db: &impl Database) {
    let ana = chain("tablet-ana", 4, 0);
    a.append(ana[..2].to_vec()).await.expect("append");
    assert_eq!(b.append(vec![ana[3].clone()]).await.expect("append"), vec![Stored::Gap { held: 2 }]);
    let cho = chain("phone-cho", 2, 0);
    assert_eq!(b.append(vec![cho[1].clone()]).await.expect("append"), vec![Stored::Gap { held: 0 }]);
    assert_eq!(b.frontier().await.expect("frontier").get("phone-cho"), None);
    // In order within a batch: the envelope that fills the gap makes the next one fit.
    let outcomes = a.append(vec![ana[3].clone(), ana[2].clone(), ana[3].clone()]).await.expect("append");
    assert_eq!(outcomes, vec![Stored::Gap { held: 2 }, Stored::Stored, Stored::Stored]);
    assert_eq!(b.frontier().await.expect("frontier").seq("tablet-ana"), 4);
    assert_eq!(everything(b).await, bytes(&ana));
    assert_eq!(db.count(FORKS).await, 0, "a gap is not a fork");
}

#[test]
fn a_wrong_predecessor_at_the_next_seq_is_a_fork() {
    on_every_backend!(wrong_prev);
}

async fn wrong_prev<S: Storage>(a: &S, b: &S, db: &impl Database) {
    let ana = chain("tablet-ana", 3, 0);
    a.append(ana[..2].to_vec()).await.expect("append");
    let after_other = envelope("tablet-ana", 3, [9; 32], 1);
    assert_eq!(b.append(vec![after_other]).await.expect("append"), vec![Stored::Fork]);
    // A device's first envelope must name the clinic's genesis.
    let not_after_genesis = envelope("phone-cho", 1, [1; 32], 0);
    assert_eq!(b.append(vec![not_after_genesis]).await.expect("append"), vec![Stored::Fork]);

    let frontier = a.frontier().await.expect("frontier");
    assert_eq!(frontier.seq("tablet-ana"), 2);
    assert_eq!(frontier.get("phone-cho"), None);
    assert_eq!(db.count(FORKS).await, 2);
    assert_eq!(a.append(vec![ana[2].clone()]).await.expect("append"), vec![Stored::Stored], "the right one still fits");
    assert_eq!(everything(b).await, bytes(&ana));
}

#[test]
fn pages_come_in_device_then_seq_order_respect_the_limit_and_say_more() {
    on_every_backend!(pages);
}

async fn pages<S: Storage>(a: &S, b: &S, _db: &impl Database) {
    // Byte order puts "B-upper" first; a locale's collation would put "a-lower" first.
    let upper = chain("B-upper", 3, 0);
    let lower = chain("a-lower", 2, 0);
    let c = chain("c", 1, 0);
    let batch =
        vec![lower[0].clone(), upper[0].clone(), c[0].clone(), lower[1].clone(), upper[1].clone(), upper[2].clone()];
    a.append(batch).await.expect("append");
    let all = [bytes(&upper), bytes(&lower), bytes(&c)].concat();

    let none = Frontier::default();
    assert_eq!(b.page(&none, 100).await.expect("page"), (all.clone(), false));
    assert_eq!(b.page(&none, 6).await.expect("page"), (all.clone(), false), "exactly the limit: no more");
    assert_eq!(b.page(&none, 4).await.expect("page"), (all[..4].to_vec(), true));
    let mut have = Frontier::default();
    have.0.insert("B-upper".into(), Position { seq: 3, hash: upper[2].hash });
    have.0.insert("a-lower".into(), Position { seq: 1, hash: lower[0].hash });
    assert_eq!(b.page(&have, 1).await.expect("page"), (vec![lower[1].bytes.clone()], true), "c still waits");
    let full = a.frontier().await.expect("frontier");
    assert_eq!(b.page(&full, 10).await.expect("page"), (Vec::new(), false));

    // A client pulling two at a time gets everything once, in order, in three pages.
    let mut have = Frontier::default();
    let mut pulled = Vec::new();
    for round in 1.. {
        let (page, more) = b.page(&have, 2).await.expect("page");
        assert_eq!(page.len(), 2);
        for envelope in &page {
            let (device, seq) = place(envelope);
            have.0.insert(device, Position { seq, hash: [0; 32] });
        }
        pulled.extend(page);
        if !more {
            assert_eq!(round, 3);
            break;
        }
    }
    assert_eq!(pulled, all);
}

#[test]
fn envelopes_cannot_be_updated_or_deleted_in_the_database() {
    on_every_backend!(append_only);
}

async fn append_only<S: Storage, D: Database>(a: &S, b: &S, db: &D) {
    let ana = chain("tablet-ana", 2, 0);
    a.append(ana.clone()).await.expect("append");
    for sql in ["UPDATE envelopes SET bytes = hash", "DELETE FROM envelopes WHERE seq = 2", D::EMPTY_ENVELOPES] {
        let refused = db.execute(sql).await.expect_err(sql);
        assert!(refused.contains("append-only"), "{sql} was refused for another reason: {refused}");
    }
    assert_eq!(db.count(ENVELOPES).await, 2);
    assert_eq!(everything(b).await, bytes(&ana));
}

#[test]
fn a_users_vault_record_is_kept_once_per_version_and_only_a_newer_one_replaces_it() {
    on_every_backend!(vault_records);
}

async fn vault_records<S: mamori_server::storage::ChainStorage>(a: &S, b: &S, _db: &impl Database) {
    let record = |version: u8| (vec![version; 40], vec![version; 64]);
    assert!(a.put_vault_record("doctor", 2, record(2)).await.expect("put"), "the first record is kept");
    assert!(!b.put_vault_record("doctor", 2, record(9)).await.expect("put"), "the same version again is not");
    assert!(!b.put_vault_record("doctor", 1, record(1)).await.expect("put"), "an older one is not");
    assert!(a.put_vault_record("nurse", 1, record(5)).await.expect("put"));
    assert!(b.put_vault_record("doctor", 3, record(3)).await.expect("put"), "a newer one replaces it");
    assert_eq!(a.vault_records().await.expect("records"), vec![record(3), record(5)], "newest per user, by user");
}
