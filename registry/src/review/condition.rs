//! Applicability conditions: the "IF …" of a conditional requirement.
//!
//! A condition reads only the signed manifest, never a reviewer's judgement,
//! so whether a requirement applies is the same for every candidate and can
//! be checked by anyone holding the manifest.

use std::fmt;
use std::str::FromStr;

use officine_policy::{Op, Resource};

use crate::names::{names, text_serde};
use crate::{Manifest, Purpose, Scope, UnknownValue};

/// When a conditional requirement applies, written in the `if` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    /// `medical-device`: the manifest declares a medical-device class (any
    /// status but `none`).
    MedicalDevice,
    /// `purpose:<purpose>`, e.g. `purpose:care`: the manifest declares this
    /// purpose.
    Purpose(Purpose),
    /// `scope:<resource>`, e.g. `scope:documents`: the service requests at
    /// least one scope on this resource, to read or to write.
    Scope(ScopeResource),
    /// `writes`: the service requests at least one scope that adds, changes
    /// or removes records of the patient's health space (measures, agenda,
    /// documents, messages). Its private `storage` does not count: nothing
    /// written there reaches the patient's record.
    Writes,
}

impl Condition {
    /// Whether the condition holds for the service this manifest describes.
    pub fn holds(self, manifest: &Manifest) -> bool {
        match self {
            Condition::MedicalDevice => manifest.consent().medical_device().is_medical_device(),
            Condition::Purpose(purpose) => manifest.purpose() == purpose,
            Condition::Scope(resource) => manifest
                .scopes()
                .any(|scope| ScopeResource::of(scope) == resource),
            Condition::Writes => manifest.scopes().any(writes),
        }
    }
}

/// Whether a scope allows changing the patient's record.
fn writes(scope: Scope) -> bool {
    match scope {
        Scope::Resource(scope) => [Op::Create, Op::Update, Op::Delete]
            .into_iter()
            .any(|op| scope.ops().contains(op)),
        Scope::Storage => false,
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::MedicalDevice => f.write_str("medical-device"),
            Condition::Purpose(purpose) => write!(f, "purpose:{purpose}"),
            Condition::Scope(resource) => write!(f, "scope:{resource}"),
            Condition::Writes => f.write_str("writes"),
        }
    }
}

impl FromStr for Condition {
    type Err = ConditionError;

    fn from_str(text: &str) -> Result<Self, ConditionError> {
        match text.split_once(':') {
            None if text == "medical-device" => Ok(Condition::MedicalDevice),
            None if text == "writes" => Ok(Condition::Writes),
            Some(("purpose", purpose)) => purpose
                .parse()
                .map(Condition::Purpose)
                .map_err(ConditionError::Purpose),
            Some(("scope", resource)) => resource
                .parse()
                .map(Condition::Scope)
                .map_err(ConditionError::Resource),
            _ => Err(ConditionError::Unknown(text.to_owned())),
        }
    }
}

text_serde!(Condition);

/// Why a text is not a [`Condition`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConditionError {
    /// Not a condition of the vocabulary.
    #[error(
        "unknown condition {0:?} (expected medical-device, writes, \
         purpose:<purpose> or scope:<resource>)"
    )]
    Unknown(String),
    /// `purpose:` followed by something other than a purpose.
    #[error("purpose: {0}")]
    Purpose(UnknownValue),
    /// `scope:` followed by something other than a resource.
    #[error("scope: {0}")]
    Resource(UnknownValue),
}

/// What a scope is about, as conditions name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeResource {
    /// `measures`: `measures.read`, `measures.write:<kind>`.
    Measures,
    /// `agenda`: `agenda.read`, `agenda.write`.
    Agenda,
    /// `documents`: DMP documents, `dmp.read`, `dmp.write`.
    Documents,
    /// `messaging`: `messaging.read`, `messaging.send`.
    Messaging,
    /// `storage`: the service's private key-value space.
    Storage,
}

names!(ScopeResource {
    Measures => "measures",
    Agenda => "agenda",
    Documents => "documents",
    Messaging => "messaging",
    Storage => "storage",
});

impl ScopeResource {
    /// What `scope` is about.
    pub fn of(scope: Scope) -> ScopeResource {
        match scope {
            Scope::Resource(scope) => match scope.resource() {
                Resource::Observation => ScopeResource::Measures,
                Resource::Appointment => ScopeResource::Agenda,
                Resource::DocumentReference => ScopeResource::Documents,
                Resource::Communication => ScopeResource::Messaging,
            },
            Scope::Storage => ScopeResource::Storage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DocumentCategory, MeasureKind, WritableMeasureKind};

    #[test]
    fn conditions_round_trip() {
        let mut all = vec![Condition::MedicalDevice, Condition::Writes];
        all.extend(Purpose::ALL.iter().map(|&p| Condition::Purpose(p)));
        all.extend(ScopeResource::ALL.iter().map(|&r| Condition::Scope(r)));
        for condition in all {
            assert_eq!(condition.to_string().parse(), Ok(condition));
        }
        assert_eq!(
            "purpose:social-follow-up".parse(),
            Ok(Condition::Purpose(Purpose::SocialFollowUp))
        );
        assert_eq!(
            "scope:documents".parse(),
            Ok(Condition::Scope(ScopeResource::Documents))
        );
    }

    #[test]
    fn unknown_conditions_say_what_is_expected() {
        let error = "pregnant".parse::<Condition>().unwrap_err();
        assert!(matches!(error, ConditionError::Unknown(_)));
        assert!(
            error
                .to_string()
                .contains("expected medical-device, writes")
        );
        let error = "purpose:marketing".parse::<Condition>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "purpose: \"marketing\" is not one of prevention, diagnosis, care, social-follow-up"
        );
        let error = "scope:dmp".parse::<Condition>().unwrap_err();
        assert!(matches!(error, ConditionError::Resource(_)));
        // Case and spacing matter: conditions are written exactly.
        for text in [
            "Medical-Device",
            "writes ",
            "scope: measures",
            "",
            "medical-device:x",
        ] {
            assert!(text.parse::<Condition>().is_err(), "{text:?}");
        }
    }

    #[test]
    fn every_scope_has_its_resource_and_write_flag() {
        let weight = WritableMeasureKind::new(MeasureKind::Weight).unwrap();
        let cases = [
            (Scope::measures_read(None), ScopeResource::Measures, false),
            (Scope::measures_write(weight), ScopeResource::Measures, true),
            (Scope::agenda_read(), ScopeResource::Agenda, false),
            (Scope::agenda_write(), ScopeResource::Agenda, true),
            (
                Scope::dmp_read(Some(DocumentCategory::ALL[0])),
                ScopeResource::Documents,
                false,
            ),
            (Scope::dmp_write(), ScopeResource::Documents, true),
            (Scope::messaging_read(), ScopeResource::Messaging, false),
            (Scope::messaging_send(), ScopeResource::Messaging, true),
            (Scope::Storage, ScopeResource::Storage, false),
        ];
        for (scope, resource, write) in cases {
            assert_eq!(ScopeResource::of(scope), resource, "{scope}");
            assert_eq!(writes(scope), write, "{scope}");
        }
    }
}
