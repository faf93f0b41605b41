-- Mamori chart store, version 8: the signed membership chain (crates/core/src/chain).
--
-- Each row is one link: its exact signed bytes, the signature and the hash the next link names.
-- Users, roles, public keys and clinical key epochs are read from the verified links only; this
-- table is where they are kept, not what is trusted (an edited row fails verification).
CREATE TABLE membership_links (
    seq        INTEGER PRIMARY KEY,
    body       BLOB NOT NULL,
    signature  BLOB NOT NULL,
    hash       BLOB NOT NULL
);

-- What granted the clinical key before is now read from the chain: public keys from the users'
-- links, epochs from signed `clinical_key_epoch` links with a commitment to the key, rotation
-- from the signed link that took a clinician's role away. The tables that held them go.
DROP TABLE section_key_rotation_due;
DROP TABLE user_public_keys;
CREATE TABLE section_key_wraps_v8 (
    user              TEXT NOT NULL,
    epoch             INTEGER NOT NULL CHECK (epoch >= 1),
    ephemeral_public  BLOB NOT NULL,
    nonce             BLOB NOT NULL,
    ciphertext        BLOB NOT NULL,
    PRIMARY KEY (user, epoch)
) WITHOUT ROWID;
INSERT INTO section_key_wraps_v8 SELECT user, epoch, ephemeral_public, nonce, ciphertext FROM section_key_wraps;
DROP TABLE section_key_wraps;
ALTER TABLE section_key_wraps_v8 RENAME TO section_key_wraps;
DROP TABLE section_key_epochs;

-- Second factors live in each user's sealed key-file entry; an administrator's reset is a signed
-- link naming a one-time code's hash. Nothing of the second factor stays in the database.
DROP TABLE user_second_factor;
