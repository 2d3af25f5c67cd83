-- 0003: machine-room access log (staff and visitors), the items they carried in and out,
-- and events imported from the door controller. See data/records/visitors.py.
-- ID and phone numbers are never stored in clear: *_cipher holds the AES-GCM token
-- (data.crypto), *_index the keyed blind index for exact-match search, *_masked what the
-- screens and exports show. Times are UTC text (data.clock.to_db).

CREATE TABLE access_records (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('visitor', 'staff')),
    name          TEXT NOT NULL CHECK (name <> ''),
    account       TEXT,                 -- staff with a dutydesk account: its name
    organisation  TEXT NOT NULL DEFAULT '',
    id_type       TEXT,                 -- data.idnumbers.DocType; NULL for staff
    id_cipher     TEXT,
    id_index      TEXT,
    id_masked     TEXT,
    phone_cipher  TEXT,
    phone_index   TEXT,
    phone_masked  TEXT,
    purpose       TEXT NOT NULL DEFAULT '',
    escort        TEXT,                 -- the escorting operator's account name
    badge         TEXT,                 -- the card or badge handed out
    work_on       TEXT NOT NULL DEFAULT '[]',   -- JSON list of racks or device ids
    note          TEXT NOT NULL DEFAULT '',
    entered_at    TEXT NOT NULL,
    entered_by    TEXT NOT NULL,
    exited_at     TEXT,                 -- NULL while inside
    exited_by     TEXT,
    exit_note     TEXT NOT NULL DEFAULT '',
    items_mismatch TEXT,                -- JSON {"missing": [...], "extra": [...]}; NULL if none
    -- A visitor always has an ID document and an escort (the rule is in data/ too).
    CHECK (kind = 'staff'
           OR (id_type IS NOT NULL AND id_cipher IS NOT NULL AND id_index IS NOT NULL
               AND id_masked IS NOT NULL AND escort IS NOT NULL)),
    CHECK ((exited_at IS NULL) = (exited_by IS NULL))
) STRICT;

-- Nobody inside holds the same badge, nor the same ID document, twice.
CREATE UNIQUE INDEX access_badge_inside ON access_records (badge)
    WHERE exited_at IS NULL AND badge IS NOT NULL;
CREATE UNIQUE INDEX access_id_inside ON access_records (id_index)
    WHERE exited_at IS NULL AND id_index IS NOT NULL;
CREATE INDEX access_inside ON access_records (entered_at) WHERE exited_at IS NULL;
CREATE INDEX access_by_entered ON access_records (entered_at);
CREATE INDEX access_by_exited ON access_records (exited_at);
CREATE INDEX access_by_badge ON access_records (badge, entered_at);
CREATE INDEX access_by_id_index ON access_records (id_index);
CREATE INDEX access_by_phone_index ON access_records (phone_index);

CREATE TABLE access_items (
    id          INTEGER PRIMARY KEY,
    record_id   INTEGER NOT NULL REFERENCES access_records (id) ON DELETE CASCADE,
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    position    INTEGER NOT NULL,       -- the order they were listed in
    description TEXT NOT NULL CHECK (description <> ''),
    serial      TEXT,
    count       INTEGER NOT NULL CHECK (count >= 1)
) STRICT;

CREATE INDEX access_items_by_record ON access_items (record_id, direction, position);

-- Door-controller events imported from CSV. line_hash (SHA-256 of the normalised card,
-- time, door and direction) makes a re-import of the same file add nothing.
CREATE TABLE door_events (
    id          INTEGER PRIMARY KEY,
    line_hash   TEXT NOT NULL UNIQUE,
    card        TEXT NOT NULL,
    at          TEXT NOT NULL,
    door        TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    record_id   INTEGER REFERENCES access_records (id) ON DELETE SET NULL,  -- NULL: unmatched
    source      TEXT NOT NULL,          -- the imported file's name
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
) STRICT;

CREATE INDEX door_events_by_at ON door_events (at);
CREATE INDEX door_events_by_card ON door_events (card, at);
CREATE INDEX door_events_by_record ON door_events (record_id);
