//! Scopes: the permissions a service requests in its manifest.
//!
//! These are the short aliases used in manifests and on consent screens
//! (`measures.read:weight`, `agenda.write`, `storage`, …). Each one stands for
//! exactly one canonical permission; mapping them onto SMART-on-FHIR scopes is
//! done elsewhere. This module depends on nothing else in the crate.
//!
//! | alias | allows |
//! |---|---|
//! | `measures.read` | reading measures of every kind |
//! | `measures.read:<kind>` | reading measures of one [`MeasureKind`] |
//! | `measures.write:<kind>` | adding measures of one kind (never `bmi`) |
//! | `agenda.read` / `agenda.write` | reading / writing agenda events |
//! | `dmp.read` | reading documents of every category |
//! | `dmp.read:<category>` | reading documents of one [`DocumentCategory`] |
//! | `dmp.write` | adding documents |
//! | `messaging.read` / `messaging.send` | reading the inbox / sending to the patient |
//! | `storage` | the service's private key-value storage |
//!
//! ```
//! use officine_registry::{MeasureKind, Scope, ScopeError};
//!
//! let scope: Scope = "measures.read:weight".parse()?;
//! assert_eq!(scope, Scope::MeasuresRead(Some(MeasureKind::Weight)));
//! assert_eq!(scope.to_string(), "measures.read:weight");
//!
//! // BMI is computed by the platform: no service may write it.
//! let refused = "measures.write:bmi".parse::<Scope>().unwrap_err();
//! assert_eq!(refused, ScopeError::ComputedMeasure(MeasureKind::Bmi));
//! # Ok::<(), ScopeError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A permission a service requests, in its short alias form.
///
/// Parse one with [`str::parse`]; [`Display`](fmt::Display) writes it back in
/// the same form, so `scope.to_string().parse() == Ok(scope)` for every scope.
/// Invalid combinations cannot be built: there is no bare `measures.write`,
/// and [`WritableMeasureKind`] excludes computed measures such as BMI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `measures.read` (`None`: every kind) or `measures.read:<kind>`.
    MeasuresRead(Option<MeasureKind>),
    /// `measures.write:<kind>`: add measures of one kind.
    MeasuresWrite(WritableMeasureKind),
    /// `agenda.read`: read the patient's agenda events.
    AgendaRead,
    /// `agenda.write`: add events, and update or remove the ones this service wrote.
    AgendaWrite,
    /// `dmp.read` (`None`: every category) or `dmp.read:<category>`.
    DmpRead(Option<DocumentCategory>),
    /// `dmp.write`: add a document into a patient-writable category.
    DmpWrite,
    /// `messaging.read`: read the patient's inbox as the service may see it.
    MessagingRead,
    /// `messaging.send`: send a message to the patient.
    MessagingSend,
    /// `storage`: a small key-value space private to (service, patient).
    Storage,
}

