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
use officine_policy::habilitation::Space;

use crate::audit::{Actor, Event, Outcome};
use crate::auth::{PatientIdentity, ProfessionalIdentity};
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
    let location = handshake_url(state, patient, service, path, None, headers).await?;
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response())
}

/// The URL on `service`'s own site that opens a session there for
/// `patient` (opened by a professional with `launch`), landing on `path`.
async fn handshake_url(
    state: &ApiState,
    patient: &PatientId,
    service: &str,
    path: Option<&str>,
    launch: Option<&sessions::Launch>,
    headers: &HeaderMap,
) -> Result<String, ApiError> {
    let landing = landing(path.unwrap_or("/"))?;
    let listed = releases::serving(&state.db)
        .await?
        .into_iter()
        .find(|stored| stored.release.manifest().id().as_str() == service)
        .ok_or_else(|| ApiError::NotFound(format!("no listed service {service:?}")))?;
    let id = listed.release.manifest().id().clone();
    let code = sessions::begin(&state.db, patient, &id, &landing, launch, now_millis()).await?;
    let site = state
        .sites
        .origin(sites::label(id.as_str()), reached_on(headers));
    Ok(format!("{site}{SESSION_PATH}?code={code}"))
}

/// A contextual call: the patient and the service a professional's own
/// software opens, in that patient's context.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LaunchRequest {
    /// The patient's id on the platform.
    pub patient: String,
    /// The listed service to open.
    pub service: String,
    /// A path on the service's site. Default: `/`.
    pub path: Option<String>,
}

/// Where the professional's browser goes.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct LaunchAnswer {
    /// The service's own site, with a one-time code: open it in the
    /// professional's browser.
    pub launch_url: String,
    /// Seconds the code stays valid.
    pub expires_in: u64,
}

/// Opens a listed service in a patient's context from a professional's own
/// software, without signing in again or choosing the patient again (in
/// the spirit of SMART's EHR launch): the patient must have granted the
/// service, must not have blocked the professional nor closed their space;
/// the service then runs under the patient's grant narrowed by the
/// habilitation matrix for the professional's profession. Every launch,
/// allowed or refused, is on the patient's record.
#[utoipa::path(
    post,
    path = "/api/professional/launch",
    tag = "professional",
    request_body = LaunchRequest,
    responses(
        (status = 200, description = "The URL to open", body = LaunchAnswer),
        (status = 400, description = "Not a path on the service's site", content_type = "application/problem+json", body = super::Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a professional's token, or the patient's rules refuse it", content_type = "application/problem+json", body = super::Problem),
        (status = 404, description = "No listed service with this id", content_type = "application/problem+json", body = super::Problem)
    ),
    security(("bearer" = []))
)]
pub async fn launch(
    State(state): State<ApiState>,
    ProfessionalIdentity(professional): ProfessionalIdentity,
    headers: HeaderMap,
    super::limits::Json(request): super::limits::Json<LaunchRequest>,
) -> Result<axum::Json<LaunchAnswer>, ApiError> {
    let patient = PatientId::new(&request.patient);
    let service = crate::model::ServiceId::new(&request.service)
        .map_err(|_| ApiError::NotFound(format!("no listed service {:?}", request.service)))?;
    let rpps = professional.rpps.to_string();
    let actor = Actor::Professional { rpps: rpps.clone() };
    let db = &state.db;
    let listed = releases::serving(db)
        .await?
        .iter()
        .any(|stored| stored.release.manifest().id() == &service);
    if !listed {
        return Err(ApiError::NotFound(format!("no listed service {service}")));
    }
    // A patient unknown, unwilling or closed answers alike: the refusal
    // says nothing of whether the patient exists.
    let known = db.patient_exists(&patient).await?;
    let (space, overrides) = crate::professionals::rules(db, &patient).await?;
    let refusal = if !known || space == Space::Closed {
        Some("no grant of this patient allows it")
    } else if overrides.is_blocked(&rpps) {
        Some("the patient blocked this professional")
    } else if crate::consent::for_invocation(db, &patient, &service, now_millis())
        .await?
        .is_none()
    {
        Some("no grant of this patient allows it")
    } else {
        None
    };
    let recorded = |outcome: Outcome, records: u64| {
        let event = Event::new(
            actor.clone(),
            Some(&patient),
            "launch.open",
            records,
            outcome,
        );
        async move {
            db.audit().record(vec![event]).await.map_err(|error| {
                tracing::error!(%error, "recording a launch failed");
                ApiError::Status(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the audit record is unavailable".into(),
                )
            })
        }
    };
    if let Some(reason) = refusal {
        if known {
            recorded(
                Outcome::Denied {
                    reason: reason.to_owned(),
                },
                0,
            )
            .await?;
        }
        return Err(ApiError::Status(StatusCode::FORBIDDEN, reason.to_owned()));
    }
    let launch = sessions::Launch {
        rpps,
        profession: professional.profession.to_string(),
    };
    let url = handshake_url(
        &state,
        &patient,
        service.as_str(),
        request.path.as_deref(),
        Some(&launch),
        &headers,
    )
    .await?;
    recorded(Outcome::Allowed, 1).await?;
    Ok(axum::Json(LaunchAnswer {
        launch_url: url,
        expires_in: sessions::CODE_LIFETIME.as_secs(),
    }))
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
