//! Bearer token authentication: every rejection reason, with tokens minted
//! by the built-in development issuer and by an independent library
//! (PyJWT, from PyPI), the verified-token cache, the axum extractors, and
//! the development issuer's OpenID Connect flow on loopback.
//!
//! PyJWT is installed by the test itself into a Python virtual environment
//! in the target directory, from the pinned `host/tests/auth/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::BodyExt as _;
use officine_host::auth::oauth::pkce_challenge;
use officine_host::auth::{
    AssuranceLevel, AuthError, DevIssuer, Identity, IssuerConfig, KeySet, KeySource, Patient,
    PatientIdentity, Population, Verifier, VerifierOptions,
};
use officine_host::model::PatientId;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::support::python_venv;

const DEV_ISSUER: &str = "http://127.0.0.1:8080/dev-issuer";
const PY_ISSUER: &str = "https://pyjwt.officine.test";
const PY_AUDIENCE: &str = "officine-api";
const PY_PRO_AUDIENCE: &str = "officine-pro";
/// Long enough that PyJWT does not warn; the verifier refuses HMAC anyway.
const SECRET: &str = "a-shared-secret-of-more-than-32-bytes";

fn kit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/auth")
}

/// The pinned PyJWT, installed once per test binary; returns the virtual
/// environment's interpreter.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| python_venv("auth", &kit().join("requirements.txt")).join("bin/python"))
}

/// Runs `command`, which must succeed; returns its standard output, trimmed.
fn run(command: &mut Command, what: &str) -> String {
    let output = crate::support::run(command, what);
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn mint_py(args: &[&str]) -> String {
    run(
        Command::new(python()).arg(kit().join("mint.py")).args(args),
        "minting with PyJWT",
    )
}

/// Issuers shared by the tests: the development issuer and a PyJWT issuer
/// whose keys (P-256, Ed25519, RSA) PyJWT generated.
struct Fixture {
    _dir: tempfile::TempDir,
    dev: DevIssuer,
    /// Same issuer URL, another key: its tokens name an unknown kid.
    dev_other: DevIssuer,
    py_keys: PathBuf,
    py_jwks: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let dev = DevIssuer::load_or_create(dir.path(), DEV_ISSUER).unwrap();
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        let dev_other = DevIssuer::load_or_create(&other, DEV_ISSUER).unwrap();
        let py_keys = dir.path().join("py");
        let jwks = mint_py(&["keygen", py_keys.to_str().unwrap()]);
        let py_jwks = dir.path().join("py.jwks.json");
        std::fs::write(&py_jwks, jwks).unwrap();
        // A stranger's key for forged signatures, under a trusted kid.
        mint_py(&["keygen", dir.path().join("rogue").to_str().unwrap()]);
        Fixture {
            _dir: dir,
            dev,
            dev_other,
            py_keys,
            py_jwks,
        }
    })
}