impl Scope {
    /// Every scope that exists, each once, in a stable order.
    pub fn all() -> impl Iterator<Item = Scope> {
        let reads = std::iter::once(Scope::MeasuresRead(None))
            .chain(MeasureKind::ALL.map(|kind| Scope::MeasuresRead(Some(kind))));
        let writes = MeasureKind::ALL
            .into_iter()
            .filter_map(|kind| WritableMeasureKind::new(kind).ok())
            .map(Scope::MeasuresWrite);
        let documents = std::iter::once(Scope::DmpRead(None))
            .chain(DocumentCategory::ALL.map(|category| Scope::DmpRead(Some(category))));
        reads
            .chain(writes)
            .chain([Scope::AgendaRead, Scope::AgendaWrite])
            .chain(documents)
            .chain([
                Scope::DmpWrite,
                Scope::MessagingRead,
                Scope::MessagingSend,
                Scope::Storage,
            ])
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::MeasuresRead(None) => f.write_str("measures.read"),
            Scope::MeasuresRead(Some(kind)) => write!(f, "measures.read:{kind}"),
            Scope::MeasuresWrite(kind) => write!(f, "measures.write:{kind}"),
            Scope::AgendaRead => f.write_str("agenda.read"),
            Scope::AgendaWrite => f.write_str("agenda.write"),
            Scope::DmpRead(None) => f.write_str("dmp.read"),
            Scope::DmpRead(Some(category)) => write!(f, "dmp.read:{category}"),
            Scope::DmpWrite => f.write_str("dmp.write"),
            Scope::MessagingRead => f.write_str("messaging.read"),
            Scope::MessagingSend => f.write_str("messaging.send"),
            Scope::Storage => f.write_str("storage"),
        }
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(text: &str) -> Result<Self, ScopeError> {
        if text.is_empty() {
            return Err(ScopeError::Empty);
        }
        let (base, qualifier) = match text.split_once(':') {
            Some((base, qualifier)) => (base, Some(qualifier)),
            None => (text, None),
        };
        let (area_name, action) = match base.split_once('.') {
            Some((area, action)) => (area, Some(action)),
            None => (base, None),
        };
        let area = Area::from_name(area_name)
            .ok_or_else(|| ScopeError::UnknownArea(area_name.to_owned()))?;

        let no_qualifier = |scope: Scope| match qualifier {
            None => Ok(scope),
            Some(qualifier) => Err(ScopeError::UnexpectedQualifier {
                scope,
                qualifier: qualifier.to_owned(),
            }),
        };

        let Some(action) = action else {
            return match area {
                Area::Storage => no_qualifier(Scope::Storage),
                _ => Err(ScopeError::MissingAction { area: area.name() }),
            };
        };
        match (area, action) {
            (Area::Storage, _) => Err(ScopeError::UnexpectedAction {
                area: area.name(),
                action: action.to_owned(),
            }),
            (Area::Measures, "read") => match qualifier {
                None => Ok(Scope::MeasuresRead(None)),
                Some("") => Err(ScopeError::EmptyQualifier {
                    scope: "measures.read",
                }),
                Some(kind) => Ok(Scope::MeasuresRead(Some(kind.parse()?))),
            },
            (Area::Measures, "write") => match qualifier {
                None | Some("") => Err(ScopeError::MissingMeasureKind),
                Some(kind) => Ok(Scope::MeasuresWrite(WritableMeasureKind::new(
                    kind.parse()?,
                )?)),
            },
            (Area::Agenda, "read") => no_qualifier(Scope::AgendaRead),
            (Area::Agenda, "write") => no_qualifier(Scope::AgendaWrite),
            (Area::Dmp, "read") => match qualifier {
                None => Ok(Scope::DmpRead(None)),
                Some("") => Err(ScopeError::EmptyQualifier { scope: "dmp.read" }),
                Some(category) => Ok(Scope::DmpRead(Some(category.parse()?))),
            },
            (Area::Dmp, "write") => no_qualifier(Scope::DmpWrite),
            (Area::Messaging, "read") => no_qualifier(Scope::MessagingRead),
            (Area::Messaging, "send") => no_qualifier(Scope::MessagingSend),
            (area, action) => Err(ScopeError::UnknownAction {
                area: area.name(),
                action: action.to_owned(),
            }),
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The first part of a scope alias, before the dot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Measures,
    Agenda,
    Dmp,
    Messaging,
    Storage,
}

impl Area {
    const ALL: [Area; 5] = [
        Area::Measures,
        Area::Agenda,
        Area::Dmp,
        Area::Messaging,
        Area::Storage,
    ];

    fn name(self) -> &'static str {
        match self {
            Area::Measures => "measures",
            Area::Agenda => "agenda",
            Area::Dmp => "dmp",
            Area::Messaging => "messaging",
            Area::Storage => "storage",
        }
    }

    fn from_name(name: &str) -> Option<Area> {
        Area::ALL.into_iter().find(|area| area.name() == name)
    }
}

/// The valid forms of the scopes of an area, for error messages.
fn forms(area: &str) -> &'static str {
    match area {
        "measures" => "measures.read, measures.read:<kind> or measures.write:<kind>",
        "agenda" => "agenda.read or agenda.write",
        "dmp" => "dmp.read, dmp.read:<category> or dmp.write",
        "messaging" => "messaging.read or messaging.send",
        _ => "storage",
    }
}

/// A kind of health measure, as in the platform's `measures` interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MeasureKind {
    /// `weight`, in kg.
    Weight,
    /// `height`, in cm.
    Height,
    /// `bmi`: body mass index, computed by the platform; it can be read, never written.
    Bmi,
    /// `waist-circumference`, in cm.
    WaistCircumference,
    /// `body-temperature`, in °C.
    BodyTemperature,
    /// `blood-glucose`, in mg/dL.
    BloodGlucose,
    /// `pain-severity`, from 0 to 10.
    PainSeverity,
    /// `heart-rate`, per minute.
    HeartRate,
    /// `daily-steps`, steps per day.
    DailySteps,
}

