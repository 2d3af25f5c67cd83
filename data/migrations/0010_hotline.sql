-- 0010: the service hotline (服务热线值守) and follow-up visits (回访服务). See
-- data/records/hotline/. A call may become an incident or be linked to one; after that
-- incident closes, the caller is followed up once (a reopened and closed again incident
-- is due again). Callers' phone numbers are never stored in clear: phone_cipher holds the
-- AES-GCM token (data.crypto, field "phone"), phone_index the keyed blind index for
-- exact-match search, phone_masked what screens and exports show. Times are UTC text.

CREATE TABLE hotline_calls (
    id            INTEGER PRIMARY KEY,
    received_at   TEXT NOT NULL,
    taken_by      TEXT NOT NULL,            -- the account that logged the call
    caller        TEXT NOT NULL CHECK (length(trim(caller)) > 0),
    unit          TEXT NOT NULL DEFAULT '', -- the caller's unit (单位)
    phone_cipher  TEXT,
    phone_index   TEXT,
    phone_masked  TEXT,
    topic         TEXT NOT NULL CHECK (length(trim(topic)) > 0),
    action_taken  TEXT NOT NULL DEFAULT '', -- what the desk did on the phone
    incident_id   INTEGER REFERENCES incidents (id),
    linked_at     TEXT,
    linked_by     TEXT,
    -- a number is stored whole (token, index and mask) or not at all
    CHECK ((phone_cipher IS NULL) = (phone_index IS NULL)
           AND (phone_index IS NULL) = (phone_masked IS NULL)),
    CHECK ((incident_id IS NULL) = (linked_at IS NULL) AND (linked_at IS NULL) = (linked_by IS NULL))
) STRICT;

CREATE INDEX hotline_calls_by_received ON hotline_calls (received_at);
CREATE INDEX hotline_calls_by_incident ON hotline_calls (incident_id);
CREATE INDEX hotline_calls_by_phone_index ON hotline_calls (phone_index);

CREATE TABLE hotline_followups (
    id            INTEGER PRIMARY KEY,
    incident_id   INTEGER NOT NULL REFERENCES incidents (id),
    contact       TEXT NOT NULL CHECK (length(trim(contact)) > 0),  -- who was reached
    satisfaction  TEXT NOT NULL
                  CHECK (satisfaction IN ('satisfied', 'mostly_satisfied', 'dissatisfied')),
    remarks       TEXT NOT NULL DEFAULT '',
    done_at       TEXT NOT NULL,
    done_by       TEXT NOT NULL,
    CHECK (satisfaction <> 'dissatisfied' OR length(trim(remarks)) > 0)
) STRICT;

CREATE INDEX hotline_followups_by_incident ON hotline_followups (incident_id, done_at);
CREATE INDEX hotline_followups_by_done ON hotline_followups (done_at);
