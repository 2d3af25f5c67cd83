-- 0001: the base schema: key/value meta, user accounts, the hash-chained audit trail.
-- Times are UTC ISO-8601 text (data.clock.to_db).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Marks the file as ours: restore refuses a database without it.
INSERT INTO meta (key, value) VALUES ('app', 'dutydesk');

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE COLLATE NOCASE,
    full_name           TEXT NOT NULL DEFAULT '',
    role                TEXT NOT NULL
                        CHECK (role IN ('operator', 'supervisor', 'admin', 'auditor')),
    pw_hash             TEXT NOT NULL,
    failed_count        INTEGER NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    locked_until        TEXT,            -- set by repeated failed logins, NULL when not locked
    disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),  -- admin lock
    created_at          TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
) STRICT;

-- Append-only and hash-chained: hash = sha256(prev_hash || canonical JSON of the row),
-- computed by data.audit.row_hash. The first row links to 64 zeros.
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    ts        TEXT NOT NULL,
    user      TEXT,
    terminal  TEXT NOT NULL,
    action    TEXT NOT NULL,
    object    TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;

CREATE INDEX audit_by_ts ON audit (ts);
CREATE INDEX audit_by_user ON audit (user, id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: rows cannot be changed');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: rows cannot be deleted');
END;

-- Every new row must take the next id and link to the current last row.
CREATE TRIGGER audit_extends_chain BEFORE INSERT ON audit
WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit)
  OR NEW.prev_hash IS NOT coalesce(
        (SELECT hash FROM audit ORDER BY id DESC LIMIT 1),
        '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
    SELECT RAISE(ABORT, 'audit rows must extend the hash chain');
END;

-- The chain head (last id and hash) kept in meta, so a deleted tail shows up as a head
-- that points past the last row. It only moves forward and cannot be deleted.
CREATE TRIGGER audit_tracks_head AFTER INSERT ON audit
BEGIN
    INSERT INTO meta (key, value)
    VALUES ('audit.head', json_object('id', NEW.id, 'hash', NEW.hash))
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
END;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON meta
WHEN OLD.key = 'audit.head'
BEGIN
    SELECT RAISE(ABORT, 'the audit chain head cannot be deleted');
END;

CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON meta
WHEN OLD.key = 'audit.head'
  AND (NEW.key IS NOT OLD.key
       OR json_extract(NEW.value, '$.id') <= json_extract(OLD.value, '$.id'))
BEGIN
    SELECT RAISE(ABORT, 'the audit chain head only moves forward');
END;
