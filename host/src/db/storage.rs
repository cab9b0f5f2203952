//! Each service's private key-value space, per patient.
//!
//! Only services use it, so every query carries the service's
//! [`GrantGuard`]: nothing is read or written once the grant is gone. A
//! read that finds nothing may be due to the guard; the caller tells which.

use sqlx::AssertSqlSafe;

use super::read::Select;
use super::{GrantGuard, Result};
use crate::audit::{Event, InvocationId, Outcome};
use crate::db::Db;
use crate::model::{ComponentDigest, PatientId, ServiceId, now_millis};

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
    /// The component acting, and in which invocation: the space's changes
    /// are recorded as theirs.
    pub component: ComponentDigest,
    pub invocation: InvocationId,
}

impl Space<'_> {
    fn event(&self, call: &'static str, records: u64) -> Event {
        Event::by_component(
            self.service,
            &self.component,
            self.guard,
            self.invocation,
            call,
            records,
            Outcome::Allowed,
        )
    }
}

/// What a read of one key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The grant stands; the key holds this value, or nothing.
    Found(Option<Vec<u8>>),
    /// The grant no longer stands: nothing was read.
    GrantGone,
}

/// Reads `key`. One statement answers both whether the grant stands and the
/// value, so an absent key costs no second query.
pub async fn get(db: &Db, space: Space<'_>, key: &str) -> Result<Lookup> {
    let sql = format!(
        "SELECT CASE WHEN {} THEN 1 ELSE 0 END, \
         (SELECT value FROM service_storage \
          WHERE service_id = $1 AND patient_id = $2 AND key = $3)",
        GrantGuard::condition(4)
    );
    Select::new(sql)
        .bind(space.service.as_str())
        .bind(space.patient.as_str())
        .bind(key)
        .bind_all(space.guard.values())
        .fetch_one(db, |row| {
            Ok(if row.int(0)? == 0 {
                Lookup::GrantGone
            } else {
                Lookup::Found(row.blob_or_null(1)?)
            })
        })
        .await
}

/// Stores `value` under `key` unless the space (keys and values) would exceed `quota` bytes.
///
/// One statement, so that the quota check, the grant check and the write
/// are atomic, and so that SQLite takes its write lock before reading (a
/// read-then-write transaction can fail outright when another connection
/// writes in between).
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
        ..
    } = space;
    let size = (key.len() + value.len()) as i64;
    let quota = i64::try_from(quota).unwrap_or(i64::MAX);
    // The WHERE clause also keeps SQLite from reading ON CONFLICT as part
    // of the SELECT.
    let sql = format!(
        "INSERT INTO service_storage (service_id, patient_id, key, value, updated_at) \
         SELECT $1, $2, $3, $4, $5 WHERE {} AND {USED} + $6 <= $7 \
         ON CONFLICT (service_id, patient_id, key) DO UPDATE SET value = excluded.value, \
         updated_at = excluded.updated_at",
        GrantGuard::write_condition(8, db.backend())
    );
    let query = sqlx::query(AssertSqlSafe(sql))
        .bind(service.as_str())
        .bind(patient.as_str())
        .bind(key)
        .bind(value.to_vec())
        .bind(now_millis())
        .bind(size)
        .bind(quota);
    let query = guard.bind(query);
    if super::execute_audited(db, query, |_| space.event("storage.set", 1)).await? > 0 {
        return Ok(SetOutcome::Stored);
    }
    // Refused: over quota, or no grant. Only now is the space measured.
    let sql = format!("SELECT {USED}");
    let (used,): (i64,) = sqlx::query_as(AssertSqlSafe(sql))
        .bind(service.as_str())
        .bind(patient.as_str())
        .bind(key)
        .fetch_one(db.pool())
        .await?;
    let would_use = used.max(0) as u64 + size as u64;
    if would_use > quota as u64 {
        Ok(SetOutcome::OverQuota {
            would_use,
            quota: quota as u64,
        })
    } else {
        Ok(SetOutcome::GrantGone)
    }
}

/// Bytes used by every key of the space (`$1`, `$2`) but `$3`, whose value
/// is being replaced.
const USED: &str = "(SELECT COALESCE(SUM(LENGTH(key) + LENGTH(value)), 0) FROM service_storage \
                    WHERE service_id = $1 AND patient_id = $2 AND key <> $3)";

/// Deletes `key`; false when nothing was deleted (no such key, or the
/// grant no longer stands).
pub async fn delete(db: &Db, space: Space<'_>, key: &str) -> Result<bool> {
    let sql = format!(
        "DELETE FROM service_storage WHERE service_id = $1 AND patient_id = $2 AND key = $3 AND {}",
        GrantGuard::write_condition(4, db.backend())
    );
    let query = sqlx::query(AssertSqlSafe(sql))
        .bind(space.service.as_str())
        .bind(space.patient.as_str())
        .bind(key);
    let query = space.guard.bind(query);
    let deleted = super::execute_audited(db, query, |n| space.event("storage.delete", n)).await?;
    Ok(deleted > 0)
}

pub async fn keys(db: &Db, space: Space<'_>) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT key FROM service_storage WHERE service_id = $1 AND patient_id = $2 AND {}",
        GrantGuard::condition(3)
    );
    let mut keys = Select::new(sql)
        .bind(space.service.as_str())
        .bind(space.patient.as_str())
        .bind_all(space.guard.values())
        .fetch_all(db, |row| row.text(0))
        .await?;
    // Sorted here rather than in SQL: byte order does not depend on the
    // database's collation.
    keys.sort_unstable();
    Ok(keys)
}
