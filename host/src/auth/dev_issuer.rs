//! A minimal OpenID Connect provider for development on loopback: it signs
//! tokens for any population with one ES256 key kept in the data
//! directory, and runs the authorization code flow with PKCE (S256), auto
//! approving the identity named by `login_hint`. Never for production.
//!
//! Endpoints, relative to the issuer URL (the router is nested there):
//!
//! - `GET /.well-known/openid-configuration`: the discovery document;
//! - `GET /jwks.json`: the public key set;
//! - `GET /authorize`: `response_type=code`, `client_id`, a loopback
//!   `redirect_uri`, `code_challenge` + `code_challenge_method=S256`,
//!   `scope` with `openid`, `login_hint=<population>:<subject>`, optional
//!   `state`, `nonce`, `acr_values`; redirects with `code` and `state`;
//! - `POST /token` (form): `grant_type=authorization_code`, `code`,
//!   `redirect_uri`, `client_id`, `code_verifier`; answers an ID token
//!   (audience: the client) and an access token (audience: the API, per
//!   population, see [`DevIssuer::audience`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::error::ConfigError;
use super::identity::{
    AssuranceLevel, Editor, Identity, Patient, Population, Professional, Regulator,
};
use super::keys::KeySet;
pub use super::oauth::{OAuthError, pkce_challenge};
use super::oauth::{is_loopback_http, is_pkce_verifier, oauth, random_token, with_query};
use super::verify::{TrustedIssuer, Verifier, VerifierOptions, unix_now};
use crate::model::PatientId;

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "dev-issuer.key";
/// The client id of Officine's own pages, registered by default.
pub const DEFAULT_CLIENT_ID: &str = "officine-web";
/// How long an authorization code can be exchanged.
pub const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// How long tokens from the token endpoint last.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// Codes waiting for exchange, at most: a bound against a client looping
/// on `authorize`.
const MAX_PENDING_CODES: usize = 1024;
/// Profession given to a professional when the login hint names none
/// (`10`: physician, in the national nomenclature).
const DEFAULT_PROFESSION: &str = "10";

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    identity: Identity,
    expires_at: u64,
}

/// The development issuer: a signing key, registered clients and the codes
/// waiting for exchange.
pub struct DevIssuer {
    issuer: String,
    clients: Vec<String>,
    key: EncodingKey,
    kid: String,
    jwk: Value,
    codes: Mutex<HashMap<String, PendingCode>>,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer", &self.issuer)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The query of `GET /authorize`. Every field is optional here so that a
/// missing one is answered by name.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeRequest {
    /// Must be `code`.
    pub response_type: Option<String>,
    /// A registered client.
    pub client_id: Option<String>,
    /// An `http` URL on 127.0.0.1, `[::1]` or localhost.
    pub redirect_uri: Option<String>,
    /// Must include `openid`.
    pub scope: Option<String>,
    /// Echoed back.
    pub state: Option<String>,
    /// Copied into the ID token.
    pub nonce: Option<String>,
    /// BASE64URL(SHA-256(verifier)), 43 characters.
    pub code_challenge: Option<String>,
    /// Must be `S256`.
    pub code_challenge_method: Option<String>,
    /// Who signs in: `patient:<id>`, `professional:<rpps>[:<profession>]`,
    /// `editor:<legal id>` or `regulator:<subject>`.
    pub login_hint: Option<String>,
    /// For patients, the assurance level (`eidas1`..`eidas3`; default
    /// `eidas2`).
    pub acr_values: Option<String>,
}

/// The form of `POST /token`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenRequest {
    /// Must be `authorization_code`.
    pub grant_type: Option<String>,
    /// The code from `authorize`.
    pub code: Option<String>,
    /// The same as given to `authorize`.
    pub redirect_uri: Option<String>,
    /// The same as given to `authorize`.
    pub client_id: Option<String>,
    /// The PKCE verifier.
    pub code_verifier: Option<String>,
}

/// The token endpoint's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// For the API (audience: [`DevIssuer::audience`]).
    pub access_token: String,
    /// For the client (audience: its client id).
    pub id_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds.
    pub expires_in: u64,
    /// `openid`.
    pub scope: String,
}

