//! On an SQLite file: where the events of reads wait for the next seal.
//!
//! SQLite has one file and one writer. A commit to the database file,
//! however small, makes every reading connection drop its page cache and
//! memory map at its next read; with an event committed for each request,
//! reads would start cold every time. So the events that have no
//! transaction of their own (reads, refusals) wait in a directory next to
//! the database (`<database>.audit-queue`), and each seal moves them into
//! the log in one transaction: one commit to the database a second instead
//! of one a request. Changes still commit their events in the database,
//! with them.
//!
//! The queue is a series of numbered segment files, each a list of
//! entries, one a line, exactly as they will be hashed. Recording appends
//! a call's lines with one `write`: once it returns, the events outlive the
//! process, as an SQLite commit in WAL mode with `synchronous = NORMAL`
//! does. Hashing, placing and indexing wait for the move, off the
//! request's path.
//!
//! One process at a time owns the queue (a lock on `owner.lock`) and
//! appends to its newest segment; other processes on the same database
//! (the command line, say) record their events in the database directly.
//! Any process may move: a move takes the complete entries appended since
//! the last one, and commits them with how far it read (segment and byte)
//! in the database; a move cut short is neither lost nor made twice. The
//! owner starts a new segment at each of its moves, and segments read to
//! their end and closed are removed.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::record::Row;
use crate::db::{DbError, Result};

/// Events moved into the log per transaction, at most: a long backlog is
/// moved in several.
const MOVE_BATCH: usize = 50_000;

/// A segment's size past which the owner starts the next one (about 20,000
/// events), so that moves read segments whole most of the time.
const SEGMENT_BYTES: u64 = 8 << 20;

/// Segments appended to and not yet moved past which recording waits for
/// the move (about 300,000 events): the queue stays bounded when events
/// come faster than they are moved, instead of filling the disk.
const SEGMENTS_BEHIND: u64 = 16;

const OWNER_LOCK: &str = "owner.lock";
const SEGMENT_SUFFIX: &str = ".events";

/// The queue directory of the database at `path`.
pub fn path_for(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".audit-queue");
    PathBuf::from(name)
}

/// The queue of one database file.
pub(crate) struct Queue {
    database: PathBuf,
    dir: PathBuf,
    /// Where this process appends, if it owns the queue.
    appender: Option<Mutex<Appender>>,
    /// The connection that moves events: the database's.
    mover: Mutex<Option<Connection>>,
    /// The segment the last move reached, as far as this process knows.
    moved_to: AtomicU64,
    /// [`SEGMENT_BYTES`] and [`SEGMENTS_BEHIND`], which tests lower.
    segment_bytes: AtomicU64,
    segments_behind: AtomicU64,
}

/// The owner's side: the lock that makes it the owner, and the segment it
/// appends to.
struct Appender {
    /// Held, locked, for as long as the queue is open.
    _owner: File,
    /// The number the next segment takes.
    next: u64,
    open: Option<Segment>,
}

struct Segment {
    file: File,
    /// Its length after the last complete append.
    len: u64,
}

