//! Messages as `Communication`s.
//!
//! A message is sent to the patient (who is also its subject) by a
//! professional, a service or the platform. The subject line is the
//! `topic`, the body a `contentString` payload. Threads and the read flag
//! have no FHIR element: they are the [`THREAD`] and [`READ`] extensions.

use serde::Serialize;

use super::Resource;
use super::datatypes::{CodeableConcept, Extension, Reference};
use super::datetime;
use super::provenance::Provenance;
use crate::db::messages::Message;
use crate::model::{Origin, PatientId};

/// Extension: the id of the thread a message belongs to (`valueString`).
pub const THREAD: &str = "urn:officine:fhir:extension:thread";

/// Extension: whether the patient has read the message (`valueBoolean`).
pub const READ: &str = "urn:officine:fhir:extension:read";

/// `Communication`, as the platform writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType", rename_all = "camelCase")]
pub struct Communication {
    pub id: String,
    pub extension: Vec<Extension>,
    pub status: &'static str,
    pub subject: Reference,
    pub topic: CodeableConcept,
    pub sent: String,
    pub recipient: Vec<Reference>,
    pub sender: Reference,
    pub payload: Vec<Payload>,
}

/// `Communication.payload`, text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    pub content_string: String,
}

impl Resource for Communication {
    const TYPE: &'static str = "Communication";

    fn id(&self) -> &str {
        &self.id
    }
}

/// The `Communication` of a message in `patient`'s inbox.
pub fn from_message(patient: &PatientId, message: &Message) -> Communication {
    let provenance = Provenance {
        origin: message.origin,
        service: message.written_by.as_deref(),
        component: None,
        professional: (message.origin == Origin::Professional).then_some(message.sender.as_str()),
    };
    // The stored sender is the name shown to the patient.
    let sender = Reference {
        display: Some(message.sender.clone()),
        ..provenance.author(patient)
    };
    Communication {
        id: message.id.clone(),
        extension: vec![
            provenance.extension(),
            Extension::string(THREAD, &message.thread),
            Extension::boolean(READ, message.read),
        ],
        status: "completed",
        subject: Reference::to(super::patient_reference(patient)),
        topic: CodeableConcept::text(&message.subject),
        sent: datetime::instant(message.sent_at),
        recipient: vec![Reference::to(super::patient_reference(patient))],
        sender,
        payload: vec![Payload {
            content_string: message.body.clone(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(origin: Origin, written_by: Option<&str>) -> Message {
        Message {
            id: "m1".into(),
            thread: "t1".into(),
            origin,
            sender: "Dr Claire Bernard".into(),
            subject: "Résultats".into(),
            body: "Vos résultats sont normaux.".into(),
            sent_at: 1_740_818_096_000,
            read: false,
            written_by: written_by.map(str::to_owned),
        }
    }

    #[test]
    fn a_message_from_a_professional() {
        let c = from_message(&PatientId::new("p1"), &message(Origin::Professional, None));
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({
                "resourceType": "Communication",
                "id": "m1",
                "extension": [
                    {"url": "urn:officine:fhir:extension:provenance",
                     "extension": [{"url": "origin", "valueCode": "professional"}]},
                    {"url": "urn:officine:fhir:extension:thread", "valueString": "t1"},
                    {"url": "urn:officine:fhir:extension:read", "valueBoolean": false}
                ],
                "status": "completed",
                "subject": {"reference": "Patient/p1"},
                "topic": {"text": "Résultats"},
                "sent": "2025-03-01T08:34:56.000Z",
                "recipient": [{"reference": "Patient/p1"}],
                "sender": {"type": "Practitioner", "display": "Dr Claire Bernard"},
                "payload": [{"contentString": "Vos résultats sont normaux."}]
            })
        );
    }

    #[test]
    fn a_message_from_a_service_names_the_service() {
        let c = from_message(
            &PatientId::new("p1"),
            &message(Origin::Service, Some("fr.example.coach")),
        );
        assert_eq!(c.sender.type_.as_deref(), Some("Device"));
        assert_eq!(
            c.sender.identifier.as_ref().map(|i| i.value.as_str()),
            Some("fr.example.coach")
        );
        assert_eq!(c.sender.display.as_deref(), Some("Dr Claire Bernard"));
    }
}
