-- Mamori chart store, version 4: clinic-wide settings (state derived from the change log).
CREATE TABLE clinic_settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
