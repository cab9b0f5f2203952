//! Issuers' public keys: where they come from (a JWKS file, or a URL
//! fetched and refreshed) and the checked set a verifier uses.

use std::collections::HashSet;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

use super::error::ConfigError;

/// Where a trusted issuer's key set comes from.
///
/// In a TOML configuration:
///
/// ```toml
/// keys = { source = "file", path = "/etc/officine/franceconnect.jwks.json" }
/// keys = { source = "url", url = "https://…/jwks", refresh_seconds = 3600 }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "source", rename_all = "lowercase", deny_unknown_fields)]
pub enum KeySource {
    /// A JWKS document (JSON text) in a file, read once at start.
    File {
        /// The file.
        path: PathBuf,
    },
    /// A JWKS document fetched from the issuer's `jwks_uri` at start, then
    /// again every `refresh_seconds` (default an hour) and when a token
    /// names a key the set lacks, so that keys can rotate (see
    /// [`super::refresh`]). HTTPS only, but for loopback addresses.
    Url {
        /// The `jwks_uri`.
        url: String,
        /// How often to fetch it again.
        #[serde(default)]
        refresh_seconds: Option<u64>,
    },
}

/// How often a URL key set is fetched again, by default.
pub const DEFAULT_REFRESH: std::time::Duration = std::time::Duration::from_secs(3600);
/// The largest key set document read.
const MAX_JWKS_BYTES: usize = 256 * 1024;

impl KeySource {
    /// Loads a file key set, for a synchronous start; a URL source needs
    /// [`KeySource::fetch`].
    pub fn load(&self) -> Result<KeySet, ConfigError> {
        match self {
            KeySource::File { path } => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                KeySet::from_jwks_json(&text)
            }
            KeySource::Url { url, .. } => Err(ConfigError::NeedsFetch(url.clone())),
        }
    }

    /// Loads the key set, fetching it if it comes from a URL.
    pub async fn fetch(&self) -> Result<KeySet, ConfigError> {
        match self {
            KeySource::File { .. } => self.load(),
            KeySource::Url { url, .. } => fetch_jwks(url).await,
        }
    }

    /// How often it should be fetched again, if it comes from a URL.
    pub fn refresh(&self) -> Option<std::time::Duration> {
        match self {
            KeySource::File { .. } => None,
            KeySource::Url {
                refresh_seconds, ..
            } => Some(
                refresh_seconds
                    .map(std::time::Duration::from_secs)
                    .unwrap_or(DEFAULT_REFRESH),
            ),
        }
    }
}

/// Fetches and checks a JWKS document.
async fn fetch_jwks(url: &str) -> Result<KeySet, ConfigError> {
    let text = fetch_text(url, MAX_JWKS_BYTES).await?;
    KeySet::from_jwks_json(&text)
}

/// Fetches a document that decides who is trusted (a key set, a provider's
/// metadata): over HTTPS only, but on loopback, never following a
/// redirect, at most `limit` bytes.
pub(crate) async fn fetch_text(url: &str, limit: usize) -> Result<String, ConfigError> {
    let fail = |reason: String| ConfigError::Fetch {
        url: url.to_owned(),
        reason,
    };
    let parsed = trusted_url(url).map_err(fail)?;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let mut response = client
        .get(parsed)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !response.status().is_success() {
        return Err(fail(format!("answered {}", response.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(e.to_string()))? {
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            return Err(fail(format!("larger than {limit} bytes")));
        }
    }
    String::from_utf8(body).map_err(|_| fail("not UTF-8".into()))
}

/// `url`, if it is one trust may travel over: HTTPS, or HTTP on a loopback
/// address, where no one else can alter it.
pub(crate) fn trusted_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    let loopback = match parsed.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    };
    if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
        return Err("only https URLs are fetched (http on loopback only)".into());
    }
    Ok(parsed)
}

/// One verification key of an issuer.
#[derive(Clone)]
pub(crate) struct VerifyingKey {
    pub(crate) kid: Option<String>,
    /// The one algorithm this key verifies: its type decides it, so a
    /// token cannot pick another.
    pub(crate) alg: Algorithm,
    pub(crate) key: DecodingKey,
}

/// An issuer's checked public keys: EC P-256 (ES256), Ed25519 (EdDSA) or
/// RSA of at least 2048 bits (RS256). Symmetric keys are refused, so an
/// HMAC token can never verify.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: Vec<VerifyingKey>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| (&k.kid, k.alg)))
            .finish()
    }
}

impl KeySet {
    /// Reads a JWKS document. Encryption keys and keys of types this
    /// verifier does not use are skipped; a symmetric key, a duplicate
    /// `kid` or a malformed key is an error, and so is a set left empty.
    pub fn from_jwks_json(text: &str) -> Result<KeySet, ConfigError> {
        #[derive(Deserialize)]
        struct Jwks {
            keys: Vec<Value>,
        }
        let jwks: Jwks =
            serde_json::from_str(text).map_err(|e| ConfigError::NotJwks(e.to_string()))?;
        let mut keys = Vec::new();
        let mut kids = HashSet::new();
        for jwk in &jwks.keys {
            let Some(key) = parse_jwk(jwk)? else { continue };
            if let Some(kid) = &key.kid
                && !kids.insert(kid.clone())
            {
                return Err(bad(Some(kid), "duplicate kid"));
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(ConfigError::NoKeys);
        }
        Ok(KeySet { keys })
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key a token names; a token without `kid` is accepted only when
    /// the set holds one key, since otherwise the choice would be a guess.
    pub(crate) fn find(&self, kid: Option<&str>) -> Option<&VerifyingKey> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        }
    }
}

