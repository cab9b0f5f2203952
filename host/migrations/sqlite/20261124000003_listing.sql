-- Listing: editors' keys, submitted releases and the registry's log.
--
-- The log is append-only: rows are inserted with the next index, never
-- updated or deleted. `leaf` (the RFC 6962 leaf hash of `body`) is kept so
-- that proofs need no rehashing; `officine log verify` recomputes it from the
-- body and checks both against the signed checkpoints.

CREATE TABLE registry_log (
    idx         BIGINT NOT NULL PRIMARY KEY,
    body        TEXT NOT NULL,
    leaf        TEXT NOT NULL,
    appended_at BIGINT NOT NULL
);

-- The checkpoint signed after each append.
CREATE TABLE registry_checkpoints (
    size      BIGINT NOT NULL PRIMARY KEY,
    note      TEXT NOT NULL
);

CREATE TABLE editor_keys (
    id          TEXT NOT NULL PRIMARY KEY,
    editor      TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('active', 'retired', 'revoked')),
    replaces    TEXT,
    added_at    BIGINT NOT NULL,
    -- When it stopped signing: rotated out (retired) or revoked.
    revoked_at  BIGINT,
    log_index   BIGINT NOT NULL
);
CREATE INDEX editor_keys_editor ON editor_keys (editor);

-- Certificate identities (from an authority the deployment trusts) that
-- sign for an editor.
CREATE TABLE editor_identities (
    editor     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    issuer     TEXT NOT NULL,
    added_at   BIGINT NOT NULL,
    log_index  BIGINT NOT NULL,
    PRIMARY KEY (editor, subject, issuer)
);

-- Component bytes, by digest: hosts load what was verified from here.
CREATE TABLE components (
    sha256  TEXT NOT NULL PRIMARY KEY,
    bytes   BLOB NOT NULL
);

CREATE TABLE releases (
    id               INTEGER NOT NULL PRIMARY KEY,
    service          TEXT NOT NULL,
    version          TEXT NOT NULL,
    component_sha256 TEXT NOT NULL REFERENCES components (sha256),
    release_json     TEXT NOT NULL,
    bundle           TEXT NOT NULL,
    -- `key:<key id>` or `certificate:<issuer> <subject>`.
    signer           TEXT NOT NULL,
    signer_key       TEXT REFERENCES editor_keys (id),
    state            TEXT NOT NULL,
    requirement_set  TEXT,
    decision         TEXT,
    reasons          TEXT,
    submitted_at     BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (service, version)
);
CREATE INDEX releases_component ON releases (component_sha256);

-- Grows with every change that can stop a release being served (a state
-- change, a key revoked): each host compares it with what it cached.
CREATE TABLE registry_generation (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 0),
    generation  BIGINT NOT NULL
);
INSERT INTO registry_generation (id, generation) VALUES (0, 0);
