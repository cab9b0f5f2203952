//! A signed-in patient's agenda, documents and messages, as FHIR R4
//! `Appointment`, `DocumentReference` (content as `Binary`) and
//! `Communication`.
//!
//! As for measures, the patient is the token's and nothing else: no route
//! names a patient, and a record of another patient is answered exactly as
//! a record that does not exist.

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::ApiState;
use crate::audit::{Actor, Event, Outcome};
use crate::auth::PatientIdentity;
use crate::db::documents::{self, DocumentMeta, DocumentQuery};
use crate::db::{Db, DbError, Reader, agenda, messages};
use crate::fhir::bundle::Bundle;
use crate::fhir::outcome::{Issue, IssueType, OperationOutcome};
use crate::fhir::search::{self, ObservationSearch};
use crate::fhir::{self, appointment, communication, document};
use crate::model::PatientId;

/// The FHIR base every `Bundle.entry.fullUrl` is under.
pub(super) const FHIR_BASE: &str = "/fhir";

/// A FHIR answer: the resource (or OperationOutcome) as `application/fhir+json`.
pub(super) fn fhir_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let json = serde_json::to_vec(body).expect("FHIR resources serialize");
    (status, [(header::CONTENT_TYPE, fhir::CONTENT_TYPE)], json).into_response()
}

/// An OperationOutcome, with the status of its first error.
pub(super) fn outcome(outcome: OperationOutcome) -> Response {
    let status = StatusCode::from_u16(outcome.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    fhir_response(status, &outcome)
}

/// Storage failed: 503, the detail kept in the host's logs.
pub(super) fn unavailable(error: DbError) -> Response {
    tracing::error!(%error, "storage failed");
    let mut response = outcome(OperationOutcome::error(
        IssueType::Exception,
        "storage is unavailable",
    ));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
}

/// The patient's read, on the audit record before its answer leaves: if
/// it cannot be recorded, the answer is withheld (503).
pub(crate) async fn read_by_patient(
    db: &Db,
    patient: &PatientId,
    call: &'static str,
    records: usize,
    answer: Response,
) -> Response {
    let event = Event::new(
        Actor::patient(patient),
        Some(patient),
        call,
        records as u64,
        Outcome::Allowed,
    );
    match db.audit().record(vec![event]).await {
        Ok(()) => answer,
        Err(error) => unavailable(error.into()),
    }
}

/// Reads the search parameters of `resource`: only `supported` ones (plus
/// `_format`) are accepted, any other is refused by name so that no client
/// believes a filter was applied when it was not. `date` and `_count` mean
/// what they mean for measures (prefixes, ranges, a capped count).
fn parse_search(
    query: Option<&str>,
    resource: &str,
    supported: &[&str],
) -> Result<ObservationSearch, OperationOutcome> {
    let query = query.unwrap_or("");
    let unsupported: Vec<Issue> = query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| part.split_once('=').map_or(part, |(name, _)| name))
        .filter(|name| {
            let base = name.split_once(':').map_or(*name, |(base, _)| base);
            base != "_format" && !supported.contains(&base)
        })
        .map(|name| {
            Issue::error(
                IssueType::NotSupported,
                format!(
                    "search parameter {name:?} is not supported for {resource} (supported: {})",
                    if supported.is_empty() {
                        "none".to_owned()
                    } else {
                        supported.join(", ")
                    }
                ),
            )
        })
        .collect();
    if !unsupported.is_empty() {
        return Err(OperationOutcome::new(unsupported));
    }
    search::parse_query(query).map_err(OperationOutcome::from)
}

/// The patient's agenda: `date` (the start: `ge`/`le`/`gt`/`lt`/`eq`,
/// repeatable) and `_count`, earliest first.
#[utoipa::path(
    get,
    path = "/fhir/Appointment",
    tag = "patient",
    params(
        ("date" = Option<String>, Query, min_length = 1, description = "When the event starts: `ge2026-01-01`, `lt2026-02-01`…; repeatable"),
        ("_count" = Option<u32>, Query, description = "At most this many results")
    ),
    responses(
        (status = 200, description = "A searchset Bundle of Appointments, earliest first", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "An unknown or malformed search parameter (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's")
    ),
    security(("bearer" = []))
)]
pub async fn search_appointments(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    RawQuery(query): RawQuery,
) -> Response {
    let search = match parse_search(query.as_deref(), "Appointment", &["date", "_count"]) {
        Ok(search) => search,
        Err(refused) => return outcome(refused),
    };
    let found = agenda::list(
        &state.db,
        &patient.subject,
        search.since,
        search.until,
        search.count,
        Reader::Owner,
    )
    .await;
    match found {
        Ok(events) => {
            let resources = events
                .iter()
                .map(|event| appointment::from_event(&patient.subject, event));
            let answer = fhir_response(StatusCode::OK, &Bundle::searchset(FHIR_BASE, resources));
            read_by_patient(
                &state.db,
                &patient.subject,
                "agenda.search",
                events.len(),
                answer,
            )
            .await
        }
        Err(error) => unavailable(error),
    }
}

