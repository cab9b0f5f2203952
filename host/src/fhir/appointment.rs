//! Agenda events as `Appointment`s.
//!
//! The agenda records what is planned, not whether it happened: every
//! event is `booked`. Its kind (appointment, reminder, task) is the
//! `appointmentType`, in the platform's own code system. A reminder or
//! task may have no end; FHIR wants both ends of a booked appointment
//! (invariant app-3), so such an event ends when it starts. The place is
//! a participant `Location` named by display, the patient the other one.

use serde::Serialize;

use super::Resource;
use super::datatypes::{CodeableConcept, Coding, Extension, Reference};
use super::datetime;
use super::provenance::Provenance;
use crate::db::agenda::{Event, EventKind};
use crate::model::PatientId;

/// The code system of agenda event kinds.
pub const EVENT_KIND_SYSTEM: &str = "urn:officine:agenda-event-kind";

/// `Appointment`, as the platform writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType", rename_all = "camelCase")]
pub struct Appointment {
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub status: &'static str,
    pub appointment_type: CodeableConcept,
    pub description: String,
    pub start: String,
    pub end: String,
    pub participant: Vec<Participant>,
}

/// `Appointment.participant`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Participant {
    pub actor: Reference,
    pub status: &'static str,
}

impl Resource for Appointment {
    const TYPE: &'static str = "Appointment";

    fn id(&self) -> &str {
        &self.id
    }
}

fn kind_display(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Appointment => "Rendez-vous",
        EventKind::Reminder => "Rappel",
        EventKind::Task => "Tâche",
    }
}

/// The `Appointment` of one of `patient`'s agenda events.
pub fn from_event(patient: &PatientId, event: &Event) -> Appointment {
    let draft = &event.draft;
    let provenance = Provenance {
        origin: event.origin,
        service: event.written_by.as_deref(),
        component: None,
        professional: None,
    };
    let mut participant = vec![Participant {
        actor: Reference::to(super::patient_reference(patient)),
        status: "accepted",
    }];
    if let Some(place) = &draft.place {
        participant.push(Participant {
            actor: Reference::display("Location", place),
            status: "accepted",
        });
    }
    Appointment {
        id: event.id.clone(),
        extension: vec![provenance.extension()],
        status: "booked",
        appointment_type: CodeableConcept::coded(Coding::new(
            EVENT_KIND_SYSTEM,
            draft.kind.as_str(),
            Some(kind_display(draft.kind)),
        )),
        description: draft.title.clone(),
        start: datetime::instant(draft.starts_at),
        end: datetime::instant(
            draft
                .ends_at
                .unwrap_or(draft.starts_at)
                .max(draft.starts_at),
        ),
        participant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::agenda::EventDraft;
    use crate::model::Origin;
    use serde_json::json;

    fn event(kind: EventKind, ends_at: Option<i64>, place: Option<&str>) -> Event {
        Event {
            id: "e1".into(),
            draft: EventDraft {
                kind,
                title: "Consultation de suivi".into(),
                starts_at: 1_740_818_096_000,
                ends_at,
                place: place.map(str::to_owned),
            },
            origin: Origin::Service,
            written_by: Some("fr.example.agenda".into()),
        }
    }

    #[test]
    fn an_appointment_with_a_place() {
        let a = from_event(
            &PatientId::new("p1"),
            &event(
                EventKind::Appointment,
                Some(1_740_819_896_000),
                Some("Cabinet"),
            ),
        );
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(
            json,
            json!({
                "resourceType": "Appointment",
                "id": "e1",
                "extension": [{"url": "urn:officine:fhir:extension:provenance", "extension": [
                    {"url": "origin", "valueCode": "service"},
                    {"url": "service", "valueString": "fr.example.agenda"}
                ]}],
                "status": "booked",
                "appointmentType": {"coding": [{
                    "system": "urn:officine:agenda-event-kind", "code": "appointment", "display": "Rendez-vous"
                }]},
                "description": "Consultation de suivi",
                "start": "2025-03-01T08:34:56.000Z",
                "end": "2025-03-01T09:04:56.000Z",
                "participant": [
                    {"actor": {"reference": "Patient/p1"}, "status": "accepted"},
                    {"actor": {"type": "Location", "display": "Cabinet"}, "status": "accepted"}
                ]
            })
        );
        assert_eq!(a.reference(), "Appointment/e1");
    }

    #[test]
    fn a_reminder_without_end_ends_when_it_starts() {
        let a = from_event(
            &PatientId::new("p1"),
            &event(EventKind::Reminder, None, None),
        );
        assert_eq!(a.start, a.end);
        assert_eq!(a.participant.len(), 1);
        assert_eq!(a.appointment_type.coding[0].code, "reminder");
        // An end before the start (never stored, but never written out either).
        let a = from_event(
            &PatientId::new("p1"),
            &event(EventKind::Task, Some(0), None),
        );
        assert_eq!(a.start, a.end);
        assert_eq!(a.appointment_type.coding[0].code, "task");
    }
}
