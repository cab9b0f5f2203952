//! Who is reading the pages: sign-ins in progress, sessions, and the token
//! each form carries.
//!
//! A session is a random token in an `HttpOnly`, `SameSite=Strict` cookie
//! (`Secure` everywhere but `officine dev`); the database keeps its SHA-256
//! and the identity the provider's ID token established. A session ends
//! after [`IDLE`] without a page, or [`LONGEST`] after it began, whichever
//! comes first. Forms carry a token derived from the session's, which no
//! other site can read or compute, and their `Origin` must be the
//! platform's.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;

use crate::api::ApiState;
use crate::auth::{Identity, Population};
use crate::db::read::Select;
use crate::db::{Db, DbError, Result};
use crate::model::now_millis;
use crate::sessions::{cookie, hash, secret};

/// The session cookie's name.
pub const COOKIE: &str = "officine-session";
/// The cookie that ties a sign-in in progress to the browser that began it.
pub const BROWSER_COOKIE: &str = "officine-sign-in";
/// A session ends after this long without a page.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A session ends this long after it began, whatever happens.
pub const LONGEST: Duration = Duration::from_secs(12 * 3600);
/// How long a sign-in may take at the provider.
pub const SIGN_IN_LIFETIME: Duration = Duration::from_secs(10 * 60);

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A value derived from a secret for one purpose: knowing it tells
/// nothing of the secret or of the other purposes' values.
fn derived(purpose: &str, secret: &str, more: &str) -> String {
    let mut digest = Sha256::new();
    for part in [purpose, secret, more] {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part.as_bytes());
    }
    URL_SAFE_NO_PAD.encode(digest.finalize())
}

/// Whether a form's token is the expected one, in constant time.
fn same_token(expected: &str, submitted: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), submitted.as_bytes())
        .is_ok()
}

/// A signed-in visitor.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub identity: Identity,
    /// The provider that signed them in.
    pub provider: Option<String>,
    /// What this session's forms carry.
    pub csrf: String,
    token_hash: String,
}

impl SignedIn {
    /// The patient, if the visitor is one.
    pub fn patient(&self) -> Option<&crate::auth::Patient> {
        match &self.identity {
            Identity::Patient(patient) => Some(patient),
            _ => None,
        }
    }

    /// Whether the visitor is a regulator.
    pub fn is_regulator(&self) -> bool {
        matches!(self.identity, Identity::Regulator(_))
    }

    /// Whether a form was sent by this session's own pages.
    pub fn sent(&self, form_token: &str) -> bool {
        same_token(&self.csrf, form_token)
    }
}

/// Who reads a page: signed in or not.
#[derive(Debug, Clone, Default)]
pub struct Visitor(pub Option<SignedIn>);

impl Visitor {
    pub fn signed_in(&self) -> Option<&SignedIn> {
        self.0.as_ref()
    }
}

impl FromRequestParts<ApiState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> std::result::Result<Self, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, COOKIE) else {
            return Ok(Visitor(None));
        };
        find(&state.db, token, now_millis())
            .await
            .map(Visitor)
            .map_err(|error| {
                tracing::error!(%error, "reading a session failed");
                (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable").into_response()
            })
    }
}

/// Whether a form's request comes from the platform's own pages: a
/// browser that names where a request comes from must name `origin`.
pub fn from_origin(headers: &HeaderMap, origin: &str) -> bool {
    let same_origin = headers
        .get(header::ORIGIN)
        .is_none_or(|found| found.as_bytes() == origin.as_bytes());
    let same_fetch_site = headers
        .get("sec-fetch-site")
        .is_none_or(|site| matches!(site.as_bytes(), b"same-origin" | b"none"));
    same_origin && same_fetch_site
}

