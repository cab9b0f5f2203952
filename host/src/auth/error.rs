//! Why a token was refused, and why a configuration was.

/// Why a bearer token was refused. Each variant is one precise reason; the
/// messages never quote the token, and quote values read from it only when
/// short and already checked to be plain text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer …` header (or another scheme).
    #[error("no bearer token")]
    MissingToken,
    /// Not a compact JWS (three base64url parts, JSON header and claims).
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not one this verifier accepts.
    #[error("algorithm not allowed: {0}")]
    AlgorithmNotAllowed(String),
    /// The token's `iss` is not a trusted issuer.
    #[error("wrong issuer: not a trusted issuer")]
    WrongIssuer,
    /// The token's `aud` does not name this service for its issuer.
    #[error("wrong audience")]
    WrongAudience,
    /// The header's `kid` names no key of the issuer (or there is none and
    /// the issuer has several keys).
    #[error("unknown key id")]
    UnknownKey,
    /// The signature does not verify with the issuer's key.
    #[error("bad signature")]
    BadSignature,
    /// `exp` (plus the leeway) is past.
    #[error("expired at {exp} (unix time)")]
    Expired {
        /// The token's `exp`.
        exp: u64,
    },
    /// `nbf` or `iat` (minus the leeway) is still in the future.
    #[error("not yet valid: {claim} is {at} (unix time)")]
    NotYetValid {
        /// `nbf` or `iat`.
        claim: &'static str,
        /// Its value.
        at: u64,
    },
    /// A required claim is absent.
    #[error("missing claim: {0}")]
    MissingClaim(&'static str),
    /// A claim is present but unusable.
    #[error("malformed claim {claim}: {reason}")]
    MalformedClaim {
        /// The claim's name.
        claim: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl AuthError {
    /// A short, stable code for the reason, for clients and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingToken => "missing_token",
            AuthError::Malformed(_) => "malformed_token",
            AuthError::AlgorithmNotAllowed(_) => "algorithm_not_allowed",
            AuthError::WrongIssuer => "wrong_issuer",
            AuthError::WrongAudience => "wrong_audience",
            AuthError::UnknownKey => "unknown_key_id",
            AuthError::BadSignature => "bad_signature",
            AuthError::Expired { .. } => "expired",
            AuthError::NotYetValid { .. } => "not_yet_valid",
            AuthError::MissingClaim(_) => "missing_claim",
            AuthError::MalformedClaim { .. } => "malformed_claim",
        }
    }
}

/// Why a trusted issuer's configuration or key set was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The key set file could not be read.
    #[error("reading the key set {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The key set is not a JWKS document.
    #[error("the key set is not a JWKS document: {0}")]
    NotJwks(String),
    /// A key of the set cannot be used for verification.
    #[error("key {kid:?}: {reason}")]
    BadKey {
        /// The key's id, if it has one.
        kid: Option<String>,
        /// Why.
        reason: String,
    },
    /// The set holds no usable signing key.
    #[error("the key set holds no usable signing key (EC P-256, Ed25519 or RSA)")]
    NoKeys,
    /// Two trusted issuers with the same `iss` and audience.
    #[error("issuer {issuer} is configured twice for audience {audience}")]
    Duplicate {
        /// The issuer.
        issuer: String,
        /// The audience.
        audience: String,
    },
    /// No trusted issuer has this `iss`.
    #[error("no trusted issuer {0}")]
    UnknownIssuer(String),
    /// A key set could not be fetched from its URL.
    #[error("fetching the key set at {url}: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A URL key source was met where only files can be read (a
    /// synchronous start): use [`super::Verifier::load`].
    #[error("the key set at {0} must be fetched: load the verifier with Verifier::load")]
    NeedsFetch(String),
    /// The development issuer's key could not be read or created.
    #[error("development issuer key {path}: {reason}")]
    DevKey {
        /// The key file.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
}
