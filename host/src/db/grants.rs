//! Consent: the services patients can grant, and their grants.

use officine_policy::{Consent, Grant, GrantStatus, Period, Scope, SheetHash};

use super::read::{Row, Select};
use super::{DbError, Result, decode};
use crate::audit::{Event, GrantRef};
use crate::db::Db;
use crate::model::{self, GrantId, PatientId, ServiceId, Writer};

/// A service as patients can grant it: what its current version requests,
/// and the consent sheet that describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRecord {
    pub id: ServiceId,
    pub version: semver::Version,
    pub name: String,
    pub requested: Vec<Scope>,
    pub sheet: SheetHash,
}

/// A grant, and the revision its terms are at.
#[derive(Debug, Clone)]
pub struct StoredGrant {
    pub grant: Grant,
    /// Grows with every change of the grant's terms.
    pub revision: i64,
}

/// Records a service's current version, replacing the previous one.
pub async fn register_service(db: &Db, service: &ServiceRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO services (id, version, name, requested_scopes, sheet_hash, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
         version = excluded.version, name = excluded.name, \
         requested_scopes = excluded.requested_scopes, sheet_hash = excluded.sheet_hash, \
         updated_at = excluded.updated_at",
    )
    .bind(service.id.as_str())
    .bind(service.version.to_string())
    .bind(&service.name)
    .bind(scopes_text(&service.requested))
    .bind(service.sheet.to_hex())
    .bind(model::now_millis())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A registered service.
pub async fn service(db: &Db, id: &ServiceId) -> Result<Option<ServiceRecord>> {
    Select::new(
        "SELECT id, version, name, requested_scopes, sheet_hash FROM services WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(db, service_from_row)
    .await
}

/// Every registered service, by id.
pub async fn services(db: &Db) -> Result<Vec<ServiceRecord>> {
    Select::new("SELECT id, version, name, requested_scopes, sheet_hash FROM services ORDER BY id")
        .fetch_all(db, service_from_row)
        .await
}

const GRANT_COLUMNS: &str = "id, patient_id, service_id, scopes, starts_at, ends_at, version, \
                             sheet_hash, revision, revoked_at";

/// The patient's grant for the service that is not revoked, if any (it may
/// have expired: see [`Grant::in_force`]).
pub async fn current(
    db: &Db,
    patient: &PatientId,
    service: &ServiceId,
) -> Result<Option<StoredGrant>> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM grants \
         WHERE patient_id = $1 AND service_id = $2 AND revoked_at IS NULL"
    );
    Select::new(sql)
        .bind(patient.as_str())
        .bind(service.as_str())
        .fetch_optional(db, grant_from_row)
        .await
}

/// The patient's grant `id`, revoked or not; `None` if no grant of theirs
/// has that id.
pub async fn by_id(db: &Db, patient: &PatientId, id: &GrantId) -> Result<Option<StoredGrant>> {
    let sql = format!("SELECT {GRANT_COLUMNS} FROM grants WHERE patient_id = $1 AND id = $2");
    Select::new(sql)
        .bind(patient.as_str())
        .bind(id.as_str())
        .fetch_optional(db, grant_from_row)
        .await
}

/// The grants `(patient, id)` names, revoked or not; a grant that does
/// not exist is absent from the answer.
pub async fn by_ids(db: &Db, ids: &[(&PatientId, &GrantId)]) -> Result<Vec<StoredGrant>> {
    let mut found = Vec::with_capacity(ids.len());
    // A bounded statement: a few shapes, each cached once.
    for chunk in ids.chunks(16) {
        let terms: Vec<String> = (0..chunk.len())
            .map(|i| format!("(patient_id = ${} AND id = ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM grants WHERE {}",
            terms.join(" OR ")
        );
        let mut select = Select::new(sql);
        for (patient, id) in chunk {
            select = select.bind(patient.as_str()).bind(id.as_str());
        }
        found.extend(select.fetch_all(db, grant_from_row).await?);
    }
    Ok(found)
}

/// The patient's grants, current ones first, then revoked ones, newest first.
pub async fn for_patient(db: &Db, patient: &PatientId) -> Result<Vec<StoredGrant>> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE patient_id = $1 \
         ORDER BY CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id"
    );
    Select::new(sql)
        .bind(patient.as_str())
        .fetch_all(db, grant_from_row)
        .await
}

