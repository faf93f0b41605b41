-- Mamori chart store, version 3: second factor (TOTP) per user of this device.
-- Device-local login state: never part of the change log, never synced.

CREATE TABLE user_second_factor (
    user_name        TEXT PRIMARY KEY,
    totp_secret      BLOB NOT NULL,
    -- The newest time step accepted, so a code is accepted only once.
    last_step        INTEGER NOT NULL DEFAULT -1,
    recovery_salt    BLOB NOT NULL,
    -- JSON array of hex SHA-256 hashes of the unused recovery codes.
    recovery_hashes  TEXT NOT NULL
);
