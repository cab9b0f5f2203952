//! The registry over HTTP: the operations of `officine submit`,
//! `officine review …`, `officine suspend|reinstate|withdraw` and
//! `officine keys …`, for signed-in editors and regulators.
//!
//! Routes are split by who calls them, so that one path always means one
//! thing:
//!
//! - `/api/registry/…` is the editors' side (an editor token): submit a
//!   release, follow their own releases and keys. An editor only ever sees
//!   what the manifests of their organisation name; another editor's
//!   release is answered exactly as one that does not exist (404).
//! - `/api/regulator/…` is the regulators' side (a regulator token): every
//!   release, each step of the review, suspension, reinstatement and
//!   withdrawal, and editors' keys.
//! - `/api/registry/requirements` is for both; the latest signed
//!   checkpoint of the transparency log and the trusted root are public.
//!
//! Every operation goes through [`Registry`](crate::listing::Registry), so
//! the rules are the command line's: a refused step changes nothing and
//! says why. Nothing here reads patient data.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use officine_registry::keys::{KeyId, PublicKey};
use officine_registry::review::RequirementSet;
use officine_registry::signature::Bundle;
use officine_registry::{LegalId, Manifest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

use super::catalogue::ConsentSheet;
use super::limits::{Json, MAX_JSON_DEPTH, json_depth};
use super::{ApiError, ApiState, Problem};
use crate::auth::{EditorIdentity, Identity, RegulatorIdentity};
use crate::fhir::datetime::instant;
use crate::listing::keys::{self, EditorKey};
use crate::listing::releases::{self, Change, StoredRelease, Submission};
use crate::listing::{ListingError, log};

/// The largest submission body read: the component travels in it, in
/// base64. Only the submission route reads this much.
pub const MAX_SUBMISSION: usize = 32 * 1024 * 1024;

// ---------------------------------------------------------------------
// What the routes answer
// ---------------------------------------------------------------------

/// A release, as the registry keeps it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ReleaseSummary {
    /// `SERVICE@VERSION`, as paths name it.
    pub release: String,
    /// The service id, e.g. `fr.officine.weight-tracker`.
    pub service: String,
    pub version: String,
    /// The service's display name.
    pub name: String,
    pub editor: String,
    /// The editor's legal identity the manifest names: `siret:…` or `finess:…`.
    pub editor_id: String,
    pub component_sha256: String,
    /// `submitted`, `admissible`, `inadmissible`, `in-review`, `listed`,
    /// `refused`, `suspended` or `withdrawn`.
    pub state: String,
    /// What signed it: `key:<key id>` or `certificate:<issuer> <subject>`.
    pub signer: String,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
    /// When its state last changed (RFC 3339).
    pub updated_at: String,
    /// The requirement set it was decided against, once decided.
    pub requirement_set: Option<String>,
    /// The published reasons of its last step (rejection, refusal,
    /// suspension…).
    pub reasons: Vec<String>,
}

impl From<&StoredRelease> for ReleaseSummary {
    fn from(stored: &StoredRelease) -> Self {
        let manifest = stored.release.manifest();
        ReleaseSummary {
            release: stored.name(),
            service: manifest.id().to_string(),
            version: manifest.version().to_string(),
            name: manifest.name().to_owned(),
            editor: manifest.editor().to_owned(),
            editor_id: manifest.editor_id().to_string(),
            component_sha256: stored.release.component_sha256().to_string(),
            state: stored.state.to_string(),
            signer: stored.signer.clone(),
            submitted_at: instant(stored.submitted_at),
            updated_at: instant(stored.updated_at),
            requirement_set: stored.requirement_set.clone(),
            reasons: stored.reasons.clone(),
        }
    }
}

/// A release with its consent sheet, its decision and its bundle.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ReleaseDetail {
    #[serde(flatten)]
    pub summary: ReleaseSummary,
    /// The consent sheet patients read before granting it anything.
    pub consent: ConsentSheet,
    /// The published decision, with each requirement's verdict, once
    /// decided.
    #[schema(value_type = Option<Object>)]
    pub decision: Option<serde_json::Value>,
    /// The Sigstore bundle, completed with the registry's log entry: it
    /// verifies offline against the trusted root.
    #[schema(value_type = Object)]
    pub bundle: serde_json::Value,
}