impl MeasureKind {
    /// Every kind, in a stable order.
    pub const ALL: [MeasureKind; 9] = [
        MeasureKind::Weight,
        MeasureKind::Height,
        MeasureKind::Bmi,
        MeasureKind::WaistCircumference,
        MeasureKind::BodyTemperature,
        MeasureKind::BloodGlucose,
        MeasureKind::PainSeverity,
        MeasureKind::HeartRate,
        MeasureKind::DailySteps,
    ];

    /// The name used in scopes, e.g. `waist-circumference`.
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureKind::Weight => "weight",
            MeasureKind::Height => "height",
            MeasureKind::Bmi => "bmi",
            MeasureKind::WaistCircumference => "waist-circumference",
            MeasureKind::BodyTemperature => "body-temperature",
            MeasureKind::BloodGlucose => "blood-glucose",
            MeasureKind::PainSeverity => "pain-severity",
            MeasureKind::HeartRate => "heart-rate",
            MeasureKind::DailySteps => "daily-steps",
        }
    }

    /// Whether the platform computes this kind itself (then no service may write it).
    pub fn is_computed(self) -> bool {
        matches!(self, MeasureKind::Bmi)
    }
}

impl fmt::Display for MeasureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MeasureKind {
    type Err = ScopeError;

    fn from_str(text: &str) -> Result<Self, ScopeError> {
        MeasureKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| ScopeError::UnknownMeasureKind(text.to_owned()))
    }
}

/// A measure kind a service may write: any [`MeasureKind`] except the
/// computed ones (BMI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WritableMeasureKind(MeasureKind);

impl WritableMeasureKind {
    /// Accepts `kind` unless the platform computes it.
    pub fn new(kind: MeasureKind) -> Result<Self, ScopeError> {
        if kind.is_computed() {
            Err(ScopeError::ComputedMeasure(kind))
        } else {
            Ok(WritableMeasureKind(kind))
        }
    }

    /// The measure kind.
    pub fn kind(self) -> MeasureKind {
        self.0
    }
}

impl TryFrom<MeasureKind> for WritableMeasureKind {
    type Error = ScopeError;

    fn try_from(kind: MeasureKind) -> Result<Self, ScopeError> {
        WritableMeasureKind::new(kind)
    }
}

impl From<WritableMeasureKind> for MeasureKind {
    fn from(kind: WritableMeasureKind) -> MeasureKind {
        kind.0
    }
}

impl fmt::Display for WritableMeasureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A category of documents in the shared medical record (DMP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentCategory {
    /// `summary`: the medical summary written by the attending physician.
    Summary,
    /// `prescriptions`.
    Prescriptions,
    /// `reports`: consultations, hospital stays, operations.
    Reports,
    /// `lab-results`: laboratory results.
    LabResults,
    /// `imaging`: imaging reports.
    Imaging,
    /// `vaccinations`.
    Vaccinations,
    /// `prevention`: prevention documents.
    Prevention,
    /// `certificates`: certificates and administrative documents.
    Certificates,
}

impl DocumentCategory {
    /// Every category, in a stable order.
    pub const ALL: [DocumentCategory; 8] = [
        DocumentCategory::Summary,
        DocumentCategory::Prescriptions,
        DocumentCategory::Reports,
        DocumentCategory::LabResults,
        DocumentCategory::Imaging,
        DocumentCategory::Vaccinations,
        DocumentCategory::Prevention,
        DocumentCategory::Certificates,
    ];

    /// The name used in scopes, e.g. `lab-results`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentCategory::Summary => "summary",
            DocumentCategory::Prescriptions => "prescriptions",
            DocumentCategory::Reports => "reports",
            DocumentCategory::LabResults => "lab-results",
            DocumentCategory::Imaging => "imaging",
            DocumentCategory::Vaccinations => "vaccinations",
            DocumentCategory::Prevention => "prevention",
            DocumentCategory::Certificates => "certificates",
        }
    }
}

impl fmt::Display for DocumentCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocumentCategory {
    type Err = ScopeError;

    fn from_str(text: &str) -> Result<Self, ScopeError> {
        DocumentCategory::ALL
            .into_iter()
            .find(|category| category.as_str() == text)
            .ok_or_else(|| ScopeError::UnknownDocumentCategory(text.to_owned()))
    }
}

