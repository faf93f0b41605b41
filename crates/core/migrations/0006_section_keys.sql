-- Mamori chart store, version 6: the clinical section key (CSK), see docs/section-keys.md.
-- Clinical change bodies are sealed under the CSK: the log keeps plaintext index metadata in
-- `body` and the sealed record in `sealed`; state tables hold the same sealed bytes in `body`.
ALTER TABLE changes ADD COLUMN sealed BLOB;

-- Each user's X25519 public key (the private key is sealed in the key file under their KEK).
CREATE TABLE user_public_keys (
    user        TEXT PRIMARY KEY,
    public_key  BLOB NOT NULL CHECK (length(public_key) = 32)
);

-- CSK epochs. A new epoch starts when a user leaves the clinical roles.
CREATE TABLE section_key_epochs (
    epoch       INTEGER PRIMARY KEY CHECK (epoch >= 1),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);

-- The CSK of each epoch sealed to one clinical user's public key (X25519 + HKDF + XChaCha20-Poly1305).
CREATE TABLE section_key_wraps (
    user              TEXT NOT NULL,
    epoch             INTEGER NOT NULL REFERENCES section_key_epochs (epoch),
    ephemeral_public  BLOB NOT NULL,
    nonce             BLOB NOT NULL,
    ciphertext        BLOB NOT NULL,
    PRIMARY KEY (user, epoch)
) WITHOUT ROWID;

-- Set when a user left the clinical roles: the next clinical login starts a new epoch.
CREATE TABLE section_key_rotation_due (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    since      TEXT NOT NULL
);
