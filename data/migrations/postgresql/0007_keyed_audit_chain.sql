-- 0007 (PostgreSQL): the keyed audit chain (data.audit), as ../0007_keyed_audit_chain.sql.
-- The chain is marked 'pending'; the first append writes the keyed genesis row and meta
-- then names its id for good. (0007's seal_anchor columns are part of the PostgreSQL
-- handovers and inspections tables from their own migration on.)
INSERT INTO meta (key, value) VALUES ('audit.genesis', 'pending');

CREATE FUNCTION audit_genesis_rules() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    marker TEXT := (SELECT value FROM meta WHERE key = 'audit.genesis');
BEGIN
    IF NEW.id < 1 THEN
        RAISE EXCEPTION 'audit rows are numbered from 1'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- While the chain is pending, the only row that may be appended is its genesis row.
    IF NEW.action IS DISTINCT FROM 'audit.genesis' AND marker IS NOT DISTINCT FROM 'pending' THEN
        RAISE EXCEPTION 'the audit chain must start with its genesis row'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.action IS NOT DISTINCT FROM 'audit.genesis' AND marker IS DISTINCT FROM 'pending' THEN
        RAISE EXCEPTION 'the audit chain has one genesis row only'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER audit_genesis_rules BEFORE INSERT ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_genesis_rules();

CREATE FUNCTION audit_genesis_recorded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE meta SET value = NEW.id::text WHERE key = 'audit.genesis';
    RETURN NULL;
END $$;

CREATE TRIGGER audit_genesis_recorded AFTER INSERT ON audit
    FOR EACH ROW WHEN (NEW.action = 'audit.genesis')
    EXECUTE FUNCTION audit_genesis_recorded();

-- The genesis record is set once (pending -> id) and never removed.
CREATE FUNCTION meta_guards_genesis() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.key = 'audit.genesis' THEN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'the audit genesis record cannot be deleted'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF OLD.value IS DISTINCT FROM 'pending' OR NEW.key IS DISTINCT FROM OLD.key THEN
            RAISE EXCEPTION 'the audit genesis record is set once'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER audit_genesis_guard BEFORE UPDATE OR DELETE ON meta
    FOR EACH ROW EXECUTE FUNCTION meta_guards_genesis();
