//! Secure messaging: the patient's inbox.

use sqlx::AssertSqlSafe;

use super::read::{Row, Select};
use super::{Reader, Result, decode, flag};
use crate::audit::Event;
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
    let select = Select::new(sql)
        .bind(patient.as_str())
        .bind(since.unwrap_or(i64::MIN));
    reader.bind(select).fetch_all(db, from_row).await
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
        super::insert_source(12, writer, db.backend())
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
    let query = super::bind_writer(query, writer);
    let changed = super::execute_audited(db, query, |n| {
        Event::change(writer, patient, "messaging.send", n)
    })
    .await?;
    if changed == 0 {
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

/// Decodes a row of [`COLUMNS`], by position.
/// Every message of the patient, newest first: their export.
pub async fn everything(db: &Db, patient: &PatientId) -> Result<Vec<Message>> {
    Select::new(format!(
        "SELECT {COLUMNS} FROM messages WHERE patient_id = $1 ORDER BY sent_at DESC, id DESC"
    ))
    .bind(patient.as_str())
    .fetch_all(db, from_row)
    .await
}

/// Who opened `thread` of the patient's messages, and its subject: the
/// origin of its first message. `None` if the patient has no such thread.
pub async fn thread_opener(
    db: &Db,
    patient: &PatientId,
    thread: &str,
) -> Result<Option<(Origin, String)>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE patient_id = $1 AND id = $2 AND thread_id = $2"
    );
    let first = Select::new(sql)
        .bind(patient.as_str())
        .bind(thread)
        .fetch_optional(db, from_row)
        .await?;
    Ok(first.map(|message| (message.origin, message.subject)))
}

fn from_row(row: &dyn Row) -> Result<Message> {
    Ok(Message {
        id: row.text(0)?,
        thread: row.text(1)?,
        origin: decode("messages.origin", row.text(2)?, Origin::parse)?,
        sender: row.text(3)?,
        subject: row.text(4)?,
        body: row.text(5)?,
        sent_at: row.int(6)?,
        read: flag(row.int(7)?),
        written_by: row.text_or_null(8)?,
    })
}
