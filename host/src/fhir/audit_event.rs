//! `AuditEvent`: an access to the patient's data, as the patient reads it
//! ("who accessed my data"), shaped after IHE's Basic Audit Log Patterns
//! (BALP): a RESTful operation (`type` `rest`, `subtype` the interaction),
//! the actor as `agent`, the patient and the data reached as `entity`.
//!
//! | audit event | AuditEvent |
//! |---|---|
//! | time | `recorded` |
//! | actor: a component | `agent`: a `Device` named by the service id, the component's digest in [`COMPONENT`] |
//! | actor: the patient, a professional, a regulator | `agent`: `Patient/<id>`, a `Practitioner` by RPPS number, a regulator's subject |
//! | interface, operation | `subtype` (search-type, read, create, update, delete, operation) and `action` (R, C, U, D, E) |
//! | records | the data entity's `detail` `records` |
//! | grant and revision | an entity `Consent/<grant id>`, `detail` `revision` |
//! | outcome | `outcome` (0 success, 4 refused or failed) and `outcomeDesc` (the reason) |
//! | invocation | [`INVOCATION`] |

use serde::Serialize;

use super::Resource;
use super::datatypes::{CodeableConcept, Coding, Extension, Identifier, Reference};
use super::datetime;
use crate::audit::{Actor, Event, Outcome};

/// The digest of the component that made the access: `sha256:<hex>`.
pub const COMPONENT: &str = "urn:officine:fhir:extension:component";
/// The invocation the access was part of.
pub const INVOCATION: &str = "urn:officine:fhir:extension:invocation";
/// The identifier system of RPPS numbers.
pub const RPPS: &str = "urn:oid:1.2.250.1.71.4.2.1";

const EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const INTERACTION: &str = "http://hl7.org/fhir/restful-interaction";
const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const ROLE_CLASS: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
const SOURCE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/security-source-type";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const RESOURCE_TYPES: &str = "http://hl7.org/fhir/resource-types";

/// An `AuditEvent` (R4).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType", rename = "AuditEvent", rename_all = "camelCase")]
pub struct AuditEvent {
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(rename = "type")]
    pub type_: Coding,
    pub subtype: Vec<Coding>,
    pub action: &'static str,
    pub recorded: String,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome_desc: Option<String>,
    pub agent: Vec<Agent>,
    pub source: Source,
    pub entity: Vec<Entity>,
}

/// `AuditEvent.agent`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agent {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(rename = "type")]
    pub type_: CodeableConcept,
    pub who: Reference,
    pub requestor: bool,
}

/// `AuditEvent.source`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub observer: Reference,
    #[serde(rename = "type")]
    pub type_: Vec<Coding>,
}

/// `AuditEvent.entity`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entity {
    pub what: Reference,
    #[serde(rename = "type")]
    pub type_: Coding,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Coding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub detail: Vec<Detail>,
}

/// `AuditEvent.entity.detail`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    #[serde(rename = "type")]
    pub type_: String,
    pub value_string: String,
}

impl Resource for AuditEvent {
    const TYPE: &'static str = "AuditEvent";

    fn id(&self) -> &str {
        &self.id
    }
}

/// The AuditEvent of audit event `event`, recorded as number `id`.
pub fn from_event(id: i64, event: &Event) -> AuditEvent {
    let (subtype, action) = interaction(&event.operation);
    let (outcome, outcome_desc) = match &event.outcome {
        Outcome::Allowed => ("0", None),
        Outcome::Denied { reason } => ("4", Some(format!("refused: {reason}"))),
        Outcome::Failed { reason } => ("4", Some(format!("failed: {reason}"))),
    };
    let mut extension = Vec::new();
    if let Some(invocation) = event.invocation {
        extension.push(Extension::string(INVOCATION, &invocation.to_string()));
    }
    let mut entity = Vec::new();
    if let Some(patient) = &event.patient {
        entity.push(Entity {
            what: Reference::to(format!("Patient/{patient}")),
            type_: Coding::new(ENTITY_TYPE, "1", Some("Person")),
            role: Some(Coding::new(OBJECT_ROLE, "1", Some("Patient"))),
            detail: Vec::new(),
        });
    }
    if let Some(resource) = resource_type(&event.interface) {
        entity.push(Entity {
            what: Reference::display(resource, &event.interface),
            type_: Coding::new(RESOURCE_TYPES, resource, None),
            role: None,
            detail: vec![Detail {
                type_: "records".to_owned(),
                value_string: event.records.to_string(),
            }],
        });
    }
    if let Some(grant) = &event.grant {
        entity.push(Entity {
            what: Reference::to(format!("Consent/{}", grant.id)),
            type_: Coding::new(RESOURCE_TYPES, "Consent", None),
            role: None,
            detail: vec![Detail {
                type_: "revision".to_owned(),
                value_string: grant.revision.to_string(),
            }],
        });
    }
    AuditEvent {
        id: id.to_string(),
        extension,
        type_: Coding::new(EVENT_TYPE, "rest", Some("RESTful Operation")),
        subtype: vec![Coding::new(INTERACTION, subtype, None)],
        action,
        recorded: datetime::instant(event.at),
        outcome,
        outcome_desc,
        agent: vec![agent(&event.actor)],
        source: Source {
            observer: Reference::display("Device", "Officine"),
            type_: vec![Coding::new(SOURCE_TYPE, "4", Some("Application Server"))],
        },
        entity,
    }
}

