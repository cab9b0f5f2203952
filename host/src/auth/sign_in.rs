//! Signing people in to the platform's pages: the relying party's side of
//! OpenID Connect's authorization code flow, with PKCE (RFC 7636).
//!
//! The browser is sent to the provider's authorization endpoint; the code
//! it comes back with is exchanged, server to server, for an ID token,
//! which the pages' own [`Verifier`](super::Verifier) checks (issuer, keys,
//! audience: our client id, lifetime, nonce). The provider's endpoints come
//! from its discovery document, fetched over HTTPS at start.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::error::ConfigError;
use super::identity::Population;
use super::keys::{fetch_text, trusted_url};
use super::oauth::with_query;
use crate::config::SecretSource;

/// The largest discovery document or token answer read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// How long the provider has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A provider people sign in with, as `[[sign-in]]` configures it.
///
/// ```toml
/// [[sign-in]]
/// name = "franceconnect"
/// label = "FranceConnect"
/// issuer = "https://auth.franceconnect.gouv.fr/api/v2"
/// client-id = "…"
/// client-secret = "env:OFFICINE_FRANCECONNECT_SECRET"   # optional
/// population = "patient"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProviderConfig {
    /// A short name, used in forms: lowercase letters, digits and `-`.
    pub name: String,
    /// What the sign-in button names.
    pub label: String,
    /// The issuer (`iss`). Its keys are those of the `[[issuers]]` entry
    /// with the same issuer.
    pub issuer: String,
    /// Officine's client id at this provider: the audience of its ID tokens.
    pub client_id: String,
    /// For a confidential client, its secret (sent with HTTP Basic); a
    /// public client relies on PKCE alone.
    pub client_secret: Option<SecretSource>,
    /// Whom this provider signs in.
    pub population: Population,
}

impl ProviderConfig {
    /// Checks what can be checked without the network.
    pub fn check(&self) -> Result<(), String> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 40
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            return Err(format!(
                "sign-in {:?}: a name is 1 to 40 lowercase letters, digits or '-'",
                self.name
            ));
        }
        if self.client_id.is_empty() || self.label.is_empty() {
            return Err(format!(
                "sign-in {:?}: client-id and label are required",
                self.name
            ));
        }
        trusted_url(&self.issuer).map_err(|e| format!("sign-in {:?}: {e}", self.name))?;
        Ok(())
    }
}

/// A provider, ready: its endpoints known, its secret read.
#[derive(Clone)]
pub struct Provider {
    pub name: String,
    pub label: String,
    pub population: Population,
    pub issuer: String,
    pub client_id: String,
    client_secret: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// Where a browser ends its session at the provider, if it says.
    pub end_session_endpoint: Option<String>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("Provider")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The parts of a provider's discovery document used here.
#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    end_session_endpoint: Option<String>,
}

/// What the browser is sent to the provider with.
#[derive(Debug, Clone)]
pub struct Authorization<'a> {
    /// Where the provider sends the browser back: ours.
    pub redirect_uri: &'a str,
    /// Ties the answer to this browser's sign-in.
    pub state: &'a str,
    /// Ties the ID token to this sign-in.
    pub nonce: &'a str,
    /// BASE64URL(SHA-256(verifier)).
    pub code_challenge: &'a str,
    /// Whom to sign in, where the provider takes a hint (development).
    pub login_hint: Option<&'a str>,
    /// The page's language, for the provider's pages.
    pub ui_locales: &'a str,
}

/// Why a sign-in could not be finished with the provider.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The token endpoint said no (an OAuth error).
    #[error("the provider refused the code: {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    /// The provider could not be reached, or answered nonsense.
    #[error("the provider did not answer usably: {0}")]
    Unusable(String),
}

