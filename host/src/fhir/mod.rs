//! FHIR R4 JSON at the platform's edge: the patient's data as standard
//! health resources, and the few resources clients may send.
//!
//! Pure conversions, no I/O: storage types in, serde-serializable resources
//! out; JSON bodies and search parameters in, typed requests or typed
//! problems out. Every problem maps to an [`OperationOutcome`] issue.
//!
//! | platform record | FHIR resource | module |
//! |---|---|---|
//! | measure | `Observation` (French "mesures de santé" profiles) | [`observation`] |
//! | measure search | `Observation?code=…&date=…&_count=…` | [`search`] |
//! | agenda event | `Appointment` | [`appointment`] |
//! | DMP document | `DocumentReference`, content as `Binary` | [`document`] |
//! | message | `Communication` | [`communication`] |
//! | grant | `Consent` | [`consent`] |
//! | audit event | `AuditEvent` (IHE BALP) | [`audit_event`] |
//! | a list of results | `Bundle` (searchset) | [`bundle`] |
//! | an error | `OperationOutcome` | [`outcome`] |
//!
//! Who wrote a record travels with it (see [`provenance`]). Officine's own
//! identifiers and extensions use `urn:officine:` names, like the DMP
//! category system of the scopes.

pub mod appointment;
pub mod audit_event;
pub mod bundle;
pub mod communication;
pub mod consent;
pub mod datatypes;
pub mod datetime;
pub mod document;
pub mod observation;
pub mod outcome;
pub mod parse;
pub mod provenance;
pub mod search;

pub use bundle::Bundle;
pub use outcome::{Invalid, Issue, IssueSeverity, IssueType, OperationOutcome};
pub use parse::Problem;

/// The media type of every FHIR body the platform sends or accepts.
pub const CONTENT_TYPE: &str = "application/fhir+json";

/// The FHIR version of every resource here (R4).
pub const FHIR_VERSION: &str = "4.0.1";

/// The code system of UCUM units.
pub const UCUM: &str = "http://unitsofmeasure.org";

/// The identifier system of Officine's services (reverse-DNS service ids).
pub const SERVICE_SYSTEM: &str = "urn:officine:service";

/// A FHIR resource: a type name and a logical id.
pub trait Resource: serde::Serialize {
    /// The `resourceType`.
    const TYPE: &'static str;

    /// The logical id.
    fn id(&self) -> &str;

    /// `<Type>/<id>`, the relative reference to this resource.
    fn reference(&self) -> String {
        format!("{}/{}", Self::TYPE, self.id())
    }
}

/// `Patient/<id>`: the platform's internal patient id, never the INS.
pub fn patient_reference(patient: &crate::model::PatientId) -> String {
    format!("Patient/{}", patient.as_str())
}