/// Trusts both issuers; the PyJWT one through its configuration (a JWKS
/// file), for patients and, under another audience, professionals.
fn verifier(options: VerifierOptions) -> Verifier {
    let f = fixture();
    let config = |audience: &str, population: &str| -> IssuerConfig {
        serde_json::from_value(json!({
            "issuer": PY_ISSUER,
            "audience": audience,
            "population": population,
            "keys": { "source": "file", "path": f.py_jwks },
        }))
        .unwrap()
    };
    let mut issuers = f.dev.trusted_issuers();
    for c in [
        config(PY_AUDIENCE, "patient"),
        config(PY_PRO_AUDIENCE, "professional"),
    ] {
        issuers.push(officine_host::auth::TrustedIssuer::from_config(&c).unwrap());
    }
    Verifier::new(issuers, options).unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn demo() -> Identity {
    Identity::Patient(Patient {
        subject: PatientId::new("demo"),
        assurance: AssuranceLevel::Substantial,
    })
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Claims of a valid patient token of `iss` for `aud`.
fn patient_claims(iss: &str, aud: &str) -> Value {
    let now = now();
    json!({
        "iss": iss, "aud": aud, "sub": "demo", "acr": "eidas2",
        "iat": now, "exp": now + 600,
    })
}

/// `claims` with `changes` applied (a null removes the claim).
fn with(mut claims: Value, changes: Value) -> Value {
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

fn dev_sign(claims: &Value) -> String {
    fixture().dev.sign_claims(claims.as_object().unwrap())
}

/// The token with its claims part replaced, signature kept.
fn tampered(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], b64(claims), parts[2])
}

fn expect(verifier: &Verifier, label: &str, token: &str, expected: Result<(), AuthError>) {
    let got = verifier.verify(token).map(|_| ());
    assert_eq!(got, expected, "{label}");
}

#[test]
fn dev_issuer_tokens_are_refused_for_each_reason() {
    let f = fixture();
    let v = verifier(VerifierOptions::default());
    let aud = DevIssuer::audience(Population::Patient);
    let good = patient_claims(DEV_ISSUER, &aud);
    let now = now();

    assert_eq!(
        v.verify(&f.dev.mint(&demo(), Duration::from_secs(60))),
        Ok(demo())
    );
    let signed = dev_sign(&good);
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(signed.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    let cases: Vec<(&str, String, Result<(), AuthError>)> = vec![
        ("valid", signed.clone(), Ok(())),
        (
            "expired",
            dev_sign(&with(good.clone(), json!({"exp": now - 120}))),
            Err(AuthError::Expired { exp: now - 120 }),
        ),
        (
            "expired but within the 30 s leeway",
            dev_sign(&with(good.clone(), json!({"exp": now - 10}))),
            Ok(()),
        ),
        (
            "not yet valid (nbf)",
            dev_sign(&with(good.clone(), json!({"nbf": now + 120}))),
            Err(AuthError::NotYetValid {
                claim: "nbf",
                at: now + 120,
            }),
        ),
        (
            "issued in the future (iat)",
            dev_sign(&with(good.clone(), json!({"iat": now + 120}))),
            Err(AuthError::NotYetValid {
                claim: "iat",
                at: now + 120,
            }),
        ),
        (
            "wrong issuer",
            dev_sign(&with(
                good.clone(),
                json!({"iss": "https://elsewhere.test"}),
            )),
            Err(AuthError::WrongIssuer),
        ),
        (
            "wrong audience",
            dev_sign(&with(good.clone(), json!({"aud": "someone-else"}))),
            Err(AuthError::WrongAudience),
        ),
        (
            "unknown kid",
            f.dev_other.sign_claims(good.as_object().unwrap()),
            Err(AuthError::UnknownKey),
        ),
        (
            "alg none",
            format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&good)),
            Err(AuthError::AlgorithmNotAllowed("none".into())),
        ),
        (
            "alg HS256",
            format!(
                "{}.{}.c2lnbmF0dXJl",
                b64(&json!({"alg": "HS256", "kid": header["kid"]})),
                b64(&good)
            ),
            Err(AuthError::AlgorithmNotAllowed(
                "HS256 (HMAC, while the issuers' keys are asymmetric)".into(),
            )),
        ),
        (
            "EdDSA claimed for the ES256 key",
            format!(
                "{}.{}.{}",
                b64(&json!({"alg": "EdDSA", "kid": header["kid"]})),
                b64(&good),
                signed.split('.').nth(2).unwrap()
            ),
            Err(AuthError::AlgorithmNotAllowed(
                "EdDSA with a key for ES256".into(),
            )),
        ),
        (
            "bad signature (claims changed after signing)",
            tampered(&signed, &with(good.clone(), json!({"sub": "someone-else"}))),
            Err(AuthError::BadSignature),
        ),
        (
            "missing exp",
            dev_sign(&with(good.clone(), json!({"exp": null}))),
            Err(AuthError::MissingClaim("exp")),
        ),
        (
            "missing aud",
            dev_sign(&with(good.clone(), json!({"aud": null}))),
            Err(AuthError::MissingClaim("aud")),
        ),
        (
            "missing iss",
            dev_sign(&with(good.clone(), json!({"iss": null}))),
            Err(AuthError::MissingClaim("iss")),
        ),
        (
            "missing acr (patient)",
            dev_sign(&with(good.clone(), json!({"acr": null}))),
            Err(AuthError::MissingClaim("acr")),
        ),
        (
            "missing rpps (professional)",
            dev_sign(&json!({
                "iss": DEV_ISSUER, "aud": DevIssuer::audience(Population::Professional),
                "exp": now + 600, "profession": "10",
            })),
            Err(AuthError::MissingClaim("rpps")),
        ),
        (
            "malformed rpps",
            dev_sign(&json!({
                "iss": DEV_ISSUER, "aud": DevIssuer::audience(Population::Professional),
                "exp": now + 600, "rpps": "1234", "profession": "10",
            })),
            Err(AuthError::MalformedClaim {
                claim: "rpps",
                reason: "not 11 digits",
            }),
        ),
        (
            "malformed organisation",
            dev_sign(&json!({
                "iss": DEV_ISSUER, "aud": DevIssuer::audience(Population::Editor),
                "exp": now + 600, "organisation": "acme",
            })),
            Err(AuthError::MalformedClaim {
                claim: "organisation",
                reason: "not a legal id (siret:… or finess:…)",
            }),
        ),
        (
            "malformed exp",
            dev_sign(&with(good.clone(), json!({"exp": "tomorrow"}))),
            Err(AuthError::MalformedClaim {
                claim: "exp",
                reason: "not a non-negative number of seconds",
            }),
        ),
        (
            "malformed token",
            "not-a-token".into(),
            Err(AuthError::Malformed("not three dot-separated parts")),
        ),
    ];
    for (label, token, expected) in cases {
        expect(&v, label, &token, expected);
    }
}

