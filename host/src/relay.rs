//! Between HTTP and a service's `handler`: what crosses, and what never does.
//!
//! Only a short list of request headers reaches a component (never cookies
//! or credentials); a response's status and headers are checked before they
//! reach the browser, and headers that could touch the platform's own
//! session (cookies) are dropped.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::runtime::bindings::handler;

/// Largest request body relayed to a service.
pub const MAX_REQUEST_BODY: usize = 1024 * 1024;

/// Request headers a service may see.
const FORWARDED: [&str; 5] = [
    "accept",
    "accept-language",
    "content-type",
    "content-length",
    "user-agent",
];

/// Response headers a service may not set.
const REFUSED: [&str; 4] = [
    "set-cookie",
    "set-cookie2",
    "strict-transport-security",
    "clear-site-data",
];

/// Response headers the platform sets itself: a service's own values are
/// replaced, never added to.
const OWN: [&str; 3] = [
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
];

/// The policy every service page runs under, besides any of its own: a
/// sandbox that lets it keep its origin (its session and its forms work),
/// submit forms, run its scripts and offer downloads, and nothing more — no
/// pop-ups, no navigating the window away, no modal dialogs, no plugins —
/// and no framing by anyone.
pub const SERVICE_POLICY: &str =
    "sandbox allow-forms allow-scripts allow-same-origin allow-downloads; frame-ancestors 'none'";

/// Builds the component's request from HTTP parts.
pub fn to_component(parts: &axum::http::request::Parts, body: Vec<u8>) -> handler::Request {
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| FORWARDED.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    handler::Request {
        // Set by the runtime, to the service's pseudonym of the patient.
        patient: String::new(),
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers,
        body,
    }
}

/// Turns a component's response into HTTP, refusing what is malformed.
pub fn from_component(service: &str, response: handler::Response) -> Response {
    let Ok(status) = StatusCode::from_u16(response.status) else {
        tracing::warn!(
            service,
            status = response.status,
            "service answered an invalid status"
        );
        return (
            StatusCode::BAD_GATEWAY,
            "the service answered an invalid status code",
        )
            .into_response();
    };
    let mut http = Response::builder().status(status);
    for (name, value) in &response.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) else {
            tracing::warn!(service, header = %name, "service answered an invalid header; dropped");
            continue;
        };
        if REFUSED.contains(&name.as_str()) {
            tracing::warn!(service, header = %name, "service may not set this header; dropped");
            continue;
        }
        if OWN.contains(&name.as_str()) {
            continue;
        }
        http = http.header(name, value);
    }
    http = http
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::CONTENT_SECURITY_POLICY, SERVICE_POLICY);
    http.body(Body::from(response.body)).unwrap_or_else(|_| {
        (
            StatusCode::BAD_GATEWAY,
            "the service answered an invalid response",
        )
            .into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_a_component() {
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/weights?unit=kg")
            .header("cookie", "session=secret")
            .header("authorization", "Bearer secret")
            .header("content-type", "application/json")
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        let req = to_component(&parts, b"{}".to_vec());
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/weights");
        assert_eq!(req.query, "unit=kg");
        assert_eq!(
            req.headers,
            vec![("content-type".to_owned(), "application/json".to_owned())]
        );
    }

    #[test]
    fn cookies_and_bad_statuses_are_refused() {
        let response = from_component(
            "test",
            handler::Response {
                status: 200,
                headers: vec![
                    ("set-cookie".to_owned(), "platform=stolen".to_owned()),
                    ("content-type".to_owned(), "text/html".to_owned()),
                    ("bad header".to_owned(), "x".to_owned()),
                    ("x-frame-options".to_owned(), "ALLOWALL".to_owned()),
                    (
                        "content-security-policy".to_owned(),
                        "default-src 'self'".to_owned(),
                    ),
                ],
                body: b"ok".to_vec(),
            },
        );
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get("set-cookie").is_none());
        assert_eq!(response.headers()["content-type"], "text/html");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        // The platform's framing rule replaces the service's; the service's
        // own policy stands beside the platform's sandbox, which it cannot
        // loosen.
        let framing: Vec<_> = response
            .headers()
            .get_all("x-frame-options")
            .iter()
            .collect();
        assert_eq!(framing, ["DENY"]);
        let policies: Vec<_> = response
            .headers()
            .get_all("content-security-policy")
            .iter()
            .collect();
        assert_eq!(policies, ["default-src 'self'", SERVICE_POLICY]);

        let response = from_component(
            "test",
            handler::Response {
                status: 1000,
                headers: vec![],
                body: vec![],
            },
        );
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    }
}
