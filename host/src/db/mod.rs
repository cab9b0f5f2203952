//! Storage: one pool, embedded migrations, queries grouped by aggregate.
//!
//! Queries go through `sqlx::Any` with `$n` placeholders so the same code
//! runs on the embedded SQLite file and on PostgreSQL. Every query that reads
//! or writes health data takes the patient id: nothing here can reach across
//! patients.

pub mod agenda;
pub mod documents;
pub mod measures;
pub mod messages;
pub mod seed;
pub mod storage;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::model::{PatientId, now_millis};

/// A storage failure. Callers report it as `unavailable` to components and
/// log the detail on the host side; it never reaches a component.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unreadable value in column {column}: {value:?}")]
    Corrupt { column: &'static str, value: String },
    #[error("unsupported database URL {0:?}: expected sqlite://…")]
    UnsupportedUrl(String),
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// The platform's database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
}

impl Db {
    /// Opens (creating if needed) the SQLite file at `path` and migrates it.
    pub async fn open_sqlite(path: &Path) -> Result<Db> {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        Db::connect(&url).await
    }

    /// Connects to `url` and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        if !url.starts_with("sqlite:") {
            return Err(DbError::UnsupportedUrl(url.to_owned()));
        }
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            // A ping before every acquire doubles the cost of each query;
            // a broken connection fails its query instead, and is replaced.
            .test_before_acquire(false)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
                        // WAL lets readers run beside the writer; foreign keys
                        // are off by default in SQLite.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Db { pool })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
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
        let row: Option<(String,)> = sqlx::query_as("SELECT id FROM patients WHERE id = $1")
            .bind(patient.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }
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
pub(crate) fn decode<T>(
    column: &'static str,
    value: String,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    parse(&value).ok_or(DbError::Corrupt { column, value })
}
