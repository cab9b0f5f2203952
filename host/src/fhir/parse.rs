//! Reading FHIR JSON that clients send: the problems a body can have, and
//! small helpers that record them as they walk the JSON.
//!
//! A parser collects every problem it can find rather than stopping at the
//! first, so that one answer tells the client everything to fix.

use officine_policy::{ComputedMeasure, IdError, MeasureKind, ScopeError};
use serde_json::{Map, Value};

use super::datetime::{self, DateError, DateRange};
use super::outcome::{Invalid, IssueType, ToIssue};

/// A problem in a resource a client sent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the body is not a JSON object")]
    NotAnObject,
    #[error("resourceType must be {expected:?}, found {found:?}")]
    WrongResourceType {
        expected: &'static str,
        found: String,
    },
    #[error("{path} is required")]
    Missing { path: String },
    #[error("{path} must be {expected}")]
    WrongType {
        path: String,
        expected: &'static str,
    },
    #[error("{path} must be {expected}, found {found:?}")]
    Unexpected {
        path: String,
        expected: String,
        found: String,
    },
    #[error("{path} is not supported here: {hint}")]
    NotSupported { path: String, hint: &'static str },
    #[error("{path} names system {system:?}: measures are coded in LOINC (http://loinc.org)")]
    NotLoinc { path: String, system: String },
    #[error(
        "LOINC {code} is not a measure the platform stores (expected one of {})",
        known_codes()
    )]
    UnknownCode { path: String, code: String },
    #[error("{path} names several measure kinds ({0}); an Observation is one measure", .kinds.join(", "))]
    SeveralKinds { path: String, kinds: Vec<String> },
    #[error("{0}")]
    Computed(ComputedMeasure),
    #[error("{path} must be the UCUM unit {expected:?} for {kind}, found {found:?}")]
    WrongUnit {
        path: String,
        kind: MeasureKind,
        expected: &'static str,
        found: String,
    },
    #[error("{path} {value} is outside the plausible range for {kind} ({min} to {max} {unit})")]
    OutOfRange {
        path: String,
        kind: MeasureKind,
        value: f64,
        min: f64,
        max: f64,
        unit: &'static str,
    },
    #[error("{path} {text:?} is not a FHIR date-time: {error}")]
    BadDate {
        path: String,
        text: String,
        error: DateError,
    },
    #[error("{path} {text:?} is not precise enough: give at least a day")]
    Imprecise { path: String, text: String },
    #[error("{path} is in the future")]
    InTheFuture { path: String },
    #[error("{path} is before 1900")]
    TooOld { path: String },
    #[error("{path} must be {expected:?}: a patient writes only their own record")]
    OtherPatient { path: String, expected: String },
    #[error("{path} is not a valid service id: it {error}")]
    BadService { path: String, error: IdError },
    #[error("{path}: {error}")]
    BadScope { path: String, error: ScopeError },
    #[error("{path} must be after the start of the period")]
    EndNotAfterStart { path: String },
    #[error("{path} {found:?} does not match the id in the URL ({expected:?})")]
    IdMismatch {
        path: String,
        expected: String,
        found: String,
    },
}

fn known_codes() -> String {
    let codes: Vec<String> = MeasureKind::ALL
        .iter()
        .map(|k| format!("{} ({k})", k.loinc()))
        .collect();
    codes.join(", ")
}

impl ToIssue for Problem {
    fn code(&self) -> IssueType {
        match self {
            Problem::NotJson(_) | Problem::NotAnObject | Problem::WrongType { .. } => {
                IssueType::Structure
            }
            Problem::WrongResourceType { .. } | Problem::SeveralKinds { .. } => IssueType::Invalid,
            Problem::Missing { .. } => IssueType::Required,
            Problem::NotSupported { .. } => IssueType::NotSupported,
            Problem::NotLoinc { .. } | Problem::UnknownCode { .. } => IssueType::CodeInvalid,
            Problem::Computed(_) => IssueType::BusinessRule,
            Problem::OtherPatient { .. } => IssueType::Forbidden,
            Problem::Unexpected { .. }
            | Problem::WrongUnit { .. }
            | Problem::OutOfRange { .. }
            | Problem::BadDate { .. }
            | Problem::Imprecise { .. }
            | Problem::InTheFuture { .. }
            | Problem::TooOld { .. }
            | Problem::BadService { .. }
            | Problem::BadScope { .. }
            | Problem::EndNotAfterStart { .. }
            | Problem::IdMismatch { .. } => IssueType::Value,
        }
    }

    fn expression(&self) -> Option<String> {
        match self {
            Problem::NotJson(_) | Problem::NotAnObject => None,
            Problem::WrongResourceType { .. } => Some("resourceType".to_owned()),
            Problem::Computed(_) => Some("Observation.code".to_owned()),
            Problem::Missing { path }
            | Problem::WrongType { path, .. }
            | Problem::Unexpected { path, .. }
            | Problem::NotSupported { path, .. }
            | Problem::NotLoinc { path, .. }
            | Problem::UnknownCode { path, .. }
            | Problem::SeveralKinds { path, .. }
            | Problem::WrongUnit { path, .. }
            | Problem::OutOfRange { path, .. }
            | Problem::BadDate { path, .. }
            | Problem::Imprecise { path, .. }
            | Problem::InTheFuture { path }
            | Problem::TooOld { path }
            | Problem::OtherPatient { path, .. }
            | Problem::BadService { path, .. }
            | Problem::BadScope { path, .. }
            | Problem::EndNotAfterStart { path }
            | Problem::IdMismatch { path, .. } => Some(path.clone()),
        }
    }
}

