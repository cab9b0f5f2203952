//! The HTTP API: the store's catalogue first; identities, FHIR resources
//! and the registry's endpoints build on the same state and error types.
//!
//! Every route is declared with `utoipa::path` and collected by
//! `utoipa_axum`, so `/openapi.json` is generated from the handlers
//! themselves and cannot drift from them.

pub mod audit;
pub mod catalogue;
pub mod consents;
pub mod limits;
pub mod patient;
pub mod records;
pub mod registry;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Verifier;
use crate::db::{Db, DbError};
use crate::listing::Registry;
use crate::runtime::Runtime;

/// The largest request body the API reads.
pub const MAX_BODY: usize = 1024 * 1024;
/// How long a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What every handler shares.
#[derive(Clone)]
pub struct ApiState {
    pub db: Db,
    /// Verifies bearer tokens from the trusted issuers.
    pub verifier: Arc<Verifier>,
    /// The registry: submissions, reviews, the transparency log.
    pub registry: Registry,
    /// The runtime, to check submitted components.
    pub runtime: Arc<Runtime>,
    /// Where the store sends patients to open a service.
    pub sites: crate::sites::ServiceSites,
    /// Verifies the audit log's checkpoints, for the regulators' desk.
    pub audit_log: officine_registry::log::LogVerifier,
    /// The pages' settings: origin, sign-in providers.
    pub web: Arc<crate::web::Web>,
}

impl FromRef<ApiState> for Arc<Verifier> {
    fn from_ref(state: &ApiState) -> Self {
        state.verifier.clone()
    }
}

/// An error answer: RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// The HTTP status.
    pub status: u16,
    /// A short summary of the kind of problem.
    pub title: String,
    /// What exactly went wrong, for this request.
    pub detail: String,
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// Any other status, with its detail.
    #[error("{1}")]
    Status(StatusCode, String),
    #[error(transparent)]
    Db(#[from] DbError),
    /// A registry operation refused (or the registry unavailable).
    #[error(transparent)]
    Listing(#[from] crate::listing::ListingError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail) = match &self {
            ApiError::NotFound(detail) => (StatusCode::NOT_FOUND, detail.clone()),
            ApiError::BadRequest(detail) => (StatusCode::BAD_REQUEST, detail.clone()),
            ApiError::Status(status, detail) => (*status, detail.clone()),
            ApiError::Db(error) => {
                // The detail stays in the host's logs: it may name tables or values.
                tracing::error!(%error, "storage failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage is unavailable".to_owned(),
                )
            }
            ApiError::Listing(error) => {
                use crate::listing::ListingError as L;
                match error {
                    // Storage and the registry's own files: details stay in
                    // the logs.
                    L::Db(_) | L::File { .. } => {
                        tracing::error!(%error, "the registry failed");
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            "the registry is unavailable".to_owned(),
                        )
                    }
                    L::NoRelease(_) => (StatusCode::NOT_FOUND, error.to_string()),
                    // The request is sound, the registry's state forbids it.
                    L::Duplicate { .. }
                    | L::OlderVersion { .. }
                    | L::KeyExists { .. }
                    | L::Workflow(_) => (StatusCode::CONFLICT, error.to_string()),
                    // Every other refusal: what was sent is not acceptable.
                    _ => (StatusCode::BAD_REQUEST, error.to_string()),
                }
            }
        };
        let problem = Problem {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("error").to_owned(),
            detail,
        };
        let mut response = (status, Json(problem)).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Officine",
        description = "The runtime of a health app store: the catalogue of listed services, \
                       patients' data as FHIR R4 resources, consent, and the registry."
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Declares the bearer-token scheme the secured routes name.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The API's routes and its OpenAPI document.
pub fn routes() -> (Router<ApiState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(catalogue::list))
        .routes(routes!(catalogue::show))
        .routes(routes!(store::open))
        .routes(routes!(store::launch))
        .routes(routes!(
            patient::search_observations,
            patient::create_observation
        ))
        .routes(routes!(patient::read_observation))
        .routes(routes!(patient::export))
        .routes(routes!(audit::search_audit_events))
        .routes(routes!(audit::component_report))
        .routes(routes!(audit::export))
        .routes(routes!(audit::list_alerts))
        .routes(routes!(audit::close_alert))
        .routes(routes!(records::search_appointments))
        .routes(routes!(records::search_documents))
        .routes(routes!(records::read_binary))
        .routes(routes!(records::search_communications))
        .routes(routes!(consents::list_consents, consents::create_consent))
        .routes(routes!(
            consents::read_consent,
            consents::update_consent,
            consents::patch_consent
        ))
        .routes(registry::submission())
        .routes(routes!(registry::show_own))
        .routes(routes!(registry::list_own_keys))
        .routes(routes!(registry::requirements))
        .routes(routes!(registry::checkpoint))
        .routes(routes!(registry::trusted_root))
        .routes(routes!(registry::list_all))
        .routes(routes!(registry::show))
        .routes(routes!(registry::admit))
        .routes(routes!(registry::reject))
        .routes(routes!(registry::start))
        .routes(routes!(registry::decide))
        .routes(routes!(registry::suspend))
        .routes(routes!(registry::reinstate))
        .routes(routes!(registry::withdraw))
        .routes(routes!(registry::list_keys, registry::add_key))
        .routes(routes!(registry::revoke_key))
        .routes(routes!(registry::add_identity))
        .split_for_parts();
    document_limits(&mut openapi);
    (router, openapi)
}

/// Adds the answers of the request limits that every route shares (see
/// [`router`]) to each operation: 408 everywhere, 413 where a body is read.
fn document_limits(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let timeout = ResponseBuilder::new()
        .description(format!(
            "The request took longer than {} s",
            REQUEST_TIMEOUT.as_secs()
        ))
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build();
    let too_large = ResponseBuilder::new()
        .description(format!("The body is larger than {MAX_BODY} bytes"))
        .build();
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            responses
                .entry("408".to_owned())
                .or_insert_with(|| timeout.clone().into());
            if operation.request_body.is_some() {
                responses
                    .entry("413".to_owned())
                    .or_insert_with(|| too_large.clone().into());
            }
        }
    }
}

/// The API, ready to serve: its routes, `/openapi.json`, and the request
/// limits (body size, time).
pub fn router(state: ApiState) -> Router {
    let (routes, openapi) = routes();
    let document = openapi.to_json().expect("the OpenAPI document serializes");
    routes
        .merge(crate::web::routes())
        .route(
            "/openapi.json",
            axum::routing::get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    document,
                )
            }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(|request, next| {
            limits::deadline(REQUEST_TIMEOUT, request, next)
        }))
        .with_state(state)
}
