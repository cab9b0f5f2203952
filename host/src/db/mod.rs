//! Storage: one pool, embedded migrations, queries grouped by aggregate.
//!
//! Queries go through `sqlx::Any` with `$n` placeholders so the same code
//! runs on the embedded SQLite file and on PostgreSQL. Every query that reads
//! or writes health data takes the patient id: nothing here can reach across
//! patients.

pub mod agenda;
pub mod documents;
pub mod grants;
pub mod measures;
pub mod messages;
pub(crate) mod read;
pub mod seed;
pub mod storage;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions};
use sqlx::query::Query;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor};

use crate::audit::{Queue, Recorder};
use crate::model::{GrantId, PatientId, Writer, now_millis};
use read::{Readers, Select};

/// A storage failure. Callers report it as `unavailable` to components and
/// log the detail on the host side; it never reaches a component.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("no value bound to placeholder ${position}")]
    Unbound { position: usize },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unreadable value in column {column}: {value:?}")]
    Corrupt { column: &'static str, value: String },
    #[error("unsupported database URL {0:?}: expected sqlite:… or postgres://…")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Audit(#[from] crate::audit::RecordError),
    #[error("audit queue {}: {error}", path.display())]
    AuditQueue {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// The platform's database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// Connections that read an SQLite file without sqlx's worker thread
    /// (see [`read`]); `None` for other databases.
    readers: Option<Arc<Readers>>,
    backend: Backend,
    /// Where audit events without a transaction of their own are written.
    audit: Arc<Recorder>,
}

/// The two databases Officine runs on, with the same queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file, or memory.
    Sqlite,
    /// Production, possibly shared by several hosts.
    Postgres,
}

impl Backend {
    /// The backend a URL names.
    pub fn of(url: &str) -> Result<Backend> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(DbError::UnsupportedUrl(redact(url))),
        }
    }

    /// The backend an open connection talks to.
    pub(crate) fn of_connection(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    fn max_connections(self) -> u32 {
        match self {
            // One writer at a time anyway; reads mostly bypass the pool.
            Backend::Sqlite => 8,
            // Each host's share of the server's connections.
            Backend::Postgres => 16,
        }
    }
}

