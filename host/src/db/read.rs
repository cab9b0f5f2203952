//! Reads, and the path they take to SQLite.
//!
//! sqlx runs each SQLite connection on a worker thread of its own: every
//! statement is a round trip to that thread, every row one more message, and
//! handing the connection back to the pool one more. For the reads an
//! invocation makes (a few indexed lookups, tens of rows) that handoff cost
//! several times what SQLite itself does (see `BENCHMARKS.md`). So reads on
//! an SQLite file run synchronously, on the caller's thread, on connections
//! of their own that cache their prepared statements and cannot write;
//! writes and transactions stay with sqlx. Other databases, and an SQLite
//! database that lives only in memory, are read through sqlx as before.
//!
//! A statement is written once, with `$n` placeholders, and runs unchanged
//! on either path; rows are decoded through [`Row`], which both paths
//! implement.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::OpenFlags;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row as _};

use super::{Db, DbError, Result};

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Text(Cow<'a, str>),
    Int(i64),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(text: &'a str) -> Self {
        Value::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Value<'_> {
    fn from(text: String) -> Self {
        Value::Text(Cow::Owned(text))
    }
}

impl From<i64> for Value<'_> {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

/// A read: SQL with `$1`…`$n` placeholders, and their values in order.
#[derive(Debug, Clone)]
#[must_use = "a read does nothing until fetched"]
pub(crate) struct Select<'a> {
    sql: Cow<'static, str>,
    values: Vec<Value<'a>>,
}

