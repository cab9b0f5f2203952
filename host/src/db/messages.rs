//! Secure messaging: the patient's inbox.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{Reader, Result, decode, flag};
use crate::db::Db;
use crate::model::{self, Origin, PatientId, Writer};

pub const MAX_ROWS: u32 = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: String,
    pub thread: String,
    pub origin: Origin,
    pub sender: String,
    pub subject: String,
    pub body: String,
    pub sent_at: i64,
    pub read: bool,
    pub written_by: Option<String>,
}

const COLUMNS: &str = "id, thread_id, origin, sender, subject, body, sent_at, is_read, written_by";

/// Messages sent at or after `since`, newest first. A service's window
/// start is folded into `since` by the caller.
pub async fn list(
    db: &Db,
    patient: &PatientId,
    since: Option<i64>,
    limit: Option<u32>,
    reader: Reader<'_>,
) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE patient_id = $1 AND sent_at >= $2{} \
         ORDER BY sent_at DESC, id DESC LIMIT {}",
        reader.condition(3),
        super::limit(limit, MAX_ROWS)
    );
    let query = sqlx::query(AssertSqlSafe(sql))
        .bind(patient.as_str())
        .bind(since.unwrap_or(i64::MIN));
    let rows = reader.bind(query).fetch_all(db.pool()).await?;
    rows.iter().map(from_row).collect()
}

/// Records a message to the patient. `thread` is `None` for a new thread.
pub async fn add(
    db: &Db,
    patient: &PatientId,
    writer: &Writer,
    sender: &str,
    thread: Option<&str>,
    subject: &str,
    body: &str,
) -> Result<Option<Message>> {
    let id = model::new_id();
    let thread = thread.map_or_else(|| id.clone(), str::to_owned);
    let sent_at = model::now_millis();
    let sql = format!(
        "INSERT INTO messages (id, patient_id, thread_id, origin, sender, subject, body, sent_at, \
         is_read, written_by, component_digest, grant_id) {}",
        super::insert_source(12, writer)
    );
    let query = sqlx::query(AssertSqlSafe(sql))
        .bind(&id)
        .bind(patient.as_str())
        .bind(&thread)
        .bind(writer.origin().as_str())
        .bind(sender)
        .bind(subject)
        .bind(body)
        .bind(sent_at)
        .bind(0_i64)
        .bind(writer.service().map(|s| s.as_str().to_owned()))
        .bind(writer.component().map(|c| c.to_hex()))
        .bind(writer.grant().map(|g| g.grant.as_str().to_owned()));
    let done = super::bind_writer(query, writer).execute(db.pool()).await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    Ok(Some(Message {
        id,
        thread,
        origin: writer.origin(),
        sender: sender.to_owned(),
        subject: subject.to_owned(),
        body: body.to_owned(),
        sent_at,
        read: false,
        written_by: writer.service().map(|s| s.as_str().to_owned()),
    }))
}

fn from_row(row: &AnyRow) -> Result<Message> {
    Ok(Message {
        id: row.try_get("id")?,
        thread: row.try_get("thread_id")?,
        origin: decode("messages.origin", row.try_get("origin")?, Origin::parse)?,
        sender: row.try_get("sender")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        sent_at: row.try_get("sent_at")?,
        read: flag(row.try_get("is_read")?),
        written_by: row.try_get("written_by")?,
    })
}
