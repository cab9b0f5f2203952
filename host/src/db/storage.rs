//! Each service's private key-value space, per patient.
//!
//! Only services use it, so every query carries the service's
//! [`GrantGuard`]: nothing is read or written once the grant is gone. A
//! read that finds nothing may be due to the guard; the caller tells which.

use sqlx::AssertSqlSafe;

use super::{GrantGuard, Result};
use crate::db::Db;
use crate::model::{PatientId, ServiceId, now_millis};

/// Outcome of a write that may exceed the space's quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    Stored,
    /// The grant no longer stands: nothing was stored.
    GrantGone,
    /// Storing would bring the space to `would_use` bytes, over `quota`.
    OverQuota {
        would_use: u64,
        quota: u64,
    },
}

/// Whose space, under which grant.
#[derive(Debug, Clone, Copy)]
pub struct Space<'a> {
    pub service: &'a ServiceId,
    pub patient: &'a PatientId,
    pub guard: &'a GrantGuard,
}

pub async fn get(db: &Db, space: Space<'_>, key: &str) -> Result<Option<Vec<u8>>> {
    let sql = format!(
        "SELECT value FROM service_storage \
         WHERE service_id = $1 AND patient_id = $2 AND key = $3 AND {}",
        GrantGuard::condition(4)
    );
    let query = sqlx::query_as(AssertSqlSafe(sql))
        .bind(space.service.as_str())
        .bind(space.patient.as_str())
        .bind(key);
    let row: Option<(Vec<u8>,)> = space.guard.bind_as(query).fetch_optional(db.pool()).await?;
    Ok(row.map(|(v,)| v))
}

/// Stores `value` under `key` unless the space (keys and values) would exceed `quota` bytes.
pub async fn set(
    db: &Db,
    space: Space<'_>,
    key: &str,
    value: &[u8],
    quota: u64,
) -> Result<SetOutcome> {
    let Space {
        service,
        patient,
        guard,
    } = space;
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
    // The WHERE clause also keeps SQLite from reading ON CONFLICT as part
    // of the SELECT.
    let sql = format!(
        "INSERT INTO service_storage (service_id, patient_id, key, value, updated_at) \
         SELECT $1, $2, $3, $4, $5 WHERE {} \
         ON CONFLICT (service_id, patient_id, key) DO UPDATE SET value = excluded.value, \
         updated_at = excluded.updated_at",
        GrantGuard::condition(6)
    );
    let query = sqlx::query(AssertSqlSafe(sql))
        .bind(service.as_str())
        .bind(patient.as_str())
        .bind(key)
        .bind(value.to_vec())
        .bind(now_millis());
    let done = guard.bind(query).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(if done.rows_affected() == 0 {
        SetOutcome::GrantGone
    } else {
        SetOutcome::Stored
    })
}

/// Deletes `key`; false when nothing was deleted (no such key, or the
/// grant no longer stands).
pub async fn delete(db: &Db, space: Space<'_>, key: &str) -> Result<bool> {
    let sql = format!(
        "DELETE FROM service_storage WHERE service_id = $1 AND patient_id = $2 AND key = $3 AND {}",
        GrantGuard::condition(4)
    );
    let query = sqlx::query(AssertSqlSafe(sql))
        .bind(space.service.as_str())
        .bind(space.patient.as_str())
        .bind(key);
    let done = space.guard.bind(query).execute(db.pool()).await?;
    Ok(done.rows_affected() > 0)
}

pub async fn keys(db: &Db, space: Space<'_>) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT key FROM service_storage WHERE service_id = $1 AND patient_id = $2 AND {}",
        GrantGuard::condition(3)
    );
    let query = sqlx::query_as(AssertSqlSafe(sql))
        .bind(space.service.as_str())
        .bind(space.patient.as_str());
    let rows: Vec<(String,)> = space.guard.bind_as(query).fetch_all(db.pool()).await?;
    // Sorted here rather than in SQL: byte order does not depend on the
    // database's collation.
    let mut keys: Vec<String> = rows.into_iter().map(|(k,)| k).collect();
    keys.sort_unstable();
    Ok(keys)
}
