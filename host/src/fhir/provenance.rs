//! Who wrote a record, as FHIR says it.
//!
//! Every write records its provenance (patient, professional, a service
//! running a given component, or the platform). Resources carry it twice:
//!
//! - in the standard element of each resource (`Observation.performer` or
//!   `Observation.device`, `Communication.sender`, …), for any FHIR reader;
//! - in full in the [`PROVENANCE`] extension, which no standard element
//!   holds: the origin code, the service id and the component's digest.
//!
//! A service is software acting for the patient, so it is named as a
//! `Device` (as the French "mesures de santé" profiles do for the
//! application through which a value was entered), by a logical reference
//! whose identifier is the service id in [`SERVICE_SYSTEM`](super::SERVICE_SYSTEM).

use super::datatypes::{Extension, Identifier, Reference};
use crate::model::{ComponentDigest, Origin, PatientId};

/// The provenance extension: sub-extensions `origin` (code: `patient`,
/// `professional`, `service` or `platform`), `service` (the service id)
/// and `component` (`sha256:<hex>` of the component that wrote it).
pub const PROVENANCE: &str = "urn:officine:fhir:extension:provenance";

/// Who wrote a record, as far as storage says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance<'a> {
    pub origin: Origin,
    /// The service that wrote it, for `Origin::Service`.
    pub service: Option<&'a str>,
    /// The component that wrote it, when known.
    pub component: Option<ComponentDigest>,
    /// The professional's name, when known.
    pub professional: Option<&'a str>,
}

impl Provenance<'_> {
    /// The [`PROVENANCE`] extension.
    pub fn extension(&self) -> Extension {
        let mut parts = vec![Extension::code("origin", self.origin.as_str())];
        if let Some(service) = self.service {
            parts.push(Extension::string("service", service));
        }
        if let Some(component) = self.component {
            parts.push(Extension::string(
                "component",
                &format!("sha256:{}", component.to_hex()),
            ));
        }
        Extension::complex(PROVENANCE, parts)
    }

    /// The author as a reference: the patient, a practitioner, the
    /// service (a device), or the platform (an organization).
    pub fn author(&self, patient: &PatientId) -> Reference {
        match self.origin {
            Origin::Patient => Reference::to(super::patient_reference(patient)),
            Origin::Professional => Reference::display(
                "Practitioner",
                self.professional.unwrap_or("Professionnel de santé"),
            ),
            Origin::Service => match self.service {
                Some(service) => service_reference(service),
                None => Reference::display("Device", "Service"),
            },
            Origin::Platform => Reference::display("Organization", "Officine"),
        }
    }
}

/// A service, as a logical `Device` reference.
pub fn service_reference(service: &str) -> Reference {
    Reference {
        type_: Some("Device".to_owned()),
        identifier: Some(Identifier {
            system: super::SERVICE_SYSTEM.to_owned(),
            value: service.to_owned(),
        }),
        display: Some(service.to_owned()),
        ..Reference::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_write_names_the_service_and_its_component() {
        let digest = ComponentDigest::of(b"component");
        let p = Provenance {
            origin: Origin::Service,
            service: Some("fr.example.tracker"),
            component: Some(digest),
            professional: None,
        };
        let json = serde_json::to_value(p.extension()).unwrap();
        assert_eq!(json["url"], PROVENANCE);
        assert_eq!(json["extension"][0]["valueCode"], "service");
        assert_eq!(json["extension"][1]["valueString"], "fr.example.tracker");
        assert_eq!(
            json["extension"][2]["valueString"],
            format!("sha256:{}", digest.to_hex())
        );
        let author = serde_json::to_value(p.author(&PatientId::new("p1"))).unwrap();
        assert_eq!(author["type"], "Device");
        assert_eq!(author["identifier"]["system"], "urn:officine:service");
        assert_eq!(author["identifier"]["value"], "fr.example.tracker");
    }

    #[test]
    fn other_authors() {
        let patient = PatientId::new("p1");
        let of = |origin, professional| {
            let p = Provenance {
                origin,
                service: None,
                component: None,
                professional,
            };
            (
                serde_json::to_value(p.author(&patient)).unwrap(),
                serde_json::to_value(p.extension()).unwrap(),
            )
        };
        let (author, extension) = of(Origin::Patient, None);
        assert_eq!(author, serde_json::json!({"reference": "Patient/p1"}));
        assert_eq!(extension["extension"].as_array().unwrap().len(), 1);
        let (author, _) = of(Origin::Professional, Some("Dr Bernard"));
        assert_eq!(
            author,
            serde_json::json!({"type": "Practitioner", "display": "Dr Bernard"})
        );
        let (author, extension) = of(Origin::Platform, None);
        assert_eq!(author["type"], "Organization");
        assert_eq!(extension["extension"][0]["valueCode"], "platform");
    }
}
