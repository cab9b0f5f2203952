//! Axum extractors: `Authorization: Bearer …` in, an identity out, or a
//! 401 / 403 answer (RFC 6750).

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::cache::TokenHash;
use super::error::AuthError;
use super::identity::{Editor, Identity, Patient, Population, Professional, Regulator};
use super::verify::Verifier;

/// Why a request was not let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthRejection {
    /// No usable token: 401.
    Unauthorized(AuthError),
    /// A valid token of another population than the route serves: 403.
    WrongPopulation {
        /// The population the route serves.
        expected: Population,
        /// The token's.
        found: Population,
    },
}

impl From<AuthError> for AuthRejection {
    fn from(error: AuthError) -> Self {
        AuthRejection::Unauthorized(error)
    }
}

/// Keeps a header parameter within RFC 6750's quoted-string characters
/// (printable ASCII without `"` and `\`).
fn quotable(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| match c {
            ' ' | '!' | '#'..='[' | ']'..='~' => c,
            _ => '?',
        })
        .collect()
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let (status, challenge, body) = match &self {
            // A request without credentials gets a bare challenge, no error
            // code (RFC 6750, 3.1).
            AuthRejection::Unauthorized(AuthError::MissingToken) => (
                StatusCode::UNAUTHORIZED,
                "Bearer".to_owned(),
                serde_json::json!({
                    "error": "missing_token",
                    "message": AuthError::MissingToken.to_string(),
                }),
            ),
            AuthRejection::Unauthorized(error) => (
                StatusCode::UNAUTHORIZED,
                format!(
                    "Bearer error=\"invalid_token\", error_description=\"{}\"",
                    quotable(&error.to_string())
                ),
                serde_json::json!({
                    "error": "invalid_token",
                    "reason": error.code(),
                    "message": error.to_string(),
                }),
            ),
            AuthRejection::WrongPopulation { expected, found } => {
                let message = format!("this route is for {expected}s, not {found}s");
                (
                    StatusCode::FORBIDDEN,
                    format!(
                        "Bearer error=\"insufficient_scope\", error_description=\"{}\"",
                        quotable(&message)
                    ),
                    serde_json::json!({
                        "error": "forbidden",
                        "reason": "wrong_population",
                        "message": message,
                    }),
                )
            }
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// The token of `Authorization: Bearer <token>`; other schemes count as no
/// token.
fn bearer(parts: &Parts) -> Result<&str, AuthError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::MissingToken)?;
    let value = value
        .to_str()
        .map_err(|_| AuthError::Malformed("the Authorization header is not ASCII"))?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::MissingToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MissingToken);
    }
    let token = token.trim_matches(' ');
    if token.is_empty() {
        return Err(AuthError::Malformed("empty bearer token"));
    }
    Ok(token)
}

/// Verifies the request's bearer token with the state's [`Verifier`].
fn identify<S>(parts: &Parts, state: &S) -> Result<Identity, AuthError>
where
    Arc<Verifier>: FromRef<S>,
{
    let token = bearer(parts)?;
    let verifier = Arc::<Verifier>::from_ref(state);
    verifier.verify(token).inspect_err(|error| {
        // The hash only: a token is a credential.
        tracing::debug!(
            token = %TokenHash::of(token).short(),
            reason = error.code(),
            "bearer token refused"
        );
    })
}

/// Any signed-in identity. The router's state must provide an
/// `Arc<Verifier>` (through [`FromRef`]).
impl<S> FromRequestParts<S> for Identity
where
    S: Send + Sync,
    Arc<Verifier>: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(identify(parts, state)?)
    }
}

macro_rules! population_extractor {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $variant:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub $inner);

        impl<S> FromRequestParts<S> for $name
        where
            S: Send + Sync,
            Arc<Verifier>: FromRef<S>,
        {
            type Rejection = AuthRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                match identify(parts, state)? {
                    Identity::$variant(inner) => Ok($name(inner)),
                    other => Err(AuthRejection::WrongPopulation {
                        expected: Population::$variant,
                        found: other.population(),
                    }),
                }
            }
        }
    };
}

population_extractor!(
    /// A signed-in patient; other populations get 403.
    PatientIdentity,
    Patient,
    Patient
);
population_extractor!(
    /// A signed-in health professional; other populations get 403.
    ProfessionalIdentity,
    Professional,
    Professional
);
population_extractor!(
    /// A signed-in editor; other populations get 403.
    EditorIdentity,
    Editor,
    Editor
);
population_extractor!(
    /// A signed-in regulator; other populations get 403.
    RegulatorIdentity,
    Regulator,
    Regulator
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parameters_stay_quotable() {
        assert_eq!(quotable("a \"b\" \\ é\n"), "a ?b? ? ??");
    }

    #[test]
    fn only_the_bearer_scheme_carries_a_token() {
        let parts = |value: &str| {
            axum::http::Request::builder()
                .header(header::AUTHORIZATION, value)
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        assert_eq!(bearer(&parts("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(&parts("bearer  abc ")), Ok("abc"));
        assert_eq!(bearer(&parts("Basic abc")), Err(AuthError::MissingToken));
        assert_eq!(bearer(&parts("Bearer")), Err(AuthError::MissingToken));
        assert!(matches!(
            bearer(&parts("Bearer  ")),
            Err(AuthError::Malformed(_))
        ));
    }
}
