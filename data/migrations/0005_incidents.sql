-- 0005: incidents (故障处置): fault records with their response clock, vendor escalation,
-- timeline, cause and solution; and a full-text index over them for "past fixes".
-- Times are UTC text (data.clock.to_db). See data/records/incidents.py.

CREATE TABLE incidents (
    id                  INTEGER PRIMARY KEY,
    title               TEXT NOT NULL CHECK (length(trim(title)) > 0),
    severity            TEXT NOT NULL CHECK (severity IN ('critical', 'major', 'minor')),
    category            TEXT NOT NULL CHECK (category IN ('network', 'hardware', 'application',
                                             'environment', 'security', 'operation_error')),
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'responding',
                                             'escalated', 'resolved', 'closed')),
    device_id           TEXT,
    check_id            TEXT,
    alarm_id            INTEGER REFERENCES alarms (id),
    caller              TEXT,               -- a phone report: who called, from where
    department          TEXT,
    phone               TEXT,
    description         TEXT NOT NULL DEFAULT '',
    opened_by           TEXT NOT NULL,
    opened_at           TEXT NOT NULL,      -- when the record was made
    reported_at         TEXT NOT NULL,      -- the response clock starts here (alarm raised)
    respond_by          TEXT NOT NULL,      -- reported_at + the target fixed when reported
    target_seconds      INTEGER NOT NULL CHECK (target_seconds > 0),
    responded_at        TEXT,
    responded_by        TEXT,
    vendor              TEXT,
    vendor_contact      TEXT,
    vendor_ticket       TEXT,
    escalated_at        TEXT,
    vendor_responded_at TEXT,
    resolved_at         TEXT,
    resolved_by         TEXT,
    cause               TEXT,
    solution            TEXT,
    closed_at           TEXT,
    closed_by           TEXT,
    CHECK (status NOT IN ('resolved', 'closed')
           OR (resolved_at IS NOT NULL AND coalesce(length(trim(cause)), 0) > 0
               AND coalesce(length(trim(solution)), 0) > 0)),
    CHECK (status <> 'closed' OR closed_at IS NOT NULL)
) STRICT;

CREATE INDEX incidents_by_reported ON incidents (reported_at);
CREATE INDEX incidents_by_device ON incidents (device_id, check_id, reported_at);
CREATE INDEX incidents_by_status ON incidents (status, reported_at);
CREATE INDEX incidents_by_alarm ON incidents (alarm_id);

-- The timeline: who did what, when. Rows are only ever added.
CREATE TABLE incident_entries (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at          TEXT NOT NULL,
    who         TEXT NOT NULL,
    kind        TEXT NOT NULL,              -- opened, responded, note, escalated, ...
    text        TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX incident_entries_by_incident ON incident_entries (incident_id, at);

CREATE TRIGGER incident_entries_append_only_update BEFORE UPDATE ON incident_entries
BEGIN
    SELECT RAISE(ABORT, 'incident timeline entries cannot be changed');
END;

CREATE TRIGGER incident_entries_append_only_delete BEFORE DELETE ON incident_entries
BEGIN
    SELECT RAISE(ABORT, 'incident timeline entries cannot be deleted');
END;

-- Full text over the words a later operator searches for. The trigram tokenizer matches
-- any substring of 3 or more characters, so Chinese text (no spaces between words)
-- matches too; shorter queries fall back to LIKE in the code. External content: the text
-- lives once, in incidents; the triggers keep the index in step.
CREATE VIRTUAL TABLE incidents_fts USING fts5 (
    title, description, cause, solution,
    content = 'incidents', content_rowid = 'id', tokenize = 'trigram'
);

CREATE TRIGGER incidents_fts_insert AFTER INSERT ON incidents
BEGIN
    INSERT INTO incidents_fts (rowid, title, description, cause, solution)
    VALUES (new.id, new.title, new.description, new.cause, new.solution);
END;

CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents
BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, title, description, cause, solution)
    VALUES ('delete', old.id, old.title, old.description, old.cause, old.solution);
END;

CREATE TRIGGER incidents_fts_update AFTER UPDATE OF title, description, cause, solution
ON incidents
BEGIN
    INSERT INTO incidents_fts (incidents_fts, rowid, title, description, cause, solution)
    VALUES ('delete', old.id, old.title, old.description, old.cause, old.solution);
    INSERT INTO incidents_fts (rowid, title, description, cause, solution)
    VALUES (new.id, new.title, new.description, new.cause, new.solution);
END;