#[test]
fn pyjwt_tokens_are_accepted_or_refused_for_each_reason() {
    let f = fixture();
    let v = verifier(VerifierOptions::default());
    let key = |name: &str| f.py_keys.join(format!("{name}.pem"));
    let rogue = f.py_keys.parent().unwrap().join("rogue/ec.pem");
    let good = patient_claims(PY_ISSUER, PY_AUDIENCE);
    let now = now();
    let signed = |alg: &str, pem: &Path, kid: &str, claims: &Value| {
        mint_py(&[
            "mint",
            "--alg",
            alg,
            "--key",
            pem.to_str().unwrap(),
            "--kid",
            kid,
            "--claims",
            &claims.to_string(),
        ])
    };
    let es = |claims: &Value| signed("ES256", &key("ec"), "py-ec", claims);

    for (alg, name, kid) in [
        ("ES256", "ec", "py-ec"),
        ("EdDSA", "ed", "py-ed"),
        ("RS256", "rsa", "py-rsa"),
    ] {
        assert_eq!(
            v.verify(&signed(alg, &key(name), kid, &good)),
            Ok(demo()),
            "{alg}"
        );
    }
    let professional = json!({
        "iss": PY_ISSUER, "aud": [PY_PRO_AUDIENCE, "other"], "exp": now + 600,
        "rpps": "10001234567", "profession": "21",
    });
    match v.verify(&es(&professional)) {
        Ok(Identity::Professional(p)) => {
            assert_eq!(
                (p.rpps.as_str(), p.profession.as_str()),
                ("10001234567", "21")
            )
        }
        other => panic!("professional: {other:?}"),
    }

    let cases: Vec<(&str, String, Result<(), AuthError>)> = vec![
        (
            "expired",
            es(&with(good.clone(), json!({"exp": now - 120}))),
            Err(AuthError::Expired { exp: now - 120 }),
        ),
        (
            "not yet valid",
            es(&with(good.clone(), json!({"nbf": now + 120}))),
            Err(AuthError::NotYetValid {
                claim: "nbf",
                at: now + 120,
            }),
        ),
        (
            "wrong issuer",
            es(&with(good.clone(), json!({"iss": "https://other.test"}))),
            Err(AuthError::WrongIssuer),
        ),
        (
            "wrong audience",
            es(&with(good.clone(), json!({"aud": ["a", "b"]}))),
            Err(AuthError::WrongAudience),
        ),
        (
            "unknown kid",
            signed("ES256", &key("ec"), "py-unknown", &good),
            Err(AuthError::UnknownKey),
        ),
        (
            "alg none",
            mint_py(&["mint", "--alg", "none", "--claims", &good.to_string()]),
            Err(AuthError::AlgorithmNotAllowed("none".into())),
        ),
        (
            "alg HS256",
            mint_py(&[
                "mint",
                "--alg",
                "HS256",
                "--secret",
                SECRET,
                "--kid",
                "py-ec",
                "--claims",
                &good.to_string(),
            ]),
            Err(AuthError::AlgorithmNotAllowed(
                "HS256 (HMAC, while the issuers' keys are asymmetric)".into(),
            )),
        ),
        (
            "EdDSA signature under the ES256 key's kid",
            signed("EdDSA", &key("ed"), "py-ec", &good),
            Err(AuthError::AlgorithmNotAllowed(
                "EdDSA with a key for ES256".into(),
            )),
        ),
        (
            "bad signature (a stranger's key under a trusted kid)",
            signed("ES256", &rogue, "py-ec", &good),
            Err(AuthError::BadSignature),
        ),
        (
            "bad signature (RS256)",
            signed(
                "RS256",
                &f.py_keys.parent().unwrap().join("rogue/rsa.pem"),
                "py-rsa",
                &good,
            ),
            Err(AuthError::BadSignature),
        ),
        (
            "missing sub",
            es(&with(good.clone(), json!({"sub": null}))),
            Err(AuthError::MissingClaim("sub")),
        ),
        (
            "missing exp",
            es(&with(good.clone(), json!({"exp": null}))),
            Err(AuthError::MissingClaim("exp")),
        ),
        (
            "malformed acr",
            es(&with(good.clone(), json!({"acr": "eidas7"}))),
            Err(AuthError::MalformedClaim {
                claim: "acr",
                reason: "not an assurance level (eidas1, eidas2 or eidas3)",
            }),
        ),
        (
            "missing profession",
            es(&with(professional.clone(), json!({"profession": null}))),
            Err(AuthError::MissingClaim("profession")),
        ),
        (
            "critical header",
            mint_py(&[
                "mint",
                "--alg",
                "ES256",
                "--key",
                key("ec").to_str().unwrap(),
                "--kid",
                "py-ec",
                "--header",
                r#"{"crit": ["exp"]}"#,
                "--claims",
                &good.to_string(),
            ]),
            Err(AuthError::Malformed("critical header extensions")),
        ),
    ];
    for (label, token, expected) in cases {
        expect(&v, label, &token, expected);
    }
}

