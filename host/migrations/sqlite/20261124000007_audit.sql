-- The audit log: one event for every access to a patient's data and every
-- change to it, by a component, the patient, a professional or a regulator.
--
-- An event is appended in the same transaction as the change it records,
-- at the next place in the Merkle log (`idx`, consecutive from 0): SQLite
-- has one writer at a time, so the order of the inserts is the order of
-- the commits. The sealer then signs a checkpoint over the log so far.
-- Nothing ever changes or removes a row: the triggers below refuse it, and
-- `officine audit verify` finds what went around them. `leaf` is the
-- RFC 6962 leaf hash of `body`; the other columns repeat what `body` says,
-- for the views' queries.

CREATE TABLE audit_events (
    -- The place in the log is the row's own key; `seq`, the order of the
    -- inserts, is the same here (PostgreSQL keeps both).
    idx         INTEGER PRIMARY KEY,
    seq         BIGINT GENERATED ALWAYS AS (idx) VIRTUAL,
    at          BIGINT NOT NULL,
    patient_id  TEXT,
    service_id  TEXT,
    interface   TEXT NOT NULL,
    operation   TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    records     BIGINT NOT NULL,
    body        TEXT NOT NULL,
    leaf        BLOB NOT NULL
);
CREATE INDEX audit_events_by_patient ON audit_events (patient_id, at) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_events_by_service ON audit_events (service_id, at) WHERE service_id IS NOT NULL;

CREATE TRIGGER audit_events_never_deleted BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are never deleted');
END;

CREATE TRIGGER audit_events_never_changed BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are never changed');
END;

-- A signed checkpoint for each seal, with the log's right edge (the
-- roots of its perfect subtrees) so that the next seal need not read the
-- whole log.
CREATE TABLE audit_checkpoints (
    size       BIGINT NOT NULL PRIMARY KEY,
    note       TEXT NOT NULL,
    frontier   BLOB NOT NULL,
    signed_at  BIGINT NOT NULL
);

CREATE TRIGGER audit_checkpoints_never_deleted BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints are never deleted');
END;

CREATE TRIGGER audit_checkpoints_never_changed BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints are never changed');
END;

-- Events of reads wait in a queue file of their own next to this one
-- (`<name>.audit-queue`), so that recording them does not write to this
-- file: every commit here makes every reader start afresh. Each seal moves
-- them into the log first; this says how far the move got, for each queue
-- (by the random id it was created with), so that a move interrupted
-- between the two files is not made twice.
CREATE TABLE audit_queue_moved (
    queue     TEXT NOT NULL PRIMARY KEY,
    last_seq  BIGINT NOT NULL
);
