-- 0002: live check records (latest value, state transitions, hourly rollups), alarms with
-- their acknowledgements, the event log (traps, system events) and bell mutes.
-- Check results are not kept one row per probe: see DESIGN.md "Storage".
-- States are the names of checks.result.CheckState; times are UTC text (data.clock.to_db).

-- The latest result of each check: one row per check, upserted.
CREATE TABLE check_latest (
    device_id TEXT NOT NULL,
    check_id  TEXT NOT NULL,
    state     TEXT NOT NULL CHECK (state IN ('OK', 'WARNING', 'UNKNOWN', 'CRITICAL')),
    hard      INTEGER NOT NULL CHECK (hard IN (0, 1)),
    attempt   INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    value     REAL,
    unit      TEXT,
    message   TEXT NOT NULL DEFAULT '',
    at        TEXT NOT NULL,
    stale     INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0, 1)),
    PRIMARY KEY (device_id, check_id)
) STRICT, WITHOUT ROWID;

-- Every change of a check's state, soft (hard = 0) and hard (hard = 1).
CREATE TABLE check_transitions (
    id                INTEGER PRIMARY KEY,
    at                TEXT NOT NULL,
    device_id         TEXT NOT NULL,
    check_id          TEXT NOT NULL,
    from_state        TEXT NOT NULL
                      CHECK (from_state IN ('OK', 'WARNING', 'UNKNOWN', 'CRITICAL')),
    to_state          TEXT NOT NULL CHECK (to_state IN ('OK', 'WARNING', 'UNKNOWN', 'CRITICAL')),
    hard              INTEGER NOT NULL CHECK (hard IN (0, 1)),
    message           TEXT NOT NULL DEFAULT '',
    value             REAL,
    suppressed_reason TEXT          -- maintenance, parent down, flapping; NULL when none
) STRICT;

CREATE INDEX check_transitions_by_check ON check_transitions (device_id, check_id, at);
CREATE INDEX check_transitions_by_at ON check_transitions (at);

-- Per check and UTC hour: value statistics (for sparklines) and results per state (for
-- availability and reports). n_values counts results that carried a value.
CREATE TABLE check_rollups (
    device_id  TEXT NOT NULL,
    check_id   TEXT NOT NULL,
    bucket     TEXT NOT NULL,           -- the UTC hour's start
    n_values   INTEGER NOT NULL DEFAULT 0,
    min_value  REAL,
    max_value  REAL,
    sum_value  REAL NOT NULL DEFAULT 0,
    n_ok       INTEGER NOT NULL DEFAULT 0,
    n_warning  INTEGER NOT NULL DEFAULT 0,
    n_unknown  INTEGER NOT NULL DEFAULT 0,
    n_critical INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, check_id, bucket)
) STRICT, WITHOUT ROWID;

-- An alarm is a hard non-OK state; cleared_at is NULL while it is active. The ack columns
-- hold the current acknowledgement (NULL when none); first_ack_at keeps the first one for
-- MTTA even after an ack expires or is withdrawn.
CREATE TABLE alarms (
    id             INTEGER PRIMARY KEY,
    device_id      TEXT NOT NULL,
    check_id       TEXT NOT NULL,
    severity       TEXT NOT NULL CHECK (severity IN ('WARNING', 'UNKNOWN', 'CRITICAL')),
    message        TEXT NOT NULL DEFAULT '',
    raised_at      TEXT NOT NULL,
    cleared_at     TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    flapping       INTEGER NOT NULL DEFAULT 0 CHECK (flapping IN (0, 1)),
    ack_by         TEXT,
    ack_at         TEXT,
    ack_comment    TEXT,
    ack_until      TEXT,                -- NULL with an ack: sticky, until recovery
    sticky         INTEGER NOT NULL DEFAULT 0 CHECK (sticky IN (0, 1)),
    first_ack_at   TEXT,
    reraised_count INTEGER NOT NULL DEFAULT 0 CHECK (reraised_count >= 0)
) STRICT;

-- One active alarm per check.
CREATE UNIQUE INDEX alarms_active_per_check ON alarms (device_id, check_id)
    WHERE cleared_at IS NULL;
CREATE INDEX alarms_by_raised ON alarms (raised_at);
CREATE INDEX alarms_by_device ON alarms (device_id, raised_at);

-- Events that are not check results: SNMP traps (from unknown senders too), system events.
-- detail is JSON and never holds a secret (data.records.events redacts secret-named keys).
CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    device_id TEXT,
    source    TEXT NOT NULL,            -- 'trap', 'system', ...
    kind      TEXT NOT NULL,
    message   TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE INDEX events_by_at ON events (at);
CREATE INDEX events_by_device ON events (device_id, at);

-- Who silenced the alarm bell, from when, until when, and why.
CREATE TABLE bell_mutes (
    id       INTEGER PRIMARY KEY,
    who      TEXT NOT NULL,
    muted_at TEXT NOT NULL,
    until    TEXT NOT NULL,
    reason   TEXT NOT NULL
) STRICT;

CREATE INDEX bell_mutes_by_until ON bell_mutes (until);