#[test]
fn a_cached_token_is_never_served_after_it_expires() {
    let f = fixture();
    // No leeway: the expiry is exact.
    let v = verifier(VerifierOptions {
        leeway: Duration::ZERO,
        ..VerifierOptions::default()
    });
    let exp = now() + 2;
    let token = dev_sign(&with(
        patient_claims(DEV_ISSUER, &DevIssuer::audience(Population::Patient)),
        json!({"exp": exp}),
    ));
    assert_eq!(v.verify(&token), Ok(demo()));
    assert_eq!(v.cached(), 1);
    assert_eq!(v.verify(&token), Ok(demo()), "served from the cache");
    assert_eq!(v.cached(), 1);
    while now() < exp {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(v.verify(&token), Err(AuthError::Expired { exp }));
    assert_eq!(v.cached(), 0);
    // Refused tokens are not cached.
    assert!(
        v.verify(&f.dev_other.mint(&demo(), Duration::from_secs(60)))
            .is_err()
    );
    assert_eq!(v.cached(), 0);
}

#[test]
fn replacing_an_issuers_keys_withdraws_its_old_key_at_once() {
    let f = fixture();
    let v = verifier(VerifierOptions::default());
    let token = f.dev.mint(&demo(), Duration::from_secs(60));
    assert_eq!(v.verify(&token), Ok(demo()));
    v.replace_keys(DEV_ISSUER, f.dev_other.key_set()).unwrap();
    assert_eq!(
        v.verify(&token),
        Err(AuthError::UnknownKey),
        "not from the cache"
    );
    assert_eq!(
        v.verify(&f.dev_other.mint(&demo(), Duration::from_secs(60))),
        Ok(demo())
    );
    assert!(
        v.replace_keys("https://nobody.test", KeySet::default())
            .is_err()
    );
}

#[test]
fn issuer_configuration_reads_from_toml_like_json_and_needs_a_fetch_for_urls() {
    let config: IssuerConfig = serde_json::from_value(json!({
        "issuer": "https://idp.test", "audience": "a", "population": "regulator",
        "keys": { "source": "url", "url": "https://idp.test/jwks", "refresh_seconds": 600 },
    }))
    .unwrap();
    assert_eq!(
        config.keys,
        KeySource::Url {
            url: "https://idp.test/jwks".into(),
            refresh_seconds: Some(600)
        }
    );
    assert!(Verifier::from_config(&[config], VerifierOptions::default()).is_err());
    let missing: IssuerConfig = serde_json::from_value(json!({
        "issuer": "https://idp.test", "audience": "a", "population": "editor",
        "keys": { "source": "file", "path": "/nonexistent/jwks.json" },
    }))
    .unwrap();
    assert!(Verifier::from_config(&[missing], VerifierOptions::default()).is_err());
    assert!(
        serde_json::from_value::<IssuerConfig>(json!({
            "issuer": "x", "audience": "a", "population": "admin",
            "keys": { "source": "file", "path": "/x" },
        }))
        .is_err()
    );
}

/// An identity provider publishing its key set on loopback; the set it
/// serves can be swapped, as a provider rotating its keys does.
async fn jwks_server(jwks: Arc<std::sync::Mutex<String>>) -> std::net::SocketAddr {
    let app = Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let jwks = jwks.clone();
            async move { jwks.lock().unwrap().clone() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_fetched_from_a_url_follow_the_issuers_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let (old_dir, new_dir) = (dir.path().join("old"), dir.path().join("new"));
    std::fs::create_dir_all(&old_dir).unwrap();
    std::fs::create_dir_all(&new_dir).unwrap();
    let issuer = "https://patients.test";
    let old = DevIssuer::load_or_create(&old_dir, issuer).unwrap();
    let new = DevIssuer::load_or_create(&new_dir, issuer).unwrap();
    let published = Arc::new(std::sync::Mutex::new(old.jwks_json()));
    let addr = jwks_server(published.clone()).await;
    let config: IssuerConfig = serde_json::from_value(json!({
        "issuer": issuer,
        "audience": DevIssuer::audience(Population::Patient),
        "population": "patient",
        "keys": { "source": "url", "url": format!("http://{addr}/jwks.json"), "refresh_seconds": 3600 },
    }))
    .unwrap();
    let verifier = Arc::new(
        Verifier::load(std::slice::from_ref(&config), VerifierOptions::default())
            .await
            .unwrap(),
    );
    let refresher = officine_host::auth::refresh::spawn_with(
        verifier.clone(),
        std::slice::from_ref(&config),
        std::time::Duration::from_millis(50),
    )
    .expect("a URL source is refreshed");
    let lifetime = std::time::Duration::from_secs(300);
    verifier.verify(&old.mint(&demo(), lifetime)).unwrap();

    // The provider rotates: a token under the new key is at first unknown,
    // and that makes the verifier fetch the set again.
    *published.lock().unwrap() = new.jwks_json();
    let fresh = new.mint(&demo(), lifetime);
    assert_eq!(verifier.verify(&fresh), Err(AuthError::UnknownKey));
    let start = std::time::Instant::now();
    while verifier.verify(&fresh).is_err() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "never refreshed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The withdrawn key no longer verifies anything.
    assert_eq!(
        verifier.verify(&old.mint(&demo(), lifetime)),
        Err(AuthError::UnknownKey)
    );
    refresher.abort();

    // A plain-http URL elsewhere than loopback is never fetched.
    let remote: IssuerConfig = serde_json::from_value(json!({
        "issuer": issuer, "audience": "a", "population": "patient",
        "keys": { "source": "url", "url": "http://patients.test/jwks.json" },
    }))
    .unwrap();
    let error = Verifier::load(&[remote], VerifierOptions::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("only https"), "{error}");
}

// --- axum ----------------------------------------------------------------

fn app() -> Router {
    let verifier = Arc::new(verifier(VerifierOptions::default()));
    Router::new()
        .route(
            "/me",
            get(|identity: Identity| async move { identity.subject() }),
        )
        .route(
            "/patient",
            get(|PatientIdentity(patient): PatientIdentity| async move {
                patient.subject.to_string()
            }),
        )
        .with_state(verifier)
}

async fn call(
    app: &Router,
    path: &str,
    authorization: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = Request::get(path);
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, challenge, body)
}

#[tokio::test]
async fn the_extractor_answers_401_with_the_reason_and_403_for_another_population() {
    let f = fixture();
    let app = app();
    let patient = f.dev.mint(&demo(), Duration::from_secs(60));
    let regulator = f.dev.mint(
        &officine_host::auth::dev_issuer::parse_login_hint("regulator:has", None).unwrap(),
        Duration::from_secs(60),
    );

    let ok = call(&app, "/patient", Some(&format!("Bearer {patient}"))).await;
    assert_eq!((ok.0, ok.2), (StatusCode::OK, json!("demo")));
    let any = call(&app, "/me", Some(&format!("Bearer {regulator}"))).await;
    assert_eq!((any.0, any.2), (StatusCode::OK, json!("has")));

    // No credentials: a bare challenge (RFC 6750, 3.1).
    for authorization in [None, Some("Basic dXNlcjpwYXNz")] {
        let (status, challenge, body) = call(&app, "/me", authorization).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(challenge.as_deref(), Some("Bearer"));
        assert_eq!(body["error"], "missing_token");
    }

    let now = now();
    let expired = dev_sign(&with(
        patient_claims(DEV_ISSUER, &DevIssuer::audience(Population::Patient)),
        json!({"exp": now - 600}),
    ));
    let forged = tampered(
        &patient,
        &patient_claims(DEV_ISSUER, &DevIssuer::audience(Population::Patient)),
    );
    for (token, reason, description) in [
        (
            expired.as_str(),
            "expired",
            format!("expired at {} (unix time)", now - 600),
        ),
        (forged.as_str(), "bad_signature", "bad signature".into()),
        (
            "a.b",
            "malformed_token",
            "malformed token: not three dot-separated parts".into(),
        ),
    ] {
        let (status, challenge, body) =
            call(&app, "/patient", Some(&format!("Bearer {token}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{reason}");
        assert_eq!(
            challenge.unwrap(),
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\"")
        );
        assert_eq!(body["error"], "invalid_token");
        assert_eq!(body["reason"], reason);
        assert_eq!(body["message"], description);
        assert!(!body.to_string().contains(token), "the token is not echoed");
    }

    // A quote in a claim name cannot break the header: reasons are ours.
    let (_, challenge, _) = call(&app, "/patient", Some("Bearer \"x\".y.z")).await;
    assert!(challenge.unwrap().ends_with("not base64url JSON object\""));

    let (status, challenge, body) =
        call(&app, "/patient", Some(&format!("Bearer {regulator}"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        challenge.unwrap(),
        "Bearer error=\"insufficient_scope\", error_description=\"this route is for patients, not regulators\""
    );
    assert_eq!(body["reason"], "wrong_population");
}

// --- the development issuer on loopback ---------------------------------

/// One HTTP/1.1 exchange over a fresh connection: (status, headers, body).
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    target: &str,
    form: Option<&str>,
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = form.unwrap_or("");
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

fn location(head: &str) -> &str {
    head.lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dev_issuer_runs_the_code_flow_with_pkce_on_loopback_and_pyjwt_verifies_its_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let issuer = format!("http://{addr}/dev-issuer");
    let dev = Arc::new(DevIssuer::load_or_create(dir.path(), &issuer).unwrap());
    let verifier = Arc::new(dev.verifier(VerifierOptions::default()));
    let app = Router::new()
        .nest("/dev-issuer", dev.clone().router())
        .merge(
            Router::new()
                .route(
                    "/patient",
                    get(|PatientIdentity(p): PatientIdentity| async move { p.subject.to_string() }),
                )
                .with_state(verifier),
        );
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (status, _, body) = http(
        addr,
        "GET",
        "/dev-issuer/.well-known/openid-configuration",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let discovery: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(discovery["jwks_uri"], format!("{issuer}/jwks.json"));
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );
    let (status, _, jwks) = http(addr, "GET", "/dev-issuer/jwks.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(KeySet::from_jwks_json(&jwks).unwrap().len(), 1);

    let verifier_text = "a-pkce-verifier-of-at-least-forty-three-characters";
    let redirect = "http://127.0.0.1:9/callback";
    let authorize = format!(
        "/dev-issuer/authorize?response_type=code&client_id=officine-web\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&scope=openid&state=xyz&nonce=n\
         &code_challenge={}&code_challenge_method=S256&login_hint=patient%3Ademo&acr_values=eidas3",
        pkce_challenge(verifier_text)
    );
    let (status, head, _) = http(addr, "GET", &authorize, None).await;
    assert_eq!(status, 303);
    let to = location(&head);
    assert!(to.starts_with(&format!("{redirect}?code=")), "{to}");
    assert!(to.ends_with("&state=xyz"));
    let code = to.split("code=").nth(1).unwrap().split('&').next().unwrap();

    // A plain (non-S256) challenge is refused, back at the client.
    let plain = authorize.replace("code_challenge_method=S256", "code_challenge_method=plain");
    let (status, head, _) = http(addr, "GET", &plain, None).await;
    assert_eq!(status, 303);
    assert!(location(&head).contains("error=invalid_request"));
    // A non-loopback redirect URI is never redirected to.
    let evil = authorize.replace("http%3A%2F%2F127.0.0.1%3A9", "https%3A%2F%2Fevil.test");
    let (status, head, _) = http(addr, "GET", &evil, None).await;
    assert_eq!(status, 400);
    assert!(!head.to_ascii_lowercase().contains("location"));

    let form = |verifier: &str| {
        format!(
            "grant_type=authorization_code&code={code}&client_id=officine-web\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&code_verifier={verifier}"
        )
    };
    let (status, head, body) = http(
        addr,
        "POST",
        "/dev-issuer/token",
        Some(&form(verifier_text)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("cache-control: no-store")
    );
    let tokens: Value = serde_json::from_str(&body).unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let (status, _, body) = http(
        addr,
        "POST",
        "/dev-issuer/token",
        Some(&form(verifier_text)),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("invalid_grant"),
        "a code is single-use: {body}"
    );

    // The access token opens a patient route.
    let (status, _, _) = http(addr, "GET", "/patient", None).await;
    assert_eq!(status, 401);
    {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(
                format!("GET /patient HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {access}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("demo"));
    }

    // PyJWT fetches jwks.json and verifies both tokens on its own.
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let access = access.to_owned();
    let jwks_url = format!("{issuer}/jwks.json");
    let (issuer2, jwks2) = (issuer.clone(), jwks_url.clone());
    let claims = tokio::task::spawn_blocking(move || {
        let verify = |token: &str, audience: &str| -> Value {
            serde_json::from_str(&mint_py(&[
                "verify",
                "--jwks-url",
                &jwks2,
                "--issuer",
                &issuer2,
                "--audience",
                audience,
                token,
            ]))
            .unwrap()
        };
        (
            verify(&access, &DevIssuer::audience(Population::Patient)),
            verify(&id_token, "officine-web"),
        )
    })
    .await
    .unwrap();
    assert_eq!(claims.0["sub"], "demo");
    assert_eq!(claims.0["acr"], "eidas3");
    assert_eq!(claims.1["nonce"], "n");
    server.abort();
}
