-- Mamori chart store, version 14: the insider detector's alerts (`clinic/alerts`), found on this
-- device over its own audit events. A row is only a finding to show: it is found again from the
-- hash-chained audit log at every scan, so a deleted row comes back, and whether an alert was
-- acknowledged is read from administrators' signed changes in the log, never from this table.
CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    from_at     TEXT NOT NULL,
    to_at       TEXT NOT NULL,
    found_at    TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX alerts_by_time ON alerts (from_at);
