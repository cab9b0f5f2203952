//! Sealing: placing recorded events in the Merkle log and signing a
//! checkpoint over it.
//!
//! Events are recorded first, in whatever transactions carry them. On
//! SQLite, which has one writer at a time, each takes the next place in the
//! log as it is inserted: changes' events with their change, reads' events
//! as the seal moves them out of the queue, in the seal's transaction. On
//! PostgreSQL, where writers commit in any order,
//! an event has no place until a seal gives every event committed so far
//! the places after the last one, in the order it finds them. A seal then
//! extends the log's right edge ([`Frontier`]) with the new leaves and
//! signs the new tree head, one seal at a time across every host sharing
//! the database. Only this part is batched: hashing and signing per event
//! would cost more than the access it records.

use std::sync::Arc;
use std::time::Duration;

use officine_registry::log::LogSigner;
use officine_tlog::{Checkpoint, Frontier, SignedCheckpoint};
use rusqlite::OptionalExtension;
use sqlx::Row as _;

use super::Queue;
use crate::db::{Backend, Db, DbError};
use crate::model::now_millis;

/// The audit log's name: the origin line of its checkpoints.
pub const ORIGIN: &str = "audit.officine.localhost";

/// When to seal: every `every`, or as soon as `events` events wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealPolicy {
    pub every: Duration,
    pub events: u64,
}

impl Default for SealPolicy {
    fn default() -> Self {
        SealPolicy {
            every: Duration::from_secs(1),
            events: 100_000,
        }
    }
}

/// Adds the events a seal covers, places `$1` to `$2` excluded, to the counts the
/// misuse rules read ([`super::misuse`]), in the seal's transaction.
const COUNT_SEALED: &str = "INSERT INTO audit_counts (minute, service_id, patient_id, calls, denied) \
     SELECT at / 60000, service_id, COALESCE(patient_id, ''), COUNT(*), \
            CAST(SUM(CASE WHEN outcome = 'denied' THEN 1 ELSE 0 END) AS BIGINT) \
     FROM audit_events WHERE idx >= $1 AND idx < $2 AND service_id IS NOT NULL \
     GROUP BY at / 60000, service_id, COALESCE(patient_id, '') \
     ON CONFLICT (minute, service_id, patient_id) DO UPDATE \
     SET calls = audit_counts.calls + excluded.calls, \
         denied = audit_counts.denied + excluded.denied";

/// Most events one seal places: a longer backlog is sealed in several
/// transactions, one after the other.
const MAX_PER_SEAL: i64 = 50_000;

/// What a seal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sealed {
    /// Events placed by this seal.
    pub placed: u64,
    /// The log's size, which the new checkpoint signs.
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the audit log is damaged: {0}; run `officine audit verify`")]
    Damaged(String),
    #[error("the audit log is sealed only in an SQLite database in a file")]
    NotAFile,
}

impl From<rusqlite::Error> for SealError {
    fn from(error: rusqlite::Error) -> Self {
        SealError::Db(DbError::Sqlite(error))
    }
}

impl From<sqlx::Error> for SealError {
    fn from(error: sqlx::Error) -> Self {
        SealError::Db(DbError::Sqlx(error))
    }
}

/// Signs a checkpoint over the events recorded since the last seal (up to
/// a limit), placing them in the log first where that is the seal's job.
/// `None` when there was nothing new.
pub async fn seal(db: &Db, signer: &Arc<LogSigner>) -> Result<Option<Sealed>, SealError> {
    match db.backend() {
        Backend::Sqlite => {
            // Every SQLite database in a file has its queue; one in memory
            // is private to each connection, and holds no log to seal.
            let queue = db.audit().queue().ok_or(SealError::NotAFile)?.clone();
            let signer = signer.clone();
            tokio::task::spawn_blocking(move || move_and_seal(&queue, &signer))
                .await
                .expect("sealing does not panic")
        }
        Backend::Postgres => place_and_seal(db, signer).await,
    }
}

/// SQLite with a queue: each move of reads' events into the log seals
/// them with whatever changes recorded meanwhile, in its transaction, so
/// that the database sees one commit for both. What a whole move sealed,
/// or `None` if nothing was new.
fn move_and_seal(queue: &Queue, signer: &LogSigner) -> Result<Option<Sealed>, SealError> {
    let mut sealed: Option<Sealed> = None;
    queue.move_into_log(|tx| -> Result<bool, SealError> {
        let Some(this) = seal_in(tx, signer)? else {
            return Ok(false);
        };
        sealed = Some(Sealed {
            placed: sealed.map_or(0, |s| s.placed) + this.placed,
            size: this.size,
        });
        Ok(true)
    })?;
    Ok(sealed)
}

