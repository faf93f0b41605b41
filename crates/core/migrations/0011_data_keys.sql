-- Mamori chart store, version 11: the clinic data keys this device holds, by epoch. Every change
-- is sealed under the newest before it leaves the device; older ones open what was sealed
-- before. Each key was made here by an administrator (its commitment in their chain link) or
-- came wrapped to this device and was accepted only because it opened to that commitment. The
-- database is encrypted; these keys never leave it in the clear.
CREATE TABLE data_keys (
    epoch  INTEGER PRIMARY KEY,
    key    BLOB NOT NULL
);