impl Provider {
    /// A provider whose endpoints are known (the development issuer's).
    pub fn known(
        name: impl Into<String>,
        label: impl Into<String>,
        population: Population,
        issuer: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Provider {
        let issuer = issuer.into();
        Provider {
            name: name.into(),
            label: label.into(),
            population,
            client_id: client_id.into(),
            client_secret: None,
            authorization_endpoint: format!("{issuer}/authorize"),
            token_endpoint: format!("{issuer}/token"),
            end_session_endpoint: Some(format!("{issuer}/logout")),
            issuer,
        }
    }

    /// Reads the provider's discovery document and its client secret.
    pub async fn discover(config: &ProviderConfig) -> Result<Provider, ConfigError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            config.issuer.trim_end_matches('/')
        );
        let text = fetch_text(&url, MAX_ANSWER_BYTES).await?;
        let fail = |reason: String| ConfigError::Fetch {
            url: url.clone(),
            reason,
        };
        let found: Discovery = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
        // OpenID Connect Discovery, 4.3: the document speaks for this issuer.
        if found.issuer != config.issuer {
            return Err(fail(format!(
                "the document is for issuer {:?}, not {:?}",
                found.issuer, config.issuer
            )));
        }
        let endpoints = [&found.authorization_endpoint, &found.token_endpoint]
            .into_iter()
            .chain(found.end_session_endpoint.as_ref());
        for endpoint in endpoints {
            trusted_url(endpoint).map_err(|e| fail(format!("{endpoint}: {e}")))?;
        }
        let client_secret = match &config.client_secret {
            Some(source) => Some(
                source
                    .read("client-secret")
                    .map_err(|e| fail(e.to_string()))?,
            ),
            None => None,
        };
        Ok(Provider {
            name: config.name.clone(),
            label: config.label.clone(),
            population: config.population,
            issuer: config.issuer.clone(),
            client_id: config.client_id.clone(),
            client_secret,
            authorization_endpoint: found.authorization_endpoint,
            token_endpoint: found.token_endpoint,
            end_session_endpoint: found.end_session_endpoint,
        })
    }

    /// Where to send the browser to sign in.
    pub fn authorization_url(&self, request: &Authorization<'_>) -> String {
        let mut query = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", request.redirect_uri),
            ("scope", "openid"),
            ("state", request.state),
            ("nonce", request.nonce),
            ("code_challenge", request.code_challenge),
            ("code_challenge_method", "S256"),
            ("ui_locales", request.ui_locales),
        ];
        if let Some(hint) = request.login_hint {
            query.push(("login_hint", hint));
        }
        with_query(&self.authorization_endpoint, &query)
    }

    /// Where to send the browser to end its session at the provider, then
    /// come back to `back` (OpenID Connect RP-Initiated Logout); `None` if
    /// the provider offers none.
    pub fn logout_url(&self, back: &str) -> Option<String> {
        let endpoint = self.end_session_endpoint.as_deref()?;
        Some(with_query(
            endpoint,
            &[
                ("client_id", self.client_id.as_str()),
                ("post_logout_redirect_uri", back),
            ],
        ))
    }

    /// Exchanges a code for the provider's ID token (not yet verified).
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<String, SignInError> {
        let unusable = |e: &dyn std::fmt::Display| SignInError::Unusable(e.to_string());
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        let mut request = http.post(&self.token_endpoint).timeout(TIMEOUT);
        match &self.client_secret {
            Some(secret) => {
                // client_secret_basic (RFC 6749, 2.3.1): both parts form-encoded.
                let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect();
                let (id, secret): (String, String) = (encode(&self.client_id), encode(secret));
                let basic = STANDARD.encode(format!("{id}:{secret}"));
                request = request.header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"));
            }
            None => form.push(("client_id", &self.client_id)),
        }
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        let mut response = request
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| unusable(&e))?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| unusable(&e))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_ANSWER_BYTES {
                return Err(unusable(&"the answer is too large"));
            }
        }
        #[derive(Deserialize)]
        struct Answer {
            id_token: Option<String>,
            error: Option<String>,
            error_description: Option<String>,
        }
        let answer: Answer = serde_json::from_slice(&body)
            .map_err(|e| unusable(&format!("the token answer ({status}) is not JSON: {e}")))?;
        if let Some(error) = answer.error {
            return Err(SignInError::Refused {
                error,
                description: answer.error_description,
            });
        }
        if !status.is_success() {
            return Err(unusable(&format!("the token endpoint answered {status}")));
        }
        answer
            .id_token
            .ok_or_else(|| unusable(&"the token answer has no id_token"))
    }
}

/// The HTTP client for token endpoints: no redirects followed.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a TLS backend is built in")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ProviderConfig {
        ProviderConfig {
            name: "franceconnect".into(),
            label: "FranceConnect".into(),
            issuer: "https://auth.example.fr".into(),
            client_id: "officine".into(),
            client_secret: None,
            population: Population::Patient,
        }
    }

    #[test]
    fn a_configured_provider_is_checked_before_use() {
        assert_eq!(config().check(), Ok(()));
        let bad = [
            ProviderConfig {
                name: "France Connect".into(),
                ..config()
            },
            ProviderConfig {
                name: String::new(),
                ..config()
            },
            ProviderConfig {
                client_id: String::new(),
                ..config()
            },
            ProviderConfig {
                issuer: "http://auth.example.fr".into(),
                ..config()
            },
        ];
        for config in bad {
            assert!(config.check().is_err(), "{config:?}");
        }
    }

    #[test]
    fn the_authorization_url_asks_for_a_code_with_pkce() {
        let provider = Provider::known(
            "dev",
            "Dev",
            Population::Patient,
            "http://127.0.0.1:8080/dev-issuer",
            "officine-web-patient",
        );
        let url = provider.authorization_url(&Authorization {
            redirect_uri: "http://127.0.0.1:8080/connexion/retour",
            state: "s",
            nonce: "n",
            code_challenge: "c",
            login_hint: Some("patient:demo"),
            ui_locales: "fr",
        });
        assert_eq!(
            url,
            "http://127.0.0.1:8080/dev-issuer/authorize?response_type=code\
             &client_id=officine-web-patient\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fconnexion%2Fretour\
             &scope=openid&state=s&nonce=n&code_challenge=c&code_challenge_method=S256\
             &ui_locales=fr&login_hint=patient%3Ademo"
        );
    }

    #[test]
    fn logging_out_at_the_provider_comes_back_to_the_platform() {
        let mut provider = Provider::known(
            "dev",
            "Dev",
            Population::Patient,
            "http://127.0.0.1:8080/dev-issuer",
            "officine-web-patient",
        );
        assert_eq!(
            provider
                .logout_url("http://127.0.0.1:8080/catalogue?lang=fr")
                .as_deref(),
            Some(
                "http://127.0.0.1:8080/dev-issuer/logout?client_id=officine-web-patient\
                 &post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcatalogue%3Flang%3Dfr"
            )
        );
        provider.end_session_endpoint = None;
        assert_eq!(provider.logout_url("http://127.0.0.1:8080/"), None);
    }

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let mut provider = Provider::known("p", "P", Population::Patient, "https://i", "c");
        provider.client_secret = Some("hunter2".into());
        assert!(!format!("{provider:?}").contains("hunter2"));
    }
}
