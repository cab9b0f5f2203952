//! A signed-in patient's own data, as FHIR R4 resources.
//!
//! Every handler takes the patient from the verified token and nothing
//! else: no route names a patient, so none can reach another's data.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use officine_policy::MeasureKind;

use super::ApiState;
use super::limits::{MAX_JSON_DEPTH, json_depth};
use super::records::{fhir_response, outcome, read_by_patient, unavailable};
use crate::auth::PatientIdentity;
use crate::db::Reader;
use crate::db::measures::{self, MeasureQuery};
use crate::fhir::bundle::Bundle;
use crate::fhir::observation::{self, MeasureDetails};
use crate::fhir::outcome::{IssueType, OperationOutcome};
use crate::fhir::search;
use crate::model::{Writer, now_millis};

/// The patient's measures: `code` (LOINC, comma-separated), `date`
/// (`ge`/`le`/`gt`/`lt`/`eq`, repeatable), `_count`.
#[utoipa::path(
    get,
    path = "/fhir/Observation",
    tag = "patient",
    params(
        ("code" = Option<String>, Query, min_length = 1, description = "LOINC codes, `http://loinc.org|29463-7` or `29463-7`, comma-separated"),
        ("date" = Option<String>, Query, min_length = 1, description = "`ge2026-01-01`, `lt2026-02-01`…; repeatable"),
        ("_count" = Option<u32>, Query, description = "At most this many results")
    ),
    responses(
        (status = 200, description = "A searchset Bundle of Observations", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "An unknown or malformed search parameter (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's")
    ),
    security(("bearer" = []))
)]
pub async fn search_observations(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    RawQuery(query): RawQuery,
) -> Response {
    let search = match search::parse_query(query.as_deref().unwrap_or("")) {
        Ok(search) => search,
        Err(invalid) => return outcome(invalid.into()),
    };
    let kinds: Vec<(&'static str, i64)> = MeasureKind::ALL
        .iter()
        .filter(|kind| search.wants(**kind))
        .map(|kind| (kind.as_str(), i64::MIN))
        .collect();
    let query = MeasureQuery {
        kinds: &kinds,
        since: search.since,
        until: search.until,
        limit: search.count,
    };
    let found = match measures::list(&state.db, &patient.subject, &query, Reader::Owner).await {
        Ok(found) => found,
        Err(error) => return unavailable(error),
    };
    let resources = found.iter().map(|measure| {
        observation::from_measure(&patient.subject, measure, &MeasureDetails::default())
    });
    let answer = fhir_response(
        StatusCode::OK,
        &Bundle::searchset(super::records::FHIR_BASE, resources),
    );
    read_by_patient(
        &state.db,
        &patient.subject,
        "measures.search",
        found.len(),
        answer,
    )
    .await
}

/// One of the patient's measures.
#[utoipa::path(
    get,
    path = "/fhir/Observation/{id}",
    tag = "patient",
    params(("id" = String, Path, description = "The Observation's id")),
    responses(
        (status = 200, description = "The Observation", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's"),
        (status = 404, description = "No such Observation of this patient (OperationOutcome)", content_type = "application/fhir+json", body = Object)
    ),
    security(("bearer" = []))
)]
pub async fn read_observation(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    Path(id): Path<String>,
) -> Response {
    match measures::by_id(&state.db, &patient.subject, &id).await {
        Ok(Some(measure)) => {
            let resource =
                observation::from_measure(&patient.subject, &measure, &MeasureDetails::default());
            let answer = fhir_response(StatusCode::OK, &resource);
            read_by_patient(&state.db, &patient.subject, "measures.read", 1, answer).await
        }
        // Another patient's id answers exactly as an unknown one.
        Ok(None) => outcome(OperationOutcome::not_found("Observation", &id)),
        Err(error) => unavailable(error),
    }
}

/// Records a measure the patient took. BMI is computed by the platform
/// and refused here.
#[utoipa::path(
    post,
    path = "/fhir/Observation",
    tag = "patient",
    request_body(content = Object, content_type = "application/fhir+json", description = "An Observation: LOINC code, UCUM value, effectiveDateTime"),
    responses(
        (status = 201, description = "The recorded Observation", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "What is wrong with it (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's")
    ),
    security(("bearer" = []))
)]
pub async fn create_observation(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    body: Bytes,
) -> Response {
    if json_depth(&body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH {
        return outcome(OperationOutcome::error(
            IssueType::Structure,
            format!("the JSON body nests deeper than {MAX_JSON_DEPTH} levels"),
        ));
    }
    let new = match observation::parse_create(&body, &patient.subject, now_millis()) {
        Ok(new) => new,
        Err(invalid) => return outcome(invalid.into()),
    };
    let kind = new.kind.kind();
    let added = measures::add(
        &state.db,
        &patient.subject,
        &Writer::Patient,
        kind,
        new.value,
        new.effective_at,
    )
    .await;
    match added {
        Ok(Some(measure)) => {
            let resource =
                observation::from_measure(&patient.subject, &measure, &MeasureDetails::default());
            let mut response = fhir_response(StatusCode::CREATED, &resource);
            if let Ok(location) = format!("/fhir/Observation/{}", measure.id).parse() {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        Ok(None) => outcome(OperationOutcome::error(
            IssueType::Processing,
            "the measure was not recorded",
        )),
        Err(error) => unavailable(error),
    }
}

/// Everything of the patient's space, to take away: one FHIR R4 `Bundle`
/// of type `collection` with their measures, agenda, documents (each with
/// its content as a `Binary`), messages, consents and the history of every
/// access to their data (see `docs/professionals.md`).
#[utoipa::path(
    get,
    path = "/api/patient/export",
    tag = "patient",
    responses(
        (status = 200, description = "A collection Bundle of everything", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's")
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
) -> Response {
    export_of(&state, &patient.subject).await
}

/// The export of `patient`'s space, as a file to save, its reading on the
/// record.
pub(crate) async fn export_of(state: &ApiState, patient: &crate::model::PatientId) -> Response {
    use axum::response::IntoResponse as _;
    let bundle = match crate::export::everything(
        &state.db,
        patient,
        super::records::FHIR_BASE,
        now_millis(),
    )
    .await
    {
        Ok(bundle) => bundle,
        Err(error) => return unavailable(error),
    };
    let entries = bundle["entry"].as_array().map_or(0, Vec::len);
    let answer = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/fhir+json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"officine-export.json\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bundle.to_string(),
    )
        .into_response();
    read_by_patient(&state.db, patient, "export.everything", entries, answer).await
}