fn bad(kid: Option<&String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::BadKey {
        kid: kid.cloned(),
        reason: reason.into(),
    }
}

fn field<'a>(jwk: &'a Value, name: &str) -> Option<&'a str> {
    jwk.get(name).and_then(Value::as_str)
}

/// Decodes a base64url field, checking its length in bytes.
fn b64(
    jwk: &Value,
    name: &str,
    kid: Option<&String>,
    len: Option<usize>,
) -> Result<Vec<u8>, ConfigError> {
    let text = field(jwk, name).ok_or_else(|| bad(kid, format!("no {name}")))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| bad(kid, format!("{name} is not base64url")))?;
    match len {
        Some(len) if bytes.len() != len => Err(bad(kid, format!("{name} is not {len} bytes"))),
        _ => Ok(bytes),
    }
}

fn parse_jwk(jwk: &Value) -> Result<Option<VerifyingKey>, ConfigError> {
    let kid = field(jwk, "kid").map(str::to_owned);
    let kid = kid.as_ref();
    if field(jwk, "use") == Some("enc") {
        return Ok(None);
    }
    let kty = field(jwk, "kty").ok_or_else(|| bad(kid, "no kty"))?;
    let (alg, key) = match (kty, field(jwk, "crv")) {
        ("oct", _) => return Err(bad(kid, "symmetric keys are not accepted")),
        ("EC", Some("P-256")) => {
            b64(jwk, "x", kid, Some(32))?;
            b64(jwk, "y", kid, Some(32))?;
            let (x, y) = (field(jwk, "x").unwrap_or(""), field(jwk, "y").unwrap_or(""));
            let key = DecodingKey::from_ec_components(x, y).map_err(|e| bad(kid, e.to_string()))?;
            (Algorithm::ES256, key)
        }
        ("OKP", Some("Ed25519")) => {
            b64(jwk, "x", kid, Some(32))?;
            let key = DecodingKey::from_ed_components(field(jwk, "x").unwrap_or(""))
                .map_err(|e| bad(kid, e.to_string()))?;
            (Algorithm::EdDSA, key)
        }
        ("RSA", _) => {
            let n = b64(jwk, "n", kid, None)?;
            b64(jwk, "e", kid, None)?;
            let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
            if bits < 2048 {
                return Err(bad(kid, "RSA modulus shorter than 2048 bits"));
            }
            let key = DecodingKey::from_rsa_components(
                field(jwk, "n").unwrap_or(""),
                field(jwk, "e").unwrap_or(""),
            )
            .map_err(|e| bad(kid, e.to_string()))?;
            (Algorithm::RS256, key)
        }
        (kty, crv) => {
            tracing::warn!(
                ?kid,
                kty,
                ?crv,
                "skipping a key of a type not used for tokens"
            );
            return Ok(None);
        }
    };
    // A key published for another algorithm (RS384, PS256…) is not used:
    // one key, one algorithm.
    if let Some(stated) = field(jwk, "alg")
        && stated != alg_name(alg)
    {
        tracing::warn!(
            ?kid,
            stated,
            "skipping a key published for another algorithm"
        );
        return Ok(None);
    }
    Ok(Some(VerifyingKey {
        kid: kid.cloned(),
        alg,
        key,
    }))
}

/// The JOSE name of the algorithms this verifier accepts.
pub(crate) fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "ES256",
        Algorithm::EdDSA => "EdDSA",
        Algorithm::RS256 => "RS256",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC: &str = r#"{"kty":"EC","crv":"P-256","kid":"a","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

    #[test]
    fn reads_ec_keys_and_skips_encryption_keys() {
        let text = format!(
            r#"{{"keys":[{EC},{{"kty":"EC","crv":"P-256","use":"enc","kid":"e","x":"","y":""}},{{"kty":"EC","crv":"P-384","kid":"p","x":"","y":""}}]}}"#
        );
        let set = KeySet::from_jwks_json(&text).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.find(Some("a")).is_some());
        assert!(set.find(None).is_some(), "one key: a token may omit kid");
        assert!(set.find(Some("e")).is_none());
    }

    #[test]
    fn refuses_symmetric_duplicate_malformed_and_empty_sets() {
        for text in [
            r#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]}"#.to_owned(),
            format!(r#"{{"keys":[{EC},{EC}]}}"#),
            r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"s","x":"AAAA","y":"AAAA"}]}"#.to_owned(),
            r#"{"keys":[{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"}]}"#.to_owned(),
            r#"{"keys":[]}"#.to_owned(),
            "not json".to_owned(),
        ] {
            assert!(KeySet::from_jwks_json(&text).is_err(), "{text}");
        }
    }

    #[test]
    fn url_sources_need_a_fetch_and_only_https_or_loopback_is_fetched() {
        let source: KeySource =
            serde_json::from_str(r#"{"source":"url","url":"https://idp.test/jwks"}"#).unwrap();
        assert!(matches!(source.load(), Err(ConfigError::NeedsFetch(_))));
        assert_eq!(source.refresh(), Some(DEFAULT_REFRESH));
        let plain: KeySource =
            serde_json::from_str(r#"{"source":"url","url":"http://idp.test/jwks"}"#).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let error = runtime.block_on(plain.fetch()).unwrap_err();
        assert!(error.to_string().contains("only https"), "{error}");
    }
}
