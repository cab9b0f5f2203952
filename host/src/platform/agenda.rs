//! `officine:platform/agenda`.

use super::{Platform, check_range, check_text, check_timestamp, plausible_id};
use crate::db::agenda::{self as db, EventKind};
use crate::runtime::bindings::agenda::{Event, EventDraft, EventKind as WitKind, Host};
use crate::runtime::bindings::types::{Error, Timestamp};

impl Host for Platform {
    async fn list(
        &mut self,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
        limit: Option<u32>,
    ) -> Result<Vec<Event>, Error> {
        check_range(since, until)?;
        let rows = db::list(&self.db, &self.patient, since, until, limit)
            .await
            .map_err(|e| self.unavailable("agenda.list", e))?;
        Ok(rows.into_iter().map(|e| self.event_to_wit(e)).collect())
    }

    async fn add(&mut self, draft: EventDraft) -> Result<Event, Error> {
        let draft = check_draft(draft)?;
        let event = db::add(&self.db, &self.patient, &self.writer(), draft)
            .await
            .map_err(|e| self.unavailable("agenda.add", e))?;
        Ok(self.event_to_wit(event))
    }

    async fn update(&mut self, id: String, draft: EventDraft) -> Result<Event, Error> {
        let draft = check_draft(draft)?;
        if !plausible_id(&id) {
            return Err(Error::NotFound);
        }
        let updated = db::update_own(
            &self.db,
            &self.patient,
            self.service.as_str(),
            self.component,
            &id,
            draft,
        )
        .await
        .map_err(|e| self.unavailable("agenda.update", e))?;
        match updated {
            Some(event) => Ok(self.event_to_wit(event)),
            None => Err(self.not_own(&id).await),
        }
    }

    async fn remove(&mut self, id: String) -> Result<(), Error> {
        if !plausible_id(&id) {
            return Err(Error::NotFound);
        }
        let removed = db::remove_own(&self.db, &self.patient, self.service.as_str(), &id)
            .await
            .map_err(|e| self.unavailable("agenda.remove", e))?;
        if removed {
            Ok(())
        } else {
            Err(self.not_own(&id).await)
        }
    }
}

impl Platform {
    /// Why an update or removal touched nothing: the event is someone
    /// else's (`denied`), or the patient has no such event (`not-found`).
    async fn not_own(&self, id: &str) -> Error {
        match db::get(&self.db, &self.patient, id).await {
            Ok(Some(_)) => Error::Denied,
            Ok(None) => Error::NotFound,
            Err(e) => self.unavailable("agenda.get", e),
        }
    }

    fn event_to_wit(&self, e: db::Event) -> Event {
        Event {
            mine: self.is_mine(e.written_by.as_deref()),
            id: e.id,
            kind: match e.draft.kind {
                EventKind::Appointment => WitKind::Appointment,
                EventKind::Reminder => WitKind::Reminder,
                EventKind::Task => WitKind::Task,
            },
            title: e.draft.title,
            start: e.draft.starts_at,
            end: e.draft.ends_at,
            place: e.draft.place,
            origin: e.origin.into(),
        }
    }
}

fn check_draft(draft: EventDraft) -> Result<db::EventDraft, Error> {
    check_text("title", &draft.title, 1, 200)?;
    if let Some(place) = &draft.place {
        check_text("place", place, 0, 200)?;
    }
    check_timestamp("start", draft.start)?;
    if let Some(end) = draft.end {
        check_timestamp("end", end)?;
        if end < draft.start {
            return Err(Error::Invalid("end is before start".to_owned()));
        }
    }
    Ok(db::EventDraft {
        kind: match draft.kind {
            WitKind::Appointment => EventKind::Appointment,
            WitKind::Reminder => EventKind::Reminder,
            WitKind::Task => EventKind::Task,
        },
        title: draft.title,
        starts_at: draft.start,
        ends_at: draft.end,
        place: draft.place,
    })
}
