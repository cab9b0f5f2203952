//! Bearer token verification against configured trusted issuers.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::cache::{TokenCache, TokenHash};
use super::error::{AuthError, ConfigError};
use super::identity::{Identity, Population};
use super::keys::{KeySet, KeySource, VerifyingKey, alg_name};

/// Clock skew tolerated on `exp`, `nbf` and `iat`: providers' and our
/// clocks drift by seconds, not minutes.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// Tokens remembered after verification, by default.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// Longest token accepted, in bytes: real ones are well under 4 KiB, and
/// the bound caps the work a hostile header can cause.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// One trusted issuer, as configured (TOML or JSON):
///
/// ```toml
/// [[issuers]]
/// issuer = "https://auth.franceconnect.gouv.fr/api/v2"
/// audience = "officine"
/// population = "patient"
/// keys = { source = "file", path = "/etc/officine/franceconnect.jwks.json" }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The `iss` its tokens carry.
    pub issuer: String,
    /// The `aud` its tokens must name (our client id or API identifier).
    pub audience: String,
    /// The population its tokens speak for.
    pub population: Population,
    /// Where its public keys come from.
    pub keys: KeySource,
}

/// A trusted issuer with its loaded keys.
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    /// The `iss` its tokens carry.
    pub issuer: String,
    /// The `aud` its tokens must name.
    pub audience: String,
    /// The population its tokens speak for.
    pub population: Population,
    /// Its public keys.
    pub keys: Arc<KeySet>,
}

impl TrustedIssuer {
    /// An issuer with keys already loaded.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        population: Population,
        keys: KeySet,
    ) -> TrustedIssuer {
        TrustedIssuer {
            issuer: issuer.into(),
            audience: audience.into(),
            population,
            keys: Arc::new(keys),
        }
    }

    /// Loads the issuer's keys from its configured source.
    pub fn from_config(config: &IssuerConfig) -> Result<TrustedIssuer, ConfigError> {
        Ok(TrustedIssuer::new(
            config.issuer.clone(),
            config.audience.clone(),
            config.population,
            config.keys.load()?,
        ))
    }
}

/// Tunables of a [`Verifier`].
#[derive(Debug, Clone, Copy)]
pub struct VerifierOptions {
    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// Tokens remembered after verification (0 disables the cache).
    pub cache_capacity: usize,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        VerifierOptions {
            leeway: DEFAULT_LEEWAY,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
        }
    }
}

/// Verifies bearer tokens: signature by a trusted issuer's key, time
/// claims, audience, then the population's claims.
///
/// Issuers are looked up by `iss`. One provider may serve several
/// populations (the development issuer does): it is then configured once
/// per population, each with its own audience, and the token's `aud`
/// picks the population.
///
/// Accepted algorithms: ES256, EdDSA and RS256, each only with a key of its
/// type. `none` and HMAC are always refused.
pub struct Verifier {
    issuers: RwLock<Vec<TrustedIssuer>>,
    leeway: u64,
    cache: TokenCache,
    /// Woken when a token names a key no issuer has: a key set fetched
    /// from a URL may have rotated (see [`super::refresh`]).
    unknown_key: tokio::sync::Notify,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuers", &*self.read())
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier trusting `issuers`; an (issuer, audience) pair may appear
    /// once only.
    pub fn new(
        issuers: Vec<TrustedIssuer>,
        options: VerifierOptions,
    ) -> Result<Verifier, ConfigError> {
        for (i, a) in issuers.iter().enumerate() {
            if issuers[..i]
                .iter()
                .any(|b| a.issuer == b.issuer && a.audience == b.audience)
            {
                return Err(ConfigError::Duplicate {
                    issuer: a.issuer.clone(),
                    audience: a.audience.clone(),
                });
            }
        }
        Ok(Verifier {
            issuers: RwLock::new(issuers),
            leeway: options.leeway.as_secs(),
            cache: TokenCache::new(options.cache_capacity),
            unknown_key: tokio::sync::Notify::new(),
        })
    }