/// Parses a body as a JSON object of `resource_type`.
pub(crate) fn resource(
    body: &[u8],
    resource_type: &'static str,
) -> Result<Map<String, Value>, Invalid<Problem>> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Invalid::one(Problem::NotJson(e.to_string())))?;
    let Value::Object(object) = value else {
        return Err(Invalid::one(Problem::NotAnObject));
    };
    match object.get("resourceType") {
        Some(Value::String(found)) if found == resource_type => Ok(object),
        found => Err(Invalid::one(Problem::WrongResourceType {
            expected: resource_type,
            found: found.map_or_else(|| "nothing".to_owned(), display),
        })),
    }
}

/// A JSON value as shown in a message: strings without quotes.
pub(crate) fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Walks a JSON object, recording problems against FHIRPath-like paths.
pub(crate) struct Walk<'a> {
    pub problems: &'a mut Vec<Problem>,
}

impl Walk<'_> {
    pub fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// An optional string member.
    pub fn string<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Option<&'v str> {
        match object.get(key)? {
            Value::String(s) => Some(s),
            _ => {
                self.push(Problem::WrongType {
                    path: format!("{path}.{key}"),
                    expected: "a string",
                });
                None
            }
        }
    }

    /// A required string member.
    pub fn required_string<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Option<&'v str> {
        if !object.contains_key(key) {
            self.push(Problem::Missing {
                path: format!("{path}.{key}"),
            });
            return None;
        }
        self.string(object, path, key)
    }

    /// An optional object member.
    pub fn object<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Option<&'v Map<String, Value>> {
        match object.get(key)? {
            Value::Object(o) => Some(o),
            _ => {
                self.push(Problem::WrongType {
                    path: format!("{path}.{key}"),
                    expected: "an object",
                });
                None
            }
        }
    }

    /// An optional array member (absent: empty).
    pub fn array<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> &'v [Value] {
        match object.get(key) {
            None => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.push(Problem::WrongType {
                    path: format!("{path}.{key}"),
                    expected: "an array",
                });
                &[]
            }
        }
    }

    /// The objects of an array member, with their paths.
    pub fn objects<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Vec<(String, &'v Map<String, Value>)> {
        let items = self.array(object, path, key);
        let mut found = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{path}.{key}[{i}]");
            match item {
                Value::Object(o) => found.push((at, o)),
                _ => self.push(Problem::WrongType {
                    path: at,
                    expected: "an object",
                }),
            }
        }
        found
    }

    /// An optional FHIR date or date-time member.
    pub fn date(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Option<DateRange> {
        let text = self.string(object, path, key)?;
        match datetime::parse(text) {
            Ok(range) => Some(range),
            Err(error) => {
                self.push(Problem::BadDate {
                    path: format!("{path}.{key}"),
                    text: text.to_owned(),
                    error,
                });
                None
            }
        }
    }

    /// A reference member that, if present, must be `Patient/<patient>`.
    /// Returns whether it was present.
    pub fn patient(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        key: &str,
        patient: &crate::model::PatientId,
    ) -> bool {
        let Some(reference) = self.object(object, path, key) else {
            return false;
        };
        let at = format!("{path}.{key}.reference");
        let expected = super::patient_reference(patient);
        match self.string(reference, &format!("{path}.{key}"), "reference") {
            Some(found) if found == expected => {}
            Some(_) => self.push(Problem::OtherPatient { path: at, expected }),
            None if !reference.contains_key("reference") => {
                self.push(Problem::Missing { path: at });
            }
            None => {}
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::OperationOutcome;

    #[test]
    fn bodies_must_be_json_objects_of_the_right_type() {
        let refused = |body: &[u8]| resource(body, "Observation").unwrap_err().problems;
        assert!(matches!(refused(b"{").as_slice(), [Problem::NotJson(_)]));
        assert_eq!(refused(b"[]"), vec![Problem::NotAnObject]);
        assert_eq!(
            refused(br#"{"resourceType": "Patient"}"#),
            vec![Problem::WrongResourceType {
                expected: "Observation",
                found: "Patient".into()
            }]
        );
        assert_eq!(
            refused(b"{}"),
            vec![Problem::WrongResourceType {
                expected: "Observation",
                found: "nothing".into()
            }]
        );
        assert!(resource(br#"{"resourceType": "Observation"}"#, "Observation").is_ok());
    }

    #[test]
    fn problems_become_issues_with_codes_and_paths() {
        let outcome = OperationOutcome::from(Invalid {
            problems: vec![
                Problem::NotJson("eof".into()),
                Problem::Missing {
                    path: "Observation.status".into(),
                },
                Problem::Computed(ComputedMeasure(MeasureKind::Bmi)),
            ],
        });
        let codes: Vec<&str> = outcome.issue.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes, ["structure", "required", "business-rule"]);
        assert!(outcome.issue[0].expression.is_empty());
        assert_eq!(outcome.issue[1].expression, ["Observation.status"]);
        assert_eq!(outcome.issue[2].expression, ["Observation.code"]);
        assert!(
            outcome.issue[2]
                .diagnostics
                .as_deref()
                .unwrap()
                .contains("computed by the platform")
        );
    }

    #[test]
    fn unknown_codes_list_the_known_ones() {
        let text = Problem::UnknownCode {
            path: "Observation.code".into(),
            code: "1234-5".into(),
        }
        .to_string();
        assert!(text.contains("29463-7 (weight)"), "{text}");
        assert!(text.contains("41950-7 (daily-steps)"), "{text}");
    }
}
