//! Sessions on a service's own site, set up by a redirect handshake.
//!
//! A service's pages are third-party content, served from the service's own
//! host name so that the platform's cookies and tokens never reach them.
//! The platform, which knows the signed-in patient, makes a one-time code
//! bound to (patient, service) and redirects the browser to the service's
//! site, which redeems the code for a short-lived session cookie of its
//! own. Codes and tokens are random, single-use (codes) and expiring; the
//! database keeps only their SHA-256, so reading it opens nothing.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use sqlx::Row;

use crate::db::read::Select;
use crate::db::{Db, Result};
use crate::model::{PatientId, ServiceId};

/// How long a handshake code may wait to be redeemed.
pub const CODE_LIFETIME: Duration = Duration::from_secs(30);
/// How long a session on a service's site lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The session cookie's name on a service's site.
pub const COOKIE: &str = "officine-service-session";

/// A random secret, URL-safe: 256 bits from the system's generator.
pub(crate) fn secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's random generator works");
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The value of the cookie `name` in a request's headers, if any.
pub(crate) fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value)
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A health professional who opened a service in a patient's context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// Their RPPS number.
    pub rpps: String,
    /// Their profession's code.
    pub profession: String,
}

/// Who a session on a service's site acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub patient: PatientId,
    /// The professional who opened it, for a contextual call.
    pub launch: Option<Launch>,
}

/// Makes a one-time code that opens a session on `service`'s site for
/// `patient` (opened by a professional with `launch`), landing on `next`
/// (a path on that site).
pub async fn begin(
    db: &Db,
    patient: &PatientId,
    service: &ServiceId,
    next: &str,
    launch: Option<&Launch>,
    now: i64,
) -> Result<String> {
    let code = secret();
    sqlx::query(
        "INSERT INTO service_handshakes (code_hash, patient_id, service_id, next_path, expires_at, \
         launched_by, profession) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(hash(&code))
    .bind(patient.as_str())
    .bind(service.as_str())
    .bind(next)
    .bind(now + millis(CODE_LIFETIME))
    .bind(launch.map(|l| l.rpps.as_str()))
    .bind(launch.map(|l| l.profession.as_str()))
    .execute(db.pool())
    .await?;
    Ok(code)
}

/// A session just opened: the cookie's value and where to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub token: String,
    pub next: String,
}

