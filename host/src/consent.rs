//! Consent operations: registering what services request, granting,
//! revoking, and finding the grant an invocation runs under.
//!
//! The rules themselves live in `officine-policy`; this module applies them
//! to what is stored.

use std::sync::Arc;

use officine_policy::{Consent, Grant, GrantError, Period, Scope, difference};
use sha2::{Digest, Sha256};

use crate::db::grants::{self, Revoked, ServiceRecord, StoredGrant};
use crate::db::{Db, DbError};
use crate::model::{GrantId, PatientId, ServiceId};
use crate::service::Service;

/// How long a grant lasts when the patient does not say.
pub const DEFAULT_DURATION_MS: i64 = 365 * 24 * 3600 * 1000;

/// Why a consent operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("unknown service {0} (services are registered when the platform loads them)")]
    UnknownService(ServiceId),
    #[error("unknown patient {0}")]
    UnknownPatient(PatientId),
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error("{0} closed their space: no service may be granted anything")]
    SpaceClosed(PatientId),
    #[error("{patient} has no grant in force for {service}")]
    NoGrant {
        patient: PatientId,
        service: ServiceId,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What a loaded service asks patients for, as patients are shown it.
pub fn service_record(service: &Service) -> ServiceRecord {
    let manifest = &service.manifest;
    ServiceRecord {
        id: manifest.id().clone(),
        version: manifest.version().clone(),
        name: manifest.name().to_owned(),
        requested: manifest.scopes().collect(),
        sheet: service.sheet,
    }
}

/// The SHA-256 of a consent sheet's source text.
pub fn sheet_hash(text: &[u8]) -> officine_policy::SheetHash {
    officine_policy::SheetHash(Sha256::digest(text).into())
}

/// Grants `scopes` of `service` to `patient` from `now` until `until` (ms),
/// replacing the terms of any grant in force. The scopes must be among
/// what the service's current version requests.
pub async fn grant(
    db: &Db,
    patient: &PatientId,
    service: &ServiceId,
    scopes: Vec<Scope>,
    now: i64,
    until: i64,
) -> Result<StoredGrant, ConsentError> {
    let record = grants::service(db, service)
        .await?
        .ok_or_else(|| ConsentError::UnknownService(service.clone()))?;
    if !db.patient_exists(patient).await? {
        return Err(ConsentError::UnknownPatient(patient.clone()));
    }
    if crate::professionals::is_closed(db, patient).await? {
        return Err(ConsentError::SpaceClosed(patient.clone()));
    }
    let consent = Consent {
        patient: patient.clone(),
        service: service.clone(),
        scopes,
        period: Period::new(now, until)?,
        version: record.version.clone(),
        sheet: record.sheet,
    };
    // Checked before anything is written.
    Grant::new(GrantId::new("unsaved"), consent.clone(), &record.requested)?;
    Ok(grants::put(db, &consent).await?)
}

/// Records what a loaded service's current version requests, so that
/// patients can grant it.
pub async fn register(db: &Db, service: &Service) -> Result<ServiceRecord, DbError> {
    let record = service_record(service);
    grants::register_service(db, &record).await?;
    Ok(record)
}

/// Grants `patient` everything `record` requests, from `now` for
/// [`DEFAULT_DURATION_MS`]: what a demo patient or the editor's harness does.
pub async fn grant_requested(
    db: &Db,
    patient: &PatientId,
    record: &ServiceRecord,
    now: i64,
) -> Result<StoredGrant, ConsentError> {
    let until = now + DEFAULT_DURATION_MS;
    grant(
        db,
        patient,
        &record.id,
        record.requested.clone(),
        now,
        until,
    )
    .await
}

/// Revokes the patient's grant for the service; with `erase`, the
/// service's storage for the patient goes too.
pub async fn revoke(
    db: &Db,
    patient: &PatientId,
    service: &ServiceId,
    erase: bool,
    now: i64,
) -> Result<Revoked, ConsentError> {
    grants::revoke(db, patient, service, erase, now)
        .await?
        .ok_or_else(|| ConsentError::NoGrant {
            patient: patient.clone(),
            service: service.clone(),
        })
}

/// The grant an invocation for `patient` of `service` runs under: the
/// current one, if it is in force at `now`.
pub async fn for_invocation(
    db: &Db,
    patient: &PatientId,
    service: &ServiceId,
    now: i64,
) -> Result<Option<Arc<StoredGrant>>, DbError> {
    let current = grants::current(db, patient, service).await?;
    Ok(current
        .filter(|stored| stored.grant.in_force(now).is_ok())
        .map(Arc::new))
}

/// What the service's current version requests beyond the grant: the
/// scopes the patient would be asked to consent to. The service runs
/// without them until then.
pub fn pending(grant: &Grant, record: &ServiceRecord) -> Vec<Scope> {
    difference(&record.requested, grant.scopes())
}
