-- Mamori chart store, version 13: users' vault records (`vault/vault_record.rs`), newest version
-- per user: this device's users' own, made when they set their Secret Key or password, and
-- colleagues' as the clinic server hands them on. A row is only a copy: a record counts when its
-- user's key in the verified membership chain signed it, and opens only with the user's password
-- and Secret Key.
CREATE TABLE vault_records (
    user       TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    bytes      BLOB NOT NULL,
    signature  BLOB NOT NULL
) WITHOUT ROWID;