/// The patient's shared medical record (DMP): the documents they see —
/// never those they hid or their author masked — newest first, by `date`
/// (the document's) and `_count`.
#[utoipa::path(
    get,
    path = "/fhir/DocumentReference",
    tag = "patient",
    params(
        ("date" = Option<String>, Query, min_length = 1, description = "The document's date: `ge2026-01-01`, `lt2026-02-01`…; repeatable"),
        ("_count" = Option<u32>, Query, description = "At most this many results")
    ),
    responses(
        (status = 200, description = "A searchset Bundle of DocumentReferences, newest first; each content is at `Binary/<id>`", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "An unknown or malformed search parameter (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's")
    ),
    security(("bearer" = []))
)]
pub async fn search_documents(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    RawQuery(query): RawQuery,
) -> Response {
    let search = match parse_search(query.as_deref(), "DocumentReference", &["date", "_count"]) {
        Ok(search) => search,
        Err(refused) => return outcome(refused),
    };
    let categories = documents::all_categories();
    let query = DocumentQuery {
        categories: &categories,
        since: search.since,
        until: search.until,
        limit: search.count,
    };
    match documents::list(&state.db, &patient.subject, &query, Reader::Owner).await {
        Ok(found) => {
            let resources = found
                .iter()
                .map(|meta| document::from_document(&patient.subject, meta));
            let answer = fhir_response(StatusCode::OK, &Bundle::searchset(FHIR_BASE, resources));
            read_by_patient(
                &state.db,
                &patient.subject,
                "dmp.search",
                found.len(),
                answer,
            )
            .await
        }
        Err(error) => unavailable(error),
    }
}

/// A document's content, as a `Binary` (base64). Only the patient's own
/// documents they see; any other id is unknown.
#[utoipa::path(
    get,
    path = "/fhir/Binary/{id}",
    tag = "patient",
    params(("id" = String, Path, description = "The document's id (that of its DocumentReference)")),
    responses(
        (status = 200, description = "The Binary", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's"),
        (status = 404, description = "No such document of this patient (OperationOutcome)", content_type = "application/fhir+json", body = Object)
    ),
    security(("bearer" = []))
)]
pub async fn read_binary(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    Path(id): Path<String>,
) -> Response {
    let categories = documents::all_categories();
    let content =
        documents::content(&state.db, &patient.subject, &id, &categories, Reader::Owner).await;
    let content = match content {
        Ok(Some(content)) => content,
        Ok(None) => return outcome(OperationOutcome::not_found("Binary", &id)),
        Err(error) => return unavailable(error),
    };
    match visible_document(&state.db, &patient.subject, &id).await {
        Ok(Some(meta)) => {
            let answer = fhir_response(StatusCode::OK, &document::binary(&meta, &content));
            read_by_patient(&state.db, &patient.subject, "dmp.read", 1, answer).await
        }
        Ok(None) => {
            // Hidden between the two reads.
            outcome(OperationOutcome::not_found("Binary", &id))
        }
        Err(error) => unavailable(error),
    }
}

/// One of the patient's visible documents with its content, or `None`.
pub(crate) async fn document_of(
    db: &Db,
    patient: &PatientId,
    id: &str,
) -> Result<Option<(DocumentMeta, Vec<u8>)>, DbError> {
    let categories = documents::all_categories();
    let Some(content) = documents::content(db, patient, id, &categories, Reader::Owner).await?
    else {
        return Ok(None);
    };
    Ok(visible_document(db, patient, id)
        .await?
        .map(|meta| (meta, content)))
}

/// The description of one of the patient's visible documents, through the
/// same listing as `DocumentReference` (so the same rules), page by page.
async fn visible_document(
    db: &Db,
    patient: &PatientId,
    id: &str,
) -> Result<Option<DocumentMeta>, DbError> {
    let categories = documents::all_categories();
    let mut until = None;
    loop {
        let query = DocumentQuery {
            categories: &categories,
            since: None,
            until,
            limit: None,
        };
        let page = documents::list(db, patient, &query, Reader::Owner).await?;
        if let Some(found) = page.iter().find(|meta| meta.id == id) {
            return Ok(Some(found.clone()));
        }
        let Some(oldest) = page.last() else {
            return Ok(None);
        };
        if page.len() < documents::MAX_ROWS as usize {
            return Ok(None);
        }
        // Documents dated like the oldest one may go on past this page:
        // the next page starts again at that date.
        let next = oldest.date.saturating_add(1);
        if until == Some(next) {
            return Ok(None);
        }
        until = Some(next);
    }
}

/// The patient's messages, newest first, at most `_count`.
#[utoipa::path(
    get,
    path = "/fhir/Communication",
    tag = "patient",
    params(
        ("_count" = Option<u32>, Query, description = "At most this many results")
    ),
    responses(
        (status = 200, description = "A searchset Bundle of Communications, newest first", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "An unknown or malformed search parameter (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's")
    ),
    security(("bearer" = []))
)]
pub async fn search_communications(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    RawQuery(query): RawQuery,
) -> Response {
    let search = match parse_search(query.as_deref(), "Communication", &["_count"]) {
        Ok(search) => search,
        Err(refused) => return outcome(refused),
    };
    match messages::list(
        &state.db,
        &patient.subject,
        None,
        search.count,
        Reader::Owner,
    )
    .await
    {
        Ok(found) => {
            let resources = found
                .iter()
                .map(|message| communication::from_message(&patient.subject, message));
            let answer = fhir_response(StatusCode::OK, &Bundle::searchset(FHIR_BASE, resources));
            read_by_patient(
                &state.db,
                &patient.subject,
                "messaging.search",
                found.len(),
                answer,
            )
            .await
        }
        Err(error) => unavailable(error),
    }
}