/// Seals what was placed since the last checkpoint, in `tx`, which holds
/// the database's write lock.
fn seal_in(tx: &rusqlite::Connection, signer: &LogSigner) -> Result<Option<Sealed>, SealError> {
    let last = tx
        .query_row(LATEST_FRONTIER, [], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let mut frontier = frontier_of(last)?;
    let before = frontier.size();
    let mut select =
        tx.prepare_cached("SELECT idx, leaf FROM audit_events WHERE idx >= ?1 ORDER BY idx")?;
    let leaves = select
        .query_map([before as i64], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<Vec<(i64, Vec<u8>)>, _>>()?;
    if leaves.is_empty() {
        return Ok(None);
    }
    extend(&mut frontier, leaves)?;
    tx.execute(
        "INSERT INTO audit_checkpoints (size, note, frontier, signed_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![
            frontier.size() as i64,
            sign(&frontier, signer),
            frontier.to_bytes(),
            now_millis()
        ],
    )?;
    tx.execute(COUNT_SEALED, [before as i64, frontier.size() as i64])?;
    Ok(Some(Sealed {
        placed: frontier.size() - before,
        size: frontier.size(),
    }))
}

/// PostgreSQL: writers commit in any order, so events are placed here, in
/// one transaction with the checkpoint, one seal at a time.
async fn place_and_seal(db: &Db, signer: &LogSigner) -> Result<Option<Sealed>, SealError> {
    let mut tx = db.pool().begin().await?;
    crate::db::sole_writer(&mut tx, "audit_checkpoints").await?;
    let placed = sqlx::query(
        "UPDATE audit_events SET idx = places.base + places.n - 1 \
         FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS n, \
                      (SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_events) AS base \
               FROM audit_events WHERE idx IS NULL ORDER BY seq LIMIT $1) AS places \
         WHERE audit_events.seq = places.seq",
    )
    .bind(MAX_PER_SEAL)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if placed == 0 {
        return Ok(None);
    }
    let mut frontier = latest_frontier(&mut tx).await?;
    let before = frontier.size();
    let rows = sqlx::query("SELECT idx, leaf FROM audit_events WHERE idx >= $1 ORDER BY idx")
        .bind(before as i64)
        .fetch_all(&mut *tx)
        .await?;
    if rows.len() as u64 != placed {
        return Err(SealError::Damaged(format!(
            "{placed} events were placed after position {before}, but {} are there",
            rows.len()
        )));
    }
    let leaves = rows
        .iter()
        .map(|row| Ok((row.try_get::<i64, _>(0)?, row.try_get::<Vec<u8>, _>(1)?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    extend(&mut frontier, leaves)?;
    let note = sign(&frontier, signer);
    sqlx::query(
        "INSERT INTO audit_checkpoints (size, note, frontier, signed_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(frontier.size() as i64)
    .bind(note)
    .bind(frontier.to_bytes())
    .bind(now_millis())
    .execute(&mut *tx)
    .await?;
    sqlx::query(COUNT_SEALED)
        .bind(before as i64)
        .bind(frontier.size() as i64)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(Sealed {
        placed,
        size: frontier.size(),
    }))
}

const LATEST_FRONTIER: &str =
    "SELECT size, frontier FROM audit_checkpoints ORDER BY size DESC LIMIT 1";

/// The log's right edge as of its latest checkpoint.
async fn latest_frontier(conn: &mut sqlx::AnyConnection) -> Result<Frontier, SealError> {
    let last = sqlx::query(LATEST_FRONTIER)
        .fetch_optional(conn)
        .await?
        .map(|row| Ok::<_, sqlx::Error>((row.try_get(0)?, row.try_get(1)?)))
        .transpose()?;
    frontier_of(last)
}

/// The right edge a checkpoint stored (size and frontier), or the empty
/// log's if there is none.
fn frontier_of(last: Option<(i64, Vec<u8>)>) -> Result<Frontier, SealError> {
    match last {
        None => Ok(Frontier::new()),
        Some((size, bytes)) => Frontier::from_bytes(size as u64, &bytes)
            .map_err(|e| SealError::Damaged(format!("the last checkpoint's frontier: {e}"))),
    }
}

/// Extends `frontier` with `leaves` (`(place, leaf hash)`), which must
/// follow it without a gap.
fn extend(frontier: &mut Frontier, leaves: Vec<(i64, Vec<u8>)>) -> Result<(), SealError> {
    for (index, leaf) in leaves {
        if index as u64 != frontier.size() {
            return Err(SealError::Damaged(format!(
                "event {index} is where event {} should be",
                frontier.size()
            )));
        }
        let leaf = leaf
            .try_into()
            .map_err(|_| SealError::Damaged(format!("event {index} has no 32-byte leaf hash")))?;
        frontier.push(leaf);
    }
    Ok(())
}

/// The signed checkpoint of the log `frontier` ends.
fn sign(frontier: &Frontier, signer: &LogSigner) -> String {
    let checkpoint = Checkpoint::new(signer.origin(), frontier.size(), frontier.root())
        .expect("the audit log's origin is a valid checkpoint origin");
    SignedCheckpoint::sign(checkpoint, signer).to_string()
}

/// Seals until nothing waits.
pub async fn seal_all(db: &Db, signer: &Arc<LogSigner>) -> Result<u64, SealError> {
    let mut placed = 0;
    while let Some(sealed) = seal(db, signer).await? {
        placed += sealed.placed;
    }
    Ok(placed)
}

/// The background task that seals on a schedule; stopped when dropped.
#[derive(Debug)]
pub struct Sealer {
    task: tokio::task::JoinHandle<()>,
}

impl Sealer {
    /// Seals every `policy.every`, or sooner once `policy.events` events
    /// were recorded by this process.
    pub fn spawn(db: Db, signer: Arc<LogSigner>, policy: SealPolicy) -> Sealer {
        db.audit().seal_every(policy.events);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(policy.every) => {}
                    _ = db.audit().seal_due() => {}
                }
                db.audit().sealed();
                if let Err(error) = seal_all(&db, &signer).await {
                    // Events stay recorded and are placed by the next seal.
                    tracing::error!(%error, "sealing the audit log failed");
                }
                if let Err(error) = db.checkpoint_wal().await {
                    tracing::warn!(%error, "checkpointing the database's log failed");
                }
            }
        });
        Sealer { task }
    }
}

impl Drop for Sealer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
