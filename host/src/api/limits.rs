//! Request limits: a body too large is 413, JSON nested too deep 400, a
//! request that takes too long 408. Each says which limit was met.

use std::time::Duration;

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::{ApiError, MAX_BODY};

/// The deepest nesting of arrays and objects a JSON body may have. FHIR
/// resources nest a handful of levels; anything far deeper is an attack on
/// the parser, refused before parsing.
pub const MAX_JSON_DEPTH: usize = 32;

/// Answers 408 when the rest of the stack takes longer than `limit`.
pub async fn deadline(limit: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Status(
            StatusCode::REQUEST_TIMEOUT,
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .into_response(),
    }
}

/// The nesting depth of a JSON text, counting `[` and `{` outside strings.
/// Stops counting (and answers `limit + 1`) as soon as `limit` is passed.
pub fn json_depth(bytes: &[u8], limit: usize) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &byte in bytes {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > limit {
                    return deepest;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A JSON body, read within [`MAX_BODY`] and [`MAX_JSON_DEPTH`].
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
            .await
            .map_err(|_| {
                ApiError::Status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the body is larger than {MAX_BODY} bytes"),
                )
            })?;
        if json_depth(&bytes, MAX_JSON_DEPTH) > MAX_JSON_DEPTH {
            return Err(ApiError::BadRequest(format!(
                "the JSON body nests deeper than {MAX_JSON_DEPTH} levels"
            )));
        }
        serde_json::from_slice(&bytes)
            .map(Json)
            .map_err(|e| ApiError::BadRequest(format!("the body is not the JSON expected: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_nesting_outside_strings() {
        assert_eq!(json_depth(b"1", 32), 0);
        assert_eq!(json_depth(br#"{"a":[1,{"b":2}]}"#, 32), 3);
        assert_eq!(json_depth(br#"{"a":"[[[[{{{"}"#, 32), 1);
        assert_eq!(json_depth(br#"{"a":"\"[[[["}"#, 32), 1);
        let deep = "[".repeat(10_000);
        assert_eq!(json_depth(deep.as_bytes(), 32), 33);
    }
}