    /// A verifier for configured issuers, fetching the key sets that come
    /// from URLs.
    pub async fn load(
        configs: &[IssuerConfig],
        options: VerifierOptions,
    ) -> Result<Verifier, ConfigError> {
        let mut issuers = Vec::with_capacity(configs.len());
        for config in configs {
            issuers.push(TrustedIssuer::new(
                config.issuer.clone(),
                config.audience.clone(),
                config.population,
                config.keys.fetch().await?,
            ));
        }
        Verifier::new(issuers, options)
    }

    /// Resolves when a token has named a key no trusted issuer has.
    pub async fn unknown_key_seen(&self) {
        self.unknown_key.notified().await
    }

    /// A verifier for configured issuers, loading their keys (files only:
    /// see [`Verifier::load`] for URLs).
    pub fn from_config(
        configs: &[IssuerConfig],
        options: VerifierOptions,
    ) -> Result<Verifier, ConfigError> {
        let issuers = configs
            .iter()
            .map(TrustedIssuer::from_config)
            .collect::<Result<_, _>>()?;
        Verifier::new(issuers, options)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<TrustedIssuer>> {
        self.issuers.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the keys of every configured entry of `issuer` and forgets
    /// cached tokens, so that a withdrawn key stops working at once. This
    /// is what a URL key source calls when it fetches a new set.
    pub fn replace_keys(&self, issuer: &str, keys: KeySet) -> Result<(), ConfigError> {
        let keys = Arc::new(keys);
        let mut issuers = self.issuers.write().unwrap_or_else(|e| e.into_inner());
        let mut found = false;
        for trusted in issuers.iter_mut().filter(|t| t.issuer == issuer) {
            trusted.keys = keys.clone();
            found = true;
        }
        drop(issuers);
        self.cache.clear();
        if found {
            Ok(())
        } else {
            Err(ConfigError::UnknownIssuer(issuer.to_owned()))
        }
    }

    /// How many verified tokens are remembered.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// Verifies `token` (the compact JWS, without `Bearer `) and returns
    /// who it speaks for.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        self.verify_at(token, unix_now())
    }

    /// Verifies an OpenID Connect ID token as [`Verifier::verify`] does a
    /// bearer token, never from the cache, and checks that it carries
    /// `nonce`: the one the sign-in it ends sent.
    pub fn verify_id_token(&self, token: &str, nonce: &str) -> Result<Identity, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed("longer than 8 KiB"));
        }
        let (identity, _) = self.verify_uncached(token, unix_now())?;
        match Parts::split(token)?.claims.get("nonce") {
            None | Some(Value::Null) => Err(AuthError::MissingClaim("nonce")),
            Some(Value::String(found)) if found == nonce => Ok(identity),
            Some(_) => Err(AuthError::MalformedClaim {
                claim: "nonce",
                reason: "not the one this sign-in sent",
            }),
        }
    }

    fn verify_at(&self, token: &str, now: u64) -> Result<Identity, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed("longer than 8 KiB"));
        }
        let hash = TokenHash::of(token);
        if let Some(identity) = self.cache.get(&hash, now) {
            return Ok(identity);
        }
        let (identity, exp) = self.verify_uncached(token, now)?;
        self.cache.insert(hash, identity.clone(), exp, now);
        Ok(identity)
    }

    fn verify_uncached(&self, token: &str, now: u64) -> Result<(Identity, u64), AuthError> {
        let parts = Parts::split(token)?;
        let alg = accepted_alg(&parts.header)?;
        let kid = match parts.header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.as_str()),
            Some(_) => return Err(AuthError::Malformed("kid is not a string")),
        };
        if parts.header.contains_key("crit") {
            // No header extension is understood here (RFC 7515, 4.1.11).
            return Err(AuthError::Malformed("critical header extensions"));
        }
        let claims = &parts.claims;
        let iss = match claims.get("iss") {
            None | Some(Value::Null) => return Err(AuthError::MissingClaim("iss")),
            Some(Value::String(iss)) => iss,
            Some(_) => {
                return Err(AuthError::MalformedClaim {
                    claim: "iss",
                    reason: "not a string",
                });
            }
        };

        let issuers = self.read();
        let candidates: Vec<&TrustedIssuer> = issuers.iter().filter(|t| &t.issuer == iss).collect();
        if candidates.is_empty() {
            return Err(AuthError::WrongIssuer);
        }
        let Some(key) = candidates.iter().find_map(|t| t.keys.find(kid)) else {
            self.unknown_key.notify_one();
            return Err(AuthError::UnknownKey);
        };
        check_signature(&parts, alg, key)?;

        // Signed by a trusted key: the claims can now be believed.
        let leeway = self.leeway;
        let exp = time_claim(claims, "exp")?.ok_or(AuthError::MissingClaim("exp"))?;
        if now >= exp.saturating_add(leeway) {
            return Err(AuthError::Expired { exp });
        }
        for claim in ["nbf", "iat"] {
            if let Some(at) = time_claim(claims, claim)?
                && at > now.saturating_add(leeway)
            {
                return Err(AuthError::NotYetValid { claim, at });
            }
        }
        let audiences = audiences(claims)?;
        let trusted = candidates
            .iter()
            .filter(|t| audiences.contains(&t.audience.as_str()))
            .find(|t| t.keys.find(kid).is_some_and(|k| k.kid == key.kid))
            .ok_or_else(|| {
                if candidates
                    .iter()
                    .any(|t| audiences.contains(&t.audience.as_str()))
                {
                    AuthError::UnknownKey
                } else {
                    AuthError::WrongAudience
                }
            })?;
        let identity = Identity::from_claims(trusted.population, claims)?;
        Ok((identity, exp))
    }
}

