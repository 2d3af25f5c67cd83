-- 0004: shift handovers (with pending items and refusals) and inspection records.
-- Both kinds of record are sealed once signed: the SHA-256 of their canonical content is
-- written into the audit chain and kept in seal_sha256 (data.records.sealing). Triggers
-- make a sealed row unchangeable and undeletable from any client, not only from dutydesk.
-- Times are UTC text (data.clock.to_db).

-- One row per operator's watch, closed by its handover; and amendments of sealed ones.
-- A 'shift' row is open while its operator is on duty, 'signed_out' once the outgoing
-- operator signed (summary_json frozen), 'sealed' when the incoming operator signed too.
-- An 'amendment' row references a sealed handover (amends_id) and is sealed when signed.
CREATE TABLE handovers (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('shift', 'amendment')),
    operator      TEXT NOT NULL,      -- on duty (shift) or the author (amendment)
    shift_name    TEXT NOT NULL,
    shift_start   TEXT NOT NULL,      -- the shift table's span the watch began in
    shift_end     TEXT NOT NULL,
    period_start  TEXT NOT NULL,      -- the summary covers [period_start, out_signed_at)
    opened_at     TEXT NOT NULL,
    previous_id   INTEGER REFERENCES handovers (id),  -- the handover that gave this watch
    amends_id     INTEGER REFERENCES handovers (id),
    notes         TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('open', 'signed_out', 'sealed')),
    summary_json  TEXT,               -- what the outgoing operator signed
    out_signed_at TEXT,
    incoming      TEXT,
    in_signed_at  TEXT,
    seal_sha256   TEXT,
    sealed_at     TEXT,
    seal_audit_id INTEGER,
    CHECK (kind = 'amendment' OR amends_id IS NULL),
    CHECK (kind = 'shift' OR amends_id IS NOT NULL),
    CHECK ((seal_sha256 IS NULL) = (sealed_at IS NULL))
) STRICT;

-- At most one watch at a time: the operator on duty.
CREATE UNIQUE INDEX handovers_one_on_duty ON handovers (kind)
    WHERE kind = 'shift' AND status != 'sealed';
CREATE INDEX handovers_by_shift ON handovers (shift_start);
CREATE INDEX handovers_by_amends ON handovers (amends_id) WHERE amends_id IS NOT NULL;

CREATE TRIGGER handovers_sealed_no_update BEFORE UPDATE ON handovers
WHEN OLD.seal_sha256 IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'record_sealed: a sealed handover cannot be changed');
END;

CREATE TRIGGER handovers_no_delete BEFORE DELETE ON handovers
BEGIN
    SELECT RAISE(ABORT, 'record_sealed: handovers cannot be deleted');
END;

-- The outgoing operator's pending items: each is carried from handover to handover until
-- someone closes it. Only the closing columns may change, once.
CREATE TABLE handover_pending (
    id          INTEGER PRIMARY KEY,
    handover_id INTEGER NOT NULL REFERENCES handovers (id),  -- where it was first written
    text        TEXT NOT NULL CHECK (length(text) > 0),
    opened_by   TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    closed_by   TEXT,
    closed_at   TEXT,
    close_note  TEXT,
    closed_in   INTEGER REFERENCES handovers (id)           -- the watch it was closed in
) STRICT;

CREATE INDEX handover_pending_open ON handover_pending (id) WHERE closed_at IS NULL;

CREATE TRIGGER handover_pending_close_once BEFORE UPDATE ON handover_pending
WHEN OLD.closed_at IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.handover_id IS NOT OLD.handover_id
  OR NEW.text IS NOT OLD.text OR NEW.opened_by IS NOT OLD.opened_by
  OR NEW.opened_at IS NOT OLD.opened_at
BEGIN
    SELECT RAISE(ABORT, 'record_sealed: a pending item is only closed, once');
END;

CREATE TRIGGER handover_pending_no_delete BEFORE DELETE ON handover_pending
BEGIN
    SELECT RAISE(ABORT, 'record_sealed: pending items cannot be deleted');
END;