impl DevIssuer {
    /// Loads the signing key from `data_dir/dev-issuer.key`, creating it
    /// (PKCS#8 PEM, mode 0600) on first use. `issuer` is the URL the
    /// router is served at, e.g. `http://127.0.0.1:8080/dev-issuer`.
    pub fn load_or_create(
        data_dir: &Path,
        issuer: impl Into<String>,
    ) -> Result<DevIssuer, ConfigError> {
        let path = data_dir.join(KEY_FILE);
        let fail = |reason: String| ConfigError::DevKey {
            path: path.clone(),
            reason,
        };
        let der = match std::fs::read_to_string(&path) {
            Ok(text) => pem_decode(&text).ok_or_else(|| fail("not a PKCS#8 PEM key".into()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let der = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .and_then(|k| k.to_pkcs8v1())
                    .map_err(|_| fail("cannot generate a key".into()))?
                    .as_ref()
                    .to_vec();
                crate::files::create_private(&path, pem_encode(&der).as_bytes())
                    .map_err(|e| fail(e.to_string()))?;
                der
            }
            Err(e) => return Err(fail(e.to_string())),
        };
        DevIssuer::from_pkcs8(&der, issuer.into()).map_err(fail)
    }

    fn from_pkcs8(der: &[u8], issuer: String) -> Result<DevIssuer, String> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|e| format!("not a P-256 key: {e}"))?;
        // Uncompressed point: 0x04 || x || y.
        let point = pair.public_key().as_ref();
        if point.len() != 65 {
            return Err("unexpected public key encoding".into());
        }
        let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
        let y = URL_SAFE_NO_PAD.encode(&point[33..]);
        // RFC 7638 thumbprint: members in lexicographic order.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "x": x, "y": y,
            "kid": kid, "alg": "ES256", "use": "sig",
        });
        let issuer = DevIssuer {
            issuer: issuer.trim_end_matches('/').to_owned(),
            clients: vec![DEFAULT_CLIENT_ID.to_owned()],
            key: EncodingKey::from_ec_der(der),
            kid,
            jwk,
            codes: Mutex::new(HashMap::new()),
        };
        // Sign once now, so that signing later cannot fail.
        issuer.try_sign(&Map::new())?;
        Ok(issuer)
    }

    /// Registers another client id (the default is [`DEFAULT_CLIENT_ID`]).
    pub fn with_client(mut self, client_id: impl Into<String>) -> DevIssuer {
        self.clients.push(client_id.into());
        self
    }

    /// The issuer URL (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The signing key's id (its RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The audience of access tokens for `population`: one per population,
    /// since this one issuer serves them all.
    pub fn audience(population: Population) -> String {
        format!("officine:{population}")
    }

    /// The public key set, as served at `jwks.json`.
    pub fn jwks_json(&self) -> String {
        json!({ "keys": [self.jwk] }).to_string()
    }

    /// The public key set, for a verifier.
    pub fn key_set(&self) -> KeySet {
        KeySet::from_jwks_json(&self.jwks_json()).expect("the issuer's own key set is valid")
    }

    /// This issuer as four trusted issuers, one per population.
    pub fn trusted_issuers(&self) -> Vec<TrustedIssuer> {
        let keys = self.key_set();
        Population::ALL
            .into_iter()
            .map(|p| TrustedIssuer::new(&self.issuer, DevIssuer::audience(p), p, keys.clone()))
            .collect()
    }

    /// A verifier trusting this issuer only.
    pub fn verifier(&self, options: VerifierOptions) -> Verifier {
        Verifier::new(self.trusted_issuers(), options)
            .expect("one entry per population, no duplicates")
    }

    /// An access token for `identity`, valid for `lifetime`.
    pub fn mint(&self, identity: &Identity, lifetime: Duration) -> String {
        let now = unix_now();
        let mut claims = identity.claims();
        claims.insert("iss".into(), self.issuer.clone().into());
        claims.insert(
            "aud".into(),
            DevIssuer::audience(identity.population()).into(),
        );
        claims.insert("iat".into(), now.into());
        claims.insert("exp".into(), now.saturating_add(lifetime.as_secs()).into());
        claims.insert("jti".into(), uuid::Uuid::now_v7().to_string().into());
        self.sign_claims(&claims)
    }

    /// Signs any claims with the issuer's key (ES256, with its `kid`): for
    /// tools and tests that need unusual tokens.
    pub fn sign_claims(&self, claims: &Map<String, Value>) -> String {
        self.try_sign(claims)
            .expect("the key signed at load, so it signs now")
    }

    fn try_sign(&self, claims: &Map<String, Value>) -> Result<String, String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| e.to_string())
    }

    /// The discovery document.
    pub fn discovery(&self) -> Value {
        let base = &self.issuer;
        json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "end_session_endpoint": format!("{base}/logout"),
            "jwks_uri": format!("{base}/jwks.json"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid"],
            "acr_values_supported": ["eidas1", "eidas2", "eidas3"],
            "claims_supported": ["sub", "acr", "rpps", "profession", "organisation"],
        })
    }

    /// Checks an authorization request and, approving it, returns the URL
    /// to redirect to (with `code` and `state`).
    pub fn authorize(&self, request: &AuthorizeRequest) -> Result<String, OAuthError> {
        self.authorize_at(request, unix_now())
    }

    fn authorize_at(&self, request: &AuthorizeRequest, now: u64) -> Result<String, OAuthError> {
        // Until the client and redirect URI are known good, errors are
        // answered directly, never redirected (RFC 6749, 4.1.2.1).
        let client_id = request
            .client_id
            .as_deref()
            .ok_or_else(|| oauth("invalid_request", "client_id is missing"))?;
        if !self.clients.iter().any(|c| c == client_id) {
            return Err(oauth("unauthorized_client", "unknown client_id"));
        }
        let redirect_uri = request
            .redirect_uri
            .as_deref()
            .ok_or_else(|| oauth("invalid_request", "redirect_uri is missing"))?;
        if !is_loopback_http(redirect_uri) {
            return Err(oauth(
                "invalid_request",
                "redirect_uri must be http on 127.0.0.1, [::1] or localhost, without fragment",
            ));
        }
        let redirected = |error: &'static str, description: &str| OAuthError {
            error,
            description: description.to_owned(),
            redirect: Some((redirect_uri.to_owned(), request.state.clone())),
        };
        if request.response_type.as_deref() != Some("code") {
            return Err(redirected(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
        if !request
            .scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|s| s == "openid"))
        {
            return Err(redirected("invalid_scope", "scope must include openid"));
        }
        if request.code_challenge_method.as_deref() != Some("S256") {
            return Err(redirected(
                "invalid_request",
                "PKCE is required, with code_challenge_method=S256",
            ));
        }
        let challenge = request.code_challenge.as_deref().unwrap_or("");
        if challenge.len() != 43 || URL_SAFE_NO_PAD.decode(challenge).is_err() {
            return Err(redirected(
                "invalid_request",
                "code_challenge must be BASE64URL(SHA-256(verifier)), 43 characters",
            ));
        }
        let identity = parse_login_hint(
            request.login_hint.as_deref().unwrap_or(""),
            request.acr_values.as_deref(),
        )
        .map_err(|e| redirected("invalid_request", &e))?;

        let code = random_token().ok_or_else(|| redirected("server_error", "no randomness"))?;
        {
            let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
            codes.retain(|_, c| c.expires_at > now);
            if codes.len() >= MAX_PENDING_CODES {
                return Err(redirected(
                    "temporarily_unavailable",
                    "too many codes waiting for exchange",
                ));
            }
            codes.insert(
                code.clone(),
                PendingCode {
                    client_id: client_id.to_owned(),
                    redirect_uri: redirect_uri.to_owned(),
                    challenge: challenge.to_owned(),
                    nonce: request.nonce.clone(),
                    identity,
                    expires_at: now + CODE_LIFETIME.as_secs(),
                },
            );
        }
        let mut query = vec![("code", code.as_str())];
        if let Some(state) = &request.state {
            query.push(("state", state));
        }
        Ok(with_query(redirect_uri, &query))
    }

    /// Exchanges a code (once) for tokens, checking the PKCE verifier.
    pub fn exchange(&self, request: &TokenRequest) -> Result<TokenResponse, OAuthError> {
        self.exchange_at(request, unix_now())
    }

    fn exchange_at(&self, request: &TokenRequest, now: u64) -> Result<TokenResponse, OAuthError> {
        if request.grant_type.as_deref() != Some("authorization_code") {
            return Err(oauth(
                "unsupported_grant_type",
                "only grant_type=authorization_code is supported",
            ));
        }
        let code = request
            .code
            .as_deref()
            .ok_or_else(|| oauth("invalid_request", "code is missing"))?;
        // Removed before any other check: a code is spent by its first
        // exchange attempt, successful or not.
        let pending = self
            .codes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(code)
            .ok_or_else(|| oauth("invalid_grant", "unknown or already used code"))?;
        if now >= pending.expires_at {
            return Err(oauth("invalid_grant", "code expired"));
        }
        if request.client_id.as_deref() != Some(pending.client_id.as_str()) {
            return Err(oauth("invalid_grant", "code issued to another client"));
        }
        if request.redirect_uri.as_deref() != Some(pending.redirect_uri.as_str()) {
            return Err(oauth(
                "invalid_grant",
                "redirect_uri differs from authorize's",
            ));
        }
        let verifier = request.code_verifier.as_deref().unwrap_or("");
        if !is_pkce_verifier(verifier) {
            return Err(oauth(
                "invalid_grant",
                "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
            ));
        }
        if pkce_challenge(verifier) != pending.challenge {
            return Err(oauth(
                "invalid_grant",
                "code_verifier does not match the challenge",
            ));
        }

        let lifetime = TOKEN_LIFETIME.as_secs();
        let mut id = pending.identity.claims();
        id.insert("iss".into(), self.issuer.clone().into());
        id.insert("aud".into(), pending.client_id.into());
        id.insert("iat".into(), now.into());
        id.insert("auth_time".into(), now.into());
        id.insert("exp".into(), (now + lifetime).into());
        if let Some(nonce) = pending.nonce {
            id.insert("nonce".into(), nonce.into());
        }
        Ok(TokenResponse {
            access_token: self.mint(&pending.identity, TOKEN_LIFETIME),
            id_token: self.sign_claims(&id),
            token_type: "Bearer".into(),
            expires_in: lifetime,
            scope: "openid".into(),
        })
    }

    /// The provider's routes; nest them at the issuer URL's path.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/logout", get(logout))
            .with_state(self)
    }
}

