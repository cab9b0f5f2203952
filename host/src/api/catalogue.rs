//! The store's catalogue: the services patients can connect, each with the
//! consent sheet they read before granting anything.

use axum::Json;
use axum::extract::{Path, State};
use officine_registry::Scope;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, ApiState};
use crate::listing::releases::{self, StoredRelease};

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
}

impl From<&StoredRelease> for CatalogueEntry {
    fn from(stored: &StoredRelease) -> Self {
        let manifest = stored.release.manifest();
        let sheet = manifest.consent();
        CatalogueEntry {
            id: manifest.id().to_string(),
            version: manifest.version().to_string(),
            name: manifest.name().to_owned(),
            editor: manifest.editor().to_owned(),
            editor_id: manifest.editor_id().to_string(),
            component_sha256: stored.release.component_sha256().to_string(),
            requirement_set: stored.requirement_set.clone(),
            consent: ConsentSheet {
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
            },
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
    Ok(Json(serving.iter().map(CatalogueEntry::from).collect()))
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
        .map(|stored| Json(CatalogueEntry::from(stored)))
        .ok_or_else(|| ApiError::NotFound(format!("no listed service {service:?}")))
}
