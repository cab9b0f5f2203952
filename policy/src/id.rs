//! Identifiers: services and patients.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The identifier of a service, in reverse-DNS form: `fr.example.weight-tracker`.
///
/// Valid ids have at least two labels separated by dots; each label is made
/// of `a-z`, `0-9` and `-`, and neither starts nor ends with `-`; the whole id
/// is at most [`MAX_LEN`](Self::MAX_LEN) characters. Only a valid id can be
/// built.
///
/// ```
/// use officine_policy::{IdError, ServiceId};
///
/// let id = ServiceId::new("fr.example.weight-tracker")?;
/// assert_eq!(id.as_str(), "fr.example.weight-tracker");
/// assert_eq!(ServiceId::new("Fr.Example"), Err(IdError::NotLowercase));
/// assert_eq!(ServiceId::new("tracker"), Err(IdError::SingleLabel));
/// # Ok::<(), IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId(String);

impl ServiceId {
    /// The longest id accepted, in characters.
    pub const MAX_LEN: usize = 128;

    /// Validates `id`.
    pub fn new(id: impl Into<String>) -> Result<ServiceId, IdError> {
        let id = id.into();
        validate(&id)?;
        Ok(ServiceId(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn validate(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    let len = id.chars().count();
    if len > ServiceId::MAX_LEN {
        return Err(IdError::TooLong { len });
    }
    if id.chars().any(char::is_uppercase) {
        return Err(IdError::NotLowercase);
    }
    if let Some(bad) = id
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'))
    {
        return Err(IdError::InvalidCharacter(bad));
    }
    let labels: Vec<&str> = id.split('.').collect();
    if labels.iter().any(|label| label.is_empty()) {
        return Err(IdError::EmptyLabel);
    }
    if labels.len() < 2 {
        return Err(IdError::SingleLabel);
    }
    if let Some(label) = labels
        .iter()
        .find(|label| label.starts_with('-') || label.ends_with('-'))
    {
        return Err(IdError::DashAtEdge((*label).to_owned()));
    }
    Ok(())
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ServiceId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Self, IdError> {
        ServiceId::new(text)
    }
}

impl AsRef<str> for ServiceId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<ServiceId> for String {
    fn from(id: ServiceId) -> String {
        id.0
    }
}

impl Serialize for ServiceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ServiceId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ServiceId::new(text).map_err(serde::de::Error::custom)
    }
}

/// Why a text is not a valid [`ServiceId`](ServiceId).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id is empty.
    #[error("must not be empty")]
    Empty,
    /// The id is longer than [`ServiceId::MAX_LEN`](ServiceId::MAX_LEN).
    #[error("is {len} characters long; the limit is {}", ServiceId::MAX_LEN)]
    TooLong {
        /// The length found, in characters.
        len: usize,
    },
    /// The id contains upper-case letters.
    #[error("must be lowercase")]
    NotLowercase,
    /// The id has a single label.
    #[error(
        "needs at least two dot-separated labels, in reverse-DNS order (e.g. fr.example.service)"
    )]
    SingleLabel,
    /// Two dots in a row, or a dot at the start or end.
    #[error("has an empty label (a leading or trailing dot, or two dots in a row)")]
    EmptyLabel,
    /// A character other than `a-z`, `0-9`, `-` or the separating `.`.
    #[error("contains {0:?}; labels may contain only a-z, 0-9 and '-'")]
    InvalidCharacter(char),
    /// A label starts or ends with `-`.
    #[error("label {0:?} starts or ends with '-'")]
    DashAtEdge(String),
}

/// A patient's internal platform id. Never the national health identifier
/// (INS): that one stays out of every table a component can reach, and a
/// component sees neither: it gets a per-service pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PatientId(String);

impl PatientId {
    /// Wraps an id read from storage or chosen by the platform.
    pub fn new(id: impl Into<String>) -> PatientId {
        PatientId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_reverse_dns_ids() {
        for id in [
            "fr.example",
            "fr.example.weight-tracker",
            "fr.chu-lille.suivi-post-op",
            "fr.example.app2",
            "0.1",
            "fr.a-b-c.x",
        ] {
            assert_eq!(ServiceId::new(id).map(String::from), Ok(id.to_owned()));
        }
    }

    #[test]
    fn refuses_uppercase() {
        assert_eq!(
            ServiceId::new("fr.Example.tracker"),
            Err(IdError::NotLowercase)
        );
        assert_eq!(ServiceId::new("FR.EXAMPLE"), Err(IdError::NotLowercase));
        assert_eq!(ServiceId::new("fr.Éxample"), Err(IdError::NotLowercase));
    }

    #[test]
    fn refuses_a_single_label() {
        assert_eq!(ServiceId::new("tracker"), Err(IdError::SingleLabel));
    }

    #[test]
    fn refuses_empty_labels() {
        for id in [".fr.example", "fr.example.", "fr..example", "."] {
            assert_eq!(ServiceId::new(id), Err(IdError::EmptyLabel), "{id}");
        }
        assert_eq!(ServiceId::new(""), Err(IdError::Empty));
    }

    #[test]
    fn refuses_dashes_at_label_edges() {
        assert_eq!(
            ServiceId::new("fr.-example"),
            Err(IdError::DashAtEdge("-example".into()))
        );
        assert_eq!(
            ServiceId::new("fr.example-.x"),
            Err(IdError::DashAtEdge("example-".into()))
        );
        assert_eq!(
            ServiceId::new("-fr.example"),
            Err(IdError::DashAtEdge("-fr".into()))
        );
    }

    #[test]
    fn refuses_other_characters() {
        assert_eq!(
            ServiceId::new("fr.exemple_santé"),
            Err(IdError::InvalidCharacter('_'))
        );
        assert_eq!(
            ServiceId::new("fr.santé"),
            Err(IdError::InvalidCharacter('é'))
        );
        assert_eq!(
            ServiceId::new("fr.example tracker"),
            Err(IdError::InvalidCharacter(' '))
        );
        assert_eq!(
            ServiceId::new("fr/example"),
            Err(IdError::InvalidCharacter('/'))
        );
    }

    #[test]
    fn refuses_ids_longer_than_128_characters() {
        let longest = format!("fr.{}", "a".repeat(ServiceId::MAX_LEN - 3));
        assert_eq!(longest.len(), 128);
        assert!(ServiceId::new(longest.clone()).is_ok());
        let too_long = format!("{longest}a");
        assert_eq!(ServiceId::new(too_long), Err(IdError::TooLong { len: 129 }));
    }

    #[test]
    fn deserializing_validates() {
        use serde::de::value::{Error, StrDeserializer};
        let refused = ServiceId::deserialize(StrDeserializer::<Error>::new("Fr.x")).unwrap_err();
        assert!(
            refused.to_string().contains("must be lowercase"),
            "{refused}"
        );
        let id = ServiceId::deserialize(StrDeserializer::<Error>::new("fr.x")).unwrap();
        assert_eq!(id.as_str(), "fr.x");
    }
}
