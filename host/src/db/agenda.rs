//! The patient's health agenda.

use sqlx::AssertSqlSafe;

use super::read::{Row, Select};
use super::{GrantGuard, Reader, Result, decode};
use crate::audit::{Event as AuditEvent, InvocationId, Outcome};
use crate::db::Db;
use crate::model::{self, ComponentDigest, Origin, PatientId, ServiceId, Writer};

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

/// Events starting in `[since, until)`, earliest first. A service's window
/// start is folded into `since` by the caller.
pub async fn list(
    db: &Db,
    patient: &PatientId,
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<u32>,
    reader: Reader<'_>,
) -> Result<Vec<Event>> {
    let (since, until) = super::range(since, until);
    let sql = format!(
        "SELECT {COLUMNS} FROM agenda_events \
         WHERE patient_id = $1 AND starts_at >= $2 AND starts_at < $3{} \
         ORDER BY starts_at, id LIMIT {}",
        reader.condition(4),
        super::limit(limit, MAX_ROWS)
    );
    let select = Select::new(sql)
        .bind(patient.as_str())
        .bind(since)
        .bind(until);
    reader.bind(select).fetch_all(db, from_row).await
}

/// One event of the patient's starting at or after `from`, if it exists.
pub async fn get(
    db: &Db,
    patient: &PatientId,
    id: &str,
    from: i64,
    reader: Reader<'_>,
) -> Result<Option<Event>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM agenda_events WHERE patient_id = $1 AND id = $2 AND starts_at >= $3{}",
        reader.condition(4)
    );
    let select = Select::new(sql).bind(patient.as_str()).bind(id).bind(from);
    reader.bind(select).fetch_optional(db, from_row).await
}

/// Adds an event; `None` when a service's grant no longer stands.
pub async fn add(
    db: &Db,
    patient: &PatientId,
    writer: &Writer,
    draft: EventDraft,
) -> Result<Option<Event>> {
    let id = model::new_id();
    let sql = format!(
        "INSERT INTO agenda_events (id, patient_id, kind, title, starts_at, ends_at, place, origin, \
         written_by, component_digest, recorded_at, grant_id) {}",
        super::insert_source(12, writer, db.backend())
    );
    let query = sqlx::query(AssertSqlSafe(sql))
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
        .bind(writer.grant().map(|g| g.grant.as_str().to_owned()));
    let query = super::bind_writer(query, writer);
    let changed = super::execute_audited(db, query, |n| {
        AuditEvent::change(writer, patient, "agenda.add", n)
    })
    .await?;
    if changed == 0 {
        return Ok(None);
    }
    Ok(Some(Event {
        id,
        draft,
        origin: writer.origin(),
        written_by: writer.service().map(|s| s.as_str().to_owned()),
    }))
}

/// What a service may touch when it changes its own events.
#[derive(Debug, Clone, Copy)]
pub struct OwnEvent<'a> {
    pub patient: &'a PatientId,
    pub service: &'a ServiceId,
    pub id: &'a str,
    /// Events starting before this are outside the service's window.
    pub from: i64,
    pub guard: &'a GrantGuard,
    /// The component making the change, and in which invocation.
    pub component: ComponentDigest,
    pub invocation: InvocationId,
}

impl OwnEvent<'_> {
    fn event(&self, call: &'static str, records: u64) -> AuditEvent {
        AuditEvent::by_component(
            self.service,
            &self.component,
            self.guard,
            self.invocation,
            call,
            records,
            Outcome::Allowed,
        )
    }
}

/// Replaces an event written by the service, recording the component that
/// wrote the new content. `None` when the patient has no such event the
/// service wrote within its window, or its grant no longer stands.
pub async fn update_own(db: &Db, own: OwnEvent<'_>, draft: EventDraft) -> Result<Option<Event>> {
    let sql = format!(
        "UPDATE agenda_events SET kind = $1, title = $2, starts_at = $3, ends_at = $4, place = $5, \
         component_digest = $6, grant_id = $7 \
         WHERE patient_id = $8 AND id = $9 AND written_by = $10 AND starts_at >= $11 AND {}",
        GrantGuard::write_condition(12, db.backend())
    );
    let query = sqlx::query(AssertSqlSafe(sql))
        .bind(draft.kind.as_str())
        .bind(&draft.title)
        .bind(draft.starts_at)
        .bind(draft.ends_at)
        .bind(draft.place.clone())
        .bind(own.component.to_hex())
        .bind(own.guard.grant.as_str().to_owned())
        .bind(own.patient.as_str())
        .bind(own.id)
        .bind(own.service.as_str())
        .bind(own.from);
    let query = own.guard.bind(query);
    if super::execute_audited(db, query, |n| own.event("agenda.update", n)).await? == 0 {
        return Ok(None);
    }
    Ok(Some(Event {
        id: own.id.to_owned(),
        draft,
        origin: Origin::Service,
        written_by: Some(own.service.as_str().to_owned()),
    }))
}

/// Removes an event the service wrote within its window; false when there
/// was none, or its grant no longer stands.
pub async fn remove_own(db: &Db, own: OwnEvent<'_>) -> Result<bool> {
    let sql = format!(
        "DELETE FROM agenda_events \
         WHERE patient_id = $1 AND id = $2 AND written_by = $3 AND starts_at >= $4 AND {}",
        GrantGuard::write_condition(5, db.backend())
    );
    let query = sqlx::query(AssertSqlSafe(sql))
        .bind(own.patient.as_str())
        .bind(own.id)
        .bind(own.service.as_str())
        .bind(own.from);
    let query = own.guard.bind(query);
    let removed = super::execute_audited(db, query, |n| own.event("agenda.remove", n)).await?;
    Ok(removed > 0)
}

/// Decodes a row of [`COLUMNS`], by position.
/// Every agenda entry of the patient, earliest first: their export.
pub async fn everything(db: &Db, patient: &PatientId) -> Result<Vec<Event>> {
    Select::new(format!(
        "SELECT {COLUMNS} FROM agenda_events WHERE patient_id = $1 ORDER BY starts_at, id"
    ))
    .bind(patient.as_str())
    .fetch_all(db, from_row)
    .await
}

fn from_row(row: &dyn Row) -> Result<Event> {
    Ok(Event {
        id: row.text(0)?,
        draft: EventDraft {
            kind: decode("agenda_events.kind", row.text(1)?, EventKind::parse)?,
            title: row.text(2)?,
            starts_at: row.int(3)?,
            ends_at: row.int_or_null(4)?,
            place: row.text_or_null(5)?,
        },
        origin: decode("agenda_events.origin", row.text(6)?, Origin::parse)?,
        written_by: row.text_or_null(7)?,
    })
}
