-- The sync engine's tables in the chart database (created beside the core's; see local/mod.rs).

-- Every envelope this device has sealed or received, by (device, sequence). Each device's run is
-- gap-free from 1 and each envelope names its predecessor's hash, so the highest sequence per
-- device is this replica's frontier. Kept so any replica can give a server restored from an older
-- backup everything it lost.
CREATE TABLE IF NOT EXISTS sync_envelopes (
    device     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    hash       BLOB NOT NULL,
    change_id  TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    PRIMARY KEY (device, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sync_envelopes_by_change ON sync_envelopes (change_id);

CREATE TRIGGER IF NOT EXISTS sync_envelopes_are_never_updated BEFORE UPDATE ON sync_envelopes
BEGIN SELECT RAISE(ABORT, 'sent and received envelopes are append-only'); END;

-- How far this device's own changes have been sealed into envelopes (a local change position).
CREATE TABLE IF NOT EXISTS sync_outbox (
    singleton       INTEGER PRIMARY KEY CHECK (singleton = 1),
    sealed_through  INTEGER NOT NULL
);

-- What the server last said it holds, per device: a later answer below it means the server lost
-- what it had acknowledged (restored from an older backup).
CREATE TABLE IF NOT EXISTS sync_server_held (
    device  TEXT PRIMARY KEY,
    seq     INTEGER NOT NULL
) WITHOUT ROWID;

-- Envelopes held (their sequence counts) whose change was not applied: its author's signature
-- or authority is not confirmed by the chain this device holds. Kept for an administrator.
CREATE TABLE IF NOT EXISTS sync_set_aside (
    device     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    change_id  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (device, seq)
) WITHOUT ROWID;

-- Which clinic data key epochs this device has wrapped to which device and given the server
-- (each wrap is made once; HPKE wraps of one key differ every time).
CREATE TABLE IF NOT EXISTS sync_wraps_sent (
    device  TEXT NOT NULL,
    epoch   INTEGER NOT NULL,
    PRIMARY KEY (device, epoch)
) WITHOUT ROWID;

-- Changes whose clock stamp was far ahead of this device's clock when they arrived: applied like
-- any other (never dropped, never clamped; the merge does not trust stamps), and flagged here.
CREATE TABLE IF NOT EXISTS sync_clock_flags (
    change_id  TEXT PRIMARY KEY,
    device     TEXT NOT NULL,
    ahead_ms   INTEGER NOT NULL
) WITHOUT ROWID;

-- The server's receipts for this device's audit chain: it held the chain up to `seq` with
-- `hash`, countersigned with `server_key`. Shipping resumes after the newest.
CREATE TABLE IF NOT EXISTS sync_audit_anchors (
    seq               INTEGER PRIMARY KEY,
    hash              BLOB NOT NULL,
    countersignature  BLOB NOT NULL,
    server_key        BLOB NOT NULL
);
