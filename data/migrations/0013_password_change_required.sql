-- 0013: a password someone else set (an admin adding the account or resetting it) must be
-- changed by its owner at the next login (MLPS level 3). 1 until the owner changes it.

ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));
