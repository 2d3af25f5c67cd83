-- 0007: the keyed audit chain (data.audit), and the chain anchor kept with every seal.
--
-- From its genesis row on, each audit row's hash is HMAC-SHA256 under the audit key
-- (<db>.audit-key), which SQL cannot compute: this migration only marks the chain
-- 'pending'; the first append (data.audit.AuditTrail) writes the genesis row, keyed and
-- linked to the last row before it, and meta then holds the genesis row's id for good.
-- Rows written before this migration keep their plain SHA-256 hashes and are verified
-- that way; the keyed genesis row seals their last hash into the keyed chain.
INSERT INTO meta (key, value) VALUES ('audit.genesis', 'pending');

CREATE TRIGGER audit_ids_from_one BEFORE INSERT ON audit
WHEN NEW.id < 1
BEGIN
    SELECT RAISE(ABORT, 'audit rows are numbered from 1');
END;

-- While the chain is pending, the only row that may be appended is its genesis row.
CREATE TRIGGER audit_genesis_first BEFORE INSERT ON audit
WHEN NEW.action IS NOT 'audit.genesis'
  AND (SELECT value FROM meta WHERE key = 'audit.genesis') IS 'pending'
BEGIN
    SELECT RAISE(ABORT, 'the audit chain must start with its genesis row');
END;

CREATE TRIGGER audit_one_genesis BEFORE INSERT ON audit
WHEN NEW.action IS 'audit.genesis'
  AND (SELECT value FROM meta WHERE key = 'audit.genesis') IS NOT 'pending'
BEGIN
    SELECT RAISE(ABORT, 'the audit chain has one genesis row only');
END;

CREATE TRIGGER audit_genesis_recorded AFTER INSERT ON audit
WHEN NEW.action IS 'audit.genesis'
BEGIN
    UPDATE meta SET value = CAST(NEW.id AS TEXT) WHERE key = 'audit.genesis';
END;

-- The genesis record is set once (pending -> id) and never removed.
CREATE TRIGGER audit_genesis_set_once BEFORE UPDATE ON meta
WHEN OLD.key = 'audit.genesis'
  AND (OLD.value IS NOT 'pending' OR NEW.key IS NOT OLD.key)
BEGIN
    SELECT RAISE(ABORT, 'the audit genesis record is set once');
END;

CREATE TRIGGER audit_genesis_no_delete BEFORE DELETE ON meta
WHEN OLD.key = 'audit.genesis'
BEGIN
    SELECT RAISE(ABORT, 'the audit genesis record cannot be deleted');
END;

-- The anchor at seal time: the hash of the seal's own audit row (seal_audit_id), i.e. the
-- chain head the moment the record was sealed. Printed on the record's documents.
ALTER TABLE handovers ADD COLUMN seal_anchor TEXT;
ALTER TABLE inspections ADD COLUMN seal_anchor TEXT;
