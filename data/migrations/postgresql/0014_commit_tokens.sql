-- 0014 (PostgreSQL): one row per write transaction of the store, written just before its
-- COMMIT. When the answer to a COMMIT is lost (the connection dropped at that moment), the
-- token says whether that transaction committed: exactly, across a server restart too
-- (a transaction id can be handed out again after a crash; a random token cannot).
-- Rows older than a day are pruned by the store as it writes.

CREATE TABLE commit_tokens (
    token TEXT PRIMARY KEY,
    at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
