-- 0006: remote action runs (DESIGN.md "Remote actions"). The audit row of each run holds
-- who, when, target, command, exit status and a digest of the output; this table keeps
-- the output itself (cut to 64 KiB) so the device screen can show recent runs.
-- Times are UTC text (data.clock.to_db).

CREATE TABLE action_runs (
    id            INTEGER PRIMARY KEY,
    device_id     TEXT NOT NULL,
    action_id     TEXT NOT NULL,
    actor         TEXT NOT NULL,             -- the operator who confirmed the run
    host          TEXT NOT NULL,
    ssh_user      TEXT NOT NULL,
    command       TEXT NOT NULL,             -- exactly as site.yaml gave it
    started_at    TEXT NOT NULL,
    finished_at   TEXT NOT NULL,
    duration_ms   INTEGER NOT NULL CHECK (duration_ms >= 0),
    exit_status   INTEGER,                   -- NULL: the command did not finish
    outcome       TEXT NOT NULL
                  CHECK (outcome IN ('ok', 'failed', 'refused', 'timeout', 'host_key', 'auth')),
    reason        TEXT NOT NULL DEFAULT '',
    output        TEXT NOT NULL DEFAULT '',  -- at most 64 KiB of UTF-8
    output_bytes  INTEGER NOT NULL CHECK (output_bytes >= 0),  -- before the cut
    output_sha256 TEXT NOT NULL,             -- of the whole output, as in the audit row
    recheck_state TEXT,                      -- state of the recheck check, NULL when none
    audit_id      INTEGER NOT NULL           -- the audit row of this run
) STRICT;

CREATE INDEX action_runs_by_device ON action_runs (device_id, started_at);
CREATE INDEX action_runs_by_action ON action_runs (device_id, action_id, started_at);