impl Queue {
    /// Opens the queue of the database at `database`, creating it if need
    /// be, and takes it over if no other process owns it.
    pub(crate) fn open(database: &Path) -> Result<Queue> {
        let dir = path_for(database);
        let queue_error = |error: io::Error| DbError::AuditQueue {
            path: dir.clone(),
            error,
        };
        std::fs::create_dir_all(&dir).map_err(queue_error)?;
        let owner = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(OWNER_LOCK))
            .map_err(queue_error)?;
        let mut queue = Queue {
            database: database.to_owned(),
            dir: dir.clone(),
            appender: None,
            mover: Mutex::new(None),
            moved_to: AtomicU64::new(0),
            segment_bytes: AtomicU64::new(SEGMENT_BYTES),
            segments_behind: AtomicU64::new(SEGMENTS_BEHIND),
        };
        match owner.try_lock() {
            Ok(()) => {
                // Numbers only grow, past those already moved too: a
                // segment is never taken for one moved earlier.
                let read = queue.with_mover(|conn| read_so_far(conn))?;
                let highest = queue.segments()?.last().copied().unwrap_or(0);
                let next = highest.max(read.segment) + 1;
                queue.moved_to.store(read.segment, Ordering::Relaxed);
                queue.appender = Some(Mutex::new(Appender {
                    _owner: owner,
                    next,
                    open: None,
                }));
            }
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(error)) => return Err(queue_error(error)),
        }
        Ok(queue)
    }

    /// Lowers the size of segments and how many may wait, to see what
    /// happens at those bounds without writing hundreds of megabytes.
    #[cfg(test)]
    pub(crate) fn limit(&self, segment_bytes: u64, segments_behind: u64) {
        self.segment_bytes.store(segment_bytes, Ordering::Relaxed);
        self.segments_behind
            .store(segments_behind, Ordering::Relaxed);
    }

    /// Whether this process appends to the queue; if not, it records its
    /// events in the database itself.
    pub(crate) fn owned(&self) -> bool {
        self.appender.is_some()
    }

    /// Appends `lines` (entries, each ending with a newline) with one
    /// write; returns whether moving has fallen behind (see
    /// [`SEGMENTS_BEHIND`]). On failure nothing of them stays: the segment
    /// is cut back and closed, and the next append starts another.
    ///
    /// # Panics
    ///
    /// If this process does not own the queue.
    pub(crate) fn append(&self, lines: &[u8]) -> Result<bool> {
        let appender = self.appender.as_ref().expect("only the owner appends");
        let mut appender = appender.lock().unwrap_or_else(|e| e.into_inner());
        let appender = &mut *appender;
        let segment = match appender.open.as_mut() {
            Some(segment) => segment,
            None => {
                let path = self.segment_path(appender.next);
                let file = OpenOptions::new()
                    .create_new(true)
                    .append(true)
                    .open(&path)
                    .map_err(|error| DbError::AuditQueue { path, error })?;
                appender.next += 1;
                appender.open.insert(Segment { file, len: 0 })
            }
        };
        match segment.file.write_all(lines) {
            Ok(()) => {
                segment.len += lines.len() as u64;
                if segment.len >= self.segment_bytes.load(Ordering::Relaxed) {
                    appender.open = None;
                }
                let behind =
                    appender.next - self.moved_to.load(Ordering::Relaxed).min(appender.next);
                Ok(behind > self.segments_behind.load(Ordering::Relaxed))
            }
            Err(error) => {
                // A partial line would run into the next append's first.
                let _ = segment.file.set_len(segment.len);
                appender.open = None;
                Err(DbError::AuditQueue {
                    path: self.dir.clone(),
                    error,
                })
            }
        }
    }

    /// Moves what waits into the log, in order, each event at the next
    /// place, and runs `then` in each move's transaction (sealing, say:
    /// one commit for both); returns how many were moved. `then` says
    /// whether it wrote anything. Blocking: run it off the async workers.
    pub(crate) fn move_into_log<E: From<DbError>>(
        &self,
        mut then: impl FnMut(&rusqlite::Transaction<'_>) -> Result<bool, E>,
    ) -> Result<u64, E> {
        let closed = self.close_segment()?;
        let mut moved = 0;
        loop {
            let (events, read) = self.with_mover(|conn| -> Result<_, E> {
                let tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(DbError::from)?;
                // Read under the database's write lock: no other move
                // goes on meanwhile.
                let from = read_so_far(&tx)?;
                let (rows, read) = self.read_from(from, MOVE_BATCH)?;
                if read != from {
                    insert(&tx, &rows)?;
                    tx.execute(
                        "INSERT INTO audit_queue_read (only, segment, offset) VALUES (1, ?1, ?2) \
                         ON CONFLICT (only) DO UPDATE \
                         SET segment = excluded.segment, offset = excluded.offset",
                        params![read.segment as i64, read.offset as i64],
                    )
                    .map_err(DbError::from)?;
                }
                if then(&tx)? || read != from {
                    tx.commit().map_err(DbError::from)?;
                }
                Ok((rows.len(), read))
            })?;
            moved += events as u64;
            self.moved_to.store(read.segment, Ordering::Relaxed);
            self.forget(read, closed)?;
            if events < MOVE_BATCH {
                return Ok(moved);
            }
        }
    }

    /// Reads the complete entries after `from`, up to `limit`:
    /// the rows, and how far they reach.
    fn read_from(&self, from: Read, limit: usize) -> Result<(Vec<Row>, Read)> {
        let mut rows = Vec::new();
        let mut read = from;
        for number in self.segments()? {
            if number < from.segment {
                continue;
            }
            if rows.len() >= limit {
                break;
            }
            let offset = if number == from.segment {
                from.offset
            } else {
                0
            };
            let path = self.segment_path(number);
            let end = read_segment(&path, offset, &mut rows, limit)
                .map_err(|error| DbError::AuditQueue { path, error })?;
            read = Read {
                segment: number,
                offset: end,
            };
        }
        Ok((rows, read))
    }

    /// The segments below `closed` will not grow: this process owns the
    /// queue and closed them, or their owner has gone. The owner closes
    /// the one it appends to now, and starts another at its next append.
    fn close_segment(&self) -> Result<u64> {
        if let Some(appender) = &self.appender {
            let mut appender = appender.lock().unwrap_or_else(|e| e.into_inner());
            appender.open = None;
            return Ok(appender.next);
        }
        let owner_gone = match File::open(self.dir.join(OWNER_LOCK)) {
            Ok(file) => file.try_lock_shared().is_ok(),
            Err(error) => error.kind() == io::ErrorKind::NotFound,
        };
        let newest = self.segments()?.last().copied().unwrap_or(0);
        // An owner starting meanwhile appends past the newest.
        Ok(if owner_gone { newest + 1 } else { newest })
    }

    /// Removes the segments read to their end that will not grow.
    fn forget(&self, read: Read, closed: u64) -> Result<()> {
        for number in self.segments()? {
            let done = number < read.segment
                || (number == read.segment && number < closed && self.ends_at(number, read.offset));
            if !done {
                break;
            }
            let path = self.segment_path(number);
            match std::fs::remove_file(&path) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => {
                    return Err(DbError::AuditQueue { path, error });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether nothing complete follows `offset` in a segment: its end, or
    /// an append the process did not live to finish.
    fn ends_at(&self, number: u64, offset: u64) -> bool {
        let mut rest = Vec::new();
        read_segment(&self.segment_path(number), offset, &mut rest, 1).is_ok() && rest.is_empty()
    }

    /// How many events wait, and when the oldest was recorded.
    pub(crate) fn waiting(&self) -> Result<(u64, Option<i64>)> {
        let from = self.with_mover(|conn| read_so_far(conn))?;
        let (rows, _) = self.read_from(from, usize::MAX)?;
        Ok((rows.len() as u64, rows.iter().map(|row| row.at).min()))
    }

    /// The numbers of the segments, in order.
    fn segments(&self) -> Result<Vec<u64>> {
        segments(&self.dir).map_err(|error| DbError::AuditQueue {
            path: self.dir.clone(),
            error,
        })
    }

    fn segment_path(&self, number: u64) -> PathBuf {
        self.dir.join(format!("{number:020}{SEGMENT_SUFFIX}"))
    }

    /// Runs `work` on the mover's connection, opened if need be, and drops
    /// the connection if the work failed (it may be in any state).
    fn with_mover<T, E: From<DbError>>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut slot = self.mover.lock().unwrap_or_else(|e| e.into_inner());
        let conn = match slot.as_mut() {
            Some(conn) => conn,
            None => slot.insert(open(&self.database).map_err(E::from)?),
        };
        let result = work(conn);
        if result.is_err() {
            *slot = None;
        }
        result
    }
}

/// How far moves have read the queue: the segment, and the byte after
/// the last entry moved from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Read {
    segment: u64,
    offset: u64,
}

/// The numbers of the segments in `dir`, in order.
fn segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut numbers = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let number = name
            .to_str()
            .and_then(|name| name.strip_suffix(SEGMENT_SUFFIX))
            .and_then(|number| number.parse::<u64>().ok());
        numbers.extend(number);
    }
    numbers.sort_unstable();
    Ok(numbers)
}