impl<'a> Select<'a> {
    pub(crate) fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Select {
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    /// Binds the next placeholder.
    pub(crate) fn bind(mut self, value: impl Into<Value<'a>>) -> Self {
        self.values.push(value.into());
        self
    }

    /// Binds the next placeholders, in order.
    pub(crate) fn bind_all(mut self, values: impl IntoIterator<Item = Value<'a>>) -> Self {
        self.values.extend(values);
        self
    }

    /// Every row, decoded by `decode`.
    pub(crate) async fn fetch_all<T>(
        self,
        db: &Db,
        decode: impl Fn(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        match db.readers() {
            Some(readers) => readers.with(|conn| self.run(conn, usize::MAX, &decode)),
            None => {
                let rows = self.into_sqlx().fetch_all(db.pool()).await?;
                rows.iter().map(|row| decode(row)).collect()
            }
        }
    }

    /// The first row, if any, decoded by `decode`.
    pub(crate) async fn fetch_optional<T>(
        self,
        db: &Db,
        decode: impl Fn(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        match db.readers() {
            Some(readers) => {
                let mut rows = readers.with(|conn| self.run(conn, 1, &decode))?;
                Ok(rows.pop())
            }
            None => {
                let row = self.into_sqlx().fetch_optional(db.pool()).await?;
                row.as_ref().map(|row| decode(row)).transpose()
            }
        }
    }

    /// The first row, which must exist.
    pub(crate) async fn fetch_one<T>(
        self,
        db: &Db,
        decode: impl Fn(&dyn Row) -> Result<T>,
    ) -> Result<T> {
        self.fetch_optional(db, decode)
            .await?
            .ok_or(DbError::Sqlx(sqlx::Error::RowNotFound))
    }

    /// Runs the statement on an SQLite connection, up to `limit` rows.
    fn run<T>(
        &self,
        conn: &rusqlite::Connection,
        limit: usize,
        decode: &dyn Fn(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut statement = conn.prepare_cached(&self.sql)?;
        for index in 1..=statement.parameter_count() {
            let position = placeholder(statement.parameter_name(index), index);
            match position.checked_sub(1).and_then(|i| self.values.get(i)) {
                Some(Value::Text(text)) => {
                    statement.raw_bind_parameter(index, text.as_ref())?;
                }
                Some(Value::Int(value)) => statement.raw_bind_parameter(index, *value)?,
                None => return Err(DbError::Unbound { position }),
            }
        }
        let mut rows = statement.raw_query();
        let mut decoded = Vec::new();
        while decoded.len() < limit {
            let Some(row) = rows.next()? else { break };
            decoded.push(decode(row)?);
        }
        Ok(decoded)
    }

    fn into_sqlx(self) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
        let mut query = match self.sql {
            Cow::Borrowed(sql) => sqlx::query(sql),
            Cow::Owned(sql) => sqlx::query(AssertSqlSafe(sql)),
        };
        for value in self.values {
            query = match value {
                Value::Text(text) => query.bind(text.into_owned()),
                Value::Int(value) => query.bind(value),
            };
        }
        query
    }
}

/// The value position a placeholder stands for: `$n` (or `?n`) is the
/// n-th value, a bare `?` its own index, as sqlx reads them.
fn placeholder(name: Option<&str>, index: usize) -> usize {
    name.and_then(|name| name.get(1..))
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(index)
}

/// A row, whichever path read it. Columns are addressed by position.
pub(crate) trait Row {
    /// Text to look at rather than keep: borrowed from the row where the
    /// driver allows it.
    fn str(&self, column: usize) -> Result<Cow<'_, str>>;
    fn text(&self, column: usize) -> Result<String>;
    fn text_or_null(&self, column: usize) -> Result<Option<String>>;
    fn int(&self, column: usize) -> Result<i64>;
    fn int_or_null(&self, column: usize) -> Result<Option<i64>>;
    fn real(&self, column: usize) -> Result<f64>;
    fn blob(&self, column: usize) -> Result<Vec<u8>>;
    fn blob_or_null(&self, column: usize) -> Result<Option<Vec<u8>>>;
}

/// Implements [`Row`] for a driver's row type through its typed getter.
macro_rules! row_by_position {
    ($row:ty, $get:ident, $str:expr) => {
        impl Row for $row {
            fn str(&self, column: usize) -> Result<Cow<'_, str>> {
                $str(self, column)
            }
            fn text(&self, column: usize) -> Result<String> {
                Ok(self.$get(column)?)
            }
            fn text_or_null(&self, column: usize) -> Result<Option<String>> {
                Ok(self.$get(column)?)
            }
            fn int(&self, column: usize) -> Result<i64> {
                Ok(self.$get(column)?)
            }
            fn int_or_null(&self, column: usize) -> Result<Option<i64>> {
                Ok(self.$get(column)?)
            }
            fn real(&self, column: usize) -> Result<f64> {
                Ok(self.$get(column)?)
            }
            fn blob(&self, column: usize) -> Result<Vec<u8>> {
                Ok(self.$get(column)?)
            }
            fn blob_or_null(&self, column: usize) -> Result<Option<Vec<u8>>> {
                Ok(self.$get(column)?)
            }
        }
    };
}

row_by_position!(rusqlite::Row<'_>, get, borrowed_text);
row_by_position!(AnyRow, try_get, owned_text);

fn borrowed_text<'r>(row: &'r rusqlite::Row<'_>, column: usize) -> Result<Cow<'r, str>> {
    let value = row.get_ref(column)?;
    let text = value.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, value.data_type(), Box::new(e))
    })?;
    Ok(Cow::Borrowed(text))
}

fn owned_text(row: &AnyRow, column: usize) -> Result<Cow<'static, str>> {
    Ok(Cow::Owned(row.try_get(column)?))
}

/// Read-only connections to one SQLite file, kept open between reads.
#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

/// Idle connections kept; reads run on the caller's thread, so no more
/// than the threads that read at once are ever in use.
const MAX_IDLE: usize = 16;

/// Statements each connection keeps prepared: every shape of read the
/// platform makes, with room to spare.
const CACHED_STATEMENTS: usize = 128;

