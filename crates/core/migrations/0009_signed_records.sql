-- Mamori chart store, version 9: clinical records signed by their authors (record format v2).
--
-- Each clinical write's audit event names the record it put and the change that put it, and is
-- filed here when it is appended (writes are few), so a change the audit log names and the log or
-- the chart no longer holds is found when the chart is opened; `audit verify` checks the table
-- against the hash-chained events.
CREATE TABLE audit_records (
    patient_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    record_id   TEXT NOT NULL,
    change_id   TEXT NOT NULL,
    PRIMARY KEY (patient_id, seq)
) WITHOUT ROWID;

-- One patient's clinical changes, to check that each audited record is still in the log and shown
-- at its newest change: covering, so the check never reads the sealed bodies.
CREATE INDEX changes_by_patient_record
    ON changes (patient_id, entity_kind, entity_id, hlc_wall, hlc_counter, device, id) WHERE sealed IS NOT NULL;
