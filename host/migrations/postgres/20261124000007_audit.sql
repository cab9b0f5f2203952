-- The audit log: one event for every access to a patient's data and every
-- change to it, by a component, the patient, a professional or a regulator.
--
-- An event is appended with `idx` NULL, in the same transaction as the
-- change it records. The sealer then gives events their places in the
-- Merkle log (`idx`, consecutive from 0, in the order it finds them) and
-- signs a checkpoint over the log so far. Nothing else ever changes or
-- removes a row: the triggers below refuse it, and `officine audit verify`
-- finds what went around them. `leaf` is the RFC 6962 leaf hash of `body`;
-- the other columns repeat what `body` says, for the views' queries.
--
-- The log is one sequence for the whole deployment: with tables
-- distributed by patient, it stays on one node (its rows carry a patient
-- id, but its order is global).

CREATE TABLE audit_events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idx         BIGINT,
    at          BIGINT NOT NULL,
    patient_id  TEXT,
    service_id  TEXT,
    interface   TEXT NOT NULL,
    operation   TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    records     BIGINT NOT NULL,
    body        TEXT NOT NULL,
    leaf        BYTEA NOT NULL
);
CREATE UNIQUE INDEX audit_events_by_idx ON audit_events (idx) WHERE idx IS NOT NULL;
CREATE INDEX audit_events_unsealed ON audit_events (seq) WHERE idx IS NULL;
CREATE INDEX audit_events_by_patient ON audit_events (patient_id, at) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_events_by_service ON audit_events (service_id, at) WHERE service_id IS NOT NULL;

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME;
    END IF;
    IF TG_TABLE_NAME = 'audit_events' THEN
        IF OLD.idx IS NULL
           AND (NEW.seq, NEW.at, NEW.patient_id, NEW.service_id, NEW.interface, NEW.operation,
                NEW.outcome, NEW.records, NEW.body, NEW.leaf)
               IS NOT DISTINCT FROM
               (OLD.seq, OLD.at, OLD.patient_id, OLD.service_id, OLD.interface, OLD.operation,
                OLD.outcome, OLD.records, OLD.body, OLD.leaf) THEN
            -- Placing an event in the log, once.
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '% rows are never changed', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_append_only();

CREATE TABLE audit_checkpoints (
    size       BIGINT NOT NULL PRIMARY KEY,
    note       TEXT NOT NULL,
    frontier   BYTEA NOT NULL,
    signed_at  BIGINT NOT NULL
);

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
FOR EACH ROW EXECUTE FUNCTION audit_append_only();