/// Why a text is not a valid scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// The text is empty.
    #[error("empty scope")]
    Empty,
    /// The part before the dot is not a known area.
    #[error("unknown scope area {0:?} (expected measures, agenda, dmp, messaging or storage)")]
    UnknownArea(String),
    /// An area was given without an action, e.g. `agenda`.
    #[error("{area} needs an action: {}", forms(area))]
    MissingAction {
        /// The area, e.g. `agenda`.
        area: &'static str,
    },
    /// The action is not one of the area's, e.g. `agenda.delete`.
    #[error("unknown action {action:?} for {area} (expected {})", forms(area))]
    UnknownAction {
        /// The area, e.g. `agenda`.
        area: &'static str,
        /// The action found.
        action: String,
    },
    /// An action was given to an area that takes none (`storage.read`).
    #[error("{area} takes no action (found \"{area}.{action}\")")]
    UnexpectedAction {
        /// The area, `storage`.
        area: &'static str,
        /// The action found.
        action: String,
    },
    /// A `:qualifier` was given to a scope that takes none (`agenda.read:x`).
    #[error("{scope} takes no qualifier (found \":{qualifier}\")")]
    UnexpectedQualifier {
        /// The scope without its qualifier.
        scope: Scope,
        /// The qualifier found.
        qualifier: String,
    },
    /// A `:` with nothing after it, e.g. `measures.read:`.
    #[error("{scope}: nothing after ':' (remove it, or name what to read)")]
    EmptyQualifier {
        /// The scope the colon follows, e.g. `measures.read`.
        scope: &'static str,
    },
    /// `measures.write` without a kind: there is no scope to write every kind.
    #[error(
        "measures.write needs a measure kind (measures.write:<kind>); \
         there is no scope to write every kind"
    )]
    MissingMeasureKind,
    /// The measure kind is not one of [`MeasureKind::ALL`].
    #[error(
        "unknown measure kind {0:?} (expected one of weight, height, bmi, \
         waist-circumference, body-temperature, blood-glucose, pain-severity, \
         heart-rate, daily-steps)"
    )]
    UnknownMeasureKind(String),
    /// The document category is not one of [`DocumentCategory::ALL`].
    #[error(
        "unknown document category {0:?} (expected one of summary, prescriptions, \
         reports, lab-results, imaging, vaccinations, prevention, certificates)"
    )]
    UnknownDocumentCategory(String),
    /// A write was requested for a measure the platform computes (BMI).
    #[error(
        "measures.write:{0} is not allowed: {name} is computed by the platform \
         (from weight and height), never written by a service",
        name = computed_name(*.0)
    )]
    ComputedMeasure(MeasureKind),
}

