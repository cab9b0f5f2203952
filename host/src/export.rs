//! Everything of a patient's space, as one FHIR R4 `Bundle` of type
//! `collection`: their measures (`Observation`), agenda (`Appointment`),
//! medical record (`DocumentReference`, each with its content as a
//! `Binary`), messages (`Communication`), grants (`Consent`) and the
//! history of every access to their data (`AuditEvent`). It is what the
//! patient takes away (requirement 45): a readable, documented format any
//! FHIR tool opens.

use serde_json::{Map, Value, json};

use crate::audit::view;
use crate::db::{Db, Result, agenda, documents, grants, measures, messages};
use crate::fhir::observation::{self, MeasureDetails};
use crate::fhir::{Resource, appointment, audit_event, communication, consent, document};
use crate::model::PatientId;

/// The entries of a bundle, in order.
#[derive(Default)]
struct Entries {
    base: String,
    entries: Vec<Value>,
}

impl Entries {
    fn push(&mut self, resource: &impl Resource) {
        let Ok(value) = serde_json::to_value(resource) else {
            return;
        };
        self.entries.push(json!({
            "fullUrl": format!("{}/{}", self.base, resource.reference()),
            "resource": value,
        }));
    }
}

/// The patient's whole space, at `now`, each resource's `fullUrl` under
/// the FHIR base URL `base`.
pub async fn everything(db: &Db, patient: &PatientId, base: &str, now: i64) -> Result<Value> {
    let (found_measures, events, docs, found_messages, found_grants, accesses) = tokio::try_join!(
        measures::everything(db, patient),
        agenda::everything(db, patient),
        documents::everything(db, patient),
        messages::everything(db, patient),
        grants::for_patient(db, patient),
        view::everything_for_patient(db, patient),
    )?;
    let mut entries = Entries {
        base: base.trim_end_matches('/').to_owned(),
        entries: Vec::new(),
    };
    for measure in &found_measures {
        entries.push(&observation::from_measure(
            patient,
            measure,
            &MeasureDetails::default(),
        ));
    }
    for event in &events {
        entries.push(&appointment::from_event(patient, event));
    }
    for (meta, content) in &docs {
        entries.push(&document::from_document(patient, meta));
        entries.push(&document::binary(meta, content));
    }
    for message in &found_messages {
        entries.push(&communication::from_message(patient, message));
    }
    for stored in &found_grants {
        entries.push(&consent::from_grant(stored, now));
    }
    for recorded in &accesses {
        entries.push(&audit_event::from_event(recorded.seq, &recorded.event));
    }
    let mut bundle = Map::new();
    bundle.insert("resourceType".into(), "Bundle".into());
    bundle.insert("type".into(), "collection".into());
    bundle.insert(
        "timestamp".into(),
        crate::fhir::datetime::instant(now).into(),
    );
    if !entries.entries.is_empty() {
        bundle.insert("entry".into(), Value::Array(entries.entries));
    }
    Ok(Value::Object(bundle))
}
