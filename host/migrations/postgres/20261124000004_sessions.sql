-- Service sessions: how a signed-in patient reaches a service's own site.
--
-- The platform hands the service's site a one-time code (a redirect); the
-- site redeems it for a session cookie scoped to its own host name, tied to
-- one patient and one service. Only SHA-256 hashes of codes and session
-- tokens are stored: a copy of the database opens no session.

CREATE TABLE service_handshakes (
    code_hash   TEXT NOT NULL PRIMARY KEY,
    patient_id  TEXT NOT NULL,
    service_id  TEXT NOT NULL,
    next_path   TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE service_sessions (
    token_hash  TEXT NOT NULL PRIMARY KEY,
    patient_id  TEXT NOT NULL,
    service_id  TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX service_sessions_expiry ON service_sessions (expires_at);
