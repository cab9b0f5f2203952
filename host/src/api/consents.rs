//! A signed-in patient's grants as FHIR `Consent`s: listing them, granting
//! a service by posting one, revoking a grant by setting it `inactive`.
//!
//! Granting and revoking go through [`crate::consent`], so the rules are
//! those of `officine grant` and `officine revoke`: the service must be
//! registered, the scopes among what its current version requests, a grant
//! always ends. A grant of another patient is answered exactly as a grant
//! that does not exist.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use officine_policy::{GrantError, GrantStatus};

use super::ApiState;
use super::limits::{MAX_JSON_DEPTH, json_depth};
use super::records::{fhir_response, outcome, unavailable};
use crate::auth::PatientIdentity;
use crate::consent::{self, ConsentError};
use crate::db::grants::{self, StoredGrant};
use crate::db::{Db, DbError};
use crate::fhir::bundle::Bundle;
use crate::fhir::consent as fhir_consent;
use crate::fhir::outcome::{Invalid, Issue, IssueType, OperationOutcome};
use crate::fhir::parse::Problem;
use crate::model::{GrantId, PatientId, now_millis};

/// A body nesting deeper than the API reads, as an OperationOutcome.
fn too_deep(body: &[u8]) -> Option<Response> {
    (json_depth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH).then(|| {
        outcome(OperationOutcome::error(
            IssueType::Structure,
            format!("the JSON body nests deeper than {MAX_JSON_DEPTH} levels"),
        ))
    })
}

/// Every problem of a body; 403 if it names another patient, whatever else
/// is wrong with it.
fn refused(invalid: Invalid<Problem>) -> Response {
    let outcome = OperationOutcome::from(invalid);
    let forbidden = outcome
        .issue
        .iter()
        .any(|issue| issue.code == IssueType::Forbidden);
    let mut response = self::outcome(outcome);
    if forbidden {
        *response.status_mut() = StatusCode::FORBIDDEN;
    }
    response
}

/// The patient's grant `id`, if it is theirs.
async fn own_grant(db: &Db, patient: &PatientId, id: &str) -> Result<Option<StoredGrant>, DbError> {
    grants::by_id(db, patient, &GrantId::new(id)).await
}

fn consent_response(status: StatusCode, stored: &StoredGrant, now: i64) -> Response {
    let resource = fhir_consent::from_grant(stored, now);
    let mut response = fhir_response(status, &resource);
    if let Ok(location) = format!("/fhir/Consent/{}", resource.id).parse() {
        response
            .headers_mut()
            .insert(header::CONTENT_LOCATION, location);
    }
    response
}

/// The patient's consents: one per grant, active while it is in force.
#[utoipa::path(
    get,
    path = "/fhir/Consent",
    tag = "patient",
    responses(
        (status = 200, description = "A searchset Bundle of Consents", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's")
    ),
    security(("bearer" = []))
)]
pub async fn list_consents(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
) -> Response {
    match grants::for_patient(&state.db, &patient.subject).await {
        Ok(all) => {
            let now = now_millis();
            let resources = all
                .iter()
                .map(|stored| fhir_consent::from_grant(stored, now));
            fhir_response(
                StatusCode::OK,
                &Bundle::searchset(super::records::FHIR_BASE, resources),
            )
        }
        Err(error) => unavailable(error),
    }
}

/// Grants a service: `status` active, `patient` the signed-in patient, a
/// `provision` with the `period` end, the service as actor (identifier in
/// `urn:officine:service`) and one nested provision per SMART scope. It
/// replaces the terms of the patient's grant in force for that service, if
/// any.
#[utoipa::path(
    post,
    path = "/fhir/Consent",
    tag = "patient",
    request_body(content = Object, content_type = "application/fhir+json", description = "A Consent granting a registered service some of the scopes it requests, until a date"),
    responses(
        (status = 201, description = "The grant, as a Consent", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "What is wrong with the body (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The Consent is another patient's, or the token is not a patient's (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 422, description = "An unknown service, or scopes it does not request (OperationOutcome)", content_type = "application/fhir+json", body = Object)
    ),
    security(("bearer" = []))
)]
pub async fn create_consent(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    body: Bytes,
) -> Response {
    if let Some(refusal) = too_deep(&body) {
        return refusal;
    }
    let request = match fhir_consent::parse_create(&body, &patient.subject) {
        Ok(request) => request,
        Err(invalid) => return refused(invalid),
    };
    let now = now_millis();
    // A grant starts when it is given, or later if the patient says so.
    let start = request.start.map_or(now, |start| start.max(now));
    let granted = consent::grant(
        &state.db,
        &patient.subject,
        &request.service,
        request.scopes,
        start,
        request.end,
    )
    .await;
    let error = match granted {
        Ok(stored) => {
            let mut response = consent_response(StatusCode::CREATED, &stored, now);
            if let Ok(location) = format!("/fhir/Consent/{}", stored.grant.id()).parse() {
                response.headers_mut().insert(header::LOCATION, location);
            }
            return response;
        }
        Err(ConsentError::Db(error)) => return unavailable(error),
        Err(error) => error,
    };
    let issue = match &error {
        ConsentError::UnknownService(_) => Issue::error(IssueType::BusinessRule, error.to_string())
            .at("Consent.provision.actor.reference.identifier.value"),
        ConsentError::Grant(GrantError::EndNotAfterStart) => Issue::error(
            IssueType::Value,
            "Consent.provision.period.end must be after the grant starts (now, or the start given)",
        )
        .at("Consent.provision.period.end"),
        ConsentError::Grant(GrantError::NotRequested(_) | GrantError::NotGranted(_)) => {
            Issue::error(IssueType::BusinessRule, error.to_string())
                .at("Consent.provision.provision")
        }
        ConsentError::SpaceClosed(_) => Issue::error(IssueType::BusinessRule, error.to_string()),
        ConsentError::UnknownPatient(_) | ConsentError::NoGrant { .. } | ConsentError::Db(_) => {
            Issue::error(IssueType::Processing, error.to_string())
        }
    };
    outcome(OperationOutcome::new(vec![issue]))
}