/// Reads a segment's entries from `offset` into `rows`, and returns the
/// offset after the last complete one. A line without its newline is an
/// append under way, or one the process did not live to finish (its
/// response never left): it is not read. A complete line that is not an
/// event is reported and skipped, since refusing it would hold up every
/// event after it.
fn read_segment(path: &Path, offset: u64, rows: &mut Vec<Row>, limit: usize) -> io::Result<u64> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        // Moved and removed by another process meanwhile.
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(offset),
        Err(error) => return Err(error),
    };
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    let mut end = offset;
    while rows.len() < limit {
        line.clear();
        let read = reader.read_line(&mut line)?;
        let Some(entry) = line.strip_suffix('\n') else {
            return Ok(end);
        };
        end += read as u64;
        match Row::parse(entry) {
            Some(row) => rows.push(row),
            None => tracing::error!(
                segment = %path.display(),
                offset = end - read as u64,
                "unreadable audit entry skipped"
            ),
        }
    }
    Ok(end)
}

/// Inserts `rows` at the next places of the log.
fn insert(tx: &rusqlite::Transaction<'_>, rows: &[Row]) -> Result<()> {
    let first: i64 = tx.query_row(
        "SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_events",
        [],
        |row| row.get(0),
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO audit_events (idx, at, patient_id, service_id, interface, operation, \
         outcome, records, body, leaf) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (idx, row) in (first..).zip(rows) {
        insert.execute(params![
            idx,
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
    Ok(())
}

/// How far moves have read the queue; the start if none has.
fn read_so_far(conn: &Connection) -> Result<Read> {
    let read = conn
        .query_row(
            "SELECT segment, offset FROM audit_queue_read WHERE only = 1",
            [],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
        )
        .optional()?;
    Ok(read.map_or(Read::default(), |(segment, offset)| Read {
        segment: segment as u64,
        offset: offset as u64,
    }))
}

/// Opens the database at `path` read-write with the pool's settings.
fn open(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}