fn computed_name(kind: MeasureKind) -> &'static str {
    match kind {
        MeasureKind::Bmi => "the body mass index",
        other => other.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_round_trips_through_display_and_from_str() {
        let all: Vec<Scope> = Scope::all().collect();
        // 1 + 9 reads, 8 writes (no BMI), 2 agenda, 1 + 8 dmp reads, dmp.write,
        // 2 messaging, storage.
        assert_eq!(all.len(), 33);
        for scope in &all {
            let text = scope.to_string();
            assert_eq!(text.parse::<Scope>(), Ok(*scope), "{text}");
        }
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "Scope::all() lists a scope twice");
    }

    #[test]
    fn all_covers_every_variant() {
        // Adding a variant breaks this match; then add it to `Scope::all` too.
        for scope in Scope::all() {
            match scope {
                Scope::MeasuresRead(_)
                | Scope::MeasuresWrite(_)
                | Scope::AgendaRead
                | Scope::AgendaWrite
                | Scope::DmpRead(_)
                | Scope::DmpWrite
                | Scope::MessagingRead
                | Scope::MessagingSend
                | Scope::Storage => {}
            }
        }
        let texts: Vec<String> = Scope::all().map(|s| s.to_string()).collect();
        for expected in [
            "measures.read",
            "measures.read:bmi",
            "measures.write:daily-steps",
            "agenda.read",
            "agenda.write",
            "dmp.read",
            "dmp.read:lab-results",
            "dmp.write",
            "messaging.read",
            "messaging.send",
            "storage",
        ] {
            assert!(texts.iter().any(|t| t == expected), "{expected}");
        }
        assert!(!texts.iter().any(|t| t == "measures.write:bmi"));
    }

    #[test]
    fn kinds_and_categories_round_trip() {
        for kind in MeasureKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        for category in DocumentCategory::ALL {
            assert_eq!(category.as_str().parse(), Ok(category));
            assert_eq!(category.to_string(), category.as_str());
        }
    }

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!("measures.read".parse(), Ok(Scope::MeasuresRead(None)));
        assert_eq!(
            "measures.read:heart-rate".parse(),
            Ok(Scope::MeasuresRead(Some(MeasureKind::HeartRate)))
        );
        assert_eq!(
            "measures.write:weight".parse(),
            Ok(Scope::MeasuresWrite(
                WritableMeasureKind::new(MeasureKind::Weight).unwrap()
            ))
        );
        assert_eq!(
            "dmp.read:imaging".parse(),
            Ok(Scope::DmpRead(Some(DocumentCategory::Imaging)))
        );
        assert_eq!("storage".parse(), Ok(Scope::Storage));
    }

    #[test]
    fn bmi_can_be_read_but_never_written() {
        assert_eq!(
            "measures.read:bmi".parse(),
            Ok(Scope::MeasuresRead(Some(MeasureKind::Bmi)))
        );
        let error = "measures.write:bmi".parse::<Scope>().unwrap_err();
        assert_eq!(error, ScopeError::ComputedMeasure(MeasureKind::Bmi));
        let message = error.to_string();
        assert!(
            message.contains("measures.write:bmi is not allowed"),
            "{message}"
        );
        assert!(message.contains("computed by the platform"), "{message}");
        assert!(message.contains("never written by a service"), "{message}");
        assert_eq!(
            WritableMeasureKind::try_from(MeasureKind::Bmi),
            Err(ScopeError::ComputedMeasure(MeasureKind::Bmi))
        );
    }

    #[test]
    fn there_is_no_bare_measures_write() {
        assert_eq!(
            "measures.write".parse::<Scope>(),
            Err(ScopeError::MissingMeasureKind)
        );
        assert_eq!(
            "measures.write:".parse::<Scope>(),
            Err(ScopeError::MissingMeasureKind)
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases: [(&str, ScopeError, &str); 12] = [
            ("", ScopeError::Empty, "empty scope"),
            (
                "fitness.read",
                ScopeError::UnknownArea("fitness".into()),
                "unknown scope area \"fitness\"",
            ),
            (
                "Measures.read",
                ScopeError::UnknownArea("Measures".into()),
                "unknown scope area \"Measures\"",
            ),
            (
                "agenda",
                ScopeError::MissingAction { area: "agenda" },
                "agenda needs an action: agenda.read or agenda.write",
            ),
            (
                "agenda.delete",
                ScopeError::UnknownAction {
                    area: "agenda",
                    action: "delete".into(),
                },
                "unknown action \"delete\" for agenda",
            ),
            (
                "messaging.write",
                ScopeError::UnknownAction {
                    area: "messaging",
                    action: "write".into(),
                },
                "expected messaging.read or messaging.send",
            ),
            (
                "storage.read",
                ScopeError::UnexpectedAction {
                    area: "storage",
                    action: "read".into(),
                },
                "storage takes no action",
            ),
            (
                "agenda.read:today",
                ScopeError::UnexpectedQualifier {
                    scope: Scope::AgendaRead,
                    qualifier: "today".into(),
                },
                "agenda.read takes no qualifier (found \":today\")",
            ),
            (
                "storage:x",
                ScopeError::UnexpectedQualifier {
                    scope: Scope::Storage,
                    qualifier: "x".into(),
                },
                "storage takes no qualifier",
            ),
            (
                "measures.read:weigth",
                ScopeError::UnknownMeasureKind("weigth".into()),
                "unknown measure kind \"weigth\"",
            ),
            (
                "dmp.read:x-rays",
                ScopeError::UnknownDocumentCategory("x-rays".into()),
                "unknown document category \"x-rays\"",
            ),
            (
                "dmp.read:",
                ScopeError::EmptyQualifier { scope: "dmp.read" },
                "dmp.read: nothing after ':'",
            ),
        ];
        for (text, error, message) in cases {
            let found = text.parse::<Scope>().unwrap_err();
            assert_eq!(found, error, "{text:?}");
            assert!(found.to_string().contains(message), "{text:?}: {found}");
        }
    }

    #[test]
    fn surrounding_whitespace_is_not_ignored() {
        assert_eq!(
            " storage".parse::<Scope>(),
            Err(ScopeError::UnknownArea(" storage".into()))
        );
        assert_eq!(
            "measures.read: weight".parse::<Scope>(),
            Err(ScopeError::UnknownMeasureKind(" weight".into()))
        );
    }
}