/// Redeems a code on `service`'s site: once, before it expires, and only
/// for the service it was made for.
pub async fn redeem(db: &Db, code: &str, service: &ServiceId, now: i64) -> Result<Option<Opened>> {
    // One statement: the code is gone whether or not it was still valid.
    let row = sqlx::query(
        "DELETE FROM service_handshakes WHERE code_hash = $1 \
         RETURNING patient_id, service_id, next_path, expires_at, launched_by, profession",
    )
    .bind(hash(code))
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let patient: String = row.try_get(0)?;
    let for_service: String = row.try_get(1)?;
    let next: String = row.try_get(2)?;
    let expires_at: i64 = row.try_get(3)?;
    let launched_by: Option<String> = row.try_get(4)?;
    let profession: Option<String> = row.try_get(5)?;
    if for_service != service.as_str() || expires_at <= now {
        return Ok(None);
    }
    let token = secret();
    sqlx::query(
        "INSERT INTO service_sessions (token_hash, patient_id, service_id, expires_at, \
         launched_by, profession) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(hash(&token))
    .bind(&patient)
    .bind(service.as_str())
    .bind(now + millis(SESSION_LIFETIME))
    .bind(launched_by)
    .bind(profession)
    .execute(db.pool())
    .await?;
    Ok(Some(Opened { token, next }))
}

/// Who a session cookie on `service`'s site stands for, if it is that
/// service's and has not expired.
pub async fn patient(
    db: &Db,
    token: &str,
    service: &ServiceId,
    now: i64,
) -> Result<Option<Holder>> {
    Select::new(
        "SELECT patient_id, launched_by, profession FROM service_sessions \
         WHERE token_hash = $1 AND service_id = $2 AND expires_at > $3",
    )
    .bind(hash(token))
    .bind(service.as_str())
    .bind(now)
    .fetch_optional(db, |row| {
        let launch = match (row.text_or_null(1)?, row.text_or_null(2)?) {
            (Some(rpps), Some(profession)) => Some(Launch { rpps, profession }),
            _ => None,
        };
        Ok(Holder {
            patient: PatientId::new(row.text(0)?),
            launch,
        })
    })
    .await
}

/// Removes expired codes and sessions.
pub async fn sweep(db: &Db, now: i64) -> Result<u64> {
    delete_expired(db, &["service_handshakes", "service_sessions"], now).await
}

/// Deletes the rows of `tables` (names fixed in the code) whose
/// `expires_at` has passed.
pub(crate) async fn delete_expired(db: &Db, tables: &[&'static str], now: i64) -> Result<u64> {
    let mut removed = 0;
    for table in tables {
        let sql = format!("DELETE FROM {table} WHERE expires_at <= $1");
        removed += sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .execute(db.pool())
            .await?
            .rows_affected();
    }
    Ok(removed)
}

/// Removes expired codes, sessions and sign-ins, of services' sites and of
/// the pages, every `period` while it lives.
pub struct Sweeper {
    task: tokio::task::JoinHandle<()>,
}

impl Sweeper {
    pub fn spawn(db: Db, period: Duration) -> Sweeper {
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let now = crate::model::now_millis();
                let swept = tokio::try_join!(sweep(&db, now), crate::web::session::sweep(&db, now));
                if let Err(error) = swept {
                    tracing::error!(%error, "removing expired sessions failed");
                }
            }
        });
        Sweeper { task }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (PatientId, ServiceId, ServiceId) {
        (
            PatientId::new("demo"),
            ServiceId::new("fr.example.a").unwrap(),
            ServiceId::new("fr.example.b").unwrap(),
        )
    }

    #[tokio::test]
    async fn a_code_opens_one_session_for_its_service_only() {
        let (_dir, dbs) = crate::db::testing::both().await;
        for db in dbs {
            one_session_for_its_service_only(db).await;
        }
    }

    async fn one_session_for_its_service_only(db: Db) {
        let (patient, a, b) = ids();
        let code = begin(&db, &patient, &a, "/start", None, 1_000)
            .await
            .unwrap();
        // Another service's site cannot use it, and that attempt spends it.
        assert_eq!(redeem(&db, &code, &b, 1_001).await.unwrap(), None);
        assert_eq!(redeem(&db, &code, &a, 1_002).await.unwrap(), None);

        let code = begin(&db, &patient, &a, "/start", None, 1_000)
            .await
            .unwrap();
        let opened = redeem(&db, &code, &a, 1_001).await.unwrap().unwrap();
        assert_eq!(opened.next, "/start");
        assert_eq!(
            redeem(&db, &code, &a, 1_002).await.unwrap(),
            None,
            "single use"
        );
        assert_eq!(
            patient_of(&db, &opened.token, &a, 2_000).await,
            Some(patient.clone())
        );
        assert_eq!(patient_of(&db, &opened.token, &b, 2_000).await, None);
        let expiry = 1_001 + millis(SESSION_LIFETIME);
        assert_eq!(patient_of(&db, &opened.token, &a, expiry).await, None);
        assert_eq!(patient_of(&db, "forged", &a, 2_000).await, None);
    }

    async fn patient_of(db: &Db, token: &str, service: &ServiceId, now: i64) -> Option<PatientId> {
        patient(db, token, service, now)
            .await
            .unwrap()
            .map(|holder| holder.patient)
    }

    #[tokio::test]
    async fn a_late_code_is_refused_and_nothing_secret_is_stored() {
        let (_dir, dbs) = crate::db::testing::both().await;
        for db in dbs {
            late_code_refused_nothing_secret_stored(db).await;
        }
    }

    async fn late_code_refused_nothing_secret_stored(db: Db) {
        let (patient, a, _) = ids();
        let code = begin(&db, &patient, &a, "/", None, 1_000).await.unwrap();
        let (stored,): (String,) = sqlx::query_as("SELECT code_hash FROM service_handshakes")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_ne!(stored, code);
        let late = 1_000 + millis(CODE_LIFETIME);
        assert_eq!(redeem(&db, &code, &a, late).await.unwrap(), None);
        let code = begin(&db, &patient, &a, "/", None, 1_000).await.unwrap();
        assert_eq!(sweep(&db, late).await.unwrap(), 1);
        assert_eq!(redeem(&db, &code, &a, 1_001).await.unwrap(), None);
    }
}
