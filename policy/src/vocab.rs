//! The platform's vocabulary of health data: measure kinds and document
//! categories, with the codes that name them in FHIR.

use std::fmt;
use std::str::FromStr;

/// The code system of measure kinds.
pub const LOINC: &str = "http://loinc.org";

/// The code system of DMP document categories: the platform's own, since
/// its categories group several national document types each.
pub const DMP_CATEGORY_SYSTEM: &str = "urn:officine:dmp-category";

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

    /// The name used in scopes and in the WIT contract, e.g. `waist-circumference`.
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

    /// The LOINC code of this kind, as in the French "mesures de santé" profiles.
    pub fn loinc(self) -> &'static str {
        match self {
            MeasureKind::Weight => "29463-7",
            MeasureKind::Height => "8302-2",
            MeasureKind::Bmi => "39156-5",
            MeasureKind::WaistCircumference => "8280-0",
            MeasureKind::BodyTemperature => "8310-5",
            MeasureKind::BloodGlucose => "2345-7",
            MeasureKind::PainSeverity => "72514-3",
            MeasureKind::HeartRate => "8867-4",
            MeasureKind::DailySteps => "41950-7",
        }
    }

    /// The kind a LOINC code names, if it is one of the platform's.
    pub fn from_loinc(code: &str) -> Option<MeasureKind> {
        MeasureKind::ALL
            .into_iter()
            .find(|kind| kind.loinc() == code)
    }

    /// Whether the platform computes this kind itself (then no service may write it).
    pub fn is_computed(self) -> bool {
        matches!(self, MeasureKind::Bmi)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for MeasureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MeasureKind {
    type Err = UnknownMeasureKind;

    fn from_str(text: &str) -> Result<Self, UnknownMeasureKind> {
        MeasureKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownMeasureKind(text.to_owned()))
    }
}

/// A name that is not one of [`MeasureKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown measure kind {0:?} (expected one of weight, height, bmi, \
     waist-circumference, body-temperature, blood-glucose, pain-severity, \
     heart-rate, daily-steps)"
)]
pub struct UnknownMeasureKind(pub String);

/// A measure kind a service may write: any [`MeasureKind`] except the
/// computed ones (BMI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WritableMeasureKind(MeasureKind);

impl WritableMeasureKind {
    /// Accepts `kind` unless the platform computes it.
    pub fn new(kind: MeasureKind) -> Result<Self, ComputedMeasure> {
        if kind.is_computed() {
            Err(ComputedMeasure(kind))
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
    type Error = ComputedMeasure;

    fn try_from(kind: MeasureKind) -> Result<Self, ComputedMeasure> {
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

/// A measure the platform computes was named for writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "{name} is computed by the platform (from weight and height), never written by a service",
    name = computed_name(*.0)
)]
pub struct ComputedMeasure(pub MeasureKind);

fn computed_name(kind: MeasureKind) -> &'static str {
    match kind {
        MeasureKind::Bmi => "the body mass index",
        other => other.as_str(),
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

    /// The name used in scopes and in the WIT contract, e.g. `lab-results`;
    /// also its code in [`DMP_CATEGORY_SYSTEM`].
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

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DocumentCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocumentCategory {
    type Err = UnknownDocumentCategory;

    fn from_str(text: &str) -> Result<Self, UnknownDocumentCategory> {
        DocumentCategory::ALL
            .into_iter()
            .find(|category| category.as_str() == text)
            .ok_or_else(|| UnknownDocumentCategory(text.to_owned()))
    }
}

/// A name that is not one of [`DocumentCategory::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown document category {0:?} (expected one of summary, prescriptions, \
     reports, lab-results, imaging, vaccinations, prevention, certificates)"
)]
pub struct UnknownDocumentCategory(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_categories_round_trip() {
        for kind in MeasureKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
            assert_eq!(MeasureKind::from_loinc(kind.loinc()), Some(kind));
        }
        for category in DocumentCategory::ALL {
            assert_eq!(category.as_str().parse(), Ok(category));
            assert_eq!(category.to_string(), category.as_str());
        }
        for (i, kind) in MeasureKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.index(), i);
        }
        for (i, category) in DocumentCategory::ALL.into_iter().enumerate() {
            assert_eq!(category.index(), i);
        }
    }

    #[test]
    fn bmi_is_never_writable() {
        assert_eq!(
            WritableMeasureKind::try_from(MeasureKind::Bmi),
            Err(ComputedMeasure(MeasureKind::Bmi))
        );
        assert!(
            ComputedMeasure(MeasureKind::Bmi)
                .to_string()
                .contains("the body mass index is computed by the platform")
        );
        for kind in MeasureKind::ALL.into_iter().filter(|k| !k.is_computed()) {
            assert_eq!(WritableMeasureKind::new(kind).map(|k| k.kind()), Ok(kind));
        }
    }
}