-- An incoming operator's refusal to take over: append-only.
CREATE TABLE handover_refusals (
    id             INTEGER PRIMARY KEY,
    handover_id    INTEGER NOT NULL REFERENCES handovers (id),
    refused_by     TEXT NOT NULL,
    refused_at     TEXT NOT NULL,
    reason         TEXT NOT NULL CHECK (length(reason) > 0),
    summary_sha256 TEXT NOT NULL     -- the summary that was refused
) STRICT;

CREATE INDEX handover_refusals_by_handover ON handover_refusals (handover_id);

CREATE TRIGGER handover_refusals_no_update BEFORE UPDATE ON handover_refusals
BEGIN
    SELECT RAISE(ABORT, 'record_sealed: refusals cannot be changed');
END;

CREATE TRIGGER handover_refusals_no_delete BEFORE DELETE ON handover_refusals
BEGIN
    SELECT RAISE(ABORT, 'record_sealed: refusals cannot be deleted');
END;

-- One inspection: a draft until submitted (period, submitted_at and the seal set then).
-- template_json keeps the template as it was, so a sealed record reads the same after
-- the YAML file changes.
CREATE TABLE inspections (
    id            INTEGER PRIMARY KEY,
    template_id   TEXT NOT NULL,
    template_name TEXT NOT NULL,
    schedule      TEXT NOT NULL CHECK (schedule IN ('daily', 'weekly', 'monthly')),
    template_json TEXT NOT NULL,
    inspector     TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    submitted_at  TEXT,
    period        TEXT,               -- e.g. 2026-03-02, 2026-W10, 2026-03 (site time zone)
    amends_id     INTEGER REFERENCES inspections (id),
    seal_sha256   TEXT,
    sealed_at     TEXT,
    seal_audit_id INTEGER,
    CHECK ((seal_sha256 IS NULL) = (sealed_at IS NULL))
) STRICT;

CREATE INDEX inspections_by_period ON inspections (template_id, period);
CREATE INDEX inspections_drafts ON inspections (inspector) WHERE seal_sha256 IS NULL;

CREATE TRIGGER inspections_sealed_no_update BEFORE UPDATE ON inspections
WHEN OLD.seal_sha256 IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'record_sealed: a sealed inspection cannot be changed');
END;

CREATE TRIGGER inspections_sealed_no_delete BEFORE DELETE ON inspections
WHEN OLD.seal_sha256 IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'record_sealed: a sealed inspection cannot be deleted');
END;

-- One answer per item. value is the stored text: pass/fail, the reading as a number,
-- the choice, or free text. prefilled_* keep the live value offered even after the
-- operator overrode it.
CREATE TABLE inspection_answers (
    inspection_id   INTEGER NOT NULL REFERENCES inspections (id),
    item_id         TEXT NOT NULL,
    value           TEXT,
    note            TEXT NOT NULL DEFAULT '',
    prefilled_value TEXT,
    prefilled_at    TEXT,
    overridden      INTEGER NOT NULL DEFAULT 0 CHECK (overridden IN (0, 1)),
    flagged         INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    answered_by     TEXT,
    answered_at     TEXT NOT NULL,
    PRIMARY KEY (inspection_id, item_id)
) STRICT;

CREATE TRIGGER inspection_answers_sealed_no_insert BEFORE INSERT ON inspection_answers
WHEN (SELECT seal_sha256 FROM inspections WHERE id = NEW.inspection_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'record_sealed: a sealed inspection cannot be changed');
END;

CREATE TRIGGER inspection_answers_sealed_no_update BEFORE UPDATE ON inspection_answers
WHEN (SELECT seal_sha256 FROM inspections WHERE id = OLD.inspection_id) IS NOT NULL
  OR (SELECT seal_sha256 FROM inspections WHERE id = NEW.inspection_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'record_sealed: a sealed inspection cannot be changed');
END;

CREATE TRIGGER inspection_answers_sealed_no_delete BEFORE DELETE ON inspection_answers
WHEN (SELECT seal_sha256 FROM inspections WHERE id = OLD.inspection_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'record_sealed: a sealed inspection cannot be changed');
END;