async fn discovery(State(dev): State<Arc<DevIssuer>>) -> Json<Value> {
    Json(dev.discovery())
}

async fn jwks(State(dev): State<Arc<DevIssuer>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/jwk-set+json")],
        dev.jwks_json(),
    )
        .into_response()
}

async fn authorize(
    State(dev): State<Arc<DevIssuer>>,
    Query(request): Query<AuthorizeRequest>,
) -> Response {
    match dev.authorize(&request) {
        Ok(location) => redirect(&location),
        Err(OAuthError {
            error,
            description,
            redirect: Some((uri, state)),
        }) => {
            let mut query = vec![("error", error), ("error_description", &description)];
            if let Some(state) = &state {
                query.push(("state", state));
            }
            redirect(&with_query(&uri, &query))
        }
        Err(e) => oauth_error(&e),
    }
}

async fn token(State(dev): State<Arc<DevIssuer>>, Form(request): Form<TokenRequest>) -> Response {
    match dev.exchange(&request) {
        Ok(tokens) => ([(header::CACHE_CONTROL, "no-store")], Json(tokens)).into_response(),
        Err(e) => oauth_error(&e),
    }
}

/// The query of `GET /logout`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogoutRequest {
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
}

/// `GET /logout`: this issuer keeps no browser session to end; it sends a
/// registered client's browser back to its loopback URI.
async fn logout(
    State(dev): State<Arc<DevIssuer>>,
    Query(request): Query<LogoutRequest>,
) -> Response {
    let client_ok = request
        .client_id
        .as_deref()
        .is_some_and(|client| dev.clients.iter().any(|c| c == client));
    match request.post_logout_redirect_uri.as_deref() {
        Some(uri) if client_ok && is_loopback_http(uri) => redirect(uri),
        _ => oauth_error(&oauth(
            "invalid_request",
            "a registered client_id and a loopback post_logout_redirect_uri are required",
        )),
    }
}

