-- 0013 (PostgreSQL): a password someone else set must be changed by its owner at the next
-- login. The same column and rule as ../0013_password_change_required.sql.

ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));
