-- 0012 (PostgreSQL): the asset register (设备资产) and maintenance contracts. The same
-- tables and rules as ../0012_assets.sql. Dates are ISO days (YYYY-MM-DD) of the site's
-- calendar; times UTC text.

CREATE TABLE maintenance_contracts (
    number        TEXT PRIMARY KEY,
    vendor        TEXT NOT NULL,
    hotline       TEXT NOT NULL DEFAULT '',
    support_level TEXT NOT NULL DEFAULT '',   -- e.g. 7x24, 4 小时到场
    starts_on     TEXT NOT NULL,
    ends_on       TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    CHECK (ends_on >= starts_on)
);

CREATE TABLE assets (
    device_id       TEXT PRIMARY KEY,         -- a device of site.yaml
    asset_number    TEXT NOT NULL UNIQUE,
    model           TEXT NOT NULL DEFAULT '',
    serial          TEXT NOT NULL DEFAULT '',
    room            TEXT NOT NULL DEFAULT '',
    rack            TEXT NOT NULL DEFAULT '',
    u               BIGINT CHECK (u BETWEEN 1 AND 60),
    owner_unit      TEXT NOT NULL DEFAULT '',
    purchased_on    TEXT,
    vendor          TEXT NOT NULL DEFAULT '',
    contract_number TEXT REFERENCES maintenance_contracts (number),
    support_level   TEXT NOT NULL DEFAULT '', -- '' : the contract's
    warranty_end    TEXT,
    updated_at      TEXT NOT NULL,
    updated_by      TEXT NOT NULL
);

CREATE INDEX assets_by_contract ON assets (contract_number);
CREATE INDEX assets_by_warranty ON assets (warranty_end);
