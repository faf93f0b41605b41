//! Story: the server keeps each device's signed audit batch beside the events it added, so an
//! administrator's device can check every event itself; it pages them by number and by time,
//! keeps nothing for a batch that added nothing, and lets no one update or delete one.

use mamori_server::storage::{AuditEntry, AuditStorage, ShippedBatch};
use mamori_sync::wire::AuditOutcome;

use super::backend::Database;

/// Entries `first..=last` of a device's chain (the storage does not recompute hashes; the
/// service does before it stores).
fn entries(first: u64, last: u64) -> Vec<AuditEntry> {
    (first..=last)
        .map(|seq| AuditEntry {
            seq,
            body: format!("{{\"seq\":{seq}}}").into_bytes(),
            hash: [u8::try_from(seq).expect("small"); 32],
            patient: None,
        })
        .collect()
}

fn shipped(tag: &str, newest_at: i64) -> ShippedBatch {
    ShippedBatch { bytes: format!("signed batch {tag}").into_bytes(), newest_at }
}

fn prev(seq: u64) -> Option<[u8; 32]> {
    (seq > 0).then(|| [u8::try_from(seq).expect("small"); 32])
}

#[test]
fn signed_batches_are_kept_when_they_add_events_and_paged_by_number_and_time() {
    on_every_backend!(kept_and_paged);
}

async fn kept_and_paged<S: AuditStorage, D: Database>(a: &S, b: &S, db: &D) {
    let stored = |outcome: (AuditOutcome, u64, [u8; 32])| outcome.0;
    assert_eq!(
        stored(a.append_audit("desk", None, entries(1, 3), shipped("desk 1-3", 100)).await.expect("a")),
        AuditOutcome::Stored
    );
    assert_eq!(
        stored(b.append_audit("laptop", None, entries(1, 2), shipped("laptop 1-2", 200)).await.expect("b")),
        AuditOutcome::Stored
    );
    // The same events again add nothing: no second copy of the batch.
    let again = a.append_audit("desk", None, entries(1, 3), shipped("desk again", 100)).await.expect("again");
    assert_eq!(again.0, AuditOutcome::AlreadyHeld);
    // A gap is refused, and its batch not kept.
    let gap = b.append_audit("desk", prev(5), entries(6, 7), shipped("desk gap", 300)).await.expect("gap");
    assert_eq!(gap.0, AuditOutcome::Gap);
    assert_eq!(
        stored(a.append_audit("desk", prev(3), entries(4, 5), shipped("desk 4-5", 400)).await.expect("c")),
        AuditOutcome::Stored
    );
    assert_eq!(db.count("SELECT count(*) FROM audit_batches").await, 3);

    let (all, more) = b.audit_batches(0, 0, 10).await.expect("all");
    let tags: Vec<String> = all.iter().map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned()).collect();
    assert_eq!(tags, ["signed batch desk 1-3", "signed batch laptop 1-2", "signed batch desk 4-5"]);
    assert!(!more);
    // Pages of two: the first says more, the next starts after its last number.
    let (first, more) = a.audit_batches(0, 0, 2).await.expect("page 1");
    assert!(more && first.len() == 2);
    let (second, more) = a.audit_batches(0, first[1].0, 2).await.expect("page 2");
    assert!(!more);
    assert_eq!(second, all[2..]);
    // Only batches holding events at or after the time asked for.
    let (recent, _) = b.audit_batches(200, 0, 10).await.expect("recent");
    assert_eq!(recent, all[1..]);
}

#[test]
fn signed_audit_batches_cannot_be_updated_or_deleted_in_the_database() {
    on_every_backend!(batches_append_only);
}

async fn batches_append_only<S: AuditStorage, D: Database>(a: &S, _b: &S, db: &D) {
    a.append_audit("desk", None, entries(1, 2), shipped("desk 1-2", 100)).await.expect("stored");
    for sql in ["UPDATE audit_batches SET bytes = bytes || bytes", "DELETE FROM audit_batches"] {
        let refused = db.execute(sql).await.expect_err(sql);
        assert!(refused.contains("append-only"), "{sql} was refused for another reason: {refused}");
    }
    assert_eq!(db.count("SELECT count(*) FROM audit_batches").await, 1);
}
