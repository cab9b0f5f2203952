//! On an SQLite file: where the events of reads wait for the next seal.
//!
//! SQLite has one file and one writer. A commit to the database file,
//! however small, makes every reading connection drop its page cache and
//! memory map at its next read; with an event committed for each request,
//! reads would start cold every time. So the events that have no
//! transaction of their own (reads, refusals) are committed to a queue file
//! next to the database (`<database>.audit-queue`), as durable as the
//! database itself, and each seal moves them into the log in one
//! transaction: one commit to the database a second instead of one a
//! request. Changes still commit their events in the database, with them.
//!
//! A move commits to the database the events and how far the move got; the
//! queue forgets them afterwards, two files and so two commits: a move cut
//! between them is not repeated, because the database says how far it got,
//! for this queue (queues are told apart by a random id made with them).
//! The queue forgets them a few at a time, taking turns with the requests
//! appending to it, so that none waits long.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::record::Row;
use crate::db::Result;

/// Events moved into the log per transaction.
const MOVE_BATCH: i64 = 50_000;
/// Moved events deleted from the queue per transaction: about a
/// millisecond of its lock.
const FORGET_BATCH: i64 = 500;

/// The queue file of the database at `path`.
pub fn path_for(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".audit-queue");
    PathBuf::from(name)
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS queue_id (
        id TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS queued (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        at          BIGINT NOT NULL,
        patient_id  TEXT,
        service_id  TEXT,
        interface   TEXT NOT NULL,
        operation   TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        records     BIGINT NOT NULL,
        body        TEXT NOT NULL,
        leaf        BLOB NOT NULL
    );
";

const INSERT: &str = "INSERT INTO queued (at, patient_id, service_id, interface, operation, \
                      outcome, records, body, leaf) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/// The queue of one database file.
pub(crate) struct Queue {
    database: PathBuf,
    path: PathBuf,
    /// The connection events are appended through.
    appender: Mutex<Option<Connection>>,
    /// The connection that moves them: the database, with the queue attached.
    mover: Mutex<Option<Connection>>,
}

impl Queue {
    pub(crate) fn new(database: &Path) -> Queue {
        Queue {
            database: database.to_owned(),
            path: path_for(database),
            appender: Mutex::new(None),
            mover: Mutex::new(None),
        }
    }

    /// Commits `rows` to the queue.
    pub(crate) fn append(&self, rows: &[Row]) -> Result<()> {
        with(
            &self.appender,
            || self.open_appender(),
            |conn| {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                {
                    let mut insert = tx.prepare_cached(INSERT)?;
                    for row in rows {
                        insert.execute(params![
                            row.at,
                            row.patient,
                            row.service,
                            row.interface,
                            row.operation,
                            row.outcome,
                            row.records,
                            row.body,
                            &row.leaf[..],
                        ])?;
                    }
                }
                tx.commit()?;
                Ok(())
            },
        )
    }

    /// Moves what waits into the log, in order, each event at the next
    /// place; returns how many were moved. Blocking: run it off the async
    /// workers.
    pub(crate) fn move_into_log(&self) -> Result<u64> {
        if !self.path.exists() {
            return Ok(0);
        }
        with(
            &self.mover,
            || self.open_mover(),
            |conn| {
                let mut moved = 0;
                loop {
                    let (batch, upto) = move_batch(conn)?;
                    // The database has them: the queue may forget them. (Cut
                    // here, the next move skips them by the database's mark.)
                    self.forget(upto)?;
                    if batch == 0 {
                        conn.execute_batch("PRAGMA queue.wal_checkpoint(PASSIVE)")?;
                        return Ok(moved);
                    }
                    moved += batch;
                }
            },
        )
    }

    /// Deletes the events moved into the log (up to `moved`) from the
    /// queue, a few at a time, through the appender's connection: requests
    /// and the deletes take turns at one lock of this process rather than
    /// at SQLite's, where a writer that finds the file locked backs off
    /// longer each time.
    fn forget(&self, moved: i64) -> Result<()> {
        loop {
            let deleted = with(
                &self.appender,
                || self.open_appender(),
                |conn| {
                    Ok(conn.execute(
                        "DELETE FROM queued WHERE seq IN \
                     (SELECT seq FROM queued WHERE seq <= ?1 ORDER BY seq LIMIT ?2)",
                        params![moved, FORGET_BATCH],
                    )?)
                },
            )?;
            if (deleted as i64) < FORGET_BATCH {
                return Ok(());
            }
            std::thread::yield_now();
        }
    }

    /// How many events wait, and when the oldest was recorded.
    pub(crate) fn waiting(&self) -> Result<(u64, Option<i64>)> {
        if !self.path.exists() {
            return Ok((0, None));
        }
        with(
            &self.mover,
            || self.open_mover(),
            |conn| {
                let id = queue_id(conn)?;
                let last = last_moved(conn, &id)?;
                Ok(conn.query_row(
                    "SELECT COUNT(*), MIN(at) FROM queue.queued WHERE seq > ?1",
                    [last],
                    |row| Ok((row.get::<_, i64>(0)? as u64, row.get(1)?)),
                )?)
            },
        )
    }

    fn open_appender(&self) -> Result<Connection> {
        let conn = open(&self.path, true)?;
        conn.execute_batch(SCHEMA)?;
        let exists: Option<String> = conn
            .query_row("SELECT id FROM queue_id", [], |row| row.get(0))
            .optional()?;
        if exists.is_none() {
            let mut bytes = [0; 16];
            getrandom::fill(&mut bytes).expect("the system's random source");
            conn.execute(
                "INSERT INTO queue_id (id) VALUES (?1)",
                [hex::encode(bytes)],
            )?;
        }
        // Copying the queue's log back into its file is the mover's job,
        // off the requests' path.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(conn)
    }

    fn open_mover(&self) -> Result<Connection> {
        let conn = open(&self.database, false)?;
        conn.execute("ATTACH DATABASE ?1 AS queue", [self.path.to_string_lossy()])?;
        Ok(conn)
    }
}

/// Moves one batch into the log, with the mark of how far, in one
/// transaction of the database. Returns how many, and the mark.
fn move_batch(conn: &mut Connection) -> Result<(u64, i64)> {
    let id = queue_id(conn)?;
    let last = last_moved(conn, &id)?;
    // Deferred: the insert takes the database's write lock as it starts,
    // and the queue is only read, so appending to it goes on meanwhile.
    let tx = conn.transaction()?;
    let moved = tx.execute(
        "INSERT INTO main.audit_events (idx, at, patient_id, service_id, interface, operation, \
         outcome, records, body, leaf) \
         SELECT (SELECT COALESCE(MAX(idx) + 1, 0) FROM main.audit_events) \
                + row_number() OVER (ORDER BY seq) - 1, \
                at, patient_id, service_id, interface, operation, outcome, records, body, leaf \
         FROM (SELECT * FROM queue.queued WHERE seq > ?1 ORDER BY seq LIMIT ?2) ORDER BY seq",
        params![last, MOVE_BATCH],
    )? as u64;
    if moved == 0 {
        return Ok((0, last));
    }
    let upto: i64 = tx.query_row(
        "SELECT MAX(seq) FROM (SELECT seq FROM queue.queued WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
        params![last, MOVE_BATCH],
        |row| row.get(0),
    )?;
    tx.execute(
        "INSERT INTO main.audit_queue_moved (queue, last_seq) VALUES (?1, ?2) \
         ON CONFLICT (queue) DO UPDATE SET last_seq = excluded.last_seq",
        params![id, upto],
    )?;
    tx.commit()?;
    Ok((moved, upto))
}

fn queue_id(conn: &Connection) -> Result<String> {
    Ok(conn.query_row("SELECT id FROM queue.queue_id", [], |row| row.get(0))?)
}

fn last_moved(conn: &Connection, queue: &str) -> Result<i64> {
    Ok(conn
        .query_row(
            "SELECT last_seq FROM main.audit_queue_moved WHERE queue = ?1",
            [queue],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

/// Opens `path` read-write with the pool's settings.
fn open(path: &Path, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // The database's durability: a commit survives the process, and the
    // database stays whole if the machine stops.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// Runs `work` on the connection in `slot`, opened by `open` if need be,
/// and drops the connection if the work failed (it may be in any state).
fn with<T>(
    slot: &Mutex<Option<Connection>>,
    open: impl FnOnce() -> Result<Connection>,
    work: impl FnOnce(&mut Connection) -> Result<T>,
) -> Result<T> {
    let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    let conn = match slot.as_mut() {
        Some(conn) => conn,
        None => slot.insert(open()?),
    };
    let result = work(conn);
    if result.is_err() {
        *slot = None;
    }
    result
}
