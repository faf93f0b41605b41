-- Mamori chart store, version 1.
-- The change log is the truth; every other table here is state derived from it by
-- `changelog::apply` and can be rebuilt by replaying the log.

CREATE TABLE device (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id   TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE changes (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    hlc_wall     INTEGER NOT NULL,
    hlc_counter  INTEGER NOT NULL,
    author       TEXT NOT NULL,
    device       TEXT NOT NULL,
    entity_kind  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    patient_id   TEXT,
    body         TEXT NOT NULL
);
CREATE INDEX changes_in_clock_order ON changes (hlc_wall, hlc_counter, device, id);

CREATE TRIGGER changes_are_never_updated BEFORE UPDATE ON changes
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;
CREATE TRIGGER changes_are_never_deleted BEFORE DELETE ON changes
BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;

-- State ---------------------------------------------------------------------------------
-- Chart tables are clustered by patient (WITHOUT ROWID, key (patient_id, id)), so opening a
-- chart reads a few adjacent pages instead of pages scattered across years of other visits.

CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL
);

CREATE TABLE patients (
    rowid         INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    chart_no      TEXT NOT NULL UNIQUE,
    birth_date    TEXT NOT NULL,
    sort_kana     TEXT NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX patients_by_birth_date ON patients (birth_date);
-- Chart number without leading zeros, so 12 finds 000012.
CREATE INDEX patients_by_chart_number_value ON patients (ltrim(chart_no, '0'));

-- Normalized names and readings (family, given, full) for prefix search of one or two
-- characters, which the trigram index cannot answer.
CREATE TABLE patient_name_keys (
    key            TEXT NOT NULL,
    patient_rowid  INTEGER NOT NULL REFERENCES patients (rowid) ON DELETE CASCADE,
    PRIMARY KEY (key, patient_rowid)
) WITHOUT ROWID;
CREATE INDEX patient_name_keys_by_patient ON patient_name_keys (patient_rowid);

-- Substring search of three or more characters over name, reading, phone digits.
CREATE VIRTUAL TABLE patient_fts USING fts5 (name, kana, phone, tokenize = 'trigram');

CREATE TABLE encounters (
    id          TEXT NOT NULL,
    patient_id  TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX encounters_by_id ON encounters (id);

CREATE TABLE notes (
    id           TEXT NOT NULL,
    patient_id   TEXT NOT NULL,
    encounter_id TEXT NOT NULL,
    status       TEXT NOT NULL,
    replaces     TEXT,
    written_at   TEXT NOT NULL,
    body         TEXT NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX notes_by_id ON notes (id);
CREATE INDEX notes_by_replaced_version ON notes (replaces) WHERE replaces IS NOT NULL;

CREATE TABLE vitals (
    id           TEXT NOT NULL,
    patient_id   TEXT NOT NULL,
    measured_at  TEXT NOT NULL,
    body         TEXT NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX vitals_by_id ON vitals (id);

CREATE TABLE allergies (
    id           TEXT NOT NULL,
    patient_id   TEXT NOT NULL,
    body         TEXT NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX allergies_by_id ON allergies (id);

CREATE TABLE problems (
    id           TEXT NOT NULL,
    patient_id   TEXT NOT NULL,
    body         TEXT NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX problems_by_id ON problems (id);

CREATE TABLE prescriptions (
    id             TEXT NOT NULL,
    patient_id     TEXT NOT NULL,
    prescribed_at  TEXT NOT NULL,
    body           TEXT NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX prescriptions_by_id ON prescriptions (id);

CREATE TABLE lab_reports (
    id            TEXT NOT NULL,
    patient_id    TEXT NOT NULL,
    collected_at  TEXT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX lab_reports_by_id ON lab_reports (id);

CREATE TABLE appointments (
    id            TEXT NOT NULL,
    patient_id    TEXT NOT NULL,
    scheduled_at  TEXT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX appointments_by_id ON appointments (id);
CREATE INDEX appointments_by_time ON appointments (scheduled_at);
