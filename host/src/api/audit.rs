//! The audit record, read: the patient's "who accessed my data", and for
//! regulators a component's report, the raw log and the misuse alerts.

use axum::Json;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::records::{FHIR_BASE, fhir_response, outcome, unavailable};
use super::{ApiError, ApiState};
use crate::audit::misuse::{self, Alert};
use crate::audit::view::{self, ComponentReport, PatientFilter};
use crate::audit::{Actor, Event, Outcome};
use crate::auth::{PatientIdentity, RegulatorIdentity};
use crate::fhir::audit_event;
use crate::fhir::bundle::Bundle;
use crate::fhir::search;
use crate::model::now_millis;

/// Who accessed the patient's data: an `AuditEvent` for each access, newest
/// first, by services, professionals and the patient themselves. `agent`
/// keeps one service's accesses (its id, or `urn:officine:service|<id>`);
/// `date` (`ge`/`le`/`gt`/`lt`/`eq`, repeatable) and `_count` as for
/// Observation.
#[utoipa::path(
    get,
    path = "/fhir/AuditEvent",
    tag = "patient",
    params(
        ("agent" = Option<String>, Query, min_length = 1, description = "A service id: only its accesses"),
        ("date" = Option<String>, Query, min_length = 1, description = "`ge2026-01-01`, `lt2026-02-01`…; repeatable"),
        ("_count" = Option<u32>, Query, description = "At most this many results")
    ),
    responses(
        (status = 200, description = "A searchset Bundle of AuditEvents", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "An unknown or malformed search parameter (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's")
    ),
    security(("bearer" = []))
)]
pub async fn search_audit_events(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    RawQuery(query): RawQuery,
) -> Response {
    let search = match search::parse_audit_query(query.as_deref().unwrap_or("")) {
        Ok(search) => search,
        Err(invalid) => return outcome(invalid.into()),
    };
    let filter = PatientFilter {
        service: search.service.as_deref(),
        since: search.since,
        until: search.until,
        limit: search.count,
    };
    let found = match view::for_patient(&state.db, &patient.subject, &filter).await {
        Ok(found) => found,
        Err(error) => return unavailable(error),
    };
    let resources = found
        .iter()
        .map(|recorded| audit_event::from_event(recorded.seq, &recorded.event));
    fhir_response(StatusCode::OK, &Bundle::searchset(FHIR_BASE, resources))
}

/// The period of a report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// First day, `YYYY-MM-DD` (UTC). Default: 30 days before `until`.
    pub since: Option<String>,
    /// Last day, included, `YYYY-MM-DD` (UTC). Default: today.
    pub until: Option<String>,
}

/// A component's accesses, per day and per call: calls, records, refusals
/// and failures, the reasons of its refusals, and how many patients it
/// reached (`officine audit report`).
#[utoipa::path(
    get,
    path = "/api/regulator/audit/{service}",
    tag = "audit",
    params(("service" = String, Path, description = "The service id"), Period),
    responses(
        (status = 200, description = "The report", body = ComponentReport),
        (status = 400, description = "A malformed date"),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token")
    ),
    security(("bearer" = []))
)]
pub async fn component_report(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Path(service): Path<String>,
    Query(period): Query<Period>,
) -> Result<Json<ComponentReport>, ApiError> {
    let (since, until) = view::period(
        period.since.as_deref(),
        period.until.as_deref(),
        now_millis(),
    )
    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let report = view::component_report(&state.db, &service, since, until).await?;
    regulator_read(&state, &regulator.subject, "audit.report", report.calls).await?;
    Ok(Json(report))
}

/// Where an export starts, and how much of it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportFrom {
    /// The first position. Default 0.
    pub from: Option<u64>,
    /// At most this many entries (at most 10,000, the default).
    pub limit: Option<u32>,
}