fn redirect(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

fn oauth_error(e: &OAuthError) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": e.error, "error_description": e.description })),
    )
        .into_response()
}

/// Reads a development login hint: `patient:<id>`,
/// `professional:<rpps>[:<profession>]`, `editor:<legal id>` or
/// `regulator:<subject>`. `acr_values` sets a patient's assurance level
/// (default substantial).
pub fn parse_login_hint(hint: &str, acr_values: Option<&str>) -> Result<Identity, String> {
    let usage = "login_hint must be <population>:<subject>, e.g. patient:demo";
    let (population, subject) = hint.split_once(':').ok_or(usage)?;
    let population: Population = population.parse().map_err(|_| usage.to_owned())?;
    let bad = |what: &str| format!("{what} in login_hint");
    let identity = match population {
        Population::Patient => {
            let assurance = acr_values
                .and_then(|v| v.split(' ').find_map(AssuranceLevel::from_acr))
                .unwrap_or(AssuranceLevel::Substantial);
            Identity::Patient(Patient {
                subject: PatientId::new(subject),
                assurance,
            })
        }
        Population::Professional => {
            let (rpps, profession) = subject
                .split_once(':')
                .unwrap_or((subject, DEFAULT_PROFESSION));
            Identity::Professional(Professional {
                rpps: rpps
                    .parse()
                    .map_err(|_| bad("an RPPS number of 11 digits"))?,
                profession: profession.parse().map_err(|_| bad("a profession code"))?,
            })
        }
        Population::Editor => Identity::Editor(Editor {
            organisation: subject
                .parse()
                .map_err(|_| bad("a legal id such as siret:…"))?,
        }),
        Population::Regulator => Identity::Regulator(Regulator {
            subject: subject.to_owned(),
        }),
    };
    // The same checks as for a verified token: what is minted verifies.
    Identity::from_claims(population, &identity.claims()).map_err(|e| e.to_string())
}

