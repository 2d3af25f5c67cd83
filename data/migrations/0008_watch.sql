-- 0008: the watch as a service (DESIGN.md "The watch and the consoles"): one active watch
-- per store, by lease; the outages when none watched; the live feed attached consoles tail;
-- the consoles that are attached.

-- The single lease row. ``beat`` and ``released_at`` are Unix seconds of the holder's wall
-- clock; ``epoch`` grows by one at each acquisition and fences a holder that lost it.
CREATE TABLE watch_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    holder      TEXT NOT NULL,              -- host:pid:random of the holding process
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('serve', 'console')),
    epoch       INTEGER NOT NULL CHECK (epoch >= 1),
    acquired_at REAL NOT NULL,
    beat        REAL NOT NULL,
    released_at REAL,                       -- set when the holder handed it over on quit
    stats       TEXT NOT NULL DEFAULT '{}'  -- JSON: last sweep, checks per minute, drops
) STRICT;

-- Time nobody watched: from the last heartbeat (or the release) to the next takeover.
-- Reports count it as unmonitored, not as the state held before.
CREATE TABLE watch_outages (
    id              INTEGER PRIMARY KEY,
    started_at      TEXT NOT NULL,           -- UTC text (data.clock.to_db)
    ended_at        TEXT NOT NULL,
    previous_holder TEXT NOT NULL,
    new_holder      TEXT NOT NULL,
    reason          TEXT NOT NULL CHECK (reason IN ('stale', 'released'))
) STRICT;

CREATE INDEX watch_outages_by_time ON watch_outages (started_at, ended_at);

-- What the watch saw, for attached consoles to tail by id (the watch prunes old rows).
CREATE TABLE live_feed (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    epoch  INTEGER NOT NULL,                -- the lease epoch of the watch that wrote it
    body   TEXT NOT NULL                    -- one event, JSON (checks.feed_codec)
) STRICT;

-- Each device's state as the watch decides it, so an attaching console starts from it.
CREATE TABLE live_devices (
    device_id TEXT PRIMARY KEY,
    state     TEXT NOT NULL,
    since     TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Each check's latest snapshot (the UI's view, with attempts and flapping) as JSON.
CREATE TABLE live_checks (
    device_id TEXT NOT NULL,
    check_id  TEXT NOT NULL,
    snapshot  TEXT NOT NULL,
    PRIMARY KEY (device_id, check_id)
) STRICT, WITHOUT ROWID;

-- Consoles open on this store, for ``dutydesk status`` (each beats every few seconds).
CREATE TABLE watch_consoles (
    id          TEXT PRIMARY KEY,           -- host:pid:random
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    user_name   TEXT,
    attached_at REAL NOT NULL,
    seen_at     REAL NOT NULL
) STRICT, WITHOUT ROWID;

-- Devices a console asked the watch to check again now (after a quick restart): the
-- watch takes them at its next beat.
CREATE TABLE watch_rechecks (
    id           INTEGER PRIMARY KEY,
    device_id    TEXT NOT NULL,
    requested_at REAL NOT NULL
) STRICT;