/// Records `consent` as the patient's grant for the service: a new grant,
/// or new terms (and a new revision) for the current one. The caller has
/// checked the consent against the service's request with [`Grant::new`].
pub async fn put(db: &Db, consent: &Consent) -> Result<StoredGrant> {
    // Every statement here writes, the first one included, so that SQLite
    // takes its write lock at once (see `storage::set`).
    let mut tx = db.pool().begin().await?;
    let updated: Option<(String, i64)> = sqlx::query_as(
        "UPDATE grants SET scopes = $1, starts_at = $2, ends_at = $3, version = $4, \
         sheet_hash = $5, revision = revision + 1 \
         WHERE patient_id = $6 AND service_id = $7 AND revoked_at IS NULL \
         RETURNING id, revision",
    )
    .bind(scopes_text(&consent.scopes))
    .bind(consent.period.start())
    .bind(consent.period.end())
    .bind(consent.version.to_string())
    .bind(consent.sheet.to_hex())
    .bind(consent.patient.as_str())
    .bind(consent.service.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let (id, revision) = match updated {
        Some(current) => current,
        None => {
            let id = model::new_id();
            sqlx::query(
                "INSERT INTO grants (id, patient_id, service_id, scopes, starts_at, ends_at, \
                 version, sheet_hash, revision, revoked_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, NULL, $9)",
            )
            .bind(&id)
            .bind(consent.patient.as_str())
            .bind(consent.service.as_str())
            .bind(scopes_text(&consent.scopes))
            .bind(consent.period.start())
            .bind(consent.period.end())
            .bind(consent.version.to_string())
            .bind(consent.sheet.to_hex())
            .bind(model::now_millis())
            .execute(&mut *tx)
            .await?;
            (id, 1)
        }
    };
    let call = if revision == 1 {
        "consent.grant"
    } else {
        "consent.update"
    };
    let event = consent_event(&consent.patient, call, 1, &id, revision);
    super::record_in(db, &mut tx, event).await?;
    tx.commit().await?;
    let grant = Grant::restore(GrantId::new(id), consent.clone(), GrantStatus::Active);
    Ok(StoredGrant { grant, revision })
}

/// What a revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    pub grant: GrantId,
    /// Keys of the service's storage erased for the patient.
    pub erased_keys: u64,
}

/// Revokes the patient's grant for the service; with `erase`, also deletes
/// the service's `storage` for the patient, in the same transaction.
/// `None` if there was no grant to revoke (and then nothing is erased).
pub async fn revoke(
    db: &Db,
    patient: &PatientId,
    service: &ServiceId,
    erase: bool,
    now: i64,
) -> Result<Option<Revoked>> {
    let mut tx = db.pool().begin().await?;
    let revoked: Option<(String, i64)> = sqlx::query_as(
        "UPDATE grants SET revoked_at = $1, revision = revision + 1 \
         WHERE patient_id = $2 AND service_id = $3 AND revoked_at IS NULL RETURNING id, revision",
    )
    .bind(now)
    .bind(patient.as_str())
    .bind(service.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, revision)) = revoked else {
        return Ok(None);
    };
    let event = consent_event(patient, "consent.revoke", 1, &id, revision);
    super::record_in(db, &mut tx, event).await?;
    let mut erased_keys = 0;
    if erase {
        erased_keys =
            sqlx::query("DELETE FROM service_storage WHERE service_id = $1 AND patient_id = $2")
                .bind(service.as_str())
                .bind(patient.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        // The erasure is on the record; the record is never erased.
        let event = consent_event(patient, "storage.erase", erased_keys, &id, revision);
        super::record_in(db, &mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(Some(Revoked {
        grant: GrantId::new(id),
        erased_keys,
    }))
}

/// The patient's change to their consent, or what it erased.
fn consent_event(
    patient: &PatientId,
    call: &'static str,
    records: u64,
    grant: &str,
    revision: i64,
) -> Event {
    Event::change(&Writer::Patient, patient, call, records).under(Some(GrantRef {
        id: grant.to_owned(),
        revision,
    }))
}

fn scopes_text(scopes: &[Scope]) -> String {
    let texts: Vec<String> = scopes.iter().map(|s| s.canonical().to_string()).collect();
    texts.join(" ")
}

fn scopes_from(column: &'static str, text: String) -> Result<Vec<Scope>> {
    text.split(' ')
        .filter(|scope| !scope.is_empty())
        .map(|scope| {
            scope.parse().map_err(|_| DbError::Corrupt {
                column,
                value: scope.to_owned(),
            })
        })
        .collect()
}

/// Decodes `id, version, name, requested_scopes, sheet_hash`, by position.
fn service_from_row(row: &dyn Row) -> Result<ServiceRecord> {
    Ok(ServiceRecord {
        id: decode("services.id", row.text(0)?, |s| ServiceId::new(s).ok())?,
        version: decode("services.version", row.text(1)?, |s| s.parse().ok())?,
        name: row.text(2)?,
        requested: scopes_from("services.requested_scopes", row.text(3)?)?,
        sheet: decode("services.sheet_hash", row.text(4)?, SheetHash::from_hex)?,
    })
}

/// Decodes a row of [`GRANT_COLUMNS`], by position.
fn grant_from_row(row: &dyn Row) -> Result<StoredGrant> {
    let period = Period::new(row.int(4)?, row.int(5)?).map_err(|_| DbError::Corrupt {
        column: "grants.ends_at",
        value: "not after starts_at".to_owned(),
    })?;
    let consent = Consent {
        patient: PatientId::new(row.text(1)?),
        service: decode("grants.service_id", row.text(2)?, |s| {
            ServiceId::new(s).ok()
        })?,
        scopes: scopes_from("grants.scopes", row.text(3)?)?,
        period,
        version: decode("grants.version", row.text(6)?, |s| s.parse().ok())?,
        sheet: decode("grants.sheet_hash", row.text(7)?, SheetHash::from_hex)?,
    };
    let status = match row.int_or_null(9)? {
        None => GrantStatus::Active,
        Some(at) => GrantStatus::Revoked { at },
    };
    let id = GrantId::new(row.text(0)?);
    let grant = Grant::restore(id, consent, status);
    Ok(StoredGrant {
        grant,
        revision: row.int(8)?,
    })
}
