-- Mamori chart store, version 10: changes that travel between devices.
--
-- Each change keeps the exact bytes its author signed (`signed`, `signature`): a replica checks the
-- signature over those bytes, never over a re-serialized row. A change names the changes it
-- replaces for the same record (`change_parents`); the record's state is its newest change that no
-- other change replaces (for a patient, those changes merged field by field), so every replica
-- that holds the same changes shows the same state whatever order they arrived in, and a laptop
-- whose clock runs ahead does not win every later edit.
-- Changes written before this version have no signed bytes and never leave this device.
ALTER TABLE changes ADD COLUMN signed BLOB;
ALTER TABLE changes ADD COLUMN signature BLOB;

CREATE INDEX changes_by_entity ON changes (entity_kind, entity_id, hlc_wall, hlc_counter, device, id);

-- Records whose newest changes are concurrent (two changes replace the same one, or neither
-- names the other): kept for review beside the winning value. `winner` is the newest head. A
-- patient is merged field by field and listed only when two heads changed a field to different
-- values; `fields` names those fields (sorted, comma-separated). NULL for every other kind, which
-- is merged whole-record.
CREATE TABLE merge_conflicts (
    entity_kind  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    winner       TEXT NOT NULL,
    heads        INTEGER NOT NULL,
    fields       TEXT,
    PRIMARY KEY (entity_kind, entity_id)
) WITHOUT ROWID;

-- Which change replaces which, within one record. A record's heads are its changes no other
-- change of the same record replaces; its state is the newest head.
CREATE TABLE change_parents (
    entity_kind  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    replaced     TEXT NOT NULL,
    change_id    TEXT NOT NULL,
    PRIMARY KEY (entity_kind, entity_id, replaced, change_id)
) WITHOUT ROWID;

-- Changes written before this version were all written on this device, one after another: each
-- replaces the one before it of the same record.
INSERT INTO change_parents (entity_kind, entity_id, replaced, change_id)
SELECT entity_kind, entity_id, previous, id FROM (
    SELECT id, entity_kind, entity_id,
           lag(id) OVER (PARTITION BY entity_kind, entity_id ORDER BY hlc_wall, hlc_counter, device, id) AS previous
    FROM changes)
WHERE previous IS NOT NULL;
