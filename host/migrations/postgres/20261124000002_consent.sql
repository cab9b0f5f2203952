-- Consent: the services patients can grant, and their grants.
--
-- A grant's scopes are stored in canonical SMART v2 form, space-separated.
-- `revision` grows with every change to a grant, revocation included;
-- queries made for a service check, in the same statement, that the grant
-- is still at the revision they were decided under (see `db::GrantGuard`).

CREATE TABLE services (
    id               TEXT NOT NULL PRIMARY KEY,
    version          TEXT NOT NULL,
    name             TEXT NOT NULL,
    requested_scopes TEXT NOT NULL,
    sheet_hash       TEXT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE TABLE grants (
    id          TEXT NOT NULL PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    service_id  TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    version     TEXT NOT NULL,
    sheet_hash  TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);
-- At most one grant in force per patient and service.
CREATE UNIQUE INDEX grants_current ON grants (patient_id, service_id) WHERE revoked_at IS NULL;
-- The check every service query makes, answered from the index alone.
CREATE INDEX grants_revision ON grants (id, revision);

-- Provenance: the grant under which a service wrote a record.
ALTER TABLE measures ADD COLUMN grant_id TEXT;
ALTER TABLE agenda_events ADD COLUMN grant_id TEXT;
ALTER TABLE documents ADD COLUMN grant_id TEXT;
ALTER TABLE messages ADD COLUMN grant_id TEXT;