fn pem_encode(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

fn pem_decode(text: &str) -> Option<Vec<u8>> {
    let body = text
        .trim()
        .strip_prefix("-----BEGIN PRIVATE KEY-----")?
        .strip_suffix("-----END PRIVATE KEY-----")?;
    let body: String = body.split_whitespace().collect();
    STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const REDIRECT: &str = "http://127.0.0.1:5173/callback";

    fn issuer() -> (tempfile::TempDir, DevIssuer) {
        let dir = tempfile::tempdir().unwrap();
        let dev =
            DevIssuer::load_or_create(dir.path(), "http://127.0.0.1:8080/dev-issuer").unwrap();
        (dir, dev)
    }

    fn request() -> AuthorizeRequest {
        AuthorizeRequest {
            response_type: Some("code".into()),
            client_id: Some(DEFAULT_CLIENT_ID.into()),
            redirect_uri: Some(REDIRECT.into()),
            scope: Some("openid".into()),
            state: Some("s t".into()),
            nonce: Some("n-1".into()),
            code_challenge: Some(pkce_challenge(VERIFIER)),
            code_challenge_method: Some("S256".into()),
            login_hint: Some("patient:demo".into()),
            acr_values: None,
        }
    }

    fn code_of(location: &str) -> String {
        let query = location.split_once('?').unwrap().1;
        query
            .split('&')
            .find_map(|p| p.strip_prefix("code="))
            .unwrap()
            .to_owned()
    }

    fn exchange(code: &str) -> TokenRequest {
        TokenRequest {
            grant_type: Some("authorization_code".into()),
            code: Some(code.into()),
            redirect_uri: Some(REDIRECT.into()),
            client_id: Some(DEFAULT_CLIENT_ID.into()),
            code_verifier: Some(VERIFIER.into()),
        }
    }

    #[test]
    fn the_key_is_created_private_then_reloaded() {
        use std::os::unix::fs::PermissionsExt as _;
        let (dir, dev) = issuer();
        let path = dir.path().join(KEY_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        let again =
            DevIssuer::load_or_create(dir.path(), "http://127.0.0.1:8080/dev-issuer").unwrap();
        assert_eq!(again.kid(), dev.kid());
    }

    #[test]
    fn a_code_is_exchanged_once_for_tokens_that_verify() {
        let (_dir, dev) = issuer();
        let location = dev.authorize(&request()).unwrap();
        assert!(location.starts_with(&format!("{REDIRECT}?code=")));
        assert!(location.ends_with("&state=s%20t"));
        let code = code_of(&location);
        let tokens = dev.exchange(&exchange(&code)).unwrap();
        let verifier = dev.verifier(VerifierOptions::default());
        assert_eq!(
            verifier.verify(&tokens.access_token).unwrap(),
            Identity::Patient(Patient {
                subject: PatientId::new("demo"),
                assurance: AssuranceLevel::Substantial
            })
        );
        let id: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(tokens.id_token.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(id["aud"], DEFAULT_CLIENT_ID);
        assert_eq!(id["nonce"], "n-1");
        assert_eq!(id["acr"], "eidas2");
        // Second use: refused.
        let again = dev.exchange(&exchange(&code)).unwrap_err();
        assert_eq!(again.error, "invalid_grant");
    }

    #[test]
    fn a_wrong_verifier_spends_the_code() {
        let (_dir, dev) = issuer();
        let code = code_of(&dev.authorize(&request()).unwrap());
        let mut wrong = exchange(&code);
        wrong.code_verifier = Some("x".repeat(43));
        assert!(
            dev.exchange(&wrong)
                .unwrap_err()
                .description
                .contains("does not match")
        );
        assert_eq!(
            dev.exchange(&exchange(&code)).unwrap_err().description,
            "unknown or already used code"
        );
    }

    #[test]
    fn codes_expire() {
        let (_dir, dev) = issuer();
        let now = unix_now();
        let code = code_of(&dev.authorize_at(&request(), now).unwrap());
        let late = now + CODE_LIFETIME.as_secs();
        assert_eq!(
            dev.exchange_at(&exchange(&code), late)
                .unwrap_err()
                .description,
            "code expired"
        );
    }

    #[test]
    fn exchange_checks_client_redirect_verifier_shape_and_grant_type() {
        let (_dir, dev) = issuer();
        type Change = fn(&mut TokenRequest);
        let cases: [(&str, Change); 5] = [
            ("another client", |r| r.client_id = Some("other".into())),
            ("redirect_uri differs", |r| {
                r.redirect_uri = Some("http://127.0.0.1:5173/other".into())
            }),
            ("43 to 128", |r| r.code_verifier = Some("short".into())),
            ("43 to 128", |r| r.code_verifier = None),
            ("only grant_type", |r| {
                r.grant_type = Some("password".into())
            }),
        ];
        for (expected, change) in cases {
            let code = code_of(&dev.authorize(&request()).unwrap());
            let mut r = exchange(&code);
            change(&mut r);
            let e = dev.exchange(&r).unwrap_err();
            assert!(e.description.contains(expected), "{expected}: {e}");
        }
    }

    #[test]
    fn authorize_requires_pkce_s256_a_known_client_and_a_loopback_redirect() {
        let (_dir, dev) = issuer();
        type Change = fn(&mut AuthorizeRequest);
        let cases: [(&str, bool, Change); 11] = [
            ("unknown client_id", false, |r| {
                r.client_id = Some("x".into())
            }),
            ("client_id is missing", false, |r| r.client_id = None),
            ("redirect_uri must", false, |r| {
                r.redirect_uri = Some("https://evil.example/cb".into())
            }),
            ("redirect_uri must", false, |r| {
                r.redirect_uri = Some("http://127.0.0.1.evil.example/cb".into())
            }),
            ("redirect_uri must", false, |r| {
                r.redirect_uri = Some("http://localhost@evil.example/cb".into())
            }),
            ("response_type", true, |r| {
                r.response_type = Some("token".into())
            }),
            ("S256", true, |r| {
                r.code_challenge_method = Some("plain".into())
            }),
            ("S256", true, |r| r.code_challenge_method = None),
            ("code_challenge", true, |r| {
                r.code_challenge = Some("abc".into())
            }),
            ("openid", true, |r| r.scope = Some("profile".into())),
            ("login_hint", true, |r| r.login_hint = Some("demo".into())),
        ];
        for (expected, redirected, change) in cases {
            let mut r = request();
            change(&mut r);
            let e = dev.authorize(&r).unwrap_err();
            assert!(e.description.contains(expected), "{expected}: {e}");
            assert_eq!(e.redirect.is_some(), redirected, "{expected}");
        }
    }

    #[test]
    fn login_hints_name_each_population() {
        for (hint, population) in [
            ("patient:demo", Population::Patient),
            ("professional:10001234567", Population::Professional),
            ("professional:10001234567:21", Population::Professional),
            ("editor:siret:00000000000018", Population::Editor),
            ("regulator:has", Population::Regulator),
        ] {
            assert_eq!(
                parse_login_hint(hint, None).unwrap().population(),
                population
            );
        }
        for bad in [
            "demo",
            "doctor:x",
            "professional:123",
            "editor:acme",
            "patient:",
        ] {
            assert!(parse_login_hint(bad, None).is_err(), "{bad}");
        }
        let Identity::Patient(p) = parse_login_hint("patient:demo", Some("eidas3")).unwrap() else {
            panic!()
        };
        assert_eq!(p.assurance, AssuranceLevel::High);
    }
}