fn agent(actor: &Actor) -> Agent {
    let coded = |system: &str, code: &str, display: &str| {
        CodeableConcept::coded(Coding::new(system, code, Some(display)))
    };
    match actor {
        Actor::Component { service, component } => Agent {
            extension: vec![Extension::string(COMPONENT, &format!("sha256:{component}"))],
            type_: coded(DCM, "110150", "Application"),
            who: super::provenance::service_reference(service),
            requestor: true,
        },
        Actor::Patient { id } => Agent {
            extension: Vec::new(),
            type_: coded(ROLE_CLASS, "PAT", "patient"),
            who: Reference::to(format!("Patient/{id}")),
            requestor: true,
        },
        Actor::Professional { rpps } => Agent {
            extension: Vec::new(),
            type_: coded(ROLE_CLASS, "PROV", "healthcare provider"),
            who: Reference {
                type_: Some("Practitioner".to_owned()),
                identifier: Some(Identifier {
                    system: RPPS.to_owned(),
                    value: rpps.clone(),
                }),
                ..Reference::default()
            },
            requestor: true,
        },
        Actor::Regulator { subject } => Agent {
            extension: Vec::new(),
            type_: coded(DCM, "110153", "Source Role ID"),
            who: Reference::display("Organization", &format!("Régulateur ({subject})")),
            requestor: true,
        },
        Actor::Platform => Agent {
            extension: Vec::new(),
            type_: coded(DCM, "110150", "Application"),
            who: Reference::display("Device", "Officine"),
            requestor: false,
        },
    }
}

/// The RESTful interaction and the action code of an operation.
fn interaction(operation: &str) -> (&'static str, &'static str) {
    match operation {
        "list" | "keys" | "search" => ("search-type", "R"),
        "get" | "content" | "read" => ("read", "R"),
        "add" | "send" | "set" | "grant" => ("create", "C"),
        "update" | "hide" | "show" => ("update", "U"),
        "remove" | "delete" | "revoke" | "erase" => ("delete", "D"),
        _ => ("operation", "E"),
    }
}

/// The resource type an interface's records are, if any.
fn resource_type(interface: &str) -> Option<&'static str> {
    Some(match interface {
        "measures" => "Observation",
        "agenda" => "Appointment",
        "dmp" => "DocumentReference",
        "messaging" => "Communication",
        "consent" => "Consent",
        // A service's own storage: data, but no FHIR resource of its own.
        "storage" => "Basic",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{GrantRef, InvocationId};

    #[test]
    fn a_components_read_names_the_service_the_patient_and_the_grant() {
        let event = Event {
            at: 1_790_000_000_000,
            actor: Actor::Component {
                service: "fr.example.tracker".into(),
                component: "ab".repeat(32),
            },
            patient: Some("p-1".into()),
            grant: Some(GrantRef {
                id: "g-1".into(),
                revision: 2,
            }),
            interface: "measures".into(),
            operation: "list".into(),
            records: 60,
            outcome: Outcome::Allowed,
            invocation: Some(InvocationId::new()),
        };
        let json = serde_json::to_value(from_event(7, &event)).unwrap();
        assert_eq!(json["resourceType"], "AuditEvent");
        assert_eq!(json["id"], "7");
        assert_eq!(json["subtype"][0]["code"], "search-type");
        assert_eq!(json["action"], "R");
        assert_eq!(json["outcome"], "0");
        assert!(json.get("outcomeDesc").is_none());
        let agent = &json["agent"][0];
        assert_eq!(agent["who"]["identifier"]["value"], "fr.example.tracker");
        assert_eq!(
            agent["extension"][0]["valueString"],
            format!("sha256:{}", "ab".repeat(32))
        );
        assert_eq!(json["entity"][0]["what"]["reference"], "Patient/p-1");
        assert_eq!(json["entity"][1]["type"]["code"], "Observation");
        assert_eq!(json["entity"][1]["detail"][0]["valueString"], "60");
        assert_eq!(json["entity"][2]["what"]["reference"], "Consent/g-1");

        let refused = Event {
            outcome: Outcome::Denied {
                reason: "no granted scope opens this interface".into(),
            },
            operation: "add".into(),
            ..event
        };
        let json = serde_json::to_value(from_event(8, &refused)).unwrap();
        assert_eq!(json["outcome"], "4");
        assert_eq!(json["action"], "C");
        assert_eq!(
            json["outcomeDesc"],
            "refused: no granted scope opens this interface"
        );
    }
}
