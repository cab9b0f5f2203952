//! Opening a service: from the platform, signed in, to the service's own
//! site, with a session of its own.
//!
//! `GET /s/{service}?path=…` makes a one-time code for (patient, service)
//! and redirects the browser to `/.officine/session?code=…` on the
//! service's own site (`http://<label>.svc.localhost:<port>` in
//! development, see [`crate::sites`]), which trades it for a session cookie
//! on the service's host and lands on `path`. The platform's credentials never
//! travel to the service's site; the code is single-use and lives 30 s.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{ApiError, ApiState};
use crate::auth::PatientIdentity;
use crate::listing::releases;
use crate::model::{PatientId, now_millis};
use crate::sessions;
use crate::sites;

/// The path on a service's site that redeems a handshake code.
pub const SESSION_PATH: &str = "/.officine/session";

/// The port the platform was reached on, for sites without a port of their own.
fn reached_on(headers: &HeaderMap) -> Option<u16> {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(sites::port_of)
}

/// A path on the service's site to land on: absolute, without a scheme or
/// host, so the redirect cannot be turned towards another site.
fn landing(path: &str) -> Result<String, ApiError> {
    let path = format!("/{}", path.trim_start_matches('/'));
    let safe = !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_control())
        && !path.starts_with(SESSION_PATH);
    safe.then_some(path)
        .ok_or_else(|| ApiError::BadRequest("not a path on the service's site".into()))
}

/// Where to land on a service's site.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Landing {
    /// A path on the service's site, e.g. `/api/summary`. Default: `/`.
    pub path: Option<String>,
}

/// Opens a listed service for the signed-in patient.
#[utoipa::path(
    get,
    path = "/s/{service}",
    tag = "store",
    params(("service" = String, Path, description = "The service id"), Landing),
    responses(
        (status = 303, description = "To the service's own site, with a one-time code"),
        (status = 400, description = "Not a path on the service's site", content_type = "application/problem+json", body = super::Problem),
        (status = 401, description = "No valid patient token"),
        (status = 404, description = "No listed service with this id", content_type = "application/problem+json", body = super::Problem)
    ),
    security(("bearer" = []))
)]
pub async fn open(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    Path(service): Path<String>,
    Query(to): Query<Landing>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    handshake(
        &state,
        &patient.subject,
        &service,
        to.path.as_deref(),
        &headers,
    )
    .await
}

/// Sends `patient`'s browser to `service`'s own site, landing on `path`
/// (default `/`), with a one-time code for a session there.
pub async fn handshake(
    state: &ApiState,
    patient: &PatientId,
    service: &str,
    path: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let landing = landing(path.unwrap_or("/"))?;
    let listed = releases::serving(&state.db)
        .await?
        .into_iter()
        .find(|stored| stored.release.manifest().id().as_str() == service)
        .ok_or_else(|| ApiError::NotFound(format!("no listed service {service:?}")))?;
    let id = listed.release.manifest().id().clone();
    let code = sessions::begin(&state.db, patient, &id, &landing, now_millis()).await?;
    let site = state
        .sites
        .origin(sites::label(id.as_str()), reached_on(headers));
    let location = format!("{site}{SESSION_PATH}?code={code}");
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_the_site_are_landings() {
        assert_eq!(landing("").unwrap(), "/");
        assert_eq!(landing("api/summary").unwrap(), "/api/summary");
        // Never a network-path reference to another host.
        assert_eq!(landing("//evil.example/x").unwrap(), "/evil.example/x");
        assert!(landing("\\\\evil.example").is_err());
        assert!(landing("a\nb").is_err());
        assert!(landing(".officine/session").is_err());
    }

    #[test]
    fn the_site_keeps_the_platforms_port() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(reached_on(&headers), Some(8080));
    }
}