impl From<&StoredRelease> for ReleaseDetail {
    fn from(stored: &StoredRelease) -> Self {
        let parse = |text: &str| {
            serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.into()))
        };
        ReleaseDetail {
            summary: ReleaseSummary::from(stored),
            consent: ConsentSheet::from(stored),
            decision: stored.decision.as_deref().map(parse),
            bundle: parse(&stored.bundle),
        }
    }
}

/// An editor's registered signing key.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct KeyView {
    /// The SHA-256 of the key's DER form, in hex.
    pub id: String,
    /// The editor's legal id.
    pub editor: String,
    /// `active`, `retired` (rotated out) or `revoked`.
    pub state: String,
    /// The key this one replaced, for a rotation.
    pub replaces: Option<String>,
    /// When it was registered (RFC 3339).
    pub added_at: String,
    /// The public key, PEM.
    pub public_key: String,
}

impl From<&EditorKey> for KeyView {
    fn from(key: &EditorKey) -> Self {
        KeyView {
            id: key.id.to_string(),
            editor: key.editor.clone(),
            state: key.state.as_str().to_owned(),
            replaces: key.replaces.map(|id| id.to_string()),
            added_at: instant(key.added_at),
            public_key: key.public_key.to_pem(),
        }
    }
}

/// One requirement of the set.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequirementView {
    /// e.g. `SEC-01`.
    pub id: String,
    /// `must`, `must-not` or `recommendation`.
    pub level: String,
    /// When it applies, read from the manifest (`medical-device`,
    /// `scope:documents`…); always, if absent.
    pub condition: Option<String>,
    pub text: String,
    /// The kinds of proof it accepts.
    pub proofs: Vec<String>,
}

/// The requirement set releases are reviewed against.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequirementSetView {
    /// e.g. `officine-listing@2026.1`.
    pub reference: String,
    pub title: String,
    /// Its publication date, `YYYY-MM-DD`.
    pub published: String,
    /// The SHA-256 decisions record.
    pub digest: String,
    pub requirements: Vec<RequirementView>,
}

// ---------------------------------------------------------------------
// What the routes read
// ---------------------------------------------------------------------

/// A submission: what `officine submit` reads from files.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRelease {
    /// The text of `officine.toml`.
    pub manifest: String,
    /// The component's bytes, in standard base64 (with padding).
    #[schema(format = Byte)]
    pub component: String,
    /// The Sigstore bundle `officine sign` wrote, as a JSON object.
    #[schema(value_type = Object)]
    pub bundle: serde_json::Value,
}

/// The reasons an inadmissible release is rejected for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// At least one, none empty; published with the step.
    pub reasons: Vec<String>,
}

/// The reason for a suspension, reinstatement, withdrawal or revocation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Not empty; published with the step.
    pub reason: String,
}

/// A verdict file, as `officine review decide` reads it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideBody {
    /// The verdict file's TOML text (see `officine review template`).
    pub verdicts: String,
}

/// A key to register to an editor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AddKeyBody {
    /// The editor's legal id, `siret:…` or `finess:…`.
    pub editor: String,
    /// The public key, PEM (what `officine keys new` writes to `KEY.pub`).
    pub public_key: String,
    /// For a rotation: the id of the editor's active key this one replaces
    /// (it is retired).
    pub replaces: Option<String>,
}

/// A certificate identity that may sign for an editor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddIdentityBody {
    /// The editor's legal id, `siret:…` or `finess:…`.
    pub editor: String,
    /// The certificate's subject (an e-mail address or a URI).
    pub subject: String,
    /// The OpenID issuer that vouched for the subject.
    pub issuer: String,
}

// ---------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::BadRequest(detail.into())
}

fn forbidden(detail: impl Into<String>) -> ApiError {
    ApiError::Status(StatusCode::FORBIDDEN, detail.into())
}

