-- 0011: emergency plan runs (应急预案启动) and drills (应急演练): a plan started from an
-- incident, or as a drill, with its timed step log. The plan's steps are copied into the
-- run when it starts (steps_json) so a later change of the plan file never rewrites a
-- run. Times are UTC text (data.clock.to_db). See data/records/emergency/.

CREATE TABLE plan_runs (
    id           INTEGER PRIMARY KEY,
    plan_id      TEXT NOT NULL,
    plan_name    TEXT NOT NULL,
    steps_json   TEXT NOT NULL,                -- the plan's roles and steps at start
    kind         TEXT NOT NULL CHECK (kind IN ('incident', 'drill')),
    incident_id  INTEGER REFERENCES incidents (id),
    scenario     TEXT NOT NULL DEFAULT '',     -- a drill's scenario (演练场景)
    status       TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished')),
    started_by   TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_by  TEXT,
    finished_at  TEXT,
    participants TEXT NOT NULL DEFAULT '[]',   -- JSON list of names (drills)
    findings     TEXT NOT NULL DEFAULT '',     -- what the drill showed (drills)
    follow_ups   TEXT NOT NULL DEFAULT '[]',   -- JSON list of follow-up actions (drills)
    CHECK ((kind = 'incident') = (incident_id IS NOT NULL)),
    CHECK (status <> 'finished' OR finished_at IS NOT NULL)
) STRICT;

CREATE INDEX plan_runs_by_start ON plan_runs (started_at);
CREATE INDEX plan_runs_by_incident ON plan_runs (incident_id);

-- The step log: who did (or skipped, and why) each step, when. Rows are only ever added.
CREATE TABLE plan_run_steps (
    id       INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES plan_runs (id),
    step_id  TEXT NOT NULL,
    outcome  TEXT NOT NULL CHECK (outcome IN ('done', 'skipped')),
    at       TEXT NOT NULL,
    who      TEXT NOT NULL,
    note     TEXT NOT NULL DEFAULT '',         -- a skipped step's reason is required
    CHECK (outcome <> 'skipped' OR length(trim(note)) > 0),
    UNIQUE (run_id, step_id)
) STRICT;

CREATE TRIGGER plan_run_steps_append_only_update BEFORE UPDATE ON plan_run_steps
BEGIN
    SELECT RAISE(ABORT, 'plan step log entries cannot be changed');
END;

CREATE TRIGGER plan_run_steps_append_only_delete BEFORE DELETE ON plan_run_steps
BEGIN
    SELECT RAISE(ABORT, 'plan step log entries cannot be deleted');
END;