/// Makes `tx` the only transaction writing to `table` until it ends, on
/// every host sharing the database: a writer that reads the table to
/// decide what to write (the next index of a log, say) then sees every
/// write committed before its own.
///
/// SQLite has one writer per database: the transaction's first write takes
/// the lock, so it must come before the read (`INSERT … SELECT`). PostgreSQL
/// lets writers run together: a table lock makes the others wait, while
/// plain reads go on.
pub(crate) async fn sole_writer(
    tx: &mut sqlx::Transaction<'static, Any>,
    table: &'static str,
) -> Result<()> {
    if Backend::of_connection(tx) == Backend::Postgres {
        sqlx::query(AssertSqlSafe(format!(
            "LOCK TABLE {table} IN EXCLUSIVE MODE"
        )))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The URL of the SQLite file at `path`, created if missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// A URL as it may be shown: without the password it may carry.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_credentials, host)) => format!("{scheme}://…@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl Db {
    /// Opens (creating if needed) the SQLite file at `path` and migrates it.
    pub async fn open_sqlite(path: &Path) -> Result<Db> {
        Db::connect(&sqlite_url(path)).await
    }

    /// Connects to `url` (`sqlite:…` or `postgres:…`) and brings the
    /// schema up to date.
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url)?;
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(backend.max_connections())
            .acquire_timeout(Duration::from_secs(5))
            // A ping before every acquire doubles the cost of each query;
            // a broken connection fails its query instead, and is replaced.
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; foreign keys
                        // are off by default in SQLite.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        // Reads through a memory map and a larger page cache:
                        // a lookup costs the same in a small database and in
                        // one holding millions of grants (see BENCHMARKS.md).
                        conn.execute("PRAGMA mmap_size = 1073741824").await?;
                        conn.execute("PRAGMA cache_size = -32768").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let readers = match backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
                // Opened once the schema is in place, since they read only.
                SqliteConnectOptions::from_str(url)
                    .ok()
                    .and_then(|options| Readers::for_file(options.get_filename()))
                    .map(Arc::new)
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres").run(&pool).await?;
                None
            }
        };
        let queue = match readers.as_deref() {
            Some(readers) => Some(Queue::open(readers.path())?),
            None => None,
        };
        let audit = Recorder::new(pool.clone(), queue);
        Ok(Db {
            pool,
            readers,
            backend,
            audit: Arc::new(audit),
        })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    fn readers(&self) -> Option<&Readers> {
        self.readers.as_deref()
    }

    /// The audit recorder: events committed before the access they record
    /// is answered.
    pub fn audit(&self) -> &Recorder {
        &self.audit
    }

    /// On SQLite, copies what the write-ahead log holds back into the
    /// database, without waiting for readers (`PRAGMA wal_checkpoint`).
    /// The audit recorder leaves this to the sealer, off the requests' path.
    pub async fn checkpoint_wal(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Creates a patient record if absent.
    pub async fn ensure_patient(&self, patient: &PatientId, display_name: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO patients (id, display_name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(patient.as_str())
        .bind(display_name)
        .bind(now_millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether the patient exists.
    pub async fn patient_exists(&self, patient: &PatientId) -> Result<bool> {
        let row = Select::new("SELECT 1 FROM patients WHERE id = $1")
            .bind(patient.as_str())
            .fetch_optional(self, |_| Ok(()))
            .await?;
        Ok(row.is_some())
    }
}

/// The grant a service's call was decided under.
///
/// Every query made for a service carries one and checks, in the same
/// statement, that the grant is still at the revision the call was decided
/// under. Every change to a grant — new terms, revocation — gives it a new
/// revision, and the grant's period was checked when the call was decided;
/// so a revocation or a change of scopes committed by any process sharing
/// the database stops the very next call, with no cache to invalidate. A
/// read that finds nothing, or a write that changes nothing, may be due to
/// the guard; the caller then re-reads the grant to tell which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantGuard {
    /// The grant's patient: the guard's lookup names it, so that it reaches
    /// the patient's shard alone when the tables are distributed by patient.
    pub patient: PatientId,
    pub grant: GrantId,
    pub revision: i64,
}

impl GrantGuard {
    /// The guard of a grant as it was read.
    pub fn of(stored: &grants::StoredGrant) -> GrantGuard {
        GrantGuard {
            patient: stored.grant.patient().clone(),
            grant: stored.grant.id().clone(),
            revision: stored.revision,
        }
    }

    /// The SQL condition, its three parameters numbered from `$first`.
    pub(crate) fn condition(first: usize) -> String {
        Self::condition_locking(first, "")
    }

    /// The condition for a write. On PostgreSQL it takes a share lock on the
    /// grant's row: a write racing a change of the grant waits for it to
    /// commit, then checks the new revision, so no write decided under the
    /// old terms lands after the change. (SQLite has one writer at a time:
    /// the change and the write cannot overlap.)
    pub(crate) fn write_condition(first: usize, backend: Backend) -> String {
        match backend {
            Backend::Sqlite => Self::condition(first),
            Backend::Postgres => Self::condition_locking(first, " FOR SHARE"),
        }
    }

    fn condition_locking(first: usize, lock: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM grants WHERE patient_id = ${first} AND id = ${} \
             AND revision = ${}{lock})",
            first + 1,
            first + 2
        )
    }

    /// Binds the parameters of [`condition`](Self::condition), in order.
    pub(crate) fn bind<'q>(
        &self,
        query: Query<'q, Any, AnyArguments>,
    ) -> Query<'q, Any, AnyArguments> {
        query
            .bind(self.patient.as_str().to_owned())
            .bind(self.grant.as_str().to_owned())
            .bind(self.revision)
    }

    /// The values of [`condition`](Self::condition), in order, for a read.
    pub(crate) fn values(&self) -> [read::Value<'_>; 3] {
        [
            read::Value::from(self.patient.as_str()),
            read::Value::from(self.grant.as_str()),
            read::Value::Int(self.revision),
        ]
    }
}

/// Who a read is made for.
#[derive(Debug, Clone, Copy)]
pub enum Reader<'a> {
    /// A service, under a grant: the guard's condition joins the query.
    Service(&'a GrantGuard),
    /// The patient, or the platform acting for them.
    Owner,
}

impl<'r> Reader<'r> {
    /// Binds the values of [`condition`](Self::condition), in order.
    pub(crate) fn bind(&self, select: Select<'r>) -> Select<'r> {
        match *self {
            Reader::Service(guard) => select.bind_all(guard.values()),
            Reader::Owner => select,
        }
    }

    /// The query's extra condition, parameters numbered from `$first`.
    pub(crate) fn condition(&self, first: usize) -> String {
        match self {
            Reader::Service(_) => format!(" AND {}", GrantGuard::condition(first)),
            Reader::Owner => String::new(),
        }
    }

    /// A `LIMIT` of `rows`, or none for a service whose grant no longer
    /// stands: the same check as [`condition`](Self::condition), parameters
    /// numbered from `$first`, for queries that return many rows. SQLite
    /// evaluates a limit once, before the scan, where a `WHERE` term with a
    /// subquery is looked at again for every row.
    pub(crate) fn limit(&self, first: usize, rows: i64) -> String {
        match self {
            Reader::Service(_) => format!(
                "CASE WHEN {} THEN {rows} ELSE 0 END",
                GrantGuard::condition(first)
            ),
            Reader::Owner => rows.to_string(),
        }
    }
}

/// The source of an insert of `columns` values numbered from `$1`: plain
/// `VALUES`, or for a service's write a `SELECT` that inserts nothing unless
/// the writer's grant stands (its parameters follow, see [`bind_writer`]).
pub(crate) fn insert_source(columns: usize, writer: &Writer, backend: Backend) -> String {
    let params: Vec<String> = (1..=columns).map(|i| format!("${i}")).collect();
    let params = params.join(", ");
    match writer.grant() {
        Some(_) => format!(
            "SELECT {params} WHERE {}",
            GrantGuard::write_condition(columns + 1, backend)
        ),
        None => format!("VALUES ({params})"),
    }
}

/// Binds the guard parameters of [`insert_source`], if any.
pub(crate) fn bind_writer<'q>(
    query: Query<'q, Any, AnyArguments>,
    writer: &Writer,
) -> Query<'q, Any, AnyArguments> {
    match writer.grant() {
        Some(guard) => guard.bind(query),
        None => query,
    }
}

