-- What the patient decides about professionals: whom they block, the
-- temporary delegations they hand out, and whether their space is closed.
--
-- A delegation code is shown once to the patient and stored only as its
-- SHA-256; it is bound to one professional (RPPS), either from the start or
-- by the first who enters it. Failed code entries are counted per
-- professional, to refuse guessing.

CREATE TABLE professional_blocks (
    patient_id  TEXT NOT NULL,
    rpps        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (patient_id, rpps)
);

CREATE TABLE delegations (
    id            TEXT NOT NULL PRIMARY KEY,
    patient_id    TEXT NOT NULL,
    code_hash     TEXT NOT NULL UNIQUE,
    professional  TEXT,
    sections      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX delegations_by_patient ON delegations (patient_id, created_at);

CREATE TABLE delegation_failures (
    rpps  TEXT NOT NULL,
    at    BIGINT NOT NULL
);
CREATE INDEX delegation_failures_by_rpps ON delegation_failures (rpps, at);

CREATE TABLE space_closures (
    patient_id  TEXT NOT NULL PRIMARY KEY,
    closed_at   BIGINT NOT NULL
);
