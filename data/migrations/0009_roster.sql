-- 0009: the duty roster (值班排班, data/records/roster/). Days are the site's calendar days
-- as text YYYY-MM-DD; a shift crossing midnight belongs to the day it starts on. Shift
-- names are site.yaml's (site.shifts); people on a shift are account names. Times are
-- UTC text (data.clock.to_db).

-- Who is on which shift each day, in the order the supervisor listed them.
CREATE TABLE roster_entries (
    id        INTEGER PRIMARY KEY,
    day       TEXT NOT NULL,
    shift     TEXT NOT NULL CHECK (shift <> ''),
    position  INTEGER NOT NULL CHECK (position >= 0),
    operator  TEXT NOT NULL CHECK (operator <> ''),
    UNIQUE (day, shift, operator)
) STRICT;

CREATE INDEX roster_entries_by_day ON roster_entries (day, shift, position);

-- The day's leader on call and the vendors' contacts; who saved the day last.
CREATE TABLE roster_days (
    day          TEXT PRIMARY KEY,
    leader       TEXT NOT NULL DEFAULT '',
    leader_phone TEXT NOT NULL DEFAULT '',
    vendors      TEXT NOT NULL DEFAULT '',   -- one contact a line
    note         TEXT NOT NULL DEFAULT '',
    saved_at     TEXT NOT NULL,
    saved_by     TEXT NOT NULL
) STRICT;

-- A swap: who was rostered, who took the shift, why, and who recorded it.
CREATE TABLE roster_swaps (
    id          INTEGER PRIMARY KEY,
    day         TEXT NOT NULL,
    shift       TEXT NOT NULL,
    from_name   TEXT NOT NULL CHECK (from_name <> ''),
    to_name     TEXT NOT NULL CHECK (to_name <> ''),
    reason      TEXT NOT NULL CHECK (reason <> ''),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    CHECK (from_name <> to_name COLLATE NOCASE)
) STRICT;

CREATE INDEX roster_swaps_by_day ON roster_swaps (day);

-- A handover signed by someone the roster did not name for the shift: who was rostered
-- (JSON list) and the reason the incoming operator gave. One per handover at most.
CREATE TABLE roster_handover_deviations (
    handover_id INTEGER PRIMARY KEY REFERENCES handovers (id),
    incoming    TEXT NOT NULL,
    day         TEXT NOT NULL,
    shift       TEXT NOT NULL,
    rostered    TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (reason <> ''),
    recorded_at TEXT NOT NULL
) STRICT;

-- A pre-holiday inspection (data/checklist_templates/pre-holiday.yaml, schedule
-- pre_assurance) is due the day before each assurance period. The inspections table's
-- CHECK on schedule (0004) admits it from here on. The constraint is only widened, so
-- every stored row still meets it: SQLite's documentation allows that by editing the
-- table's SQL in sqlite_schema (lang_altertable.html, "otheralter"), whereas rebuilding
-- the table is not possible inside this migration's transaction (foreign keys stay on,
-- and sealed inspections are referenced by their answers). RESET reloads the schema.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(
    sql,
    'CHECK (schedule IN (''daily'', ''weekly'', ''monthly''))',
    'CHECK (schedule IN (''daily'', ''weekly'', ''monthly'', ''pre_assurance''))'
)
WHERE type = 'table' AND name = 'inspections';
PRAGMA writable_schema = RESET;
