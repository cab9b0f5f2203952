-- Patients, their health data and each service's private space.
--
-- The schema of `migrations/sqlite`, in PostgreSQL's types: BYTEA for bytes,
-- BIGINT for every integer (values are read as 64-bit integers on both
-- backends), identity columns for generated ids. Keep the two directories in
-- step, file by file.

CREATE TABLE patients (
    id           TEXT NOT NULL PRIMARY KEY,
    display_name TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE measures (
    id               TEXT NOT NULL PRIMARY KEY,
    patient_id       TEXT NOT NULL REFERENCES patients (id),
    kind             TEXT NOT NULL,
    value            DOUBLE PRECISION NOT NULL,
    effective_at     BIGINT NOT NULL,
    origin           TEXT NOT NULL,
    written_by       TEXT,
    component_digest TEXT,
    -- For a computed BMI: the weight measure it was derived from.
    derived_from     TEXT,
    recorded_at      BIGINT NOT NULL
);
CREATE INDEX measures_by_patient_kind ON measures (patient_id, kind, effective_at);

CREATE TABLE agenda_events (
    id               TEXT NOT NULL PRIMARY KEY,
    patient_id       TEXT NOT NULL REFERENCES patients (id),
    kind             TEXT NOT NULL,
    title            TEXT NOT NULL,
    starts_at        BIGINT NOT NULL,
    ends_at          BIGINT,
    place            TEXT,
    origin           TEXT NOT NULL,
    written_by       TEXT,
    component_digest TEXT,
    recorded_at      BIGINT NOT NULL
);
CREATE INDEX agenda_by_patient_start ON agenda_events (patient_id, starts_at);

CREATE TABLE documents (
    id               TEXT NOT NULL PRIMARY KEY,
    patient_id       TEXT NOT NULL REFERENCES patients (id),
    category         TEXT NOT NULL,
    doc_type         TEXT NOT NULL,
    title            TEXT NOT NULL,
    author           TEXT NOT NULL,
    origin           TEXT NOT NULL,
    written_by       TEXT,
    component_digest TEXT,
    document_date    BIGINT NOT NULL,
    format           TEXT NOT NULL,
    size             BIGINT NOT NULL,
    content          BYTEA NOT NULL,
    -- Hidden by the patient, or flagged "masked" by its author: never shown to a service.
    hidden           BIGINT NOT NULL DEFAULT 0,
    masked           BIGINT NOT NULL DEFAULT 0,
    recorded_at      BIGINT NOT NULL
);
CREATE INDEX documents_by_patient_date ON documents (patient_id, document_date);

CREATE TABLE messages (
    id               TEXT NOT NULL PRIMARY KEY,
    patient_id       TEXT NOT NULL REFERENCES patients (id),
    thread_id        TEXT NOT NULL,
    origin           TEXT NOT NULL,
    sender           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    sent_at          BIGINT NOT NULL,
    is_read          BIGINT NOT NULL DEFAULT 0,
    written_by       TEXT,
    component_digest TEXT
);
CREATE INDEX messages_by_patient_sent ON messages (patient_id, sent_at);

CREATE TABLE service_storage (
    service_id  TEXT NOT NULL,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    key         TEXT NOT NULL,
    value       BYTEA NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (service_id, patient_id, key)
);