/// A release by name, or 404.
async fn release(state: &ApiState, name: &str) -> Result<StoredRelease, ApiError> {
    releases::by_name(state.registry.db(), name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no release {name}")))
}

/// A release of `editor`'s, or 404: another editor's release is answered
/// as one that does not exist.
async fn own_release(
    state: &ApiState,
    editor: &LegalId,
    name: &str,
) -> Result<StoredRelease, ApiError> {
    let stored = releases::by_name(state.registry.db(), name).await?;
    stored
        .filter(|stored| stored.release.manifest().editor_id() == editor)
        .ok_or_else(|| ApiError::NotFound(format!("no release {name} of {editor}")))
}

fn reason_required(reason: &str) -> Result<(), ApiError> {
    if reason.trim().is_empty() {
        return Err(bad("a reason is required"));
    }
    Ok(())
}

fn created(location: String, body: impl Serialize) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn key_id(text: &str) -> Result<KeyId, ApiError> {
    text.parse()
        .map_err(|_| bad(format!("{text:?} is not a key id (64 hex digits)")))
}

fn legal_id(text: &str) -> Result<LegalId, ApiError> {
    text.parse()
        .map_err(|e| bad(format!("editor id {text:?}: {e}")))
}

/// A release name as one path segment.
fn segment(name: &str) -> String {
    name.replace('%', "%25").replace('/', "%2F")
}

// ---------------------------------------------------------------------
// Editors
// ---------------------------------------------------------------------

/// The submission route, with its own body limit: a component is larger
/// than the API's other bodies.
pub fn submission() -> UtoipaMethodRouter<ApiState> {
    let (schemas, paths, method) = routes!(submit, list_own);
    (
        schemas,
        paths,
        method.layer(DefaultBodyLimit::max(MAX_SUBMISSION)),
    )
}

/// Submits a signed release of one of the editor's services, as
/// `officine submit`. The body may be up to 32 MiB.
#[utoipa::path(
    post,
    path = "/api/registry/releases",
    tag = "registry",
    request_body(content = SubmitRelease, description = "The manifest text, the component in base64 and the Sigstore bundle"),
    responses(
        (status = 201, description = "Submitted; `Location` names the release", body = ReleaseDetail),
        (status = 400, description = "Refused: the registry's reason; nothing was recorded", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not an editor's token, or the manifest names another editor (problem details)"),
        (status = 409, description = "This version, or a newer one, was already submitted", content_type = "application/problem+json", body = Problem),
        (status = 413, description = "The body is larger than 32 MiB", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn submit(
    State(state): State<ApiState>,
    EditorIdentity(editor): EditorIdentity,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::Status(
                status,
                format!("the body is larger than {MAX_SUBMISSION} bytes"),
            )
        } else {
            ApiError::Status(status, rejection.body_text())
        }
    })?;
    if json_depth(&body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH {
        return Err(bad(format!(
            "the JSON body nests deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    let request: SubmitRelease = serde_json::from_slice(&body)
        .map_err(|e| bad(format!("the body is not the JSON expected: {e}")))?;
    drop(body);
    let manifest =
        Manifest::from_toml_str(&request.manifest).map_err(|e| bad(format!("manifest: {e}")))?;
    if manifest.editor_id() != &editor.organisation {
        return Err(forbidden(format!(
            "the manifest names editor {}, not {}",
            manifest.editor_id(),
            editor.organisation
        )));
    }
    let component = STANDARD
        .decode(request.component.trim().as_bytes())
        .map_err(|e| bad(format!("component: not standard base64: {e}")))?;
    if !request.bundle.is_object() {
        return Err(bad("bundle: a Sigstore bundle is a JSON object"));
    }
    let bundle =
        Bundle::from_json(&request.bundle.to_string()).map_err(|e| bad(format!("bundle: {e}")))?;
    let stored = state
        .registry
        .submit(
            &state.runtime,
            Submission {
                manifest,
                component: &component,
                bundle,
            },
        )
        .await?;
    tracing::info!(
        release = %stored.name(),
        editor = %editor.organisation,
        signer = %stored.signer,
        "release submitted"
    );
    Ok(created(
        format!("/api/registry/releases/{}", segment(&stored.name())),
        ReleaseDetail::from(&stored),
    ))
}

/// The editor's releases: every release whose manifest names the token's
/// organisation, by service and submission order.
#[utoipa::path(
    get,
    path = "/api/registry/releases",
    tag = "registry",
    responses(
        (status = 200, description = "The editor's releases", body = [ReleaseSummary]),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not an editor's token")
    ),
    security(("bearer" = []))
)]
pub async fn list_own(
    State(state): State<ApiState>,
    EditorIdentity(editor): EditorIdentity,
) -> Result<axum::Json<Vec<ReleaseSummary>>, ApiError> {
    let all = releases::all(state.registry.db()).await?;
    Ok(axum::Json(
        all.iter()
            .filter(|stored| stored.release.manifest().editor_id() == &editor.organisation)
            .map(ReleaseSummary::from)
            .collect(),
    ))
}

/// One of the editor's releases: its state, reasons, decision and bundle.
#[utoipa::path(
    get,
    path = "/api/registry/releases/{name}",
    tag = "registry",
    params(("name" = String, Path, description = "`SERVICE@VERSION` (`@` may be written `%40`)")),
    responses(
        (status = 200, description = "The release", body = ReleaseDetail),
        (status = 400, description = "Not a `SERVICE@VERSION` name", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not an editor's token"),
        (status = 404, description = "No release of this editor by that name", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn show_own(
    State(state): State<ApiState>,
    EditorIdentity(editor): EditorIdentity,
    Path(name): Path<String>,
) -> Result<axum::Json<ReleaseDetail>, ApiError> {
    let stored = own_release(&state, &editor.organisation, &name).await?;
    Ok(axum::Json(ReleaseDetail::from(&stored)))
}

/// The editor's registered keys, retired and revoked ones included.
#[utoipa::path(
    get,
    path = "/api/registry/keys",
    tag = "registry",
    responses(
        (status = 200, description = "The editor's keys", body = [KeyView]),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not an editor's token")
    ),
    security(("bearer" = []))
)]
pub async fn list_own_keys(
    State(state): State<ApiState>,
    EditorIdentity(editor): EditorIdentity,
) -> Result<axum::Json<Vec<KeyView>>, ApiError> {
    let organisation = editor.organisation.to_string();
    let all = keys::all(state.registry.db()).await?;
    Ok(axum::Json(
        all.iter()
            .filter(|key| key.editor == organisation)
            .map(KeyView::from)
            .collect(),
    ))
}

/// The requirement set releases are reviewed against, for editors preparing
/// their proofs and regulators reviewing them (`officine review
/// requirements`).
#[utoipa::path(
    get,
    path = "/api/registry/requirements",
    tag = "registry",
    responses(
        (status = 200, description = "The requirement set", body = RequirementSetView),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Neither an editor's nor a regulator's token", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn requirements(identity: Identity) -> Result<axum::Json<RequirementSetView>, ApiError> {
    if !matches!(identity, Identity::Editor(_) | Identity::Regulator(_)) {
        return Err(forbidden(format!(
            "the requirement set is for editors and regulators, not {}s",
            identity.population()
        )));
    }
    let set = RequirementSet::builtin();
    Ok(axum::Json(RequirementSetView {
        reference: set.reference().to_string(),
        title: set.title().to_owned(),
        published: set.published().to_string(),
        digest: set.digest().to_string(),
        requirements: set
            .requirements()
            .iter()
            .map(|requirement| RequirementView {
                id: requirement.id().to_string(),
                level: requirement.level().as_str().to_owned(),
                condition: requirement.condition().map(|c| c.to_string()),
                text: requirement.text().to_owned(),
                proofs: requirement
                    .proofs()
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect(),
            })
            .collect(),
    }))
}

// ---------------------------------------------------------------------
// Public
// ---------------------------------------------------------------------

/// The latest checkpoint of the registry's transparency log, as a signed
/// note: keep it, and check later that the log only grew since
/// (`officine log verify --since`).
#[utoipa::path(
    get,
    path = "/api/registry/log/checkpoint",
    tag = "registry",
    responses(
        (status = 200, description = "The signed note", content_type = "text/plain", body = String),
        (status = 404, description = "The log is empty", content_type = "application/problem+json", body = Problem)
    )
)]
pub async fn checkpoint(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let note = log::latest_checkpoint(state.registry.db())
        .await?
        .ok_or_else(|| ApiError::NotFound("the log has no entry yet".into()))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
}

/// The registry's trusted root (Sigstore format): what verifiers of its
/// bundles and checkpoints start from.
#[utoipa::path(
    get,
    path = "/api/registry/trusted-root",
    tag = "registry",
    responses((status = 200, description = "The trusted root", content_type = "application/json", body = Object))
)]
pub async fn trusted_root(State(state): State<ApiState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.registry.keys().root.to_json().to_owned(),
    )
        .into_response()
}

