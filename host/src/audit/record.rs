//! Writing events: with the change they record, or group-committed.
//!
//! A change and its event commit in one transaction ([`insert_in`]). An
//! access that changes nothing — a read, a refusal — has no transaction of
//! its own to join, so its events go through the [`Recorder`], which writes
//! whatever accumulated while the previous write ran in one transaction
//! (group commit) and answers each caller once its events are committed:
//! a response leaves only after the record of what it read. On an SQLite
//! file they are appended to the queue instead (see [`super::queue`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::{AnyConnection, AnyPool, AssertSqlSafe};
use tokio::sync::Notify;

use super::Event;
use super::queue::Queue;
use crate::db::{Backend, DbError, Result};

/// An event as stored: its entry, the entry's leaf hash, and the columns
/// the views query.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) at: i64,
    pub(crate) patient: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) interface: String,
    pub(crate) operation: String,
    pub(crate) outcome: &'static str,
    pub(crate) records: i64,
    pub(crate) body: String,
    pub(crate) leaf: officine_tlog::Hash,
}

impl Row {
    pub(crate) fn of(event: &Event) -> Row {
        Row::with_body(event, event.to_entry())
    }

    /// An entry read back, exactly as written: its leaf is the hash of
    /// these bytes. `None` if it is not an event.
    pub(crate) fn parse(entry: &str) -> Option<Row> {
        Event::from_entry(entry).map(|event| Row::with_body(&event, entry.to_owned()))
    }

    fn with_body(event: &Event, body: String) -> Row {
        Row {
            at: event.at,
            patient: event.patient.clone(),
            service: event.actor.service().map(str::to_owned),
            interface: event.interface.clone().into_owned(),
            operation: event.operation.clone().into_owned(),
            outcome: event.outcome.as_str(),
            records: i64::try_from(event.records).unwrap_or(i64::MAX),
            leaf: officine_tlog::leaf_hash(body.as_bytes()),
            body,
        }
    }
}

const COLUMNS: &str =
    "at, patient_id, service_id, interface, operation, outcome, records, body, leaf";
const PER_ROW: usize = 9;

/// Rows per statement. On SQLite each row takes the next place in the
/// log as it is inserted, so one at a time; on PostgreSQL places are given
/// when sealing, and a statement takes many rows (well under its limit on
/// parameters).
fn rows_per_statement(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 100,
    }
}

fn insert_sql(rows: usize, backend: Backend) -> String {
    let values = |row: usize| {
        let first = row * PER_ROW + 1;
        let params: Vec<String> = (first..first + PER_ROW).map(|i| format!("${i}")).collect();
        params.join(", ")
    };
    match backend {
        Backend::Sqlite => {
            debug_assert_eq!(rows, 1);
            // One writer at a time: the next place is the last one plus one.
            format!(
                "INSERT INTO audit_events (idx, {COLUMNS}) VALUES \
                 ((SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_events), {})",
                values(0)
            )
        }
        Backend::Postgres => {
            let rows: Vec<String> = (0..rows).map(|row| format!("({})", values(row))).collect();
            format!(
                "INSERT INTO audit_events ({COLUMNS}) VALUES {}",
                rows.join(", ")
            )
        }
    }
}

/// Inserts `events` on `conn`, within the caller's transaction: they commit
/// with the change they record, or not at all.
pub(crate) async fn insert_in(conn: &mut AnyConnection, events: &[Event]) -> Result<()> {
    let rows: Vec<Row> = events.iter().map(Row::of).collect();
    insert_rows(conn, &rows).await
}

