-- Signing in to the platform's pages: OpenID Connect's authorization code
-- flow with PKCE, then a session cookie.
--
-- A sign-in in progress is bound to the browser that started it (the hash
-- of a cookie it holds) and to its `state`; the PKCE verifier and the nonce
-- derive from that cookie's secret, so nothing here can finish a sign-in.
-- Sessions are stored by the SHA-256 of their token, with the identity the
-- issuer's ID token established: a copy of the database opens nothing.

CREATE TABLE web_sign_ins (
    state_hash    TEXT NOT NULL PRIMARY KEY,
    browser_hash  TEXT NOT NULL,
    provider      TEXT NOT NULL,
    return_to     TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);

CREATE TABLE web_sessions (
    token_hash    TEXT NOT NULL PRIMARY KEY,
    population    TEXT NOT NULL,
    claims        TEXT NOT NULL,
    started_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