/// Opens a session for `identity`, signed in by `provider`; returns the
/// cookie's token.
pub async fn open(db: &Db, identity: &Identity, provider: &str, now: i64) -> Result<String> {
    let token = secret();
    sqlx::query(
        "INSERT INTO web_sessions (token_hash, population, claims, started_at, expires_at, \
         provider) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(hash(&token))
    .bind(identity.population().as_str())
    .bind(Value::Object(identity.claims()).to_string())
    .bind(now)
    .bind(now + millis(IDLE))
    .bind(provider)
    .execute(db.pool())
    .await?;
    Ok(token)
}

/// The visitor a session token stands for, if the session is open; a
/// session in use is kept open for another [`IDLE`], up to [`LONGEST`].
pub async fn find(db: &Db, token: &str, now: i64) -> Result<Option<SignedIn>> {
    let token_hash = hash(token);
    let found = Select::new(
        "SELECT population, claims, started_at, expires_at, provider FROM web_sessions \
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash.clone())
    .bind(now)
    .fetch_optional(db, |row| {
        Ok((
            row.text(0)?,
            row.text(1)?,
            row.int(2)?,
            row.int(3)?,
            row.text_or_null(4)?,
        ))
    })
    .await?;
    let Some((population, claims, started_at, expires_at, provider)) = found else {
        return Ok(None);
    };
    let corrupt = |column: &'static str| DbError::Corrupt {
        column,
        value: "(unreadable)".into(),
    };
    let population: Population = population
        .parse()
        .map_err(|_| corrupt("web_sessions.population"))?;
    let claims: Map<String, Value> =
        serde_json::from_str(&claims).map_err(|_| corrupt("web_sessions.claims"))?;
    let identity =
        Identity::from_claims(population, &claims).map_err(|_| corrupt("web_sessions.claims"))?;
    // Written at most every half idle period, not on every page.
    let renewed = (now + millis(IDLE)).min(started_at + millis(LONGEST));
    if renewed - expires_at > millis(IDLE) / 2 {
        sqlx::query("UPDATE web_sessions SET expires_at = $1 WHERE token_hash = $2")
            .bind(renewed)
            .bind(&token_hash)
            .execute(db.pool())
            .await?;
    }
    Ok(Some(SignedIn {
        identity,
        provider,
        csrf: derived("officine form", token, ""),
        token_hash,
    }))
}

/// Ends a session.
pub async fn close(db: &Db, signed_in: &SignedIn) -> Result<()> {
    sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
        .bind(&signed_in.token_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// A browser's sign-in secret, from its [`BROWSER_COOKIE`]: the forms of the
/// sign-in page carry a token derived from it, and the PKCE verifier and
/// nonce of each sign-in it begins derive from it too.
#[derive(Debug, Clone)]
pub struct Browser(String);

impl Browser {
    /// A new secret, for a browser without one.
    pub fn new() -> Browser {
        Browser(secret())
    }

    /// The secret the request's cookie holds, if any.
    pub fn of(headers: &HeaderMap) -> Option<Browser> {
        cookie(headers, BROWSER_COOKIE)
            .filter(|value| !value.is_empty())
            .map(|value| Browser(value.to_owned()))
    }

    /// The cookie's value.
    pub fn cookie_value(&self) -> &str {
        &self.0
    }

    /// What the sign-in page's forms carry.
    pub fn csrf(&self) -> String {
        derived("officine sign-in form", &self.0, "")
    }

    /// Whether a sign-in form was sent from this browser's page.
    pub fn sent(&self, form_token: &str) -> bool {
        same_token(&self.csrf(), form_token)
    }

    /// The PKCE verifier of the sign-in with `state` (43 characters).
    pub fn pkce_verifier(&self, state: &str) -> String {
        derived("officine pkce", &self.0, state)
    }

    /// The nonce of the sign-in with `state`.
    pub fn nonce(&self, state: &str) -> String {
        derived("officine nonce", &self.0, state)
    }
}

impl Default for Browser {
    fn default() -> Self {
        Browser::new()
    }
}

/// A sign-in, begun: which provider, and where to land once signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub provider: String,
    pub return_to: String,
}

/// Begins a sign-in with `provider` from `browser`; returns its `state`.
pub async fn begin_sign_in(
    db: &Db,
    browser: &Browser,
    pending: &Pending,
    now: i64,
) -> Result<String> {
    let state = secret();
    sqlx::query(
        "INSERT INTO web_sign_ins (state_hash, browser_hash, provider, return_to, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash(&state))
    .bind(hash(&browser.0))
    .bind(&pending.provider)
    .bind(&pending.return_to)
    .bind(now + millis(SIGN_IN_LIFETIME))
    .execute(db.pool())
    .await?;
    Ok(state)
}

/// Ends the sign-in with `state`, once: it must be this browser's and
/// still fresh.
pub async fn finish_sign_in(
    db: &Db,
    state: &str,
    browser: &Browser,
    now: i64,
) -> Result<Option<Pending>> {
    // One statement: the state is spent whether or not it was valid.
    let row = sqlx::query(
        "DELETE FROM web_sign_ins WHERE state_hash = $1 \
         RETURNING browser_hash, provider, return_to, expires_at",
    )
    .bind(hash(state))
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let browser_hash: String = row.try_get(0)?;
    let expires_at: i64 = row.try_get(3)?;
    if !same_token(&browser_hash, &hash(&browser.0)) || expires_at <= now {
        return Ok(None);
    }
    Ok(Some(Pending {
        provider: row.try_get(1)?,
        return_to: row.try_get(2)?,
    }))
}

/// Removes ended sessions and abandoned sign-ins.
pub async fn sweep(db: &Db, now: i64) -> Result<u64> {
    crate::sessions::delete_expired(db, &["web_sign_ins", "web_sessions"], now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::dev_issuer::parse_login_hint;

    #[tokio::test]
    async fn a_session_stands_for_its_identity_until_it_ends() {
        let (_dir, dbs) = crate::db::testing::both().await;
        for db in dbs {
            session_lifetime(db).await;
        }
    }

    async fn session_lifetime(db: Db) {
        let identity = parse_login_hint("patient:demo", None).unwrap();
        let token = open(&db, &identity, "dev-patient", 1_000).await.unwrap();
        let found = find(&db, &token, 2_000).await.unwrap().unwrap();
        assert_eq!(found.identity, identity);
        assert!(found.sent(&found.csrf));
        assert!(!found.sent("forged"));
        assert!(find(&db, "forged", 2_000).await.unwrap().is_none());

        // Idle for longer than IDLE: ended.
        let idle = millis(IDLE);
        assert!(find(&db, &token, 1_000 + idle).await.unwrap().is_none());

        // Used regularly, it lasts, but never past LONGEST.
        let token = open(&db, &identity, "dev-patient", 0).await.unwrap();
        let mut now = 0;
        while now < millis(LONGEST) - idle {
            now += idle * 3 / 4;
            assert!(find(&db, &token, now).await.unwrap().is_some(), "at {now}");
        }
        assert!(
            find(&db, &token, millis(LONGEST)).await.unwrap().is_none(),
            "ended after the longest a session lasts"
        );

        // Closed: gone, and nothing secret was stored.
        let token = open(&db, &identity, "dev-patient", 0).await.unwrap();
        let signed_in = find(&db, &token, 1).await.unwrap().unwrap();
        let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM web_sessions")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert!(stored.iter().all(|h| *h != token));
        close(&db, &signed_in).await.unwrap();
        assert!(find(&db, &token, 2).await.unwrap().is_none());
        assert!(sweep(&db, millis(LONGEST) + 1).await.unwrap() >= 1);
    }

    #[tokio::test]
    async fn a_sign_in_ends_once_in_the_browser_that_began_it() {
        let (_dir, dbs) = crate::db::testing::both().await;
        for db in dbs {
            sign_in_bound_to_browser(db).await;
        }
    }

    async fn sign_in_bound_to_browser(db: Db) {
        let (browser, other) = (Browser::new(), Browser::new());
        let pending = Pending {
            provider: "dev-patient".into(),
            return_to: "/mes-services".into(),
        };
        let state = begin_sign_in(&db, &browser, &pending, 1_000).await.unwrap();
        // Another browser cannot finish it, and its attempt spends it.
        assert_eq!(
            finish_sign_in(&db, &state, &other, 1_001).await.unwrap(),
            None
        );
        assert_eq!(
            finish_sign_in(&db, &state, &browser, 1_002).await.unwrap(),
            None
        );

        let state = begin_sign_in(&db, &browser, &pending, 1_000).await.unwrap();
        assert_eq!(
            finish_sign_in(&db, &state, &browser, 1_001).await.unwrap(),
            Some(pending.clone())
        );
        assert_eq!(
            finish_sign_in(&db, &state, &browser, 1_002).await.unwrap(),
            None,
            "once"
        );

        let state = begin_sign_in(&db, &browser, &pending, 1_000).await.unwrap();
        let late = 1_000 + millis(SIGN_IN_LIFETIME);
        assert_eq!(
            finish_sign_in(&db, &state, &browser, late).await.unwrap(),
            None
        );
    }

    #[test]
    fn derived_values_differ_by_purpose_browser_and_state() {
        let (a, b) = (Browser::new(), Browser::new());
        let verifier = a.pkce_verifier("s1");
        assert_eq!(
            verifier.len(),
            43,
            "a PKCE verifier is 43 to 128 characters"
        );
        assert_eq!(verifier, a.pkce_verifier("s1"));
        assert_ne!(verifier, a.pkce_verifier("s2"));
        assert_ne!(verifier, b.pkce_verifier("s1"));
        assert_ne!(a.nonce("s1"), verifier);
        assert_ne!(a.csrf(), b.csrf());
        assert!(a.sent(&a.csrf()) && !a.sent(&b.csrf()));
    }

    #[test]
    fn forms_must_come_from_the_platforms_own_pages() {
        let origin = "https://officine.example.fr";
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, value.parse().unwrap());
            }
            headers
        };
        assert!(from_origin(&headers(&[]), origin));
        assert!(from_origin(
            &headers(&[("origin", origin), ("sec-fetch-site", "same-origin")]),
            origin
        ));
        for refused in [
            headers(&[("origin", "https://weight-tracker.svc.example.fr")]),
            headers(&[("origin", "null")]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[("sec-fetch-site", "cross-site")]),
        ] {
            assert!(!from_origin(&refused, origin), "{refused:?}");
        }
    }
}