/// A compact JWS split into its decoded parts.
struct Parts<'a> {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signature: &'a str,
    /// `header.claims`, the signed bytes.
    signed: &'a str,
}

impl<'a> Parts<'a> {
    fn split(token: &'a str) -> Result<Parts<'a>, AuthError> {
        let mut it = token.split('.');
        let (Some(h), Some(c), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
            return Err(AuthError::Malformed("not three dot-separated parts"));
        };
        let json = |part: &str, what: &'static str| -> Result<Map<String, Value>, AuthError> {
            let bytes = URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| AuthError::Malformed(what))?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(AuthError::Malformed(what)),
            }
        };
        let header = json(h, "header is not base64url JSON object")?;
        let claims = json(c, "claims are not a base64url JSON object")?;
        // An empty signature is well-formed (`alg: none` has one); it
        // fails later, at the algorithm or signature check.
        if URL_SAFE_NO_PAD.decode(s).is_err() {
            return Err(AuthError::Malformed("signature is not base64url"));
        }
        Ok(Parts {
            header,
            claims,
            signature: s,
            signed: &token[..h.len() + 1 + c.len()],
        })
    }
}

fn accepted_alg(header: &Map<String, Value>) -> Result<jsonwebtoken::Algorithm, AuthError> {
    use jsonwebtoken::Algorithm;
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg.as_str(),
        None => return Err(AuthError::Malformed("no alg in the header")),
        Some(_) => return Err(AuthError::Malformed("alg is not a string")),
    };
    match alg {
        "ES256" => Ok(Algorithm::ES256),
        "EdDSA" => Ok(Algorithm::EdDSA),
        "RS256" => Ok(Algorithm::RS256),
        "none" | "None" | "NONE" => Err(AuthError::AlgorithmNotAllowed("none".into())),
        "HS256" | "HS384" | "HS512" => Err(AuthError::AlgorithmNotAllowed(format!(
            "{alg} (HMAC, while the issuers' keys are asymmetric)"
        ))),
        // Known names are quoted; anything else is not echoed back.
        "ES384" | "ES512" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => {
            Err(AuthError::AlgorithmNotAllowed(alg.to_owned()))
        }
        _ => Err(AuthError::AlgorithmNotAllowed("unknown algorithm".into())),
    }
}

