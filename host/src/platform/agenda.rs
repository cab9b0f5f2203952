//! `officine:platform/agenda`.

use officine_policy::{Item, Op};

use super::{ATTEMPTS, Platform, check_range, check_text, check_timestamp, plausible_id};
use crate::db::agenda::{self as db, EventKind, OwnEvent};
use crate::db::{GrantGuard, Reader};
use crate::runtime::bindings::agenda::{Event, EventDraft, EventKind as WitKind, Host};
use crate::runtime::bindings::types::{Error, Timestamp};

impl Host for Platform {
    async fn list(
        &mut self,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
        limit: Option<u32>,
    ) -> Result<Vec<Event>, Error> {
        self.enter("agenda.list")?;
        let result = self.agenda_list(since, until, limit).await;
        self.audit_read("agenda.list", &result, |r| r.len() as u64);
        result
    }

    async fn add(&mut self, draft: EventDraft) -> Result<Event, Error> {
        self.enter("agenda.add")?;
        let result = self.agenda_add(draft).await;
        self.audit_change("agenda.add", &result);
        result
    }

    async fn update(&mut self, id: String, draft: EventDraft) -> Result<Event, Error> {
        self.enter("agenda.update")?;
        let result = self.agenda_update(id, draft).await;
        self.audit_change("agenda.update", &result);
        result
    }

    async fn remove(&mut self, id: String) -> Result<(), Error> {
        self.enter("agenda.remove")?;
        let result = self.agenda_remove(id).await;
        self.audit_change("agenda.remove", &result);
        result
    }
}

impl Platform {
    async fn agenda_list(
        &mut self,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
        limit: Option<u32>,
    ) -> Result<Vec<Event>, Error> {
        check_range(since, until)?;
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("agenda.list", Op::Search, Item::Appointment, None)?;
            let from = self
                .window(Op::Search, Item::Appointment)
                .unwrap_or(i64::MAX);
            let since = Some(since.map_or(from, |s| s.max(from)));
            let reader = Reader::Service(&guard);
            let rows = db::list(&self.db, &self.patient, since, until, limit, reader)
                .await
                .map_err(|e| self.unavailable("agenda.list", e))?;
            if rows.is_empty() && self.grant_changed("agenda.list").await? {
                continue;
            }
            return Ok(rows.into_iter().map(|e| self.event_to_wit(e)).collect());
        }
        Err(Error::Unavailable)
    }

    async fn agenda_add(&mut self, draft: EventDraft) -> Result<Event, Error> {
        let start = Some(draft.start);
        self.authorize("agenda.add", Op::Create, Item::Appointment, start)?;
        let draft = check_draft(draft)?;
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("agenda.add", Op::Create, Item::Appointment, start)?;
            let writer = self.writer(guard);
            let added = db::add(&self.db, &self.patient, &writer, draft.clone())
                .await
                .map_err(|e| self.unavailable("agenda.add", e))?;
            match added {
                Some(event) => return Ok(self.event_to_wit(event)),
                None => {
                    self.grant_changed("agenda.add").await?;
                }
            }
        }
        Err(Error::Unavailable)
    }

    async fn agenda_update(&mut self, id: String, draft: EventDraft) -> Result<Event, Error> {
        let start = Some(draft.start);
        self.authorize("agenda.update", Op::Update, Item::Appointment, start)?;
        let draft = check_draft(draft)?;
        if !plausible_id(&id) {
            return Err(Error::NotFound);
        }
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("agenda.update", Op::Update, Item::Appointment, start)?;
            let own = self.own_event(&id, Op::Update, &guard);
            let updated = db::update_own(&self.db, own, draft.clone())
                .await
                .map_err(|e| self.unavailable("agenda.update", e))?;
            match updated {
                Some(event) => return Ok(self.event_to_wit(event)),
                None => {
                    if !self.grant_changed("agenda.update").await? {
                        return Err(self.not_own(&id).await);
                    }
                }
            }
        }
        Err(Error::Unavailable)
    }

    async fn agenda_remove(&mut self, id: String) -> Result<(), Error> {
        self.authorize("agenda.remove", Op::Delete, Item::Appointment, None)?;
        if !plausible_id(&id) {
            return Err(Error::NotFound);
        }
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("agenda.remove", Op::Delete, Item::Appointment, None)?;
            let own = self.own_event(&id, Op::Delete, &guard);
            let removed = db::remove_own(&self.db, own)
                .await
                .map_err(|e| self.unavailable("agenda.remove", e))?;
            if removed {
                return Ok(());
            }
            if !self.grant_changed("agenda.remove").await? {
                return Err(self.not_own(&id).await);
            }
        }
        Err(Error::Unavailable)
    }
}

impl Platform {
    fn own_event<'a>(&'a self, id: &'a str, op: Op, guard: &'a GrantGuard) -> OwnEvent<'a> {
        OwnEvent {
            patient: &self.patient,
            service: self.service(),
            id,
            from: self.window(op, Item::Appointment).unwrap_or(i64::MAX),
            guard,
            component: self.component,
            invocation: self.invocation,
        }
    }

    /// Why an update or removal touched nothing, the grant standing: the
    /// event is one the service may read but did not write (`denied`), or
    /// there is no such event as far as the service can tell (`not-found`).
    async fn not_own(&mut self, id: &str) -> Error {
        let Some(from) = self.window(Op::Read, Item::Appointment) else {
            return Error::NotFound;
        };
        let guard = match self.authorize("agenda.get", Op::Read, Item::Appointment, None) {
            Ok(guard) => guard,
            Err(_) => return Error::NotFound,
        };
        match db::get(&self.db, &self.patient, id, from, Reader::Service(&guard)).await {
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