// ---------------------------------------------------------------------
// Regulators
// ---------------------------------------------------------------------

/// Every release, by service and submission order (`officine review list`).
#[utoipa::path(
    get,
    path = "/api/regulator/releases",
    tag = "registry",
    responses(
        (status = 200, description = "Every release", body = [ReleaseSummary]),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token")
    ),
    security(("bearer" = []))
)]
pub async fn list_all(
    State(state): State<ApiState>,
    RegulatorIdentity(_): RegulatorIdentity,
) -> Result<axum::Json<Vec<ReleaseSummary>>, ApiError> {
    let all = releases::all(state.registry.db()).await?;
    Ok(axum::Json(all.iter().map(ReleaseSummary::from).collect()))
}

/// One release (`officine review show`).
#[utoipa::path(
    get,
    path = "/api/regulator/releases/{name}",
    tag = "registry",
    params(("name" = String, Path, description = "`SERVICE@VERSION` (`@` may be written `%40`)")),
    responses(
        (status = 200, description = "The release", body = ReleaseDetail),
        (status = 400, description = "Not a `SERVICE@VERSION` name", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token"),
        (status = 404, description = "No such release", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn show(
    State(state): State<ApiState>,
    RegulatorIdentity(_): RegulatorIdentity,
    Path(name): Path<String>,
) -> Result<axum::Json<ReleaseDetail>, ApiError> {
    Ok(axum::Json(ReleaseDetail::from(
        &release(&state, &name).await?,
    )))
}

/// Logs a regulator's step: the transparency log records the step, the
/// host's log who made it.
fn stepped(
    regulator: &str,
    step: &'static str,
    stored: &StoredRelease,
) -> axum::Json<ReleaseDetail> {
    tracing::info!(
        regulator,
        step,
        release = %stored.name(),
        state = %stored.state,
        "registry step"
    );
    axum::Json(ReleaseDetail::from(stored))
}

/// Admits a submitted release: its file is complete
/// (`officine review admit`).
#[utoipa::path(
    post,
    path = "/api/regulator/releases/{name}/admit",
    tag = "registry",
    params(("name" = String, Path, description = "`SERVICE@VERSION`")),
    responses(
        (status = 200, description = "Admissible", body = ReleaseDetail),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token"),
        (status = 404, description = "No such release", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Not possible in the release's state", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn admit(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Path(name): Path<String>,
) -> Result<axum::Json<ReleaseDetail>, ApiError> {
    let stored = state.registry.admit(&name).await?;
    Ok(stepped(&regulator.subject, "admit", &stored))
}

/// Declares a submitted release inadmissible, with reasons
/// (`officine review reject`).
#[utoipa::path(
    post,
    path = "/api/regulator/releases/{name}/reject",
    tag = "registry",
    params(("name" = String, Path, description = "`SERVICE@VERSION`")),
    request_body = RejectBody,
    responses(
        (status = 200, description = "Inadmissible", body = ReleaseDetail),
        (status = 400, description = "No reason, or an empty one", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token"),
        (status = 404, description = "No such release", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Not possible in the release's state", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn reject(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Path(name): Path<String>,
    Json(body): Json<RejectBody>,
) -> Result<axum::Json<ReleaseDetail>, ApiError> {
    if body.reasons.is_empty() {
        return Err(bad("at least one reason is required"));
    }
    for reason in &body.reasons {
        reason_required(reason)?;
    }
    let stored = state.registry.reject(&name, body.reasons).await?;
    Ok(stepped(&regulator.subject, "reject", &stored))
}

/// Starts the review of an admissible release (`officine review start`).
#[utoipa::path(
    post,
    path = "/api/regulator/releases/{name}/start",
    tag = "registry",
    params(("name" = String, Path, description = "`SERVICE@VERSION`")),
    responses(
        (status = 200, description = "In review", body = ReleaseDetail),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token"),
        (status = 404, description = "No such release", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Not possible in the release's state", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn start(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Path(name): Path<String>,
) -> Result<axum::Json<ReleaseDetail>, ApiError> {
    let stored = state.registry.start_review(&name).await?;
    Ok(stepped(&regulator.subject, "start", &stored))
}

/// Decides a release in review from a verdict file, against the built-in
/// requirement set (`officine review decide`): listed if every applicable
/// binding requirement is met, refused otherwise.
#[utoipa::path(
    post,
    path = "/api/regulator/releases/{name}/decide",
    tag = "registry",
    params(("name" = String, Path, description = "`SERVICE@VERSION`")),
    request_body = DecideBody,
    responses(
        (status = 200, description = "Listed or refused, with the decision", body = ReleaseDetail),
        (status = 400, description = "The verdict file is refused, with every problem", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token"),
        (status = 404, description = "No such release", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Not possible in the release's state", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn decide(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Path(name): Path<String>,
    Json(body): Json<DecideBody>,
) -> Result<axum::Json<ReleaseDetail>, ApiError> {
    let set = RequirementSet::builtin();
    let stored = state.registry.decide(&name, set, &body.verdicts).await?;
    Ok(stepped(&regulator.subject, "decide", &stored))
}

async fn change(
    state: &ApiState,
    regulator: &str,
    change: Change,
    name: &str,
    reason: &str,
) -> Result<axum::Json<ReleaseDetail>, ApiError> {
    reason_required(reason)?;
    let stored = state.registry.change(change, name, reason).await?;
    Ok(stepped(regulator, change.as_str(), &stored))
}

/// Suspends a listed release: every host refuses its next invocation
/// (`officine suspend`).
#[utoipa::path(
    post,
    path = "/api/regulator/releases/{name}/suspend",
    tag = "registry",
    params(("name" = String, Path, description = "`SERVICE@VERSION`")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Suspended", body = ReleaseDetail),
        (status = 400, description = "No reason", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token"),
        (status = 404, description = "No such release", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Not listed", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn suspend(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Path(name): Path<String>,
    Json(body): Json<ReasonBody>,
) -> Result<axum::Json<ReleaseDetail>, ApiError> {
    change(
        &state,
        &regulator.subject,
        Change::Suspend,
        &name,
        &body.reason,
    )
    .await
}

/// Lists a suspended release again (`officine reinstate`).
#[utoipa::path(
    post,
    path = "/api/regulator/releases/{name}/reinstate",
    tag = "registry",
    params(("name" = String, Path, description = "`SERVICE@VERSION`")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Listed again", body = ReleaseDetail),
        (status = 400, description = "No reason", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token"),
        (status = 404, description = "No such release", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Not suspended", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn reinstate(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Path(name): Path<String>,
    Json(body): Json<ReasonBody>,
) -> Result<axum::Json<ReleaseDetail>, ApiError> {
    change(
        &state,
        &regulator.subject,
        Change::Reinstate,
        &name,
        &body.reason,
    )
    .await
}

/// Withdraws a listed or suspended release, for good (`officine withdraw`).
#[utoipa::path(
    post,
    path = "/api/regulator/releases/{name}/withdraw",
    tag = "registry",
    params(("name" = String, Path, description = "`SERVICE@VERSION`")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Withdrawn", body = ReleaseDetail),
        (status = 400, description = "No reason", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token"),
        (status = 404, description = "No such release", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Neither listed nor suspended", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn withdraw(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Path(name): Path<String>,
    Json(body): Json<ReasonBody>,
) -> Result<axum::Json<ReleaseDetail>, ApiError> {
    change(
        &state,
        &regulator.subject,
        Change::Withdraw,
        &name,
        &body.reason,
    )
    .await
}

/// Every registered key (`officine keys list`).
#[utoipa::path(
    get,
    path = "/api/regulator/keys",
    tag = "registry",
    responses(
        (status = 200, description = "Every key, oldest first", body = [KeyView]),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token")
    ),
    security(("bearer" = []))
)]
pub async fn list_keys(
    State(state): State<ApiState>,
    RegulatorIdentity(_): RegulatorIdentity,
) -> Result<axum::Json<Vec<KeyView>>, ApiError> {
    let all = keys::all(state.registry.db()).await?;
    Ok(axum::Json(all.iter().map(KeyView::from).collect()))
}

/// Registers an editor's public key, or rotates one with `replaces`
/// (`officine keys add`).
#[utoipa::path(
    post,
    path = "/api/regulator/keys",
    tag = "registry",
    request_body = AddKeyBody,
    responses(
        (status = 201, description = "Registered; `Location` names it", body = KeyView),
        (status = 400, description = "An unreadable editor id or key, or a rotation refused", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token"),
        (status = 409, description = "The key is already registered", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn add_key(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Json(body): Json<AddKeyBody>,
) -> Result<Response, ApiError> {
    let editor = legal_id(&body.editor)?;
    let public =
        PublicKey::from_pem(&body.public_key).map_err(|e| bad(format!("public-key: {e}")))?;
    let replaces = body.replaces.as_deref().map(key_id).transpose()?;
    let added = state
        .registry
        .add_key(&editor, &public, replaces.as_ref())
        .await?;
    tracing::info!(
        regulator = %regulator.subject,
        key = %added.id,
        editor = %added.editor,
        "editor key registered"
    );
    Ok(created(
        format!("/api/regulator/keys/{}", added.id),
        KeyView::from(&added),
    ))
}

/// Revokes a key: everything it signed stops being served at once
/// (`officine keys revoke`).
#[utoipa::path(
    post,
    path = "/api/regulator/keys/{key}/revoke",
    tag = "registry",
    params(("key" = String, Path, description = "The key id (64 hex digits)")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Revoked", body = KeyView),
        (status = 400, description = "No reason, or not a key id", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token"),
        (status = 404, description = "No such key", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Already revoked", content_type = "application/problem+json", body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn revoke_key(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Path(key): Path<String>,
    Json(body): Json<ReasonBody>,
) -> Result<axum::Json<KeyView>, ApiError> {
    let id = key_id(&key)?;
    reason_required(&body.reason)?;
    let db = state.registry.db();
    if keys::key(db, &id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no key {id}")));
    }
    state
        .registry
        .revoke_key(&id, &body.reason)
        .await
        .map_err(|error| match error {
            ListingError::KeyRevoked(_) => {
                ApiError::Status(StatusCode::CONFLICT, error.to_string())
            }
            other => other.into(),
        })?;
    tracing::info!(regulator = %regulator.subject, key = %id, "editor key revoked");
    let revoked = keys::key(db, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no key {id}")))?;
    Ok(axum::Json(KeyView::from(&revoked)))
}

/// Lets a certificate identity sign for an editor
/// (`officine keys identity`).
#[utoipa::path(
    post,
    path = "/api/regulator/identities",
    tag = "registry",
    request_body = AddIdentityBody,
    responses(
        (status = 204, description = "Registered"),
        (status = 400, description = "An unreadable editor id, an empty field, or already registered", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token")
    ),
    security(("bearer" = []))
)]
pub async fn add_identity(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Json(body): Json<AddIdentityBody>,
) -> Result<StatusCode, ApiError> {
    let editor = legal_id(&body.editor)?;
    state
        .registry
        .add_identity(&editor, &body.subject, &body.issuer)
        .await?;
    tracing::info!(
        regulator = %regulator.subject,
        editor = %editor,
        subject = %body.subject,
        issuer = %body.issuer,
        "certificate identity registered"
    );
    Ok(StatusCode::NO_CONTENT)
}