async fn insert_rows(conn: &mut AnyConnection, rows: &[Row]) -> Result<()> {
    let backend = Backend::of_connection(conn);
    for chunk in rows.chunks(rows_per_statement(backend)) {
        let mut query = sqlx::query(AssertSqlSafe(insert_sql(chunk.len(), backend)));
        for row in chunk {
            query = query
                .bind(row.at)
                .bind(row.patient.clone())
                .bind(row.service.clone())
                .bind(row.interface.clone())
                .bind(row.operation.clone())
                .bind(row.outcome)
                .bind(row.records)
                .bind(row.body.clone())
                .bind(row.leaf.to_vec());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Why events were not recorded. The access they record must then not be
/// answered: the caller reports the platform unavailable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the audit record could not be written: {0}")]
    Write(String),
    #[error("the audit write these events were part of was abandoned")]
    Abandoned,
}

/// The outcome of one group commit, shared by every caller in it.
type Done = Arc<OnceLock<Result<(), RecordError>>>;

/// Events waiting for the next group commit, and its outcome to come.
#[derive(Default)]
struct Open {
    rows: Vec<Row>,
    done: Done,
}

/// Group-commits events that have no transaction of their own.
pub struct Recorder {
    pool: AnyPool,
    /// On an SQLite file, events wait in a queue of their own (see
    /// [`super::queue`]), appended to on the caller's thread: one `write`,
    /// cheaper than handing it to another thread.
    queue: Option<Arc<Queue>>,
    open: Mutex<Open>,
    /// Held by the caller whose write is under way: the others wait here,
    /// and their events gather into the next write meanwhile.
    writer: tokio::sync::Mutex<()>,
    /// Events written and not yet sealed into the log, as far as this
    /// process knows.
    unsealed: AtomicU64,
    /// Woken when `unsealed` reaches a seal's worth.
    seal_due: Notify,
    seal_every: AtomicU64,
    #[cfg(feature = "unaudited-for-benchmarks")]
    off: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("queue", &self.queue.is_some())
            .field("unsealed", &self.unsealed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Recorder {
    pub(crate) fn new(pool: AnyPool, queue: Option<Queue>) -> Recorder {
        Recorder {
            pool,
            queue: queue.map(Arc::new),
            open: Mutex::default(),
            writer: tokio::sync::Mutex::new(()),
            unsealed: AtomicU64::new(0),
            seal_due: Notify::new(),
            seal_every: AtomicU64::new(super::seal::SealPolicy::default().events),
            #[cfg(feature = "unaudited-for-benchmarks")]
            off: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Records `events` and returns once they are committed.
    pub async fn record(&self, events: Vec<Event>) -> Result<(), RecordError> {
        if events.is_empty() || self.is_off() {
            return Ok(());
        }
        if let Some(queue) = self.queue.as_ref().filter(|queue| queue.owned()) {
            // Hashed and indexed when moved into the log: here, only
            // what makes them last.
            let mut lines = String::with_capacity(events.len() * 512);
            for event in &events {
                lines.push_str(&event.to_entry());
                lines.push('\n');
            }
            return match queue.append(lines.as_bytes()) {
                Ok(behind) => {
                    self.written(events.len() as u64);
                    if behind {
                        // Events come faster than seals move them: each
                        // caller helps until the queue is short again.
                        self.flush()
                            .await
                            .map_err(|e| RecordError::Write(e.to_string()))?;
                    }
                    Ok(())
                }
                Err(error) => {
                    tracing::error!(%error, events = events.len(), "audit events not recorded");
                    Err(RecordError::Write(error.to_string()))
                }
            };
        }
        // Serialized and hashed before joining the group: the write itself
        // holds the writer's lock, and does only SQL.
        let rows: Vec<Row> = events.iter().map(Row::of).collect();
        let done = {
            let mut open = self.lock_open();
            open.rows.extend(rows);
            open.done.clone()
        };
        let _writer = self.writer.lock().await;
        if let Some(result) = done.get() {
            // An earlier caller's write took these events along.
            return result.clone();
        }
        let batch = {
            let mut open = self.lock_open();
            if !Arc::ptr_eq(&open.done, &done) {
                // The write that took these events was dropped midway.
                return Err(RecordError::Abandoned);
            }
            std::mem::take(&mut *open)
        };
        let result = self
            .write(&batch.rows)
            .await
            .map_err(|e| RecordError::Write(e.to_string()));
        if result.is_ok() {
            self.written(batch.rows.len() as u64);
        } else if let Err(error) = &result {
            tracing::error!(%error, events = batch.rows.len(), "audit events not recorded");
        }
        let _ = batch.done.set(result.clone());
        result
    }

    async fn write(&self, rows: &[Row]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_rows(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves the events waiting in an SQLite file's queue into the log
    /// (each seal does it first); how many. Nothing waits elsewhere.
    pub async fn flush(&self) -> Result<u64> {
        let Some(queue) = self.queue.clone() else {
            return Ok(0);
        };
        tokio::task::spawn_blocking(move || queue.move_into_log(|_| Ok::<_, DbError>(false)))
            .await
            .expect("moving the audit queue does not panic")
    }

    /// How many events wait in an SQLite file's queue, and when the oldest
    /// was recorded.
    pub async fn waiting(&self) -> Result<(u64, Option<i64>)> {
        let Some(queue) = self.queue.clone() else {
            return Ok((0, None));
        };
        tokio::task::spawn_blocking(move || queue.waiting())
            .await
            .expect("reading the audit queue does not panic")
    }

    /// The queue of an SQLite file, where reads' events wait.
    pub(crate) fn queue(&self) -> Option<&Arc<Queue>> {
        self.queue.as_ref()
    }

    /// Counts events committed in a change's transaction.
    pub(crate) fn written(&self, events: u64) {
        let unsealed = self.unsealed.fetch_add(events, Ordering::Relaxed) + events;
        if unsealed >= self.seal_every.load(Ordering::Relaxed) {
            self.seal_due.notify_one();
        }
    }

    /// Resolves when a seal's worth of events was written since the last
    /// [`sealed`](Self::sealed).
    pub(crate) async fn seal_due(&self) {
        self.seal_due.notified().await
    }

    pub(crate) fn sealed(&self) {
        self.unsealed.store(0, Ordering::Relaxed);
    }

    pub(crate) fn seal_every(&self, events: u64) {
        self.seal_every.store(events.max(1), Ordering::Relaxed);
    }

    fn lock_open(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Benchmarks only: records nothing from now on, to measure what
    /// recording costs. A build that serves has no such switch.
    #[cfg(feature = "unaudited-for-benchmarks")]
    pub fn turn_off(&self) {
        self.off.store(true, Ordering::Relaxed);
    }

    pub(crate) fn is_off(&self) -> bool {
        #[cfg(feature = "unaudited-for-benchmarks")]
        {
            self.off.load(Ordering::Relaxed)
        }
        #[cfg(not(feature = "unaudited-for-benchmarks"))]
        {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_number_their_parameters_row_after_row() {
        let sql = insert_sql(2, Backend::Postgres);
        assert!(sql.ends_with("VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9), ($10, $11, $12, $13, $14, $15, $16, $17, $18)"));
        let sql = insert_sql(1, Backend::Sqlite);
        assert!(sql.contains("(idx, at,"), "{sql}");
        assert!(sql.ends_with("FROM audit_events), $1, $2, $3, $4, $5, $6, $7, $8, $9)"));
    }
}