/// Runs a change and records its audit event in one transaction: the
/// event, made by `event` from the number of rows changed, commits with the
/// change or not at all. A change that changed nothing (its grant no longer
/// stands, say) records nothing here: the caller's refusal is recorded.
pub(crate) async fn execute_audited<'q>(
    db: &Db,
    query: Query<'q, Any, AnyArguments>,
    event: impl FnOnce(u64) -> crate::audit::Event,
) -> Result<u64> {
    let mut tx = db.pool().begin().await?;
    let changed = query.execute(&mut *tx).await?.rows_affected();
    if changed > 0 {
        record_in(db, &mut tx, event(changed)).await?;
        tx.commit().await?;
    }
    Ok(changed)
}

/// Records `event` in `tx`, the transaction of the change it records.
pub(crate) async fn record_in(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, Any>,
    event: crate::audit::Event,
) -> Result<()> {
    if db.audit().is_off() {
        return Ok(());
    }
    crate::audit::insert_in(tx, std::slice::from_ref(&event)).await?;
    db.audit().written(1);
    Ok(())
}

/// Codes readable from a given date: `(code, from)` pairs, where `from` is
/// `i64::MIN` for "any date".
pub type Windows<'a> = &'a [(&'static str, i64)];

/// `(code_col IN (...) AND date_col >= ...) OR ...`, one group per window
/// start, parameters numbered from `$first`; and the values to bind.
pub(crate) fn windows_condition(
    code_col: &str,
    date_col: &str,
    windows: Windows<'_>,
    first: usize,
) -> (String, Vec<read::Value<'static>>) {
    let mut groups: Vec<(i64, Vec<&'static str>)> = Vec::new();
    for &(code, from) in windows {
        match groups.iter_mut().find(|(f, _)| *f == from) {
            Some((_, codes)) => codes.push(code),
            None => groups.push((from, vec![code])),
        }
    }
    let mut next = first;
    let mut params = Vec::new();
    let mut terms = Vec::new();
    for (from, codes) in groups {
        let placeholders: Vec<String> = codes
            .iter()
            .map(|code| {
                params.push(read::Value::from(*code));
                next += 1;
                format!("${}", next - 1)
            })
            .collect();
        let mut term = format!("{code_col} IN ({})", placeholders.join(", "));
        if from != i64::MIN {
            term.push_str(&format!(" AND {date_col} >= ${next}"));
            params.push(read::Value::Int(from));
            next += 1;
        }
        terms.push(format!("({term})"));
    }
    (format!("({})", terms.join(" OR ")), params)
}

/// Reads an INTEGER flag portably (booleans do not decode through `Any` on SQLite).
pub(crate) fn flag(value: i64) -> bool {
    value != 0
}

/// Converts a capped, optional row limit into SQL.
pub(crate) fn limit(limit: Option<u32>, cap: u32) -> i64 {
    i64::from(limit.unwrap_or(cap).min(cap))
}

/// Bounds for a time-range filter; absent bounds are open.
pub(crate) fn range(since: Option<i64>, until: Option<i64>) -> (i64, i64) {
    (since.unwrap_or(i64::MIN), until.unwrap_or(i64::MAX))
}

/// Parses a stored enum-like column, reporting a value the code does not know.
pub(crate) fn decode<T, S: AsRef<str> + Into<String>>(
    column: &'static str,
    value: S,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    parse(value.as_ref()).ok_or_else(|| DbError::Corrupt {
        column,
        value: value.into(),
    })
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A fresh, migrated database on each backend: an SQLite file (kept
    /// alive by the returned directory) and a PostgreSQL schema of the
    /// test server.
    pub(crate) async fn both() -> (tempfile::TempDir, Vec<Db>) {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Db::open_sqlite(&dir.path().join("t.db")).await.unwrap();
        let url = officine_test_postgres::cluster().fresh_url();
        let postgres = Db::connect(&url).await.unwrap();
        (dir, vec![sqlite, postgres])
    }
}
