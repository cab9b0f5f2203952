//! The store's catalogue: the services patients can connect, each with the
//! consent sheet they read before granting anything.

use axum::Json;
use axum::extract::{Path, State};
use officine_registry::Scope;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, ApiState};
use crate::listing::releases::{self, StoredRelease};
use crate::runtime::RuntimeConfig;
use crate::runtime::limits::Effective;

/// One scope a service requests, with the editor's reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestedScope {
    /// The scope, as its short alias (`measures.read:weight`) or `storage`.
    pub scope: String,
    /// The canonical SMART App Launch v2 form, when it has one.
    pub smart: Option<String>,
    pub reason: String,
}

/// The informed-consent sheet of a service.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ConsentSheet {
    pub purpose: String,
    pub description: String,
    pub retention: String,
    pub security: String,
    pub recourse: String,
    pub legal: Vec<String>,
    pub medical_device: String,
    pub accessibility: String,
    pub scopes: Vec<RequestedScope>,
}

/// What one invocation of the service may use: the service's own limits
/// (its manifest's `[limits]`) where it asks, the platform's defaults
/// elsewhere. Past any of these, the invocation ends (or, for platform
/// calls, the next ones are refused).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct InvocationLimits {
    /// Wall-clock time, host calls included, in milliseconds.
    pub deadline_ms: u64,
    /// Linear memory, in bytes.
    pub memory_bytes: u64,
    /// Response body and headers, in bytes.
    pub response_bytes: u64,
    /// Platform calls.
    pub platform_calls: u32,
    /// `storage` per patient, keys included, in bytes.
    pub storage_bytes: u64,
    /// Fuel (about one unit per wasm instruction), where metering is on.
    pub fuel: Option<u64>,
}

impl From<Effective> for InvocationLimits {
    fn from(limits: Effective) -> Self {
        InvocationLimits {
            deadline_ms: u64::try_from(limits.deadline.as_millis()).unwrap_or(u64::MAX),
            memory_bytes: limits.memory as u64,
            response_bytes: limits.response as u64,
            platform_calls: limits.platform.calls,
            storage_bytes: limits.platform.storage_quota,
            fuel: limits.fuel,
        }
    }
}

/// A listed service, as the catalogue shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CatalogueEntry {
    pub id: String,
    pub version: String,
    pub name: String,
    pub editor: String,
    /// The editor's legal identity: `siret:…` or `finess:…`.
    pub editor_id: String,
    /// The SHA-256 of the listed component.
    pub component_sha256: String,
    /// The requirement set it was listed under, e.g. `officine-listing@2026.1`.
    pub requirement_set: Option<String>,
    pub consent: ConsentSheet,
    /// The limits each invocation runs under.
    pub limits: InvocationLimits,
}

impl CatalogueEntry {
    pub fn new(stored: &StoredRelease, config: &RuntimeConfig) -> Self {
        let manifest = stored.release.manifest();
        CatalogueEntry {
            id: manifest.id().to_string(),
            version: manifest.version().to_string(),
            name: manifest.name().to_owned(),
            editor: manifest.editor().to_owned(),
            editor_id: manifest.editor_id().to_string(),
            component_sha256: stored.release.component_sha256().to_string(),
            requirement_set: stored.requirement_set.clone(),
            consent: ConsentSheet::from(stored),
            limits: Effective::of(config, manifest.limits()).into(),
        }
    }
}

impl From<&StoredRelease> for ConsentSheet {
    fn from(stored: &StoredRelease) -> Self {
        let manifest = stored.release.manifest();
        let sheet = manifest.consent();
        ConsentSheet {
            purpose: manifest.purpose().to_string(),
            description: manifest.description().to_owned(),
            retention: sheet.retention().to_owned(),
            security: sheet.security().to_owned(),
            recourse: sheet.recourse().to_owned(),
            legal: sheet.legal().to_vec(),
            medical_device: sheet.medical_device().to_string(),
            accessibility: sheet.accessibility().to_owned(),
            scopes: manifest
                .requested_scopes()
                .iter()
                .map(|requested| {
                    let scope = requested.scope();
                    RequestedScope {
                        scope: scope.to_string(),
                        smart: (!matches!(scope, Scope::Storage))
                            .then(|| scope.canonical().to_string()),
                        reason: requested.reason().to_owned(),
                    }
                })
                .collect(),
        }
    }
}

/// The catalogue: every service with a listed release (its latest).
#[utoipa::path(
    get,
    path = "/api/catalogue",
    tag = "store",
    responses((status = 200, description = "The listed services", body = [CatalogueEntry]))
)]
pub async fn list(State(state): State<ApiState>) -> Result<Json<Vec<CatalogueEntry>>, ApiError> {
    let serving = releases::serving(&state.db).await?;
    let config = state.runtime.config();
    Ok(Json(
        serving
            .iter()
            .map(|stored| CatalogueEntry::new(stored, config))
            .collect(),
    ))
}

/// One listed service and its consent sheet.
#[utoipa::path(
    get,
    path = "/api/catalogue/{service}",
    tag = "store",
    params(("service" = String, Path, description = "The service id, e.g. fr.officine.weight-tracker")),
    responses(
        (status = 200, description = "The service", body = CatalogueEntry),
        (status = 404, description = "No listed service with this id", content_type = "application/problem+json", body = super::Problem)
    )
)]
pub async fn show(
    State(state): State<ApiState>,
    Path(service): Path<String>,
) -> Result<Json<CatalogueEntry>, ApiError> {
    let serving = releases::serving(&state.db).await?;
    serving
        .iter()
        .find(|stored| stored.release.manifest().id().as_str() == service)
        .map(|stored| Json(CatalogueEntry::new(stored, state.runtime.config())))
        .ok_or_else(|| ApiError::NotFound(format!("no listed service {service:?}")))
}
