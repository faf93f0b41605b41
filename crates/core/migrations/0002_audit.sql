-- Mamori chart store, version 2: the device identity key and the audit log.

ALTER TABLE device ADD COLUMN signing_key BLOB;

-- One row per audit event. `body` is the exact JSON the hash covers; patient_id and user_name
-- are copies for reports, checked against the body by `audit verify`.
CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    patient_id  TEXT,
    user_name   TEXT NOT NULL,
    body        TEXT NOT NULL,
    hash        BLOB NOT NULL
);
CREATE INDEX audit_events_by_patient ON audit_events (patient_id, seq) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_events_by_user ON audit_events (user_name, seq);

-- The chain head, signed with the device's Ed25519 key.
CREATE TABLE audit_head (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    seq        INTEGER NOT NULL,
    hash       BLOB NOT NULL,
    signature  BLOB NOT NULL
);

CREATE TRIGGER audit_events_are_never_updated BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_events_are_never_deleted BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
