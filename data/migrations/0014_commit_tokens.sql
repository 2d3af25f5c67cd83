-- 0014: nothing on SQLite. Its COMMIT either returns or did not happen, so no write is
-- ever in doubt; the PostgreSQL store's commit tokens (postgresql/0014_commit_tokens.sql)
-- settle a COMMIT whose answer the network lost. Kept so both dialects number alike.
SELECT 1;
