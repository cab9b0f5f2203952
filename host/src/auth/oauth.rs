//! OAuth 2.0 pieces of the development issuer's code flow: PKCE (RFC
//! 7636), loopback redirect URIs (RFC 8252), error answers (RFC 6749).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

/// An OAuth error answer (RFC 6749, 4.1.2.1 and 5.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct OAuthError {
    /// The OAuth error code.
    pub error: &'static str,
    /// What was wrong.
    pub description: String,
    /// Where to send the error, once the client and redirect URI are
    /// known good (with the `state` to echo); otherwise answered directly.
    pub redirect: Option<(String, Option<String>)>,
}

pub(crate) fn oauth(error: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError {
        error,
        description: description.into(),
        redirect: None,
    }
}

/// Whether `uri` is an `http` URL on a loopback host (RFC 8252, 7.3),
/// without user info or fragment.
pub(crate) fn is_loopback_http(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    if uri.contains('#') {
        return false;
    }
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && host != "[" && !port.contains(']') => {
            (host, Some(port))
        }
        _ => (authority, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok && matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

/// A PKCE verifier: 43 to 128 unreserved characters (RFC 7636, 4.1).
pub(crate) fn is_pkce_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// BASE64URL(SHA-256(verifier)) (RFC 7636, 4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// 32 random bytes, base64url: an authorization code.
pub(crate) fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// `uri` with `query` appended, percent-encoded.
pub(crate) fn with_query(uri: &str, query: &[(&str, &str)]) -> String {
    let mut out = uri.to_owned();
    let mut separator = if uri.contains('?') { '&' } else { '?' };
    for (name, value) in query {
        out.push(separator);
        out.push_str(name);
        out.push('=');
        for b in value.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        separator = '&';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge(VERIFIER),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn loopback_redirects() {
        for ok in [
            "http://127.0.0.1/cb",
            "http://127.0.0.1:8080/cb?x=1",
            "http://localhost:3000",
            "http://[::1]:9/cb",
        ] {
            assert!(is_loopback_http(ok), "{ok}");
        }
        for bad in [
            "https://127.0.0.1/cb",
            "http://127.0.0.1:80a/cb",
            "http://127.0.0.2/cb",
            "http://127.0.0.1/cb#f",
            "http://[::1]x/cb",
            "http://localhost.evil/cb",
        ] {
            assert!(!is_loopback_http(bad), "{bad}");
        }
    }
}
