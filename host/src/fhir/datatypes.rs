//! The FHIR data types the platform's resources use, as serde structs.
//!
//! Only what the resources here need. Absent optional elements and empty
//! lists are left out of the JSON, as FHIR requires (no `null`, no `[]`).

use serde::Serialize;

/// `Meta`: version and the profiles a resource claims.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<String>,
}

impl Meta {
    /// `None` when there is nothing to say, so that `meta` is left out.
    pub fn or_none(self) -> Option<Meta> {
        (self != Meta::default()).then_some(self)
    }
}

/// `Coding`: a code in a code system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coding {
    pub system: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Coding {
    pub fn new(system: &str, code: &str, display: Option<&str>) -> Coding {
        Coding {
            system: system.to_owned(),
            code: code.to_owned(),
            display: display.map(str::to_owned),
        }
    }
}

/// `CodeableConcept`: codings and/or a text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// One coding.
    pub fn coded(coding: Coding) -> CodeableConcept {
        CodeableConcept {
            coding: vec![coding],
            text: None,
        }
    }

    /// A text only, for free-text types the platform does not code.
    pub fn text(text: &str) -> CodeableConcept {
        CodeableConcept {
            coding: Vec::new(),
            text: Some(text.to_owned()),
        }
    }
}

/// `Identifier`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identifier {
    pub system: String,
    pub value: String,
}

/// `Reference`: a relative reference, or a logical one (identifier and
/// type) to something the platform has no resource for, or a display only.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Reference {
    /// `Type/id`.
    pub fn to(reference: String) -> Reference {
        Reference {
            reference: Some(reference),
            ..Reference::default()
        }
    }

    /// A resource of `type_` named only by `display`.
    pub fn display(type_: &str, display: &str) -> Reference {
        Reference {
            type_: Some(type_.to_owned()),
            display: Some(display.to_owned()),
            ..Reference::default()
        }
    }
}

/// `Period`: instants in RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Period {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// `Quantity` with a UCUM unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantity {
    pub value: f64,
    /// Human-readable unit.
    pub unit: String,
    pub system: String,
    /// The UCUM code.
    pub code: String,
}

/// `Annotation`, text only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Annotation {
    pub text: String,
}

/// `Extension`, with the value types the platform uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    pub url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_boolean: Option<bool>,
}

impl Extension {
    pub fn string(url: &str, value: &str) -> Extension {
        Extension {
            url: url.to_owned(),
            value_string: Some(value.to_owned()),
            ..Extension::default()
        }
    }

    pub fn code(url: &str, value: &str) -> Extension {
        Extension {
            url: url.to_owned(),
            value_code: Some(value.to_owned()),
            ..Extension::default()
        }
    }

    pub fn boolean(url: &str, value: bool) -> Extension {
        Extension {
            url: url.to_owned(),
            value_boolean: Some(value),
            ..Extension::default()
        }
    }

    /// A complex extension: sub-extensions, no value.
    pub fn complex(url: &str, extension: Vec<Extension>) -> Extension {
        Extension {
            url: url.to_owned(),
            extension,
            ..Extension::default()
        }
    }
}