fn check_signature(
    parts: &Parts<'_>,
    alg: jsonwebtoken::Algorithm,
    key: &VerifyingKey,
) -> Result<(), AuthError> {
    if key.alg != alg {
        // Algorithm confusion: the key's type decides, not the header.
        return Err(AuthError::AlgorithmNotAllowed(format!(
            "{} with a key for {}",
            alg_name(alg),
            alg_name(key.alg)
        )));
    }
    match jsonwebtoken::crypto::verify(parts.signature, parts.signed.as_bytes(), &key.key, alg) {
        Ok(true) => Ok(()),
        _ => Err(AuthError::BadSignature),
    }
}

/// A NumericDate claim (RFC 7519): a non-negative number of seconds.
fn time_claim(claims: &Map<String, Value>, claim: &'static str) -> Result<Option<u64>, AuthError> {
    let malformed = AuthError::MalformedClaim {
        claim,
        reason: "not a non-negative number of seconds",
    };
    match claims.get(claim) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(n) = n.as_u64() {
                Ok(Some(n))
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() && f >= 0.0 && f < u64::MAX as f64 => {
                        Ok(Some(f as u64))
                    }
                    _ => Err(malformed),
                }
            }
        }
        Some(_) => Err(malformed),
    }
}

/// `aud`: one string or an array of strings (RFC 7519, 4.1.3).
fn audiences(claims: &Map<String, Value>) -> Result<Vec<&str>, AuthError> {
    let malformed = AuthError::MalformedClaim {
        claim: "aud",
        reason: "not a string or an array of strings",
    };
    match claims.get("aud") {
        None | Some(Value::Null) => Err(AuthError::MissingClaim("aud")),
        Some(Value::String(aud)) => Ok(vec![aud.as_str()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().ok_or(malformed.clone()))
            .collect(),
        Some(_) => Err(malformed),
    }
}

/// Seconds since the Unix epoch (0 if the clock is set before it).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier() -> Verifier {
        Verifier::new(Vec::new(), VerifierOptions::default()).unwrap()
    }

    #[test]
    fn garbage_is_refused_as_malformed_without_panicking() {
        let v = verifier();
        for token in [
            "",
            ".",
            "..",
            "a.b",
            "a.b.c.d",
            "a.b.c.d.e",
            "!!.!!.!!",
            "eyJ9.e30.AA",
            "e30.e30.AA",
            "W10.e30.AA",
            "\u{0}\u{ff}.x.y",
            "eyJhbGciOiJFUzI1NiJ9.bnVsbA.AA",
            "eyJhbGciOiJFUzI1NiJ9.e30.!",
        ] {
            match v.verify(token) {
                Err(AuthError::Malformed(_)) => {}
                other => panic!("{token:?}: {other:?}"),
            }
        }
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(matches!(v.verify(&long), Err(AuthError::Malformed(_))));
    }

    #[test]
    fn none_and_hmac_are_refused_before_anything_else() {
        let b = |v: &str| URL_SAFE_NO_PAD.encode(v);
        let v = verifier();
        for (alg, expect) in [("none", "none"), ("HS256", "HS256 (HMAC")] {
            let token = format!(
                "{}.{}.{}",
                b(&format!(r#"{{"alg":"{alg}"}}"#)),
                b(r#"{"iss":"x"}"#),
                b("sig")
            );
            match v.verify(&token) {
                Err(AuthError::AlgorithmNotAllowed(a)) => assert!(a.starts_with(expect), "{a}"),
                other => panic!("{alg}: {other:?}"),
            }
        }
        let odd = format!("{}.{}.{}", b(r#"{"alg":"X\"y"}"#), b("{}"), b("s"));
        assert_eq!(
            v.verify(&odd),
            Err(AuthError::AlgorithmNotAllowed("unknown algorithm".into()))
        );
    }

    #[test]
    fn time_claims_accept_integers_and_floats_only() {
        let claims: Map<String, Value> =
            serde_json::from_str(r#"{"a":1,"b":2.7,"c":-1,"d":"1","e":1e300}"#).unwrap();
        assert_eq!(time_claim(&claims, "a"), Ok(Some(1)));
        assert_eq!(time_claim(&claims, "b"), Ok(Some(2)));
        assert_eq!(time_claim(&claims, "z"), Ok(None));
        for c in ["c", "d", "e"] {
            assert!(time_claim(&claims, c).is_err(), "{c}");
        }
    }
}
