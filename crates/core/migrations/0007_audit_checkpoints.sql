-- Mamori chart store, version 7: cheaper audited reads.
--
-- Report lookups (by patient, by user) no longer cost two index entries on every audited read:
-- they live in derived tables that a report catches up before it runs (`audit::reports`).
DROP INDEX audit_events_by_patient;
DROP INDEX audit_events_by_user;
CREATE TABLE audit_by_patient (
    patient_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (patient_id, seq)
) WITHOUT ROWID;
CREATE TABLE audit_by_user (
    user_name  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (user_name, seq)
) WITHOUT ROWID;
CREATE TABLE audit_report_position (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    seq        INTEGER NOT NULL
);

-- The head (seq, hash) still moves with every commit; the signature now covers the head as it
-- was at the last checkpoint (signed_seq, signed_hash): every login, logout, lock, write, admin
-- action, refusal and break-the-glass, and at least every 64 events.
ALTER TABLE audit_head ADD COLUMN signed_seq INTEGER;
ALTER TABLE audit_head ADD COLUMN signed_hash BLOB;
UPDATE audit_head SET signed_seq = seq, signed_hash = hash;