impl Readers {
    /// Readers for the SQLite file at `path`, if it is a file (a database
    /// in memory is private to the connection that made it).
    pub(crate) fn for_file(path: &Path) -> Option<Readers> {
        path.is_file().then(|| Readers {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The file the connections read.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `read` on an idle connection, or a new one.
    fn with<T>(&self, read: impl FnOnce(&rusqlite::Connection) -> Result<T>) -> Result<T> {
        let idle = self.lock().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        let result = read(&conn);
        // A connection whose read failed may be in any state: drop it.
        if result.is_ok() {
            let mut idle = self.lock();
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<rusqlite::Connection>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn open(&self) -> Result<rusqlite::Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = rusqlite::Connection::open_with_flags(&self.path, flags)?;
        // A reader never writes; `query_only` makes SQLite refuse it if one
        // ever tried. It opens read-write only so that it can take part in
        // the WAL (a read-only connection cannot create its index file).
        conn.pragma_update(None, "query_only", true)?;
        // WAL readers wait only when a checkpoint resets the log; the same
        // settings as the pool's connections otherwise.
        conn.busy_timeout(Duration::from_secs(1))?;
        conn.pragma_update(None, "mmap_size", 1_073_741_824_i64)?;
        conn.pragma_update(None, "cache_size", -32_768_i64)?;
        conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PatientId;

    async fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite(&dir.path().join("r.db")).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn reads_see_what_was_just_written_and_cannot_write() {
        let (_dir, db) = db().await;
        assert!(db.readers().is_some(), "a file database is read off sqlx");
        let patient = PatientId::new("p-1".to_owned());
        assert!(!db.patient_exists(&patient).await.unwrap());
        db.ensure_patient(&patient, "A").await.unwrap();
        assert!(db.patient_exists(&patient).await.unwrap());

        let write = Select::new("DELETE FROM patients RETURNING id")
            .fetch_all(&db, |row| row.text(0))
            .await;
        assert!(
            matches!(write, Err(DbError::Sqlite(_))),
            "a reader wrote: {write:?}"
        );
        assert!(db.patient_exists(&patient).await.unwrap());
    }

    /// Both paths decode the same rows alike: the demo patient's records
    /// read off sqlx's worker and through it.
    #[tokio::test]
    async fn both_paths_read_the_same_records() {
        use crate::db::{Reader, agenda, documents, measures, messages, seed};
        let (_dir, db) = db().await;
        let seeded = seed::seed_demo(&db, crate::model::now_millis())
            .await
            .unwrap();
        let mut through_sqlx = db.clone();
        through_sqlx.readers = None;
        let patient = &seeded.patient;
        let mut seen = Vec::new();
        for db in [&db, &through_sqlx] {
            let kinds = measures::all_kinds();
            let q = measures::MeasureQuery {
                kinds: &kinds,
                since: None,
                until: None,
                limit: None,
            };
            let measures = measures::list(db, patient, &q, Reader::Owner)
                .await
                .unwrap();
            let events = agenda::list(db, patient, None, None, None, Reader::Owner)
                .await
                .unwrap();
            let inbox = messages::list(db, patient, None, None, Reader::Owner)
                .await
                .unwrap();
            let categories = documents::all_categories();
            let q = documents::DocumentQuery {
                categories: &categories,
                since: None,
                until: None,
                limit: None,
            };
            let docs = documents::list(db, patient, &q, Reader::Owner)
                .await
                .unwrap();
            let content = documents::content(db, patient, &docs[0].id, &categories, Reader::Owner)
                .await
                .unwrap();
            assert!(
                measures.len() > 60 && !events.is_empty() && !inbox.is_empty(),
                "{} {} {}",
                measures.len(),
                events.len(),
                inbox.len()
            );
            assert!(content.is_some_and(|c| !c.is_empty()));
            seen.push(format!("{measures:?} {events:?} {inbox:?} {docs:?}"));
        }
        assert_eq!(seen[0], seen[1]);
    }

    #[tokio::test]
    async fn a_missing_value_is_an_error_not_a_null() {
        let (_dir, db) = db().await;
        let read = Select::new("SELECT id FROM patients WHERE id = $1 OR display_name = $2")
            .bind("p-1")
            .fetch_optional(&db, |row| row.text(0))
            .await;
        assert!(
            matches!(read, Err(DbError::Unbound { position: 2 })),
            "{read:?}"
        );
    }

    #[test]
    fn placeholders_name_their_value() {
        assert_eq!(placeholder(Some("$3"), 1), 3);
        assert_eq!(placeholder(Some("?12"), 2), 12);
        assert_eq!(placeholder(None, 4), 4);
    }
}