/// A part of the raw log.
#[derive(Debug, Serialize, ToSchema)]
pub struct Export {
    pub entries: Vec<ExportEntry>,
    /// Where the next part starts, if the log goes on.
    pub next: Option<u64>,
}

/// One entry of the log: its position and its text, exactly as hashed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportEntry {
    pub index: u64,
    pub entry: String,
}

/// The raw log, in order, as hashed into its Merkle tree: with the signed
/// checkpoints, enough to check it anywhere.
#[utoipa::path(
    get,
    path = "/api/regulator/audit-log",
    tag = "audit",
    params(ExportFrom),
    responses(
        (status = 200, description = "Entries of the log", body = Export),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token")
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Query(from): Query<ExportFrom>,
) -> Result<Json<Export>, ApiError> {
    let limit = from.limit.unwrap_or(view::MAX_EXPORT).min(view::MAX_EXPORT);
    let entries = view::export(&state.db, from.from.unwrap_or(0), limit).await?;
    let next = (entries.len() as u32 == limit && limit > 0)
        .then(|| entries.last().map(|(index, _)| index + 1))
        .flatten();
    regulator_read(
        &state,
        &regulator.subject,
        "audit.export",
        entries.len() as u64,
    )
    .await?;
    Ok(Json(Export {
        entries: entries
            .into_iter()
            .map(|(index, entry)| ExportEntry { index, entry })
            .collect(),
        next,
    }))
}

/// A regulator's reading of the record is on the record too.
async fn regulator_read(
    state: &ApiState,
    subject: &str,
    call: &'static str,
    records: u64,
) -> Result<(), ApiError> {
    let actor = Actor::Regulator {
        subject: subject.to_owned(),
    };
    let event = Event::new(actor, None, call, records, Outcome::Allowed);
    state
        .db
        .audit()
        .record(vec![event])
        .await
        .map_err(|e| ApiError::Db(e.into()))
}

/// Which alerts to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Closed alerts too. Default: open ones only.
    pub all: Option<bool>,
}

/// The services the misuse rules put in the regulators' queue, each with
/// its rule and evidence.
#[utoipa::path(
    get,
    path = "/api/regulator/alerts",
    tag = "audit",
    params(AlertsQuery),
    responses(
        (status = 200, description = "The alerts, open ones first", body = [Alert]),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token")
    ),
    security(("bearer" = []))
)]
pub async fn list_alerts(
    State(state): State<ApiState>,
    RegulatorIdentity(_): RegulatorIdentity,
    Query(query): Query<AlertsQuery>,
) -> Result<Json<Vec<Alert>>, ApiError> {
    let open_only = !query.all.unwrap_or(false);
    Ok(Json(misuse::alerts(&state.db, open_only).await?))
}

/// Why an alert is closed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Closing {
    /// What was found and done, for the record (1 to 2000 characters).
    pub note: String,
}

/// Closes an alert, with a note; the rule may raise it again later.
#[utoipa::path(
    post,
    path = "/api/regulator/alerts/{id}/close",
    tag = "audit",
    params(("id" = String, Path, description = "The alert's id")),
    request_body = Closing,
    responses(
        (status = 204, description = "Closed"),
        (status = 400, description = "No note, or one too long"),
        (status = 401, description = "No valid token"),
        (status = 403, description = "Not a regulator's token"),
        (status = 404, description = "No such open alert")
    ),
    security(("bearer" = []))
)]
pub async fn close_alert(
    State(state): State<ApiState>,
    RegulatorIdentity(regulator): RegulatorIdentity,
    Path(id): Path<String>,
    Json(closing): Json<Closing>,
) -> Result<StatusCode, ApiError> {
    let length = closing.note.trim().chars().count();
    if !(1..=2000).contains(&length) {
        return Err(ApiError::BadRequest(
            "note must be 1 to 2000 characters long".into(),
        ));
    }
    if misuse::close(&state.db, &id, &regulator.subject, closing.note.trim()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no open alert {id:?}")))
    }
}
