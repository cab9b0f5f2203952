//! The service manifest, `officine.toml`: typed, and only ever built valid.

use std::path::Path;

use semver::Version;
use serde::Serialize;

use crate::Scope;
use crate::ServiceId;
use crate::error::{ManifestError, Result};
use crate::fields::parse_table;
use crate::legal::LegalId;
use crate::limits::Limits;
use crate::names::names;
use crate::validate;

/// A validated service manifest.
///
/// The only way to get one is to parse it ([`Manifest::from_toml_str`],
/// [`Manifest::load`]), so every `Manifest` satisfies the rules of the
/// manifest reference: mandatory fields present, texts within their limits,
/// a known purpose and medical-device status, valid and distinct scopes, each
/// with a reason.
///
/// It serializes (with serde) to the same field names as `officine.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Manifest {
    pub(crate) id: ServiceId,
    pub(crate) version: Version,
    pub(crate) name: String,
    pub(crate) editor: String,
    pub(crate) editor_id: LegalId,
    pub(crate) description: String,
    pub(crate) purpose: Purpose,
    pub(crate) events: Vec<Event>,
    pub(crate) consent: ConsentSheet,
    #[serde(rename = "scopes")]
    pub(crate) requested_scopes: Vec<RequestedScope>,
    /// Absent from the JSON form when empty: manifests written before
    /// `[limits]` existed keep their canonical form, and their signatures.
    #[serde(skip_serializing_if = "Limits::is_empty")]
    pub(crate) limits: Limits,
}

impl Manifest {
    /// Parses and validates the text of an `officine.toml`.
    ///
    /// # Errors
    ///
    /// [`ManifestError::Syntax`] if the text is not TOML (with the line and
    /// column), otherwise [`ManifestError::Invalid`] listing every missing,
    /// unknown or invalid field.
    pub fn from_toml_str(text: &str) -> Result<Manifest> {
        let table = parse_table(text).map_err(ManifestError::Syntax)?;
        validate::manifest(table).map_err(ManifestError::Invalid)
    }

    /// Reads, parses and validates the manifest file at `path`.
    ///
    /// # Errors
    ///
    /// [`ManifestError::Io`], carrying `path`, if the file cannot be read (or
    /// is not UTF-8); otherwise as [`Manifest::from_toml_str`].
    pub fn load(path: impl AsRef<Path>) -> Result<Manifest> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io {
            path: path.to_owned(),
            source,
        })?;
        Manifest::from_toml_str(&text)
    }

    /// What one invocation may use where the service asks for other than
    /// the platform's defaults (`[limits]`).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The service's identifier.
    pub fn id(&self) -> &ServiceId {
        &self.id
    }

    /// The version of the service this manifest describes.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// The service's name as shown to patients.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The editor: who publishes the service.
    pub fn editor(&self) -> &str {
        &self.editor
    }

    /// The editor's legal identity (SIRET or FINESS).
    pub fn editor_id(&self) -> &LegalId {
        &self.editor_id
    }

    /// What the service does, for patients.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The purpose of the processing.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The events the service subscribes to, in manifest order, each once.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The informed-consent sheet.
    pub fn consent(&self) -> &ConsentSheet {
        &self.consent
    }

    /// The scopes requested, in manifest order, each once, with their reasons.
    pub fn requested_scopes(&self) -> &[RequestedScope] {
        &self.requested_scopes
    }

    /// The scopes requested, without their reasons.
    pub fn scopes(&self) -> impl Iterator<Item = Scope> + '_ {
        self.requested_scopes.iter().map(RequestedScope::scope)
    }
}

/// The informed-consent sheet: what a patient reads before granting anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ConsentSheet {
    pub(crate) retention: String,
    pub(crate) security: String,
    pub(crate) recourse: String,
    pub(crate) legal: Vec<String>,
    pub(crate) medical_device: MedicalDevice,
    pub(crate) accessibility: String,
}

impl ConsentSheet {
    /// How long the data is kept, and what happens to it afterwards.
    pub fn retention(&self) -> &str {
        &self.retention
    }

    /// The security measures taken.
    pub fn security(&self) -> &str {
        &self.security
    }

    /// Whom to contact to exercise one's rights (e.g. the data protection officer).
    pub fn recourse(&self) -> &str {
        &self.recourse
    }

    /// The applicable legal texts; at least one.
    pub fn legal(&self) -> &[String] {
        &self.legal
    }

    /// Whether the service is a medical device, and of which class.
    pub fn medical_device(&self) -> MedicalDevice {
        self.medical_device
    }

    /// The accessibility statement of the service's pages (its level of
    /// compliance with the RGAA, the French application of WCAG).
    pub fn accessibility(&self) -> &str {
        &self.accessibility
    }
}

/// A scope requested by a manifest, with the reason shown to the patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestedScope {
    pub(crate) scope: Scope,
    pub(crate) reason: String,
}

impl RequestedScope {
    /// The scope.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Why the service needs it, in the patient's terms.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// The purpose of the processing; the doctrine admits only these four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// `prevention`.
    Prevention,
    /// `diagnosis`.
    Diagnosis,
    /// `care`.
    Care,
    /// `social-follow-up`: social or medico-social follow-up.
    SocialFollowUp,
}

names!(Purpose {
    Prevention => "prevention",
    Diagnosis => "diagnosis",
    Care => "care",
    SocialFollowUp => "social-follow-up",
});

/// Medical-device status under EU regulation 2017/745 (MDR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MedicalDevice {
    /// `none`: not a medical device.
    None,
    /// `class-i`.
    ClassI,
    /// `class-iia`.
    ClassIIa,
    /// `class-iib`.
    ClassIIb,
    /// `class-iii`.
    ClassIII,
}

names!(MedicalDevice {
    None => "none",
    ClassI => "class-i",
    ClassIIa => "class-iia",
    ClassIIb => "class-iib",
    ClassIII => "class-iii",
});

impl MedicalDevice {
    /// Whether the service is a medical device (of any class).
    pub fn is_medical_device(self) -> bool {
        self != MedicalDevice::None
    }
}

/// An event a service subscribes to (the hooks are declared now, delivered later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// `measure-added`: a measure was added for the patient.
    MeasureAdded,
    /// `daily`: once a day.
    Daily,
}

names!(Event {
    MeasureAdded => "measure-added",
    Daily => "daily",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_round_trip() {
        for purpose in Purpose::ALL {
            assert_eq!(purpose.as_str().parse(), Ok(*purpose));
        }
        for device in MedicalDevice::ALL {
            assert_eq!(device.to_string().parse(), Ok(*device));
        }
        for event in Event::ALL {
            assert_eq!(event.as_str().parse(), Ok(*event));
        }
        assert_eq!(Purpose::ALL.len(), 4);
        assert_eq!(MedicalDevice::ALL.len(), 5);
        assert_eq!(Event::ALL.len(), 2);
    }

    #[test]
    fn unknown_choice_lists_the_expected_names() {
        let error = "marketing".parse::<Purpose>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"marketing\" is not one of prevention, diagnosis, care, social-follow-up"
        );
        let error = "class-2a".parse::<MedicalDevice>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"class-2a\" is not one of none, class-i, class-iia, class-iib, class-iii"
        );
    }

    #[test]
    fn only_none_is_not_a_medical_device() {
        assert!(!MedicalDevice::None.is_medical_device());
        for device in &MedicalDevice::ALL[1..] {
            assert!(device.is_medical_device(), "{device}");
        }
    }
}