/// One of the patient's consents.
#[utoipa::path(
    get,
    path = "/fhir/Consent/{id}",
    tag = "patient",
    params(("id" = String, Path, description = "The grant's id")),
    responses(
        (status = 200, description = "The Consent", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's"),
        (status = 404, description = "No such grant of this patient (OperationOutcome)", content_type = "application/fhir+json", body = Object)
    ),
    security(("bearer" = []))
)]
pub async fn read_consent(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    Path(id): Path<String>,
) -> Response {
    match own_grant(&state.db, &patient.subject, &id).await {
        Ok(Some(stored)) => consent_response(StatusCode::OK, &stored, now_millis()),
        Ok(None) => outcome(OperationOutcome::not_found("Consent", &id)),
        Err(error) => unavailable(error),
    }
}

/// Revokes a grant: the Consent as read, with `status` inactive (and the
/// `urn:officine:fhir:extension:erase-service-data` extension, true, to
/// erase the service's storage for the patient too). No other change is
/// accepted: to change a grant's terms, post a new Consent.
#[utoipa::path(
    put,
    path = "/fhir/Consent/{id}",
    tag = "patient",
    params(("id" = String, Path, description = "The grant's id")),
    request_body(content = Object, content_type = "application/fhir+json", description = "The Consent with status inactive"),
    responses(
        (status = 200, description = "The revoked grant, as an inactive Consent", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "What is wrong with the body (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The Consent is another patient's, or the token is not a patient's (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 404, description = "No such grant of this patient (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 409, description = "Erasure asked of a grant already revoked (OperationOutcome)", content_type = "application/fhir+json", body = Object)
    ),
    security(("bearer" = []))
)]
pub async fn update_consent(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if body.trim_ascii_start().starts_with(b"[") {
        return outcome(OperationOutcome::error(
            IssueType::Structure,
            "a PUT sends the Consent itself; a JSON Patch is sent with PATCH",
        ));
    }
    revoke(&state.db, &patient.subject, &id, &body).await
}

/// Revokes a grant with a JSON Patch: a `replace` of `/status` with
/// `inactive`, optionally an `add` of the erase-service-data extension.
#[utoipa::path(
    patch,
    path = "/fhir/Consent/{id}",
    tag = "patient",
    params(("id" = String, Path, description = "The grant's id")),
    request_body(content = Object, content_type = "application/json-patch+json", description = "[{\"op\": \"replace\", \"path\": \"/status\", \"value\": \"inactive\"}]"),
    responses(
        (status = 200, description = "The revoked grant, as an inactive Consent", content_type = "application/fhir+json", body = Object),
        (status = 400, description = "What is wrong with the patch (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 401, description = "No valid patient token"),
        (status = 403, description = "The token is not a patient's"),
        (status = 404, description = "No such grant of this patient (OperationOutcome)", content_type = "application/fhir+json", body = Object),
        (status = 409, description = "Erasure asked of a grant already revoked (OperationOutcome)", content_type = "application/fhir+json", body = Object)
    ),
    security(("bearer" = []))
)]
pub async fn patch_consent(
    State(state): State<ApiState>,
    PatientIdentity(patient): PatientIdentity,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if !body.trim_ascii_start().starts_with(b"[") {
        return outcome(OperationOutcome::error(
            IssueType::Structure,
            "a PATCH sends a JSON Patch (an array of operations); the Consent itself is sent with PUT",
        ));
    }
    revoke(&state.db, &patient.subject, &id, &body).await
}

async fn revoke(db: &Db, patient: &PatientId, id: &str, body: &[u8]) -> Response {
    if let Some(refusal) = too_deep(body) {
        return refusal;
    }
    let revocation = match fhir_consent::parse_revoke(body, id, patient) {
        Ok(revocation) => revocation,
        Err(invalid) => return refused(invalid),
    };
    let stored = match own_grant(db, patient, id).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return outcome(OperationOutcome::not_found("Consent", id)),
        Err(error) => return unavailable(error),
    };
    let now = now_millis();
    if let GrantStatus::Revoked { .. } = stored.grant.status() {
        if revocation.erase {
            // Its service may have been granted again since: its storage
            // now belongs to that grant.
            return outcome(OperationOutcome::error(
                IssueType::Conflict,
                format!(
                    "Consent/{id} is already revoked: the service's data is erased only \
                     when the grant in force is revoked"
                ),
            ));
        }
        return consent_response(StatusCode::OK, &stored, now);
    }
    match consent::revoke(db, patient, stored.grant.service(), revocation.erase, now).await {
        Ok(revoked) => {
            if &revoked.grant != stored.grant.id() {
                tracing::warn!(
                    asked = id,
                    revoked = %revoked.grant,
                    "a grant changed while it was being revoked"
                );
            }
        }
        // Revoked in between: what it is now is the answer.
        Err(ConsentError::NoGrant { .. }) => {}
        Err(ConsentError::Db(error)) => return unavailable(error),
        Err(error) => {
            return outcome(OperationOutcome::error(
                IssueType::Processing,
                error.to_string(),
            ));
        }
    }
    match own_grant(db, patient, id).await {
        Ok(Some(stored)) => consent_response(StatusCode::OK, &stored, now),
        Ok(None) => outcome(OperationOutcome::not_found("Consent", id)),
        Err(error) => unavailable(error),
    }
}
