-- Mamori chart store, version 5: users can be disabled (never deleted: the audit log names them).
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
