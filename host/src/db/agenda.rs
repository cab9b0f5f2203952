//! The patient's health agenda.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{Result, decode};
use crate::db::Db;
use crate::model::{self, ComponentDigest, Origin, PatientId, Writer};

pub const MAX_ROWS: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Appointment,
    Reminder,
    Task,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Appointment => "appointment",
            EventKind::Reminder => "reminder",
            EventKind::Task => "task",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        Some(match s {
            "appointment" => EventKind::Appointment,
            "reminder" => EventKind::Reminder,
            "task" => EventKind::Task,
            _ => return None,
        })
    }
}

/// The fields a writer provides.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    pub kind: EventKind,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub place: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub draft: EventDraft,
    pub origin: Origin,
    pub written_by: Option<String>,
}

const COLUMNS: &str = "id, kind, title, starts_at, ends_at, place, origin, written_by";

/// Events starting in `[since, until)`, earliest first.
pub async fn list(
    db: &Db,
    patient: &PatientId,
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<u32>,
) -> Result<Vec<Event>> {
    let (since, until) = super::range(since, until);
    let sql = format!(
        "SELECT {COLUMNS} FROM agenda_events \
         WHERE patient_id = $1 AND starts_at >= $2 AND starts_at < $3 \
         ORDER BY starts_at, id LIMIT {}",
        super::limit(limit, MAX_ROWS)
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(patient.as_str())
        .bind(since)
        .bind(until)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// One event of the patient's, if it exists.
pub async fn get(db: &Db, patient: &PatientId, id: &str) -> Result<Option<Event>> {
    let sql = format!("SELECT {COLUMNS} FROM agenda_events WHERE patient_id = $1 AND id = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(patient.as_str())
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn add(
    db: &Db,
    patient: &PatientId,
    writer: &Writer,
    draft: EventDraft,
) -> Result<Event> {
    let id = model::new_id();
    sqlx::query(
        "INSERT INTO agenda_events (id, patient_id, kind, title, starts_at, ends_at, place, origin, \
         written_by, component_digest, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(patient.as_str())
    .bind(draft.kind.as_str())
    .bind(&draft.title)
    .bind(draft.starts_at)
    .bind(draft.ends_at)
    .bind(draft.place.clone())
    .bind(writer.origin().as_str())
    .bind(writer.service().map(|s| s.as_str().to_owned()))
    .bind(writer.component().map(|c| c.to_hex()))
    .bind(model::now_millis())
    .execute(db.pool())
    .await?;
    Ok(Event {
        id,
        draft,
        origin: writer.origin(),
        written_by: writer.service().map(|s| s.as_str().to_owned()),
    })
}

/// Replaces an event written by `service`, recording the component that
/// wrote the new content. Returns `None` when the patient has no such event
/// written by that service.
pub async fn update_own(
    db: &Db,
    patient: &PatientId,
    service: &str,
    component: ComponentDigest,
    id: &str,
    draft: EventDraft,
) -> Result<Option<Event>> {
    let done = sqlx::query(
        "UPDATE agenda_events SET kind = $1, title = $2, starts_at = $3, ends_at = $4, place = $5, \
         component_digest = $6 WHERE patient_id = $7 AND id = $8 AND written_by = $9",
    )
    .bind(draft.kind.as_str())
    .bind(&draft.title)
    .bind(draft.starts_at)
    .bind(draft.ends_at)
    .bind(draft.place.clone())
    .bind(component.to_hex())
    .bind(patient.as_str())
    .bind(id)
    .bind(service)
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    get(db, patient, id).await
}

/// Removes an event written by `service`; false when there was none.
pub async fn remove_own(db: &Db, patient: &PatientId, service: &str, id: &str) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM agenda_events WHERE patient_id = $1 AND id = $2 AND written_by = $3",
    )
    .bind(patient.as_str())
    .bind(id)
    .bind(service)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

fn from_row(row: &AnyRow) -> Result<Event> {
    Ok(Event {
        id: row.try_get("id")?,
        draft: EventDraft {
            kind: decode("agenda_events.kind", row.try_get("kind")?, EventKind::parse)?,
            title: row.try_get("title")?,
            starts_at: row.try_get("starts_at")?,
            ends_at: row.try_get("ends_at")?,
            place: row.try_get("place")?,
        },
        origin: decode(
            "agenda_events.origin",
            row.try_get("origin")?,
            Origin::parse,
        )?,
        written_by: row.try_get("written_by")?,
    })
}
