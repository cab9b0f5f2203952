//! Each service's private key-value space, per patient.

use super::Result;
use crate::db::Db;
use crate::model::{PatientId, ServiceId, now_millis};

/// Outcome of a write that may exceed the space's quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    Stored,
    /// Storing would bring the space to `would_use` bytes, over `quota`.
    OverQuota {
        would_use: u64,
        quota: u64,
    },
}

pub async fn get(
    db: &Db,
    service: &ServiceId,
    patient: &PatientId,
    key: &str,
) -> Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as(
        "SELECT value FROM service_storage WHERE service_id = $1 AND patient_id = $2 AND key = $3",
    )
    .bind(service.as_str())
    .bind(patient.as_str())
    .bind(key)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(v,)| v))
}

/// Stores `value` under `key` unless the space (keys and values) would exceed `quota` bytes.
pub async fn set(
    db: &Db,
    service: &ServiceId,
    patient: &PatientId,
    key: &str,
    value: &[u8],
    quota: u64,
) -> Result<SetOutcome> {
    let mut tx = db.pool().begin().await?;
    // Bytes used by every other key: the one being replaced does not count.
    let (used,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(SUM(LENGTH(key) + LENGTH(value)), 0) FROM service_storage \
         WHERE service_id = $1 AND patient_id = $2 AND key <> $3",
    )
    .bind(service.as_str())
    .bind(patient.as_str())
    .bind(key)
    .fetch_one(&mut *tx)
    .await?;
    let would_use = used.max(0) as u64 + key.len() as u64 + value.len() as u64;
    if would_use > quota {
        return Ok(SetOutcome::OverQuota { would_use, quota });
    }
    sqlx::query(
        "INSERT INTO service_storage (service_id, patient_id, key, value, updated_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (service_id, patient_id, key) DO UPDATE SET value = excluded.value, \
         updated_at = excluded.updated_at",
    )
    .bind(service.as_str())
    .bind(patient.as_str())
    .bind(key)
    .bind(value.to_vec())
    .bind(now_millis())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(SetOutcome::Stored)
}

pub async fn delete(db: &Db, service: &ServiceId, patient: &PatientId, key: &str) -> Result<()> {
    sqlx::query(
        "DELETE FROM service_storage WHERE service_id = $1 AND patient_id = $2 AND key = $3",
    )
    .bind(service.as_str())
    .bind(patient.as_str())
    .bind(key)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn keys(db: &Db, service: &ServiceId, patient: &PatientId) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT key FROM service_storage WHERE service_id = $1 AND patient_id = $2")
            .bind(service.as_str())
            .bind(patient.as_str())
            .fetch_all(db.pool())
            .await?;
    // Sorted here rather than in SQL: byte order does not depend on the
    // database's collation.
    let mut keys: Vec<String> = rows.into_iter().map(|(k,)| k).collect();
    keys.sort_unstable();
    Ok(keys)
}
