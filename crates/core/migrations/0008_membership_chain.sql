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
