//! The patient's health agenda: appointments, reminders and tasks.
//!
//! Reading needs `agenda.read`; adding, updating and removing need
//! `agenda.write`, and a service may only update or remove the events it
//! wrote (`Event::mine`).
//!
//! ```no_run
//! use officine_sdk::{agenda, now, time};
//!
//! # fn main() -> officine_sdk::Result<()> {
//! let reminder = agenda::EventDraft::new(
//!     agenda::EventKind::Reminder,
//!     "Se peser",
//!     now() + time::DAY,
//! );
//! let event = agenda::add(&reminder)?;
//! let week = agenda::list(Some(now()), Some(now() + 7 * time::DAY), None)?;
//! agenda::remove(&event.id)?;
//! # Ok(())
//! # }
//! ```

use crate::bindings::officine::platform::agenda as raw;
use crate::{Result, Timestamp};

pub use raw::{Event, EventDraft, EventKind};

impl EventDraft {
    /// A draft with no end and no place.
    pub fn new(kind: EventKind, title: impl Into<String>, start: Timestamp) -> Self {
        EventDraft {
            kind,
            title: title.into(),
            start,
            end: None,
            place: None,
        }
    }

    /// Sets the end (not before the start).
    pub fn with_end(mut self, end: Timestamp) -> Self {
        self.end = Some(end);
        self
    }

    /// Sets the place (up to 200 characters).
    pub fn with_place(mut self, place: impl Into<String>) -> Self {
        self.place = Some(place.into());
        self
    }
}

/// The patient's events that start in `[since, until)`, earliest first, at
/// most `limit` (capped at 1000).
///
/// Needs `agenda.read`.
pub fn list(
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    limit: Option<u32>,
) -> Result<Vec<Event>> {
    Ok(raw::list(since, until, limit)?)
}

/// Adds an event to the patient's agenda and returns it.
///
/// Needs `agenda.write`.
pub fn add(draft: &EventDraft) -> Result<Event> {
    Ok(raw::add(draft)?)
}

/// Replaces an event this service wrote.
///
/// Needs `agenda.write`.
pub fn update(id: &str, draft: &EventDraft) -> Result<Event> {
    Ok(raw::update(id, draft)?)
}

/// Removes an event this service wrote.
///
/// Needs `agenda.write`.
pub fn remove(id: &str) -> Result<()> {
    Ok(raw::remove(id)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_builder_and_json() {
        let d = EventDraft::new(EventKind::Appointment, "Diététicienne", 1_000)
            .with_end(2_000)
            .with_place("Cabinet");
        assert_eq!(d.end, Some(2_000));
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "appointment", "title": "Diététicienne",
                "start": 1000, "end": 2000, "place": "Cabinet"})
        );
        assert_eq!(serde_json::from_value::<EventDraft>(v).unwrap(), d);
    }
}
