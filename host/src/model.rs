//! The platform's own vocabulary: identifiers, measure metadata, provenance.
//!
//! These are plain Rust types shared by storage, the platform interfaces and
//! (later) the HTTP API; the WIT bindings convert to and from them at the
//! component boundary.

pub use officine_policy::{DocumentCategory, GrantId, MeasureKind, PatientId, ServiceId};

use crate::audit::InvocationId;
use crate::db::GrantGuard;

/// The sha256 of a component's bytes, which is how the platform names it.
pub type ComponentDigest = officine_registry::Sha256Digest;

/// Who wrote a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    Patient,
    Professional,
    Service,
    Platform,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Patient => "patient",
            Origin::Professional => "professional",
            Origin::Service => "service",
            Origin::Platform => "platform",
        }
    }

    /// Reads the stored form; anything unknown is a storage fault.
    pub fn parse(s: &str) -> Option<Origin> {
        Some(match s {
            "patient" => Origin::Patient,
            "professional" => Origin::Professional,
            "service" => Origin::Service,
            "platform" => Origin::Platform,
            _ => return None,
        })
    }
}

/// The provenance recorded with every write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Writer {
    Patient,
    Professional {
        name: String,
        /// Their RPPS number: how the audit record names them.
        rpps: String,
    },
    /// A listed service, running a given component on the patient's
    /// behalf under a grant: the write happens only if the grant stands.
    Service {
        service: ServiceId,
        component: ComponentDigest,
        grant: GrantGuard,
        /// The invocation that wrote, for the audit record.
        invocation: InvocationId,
    },
    Platform,
}

impl Writer {
    pub fn origin(&self) -> Origin {
        match self {
            Writer::Patient => Origin::Patient,
            Writer::Professional { .. } => Origin::Professional,
            Writer::Service { .. } => Origin::Service,
            Writer::Platform => Origin::Platform,
        }
    }

    pub fn service(&self) -> Option<&ServiceId> {
        match self {
            Writer::Service { service, .. } => Some(service),
            _ => None,
        }
    }

    pub fn component(&self) -> Option<ComponentDigest> {
        match self {
            Writer::Service { component, .. } => Some(*component),
            _ => None,
        }
    }

    /// The grant a service writes under.
    pub fn grant(&self) -> Option<&GrantGuard> {
        match self {
            Writer::Service { grant, .. } => Some(grant),
            _ => None,
        }
    }
}

/// Coding of a measure kind: LOINC code, UCUM unit, and the range of values
/// the platform accepts as plausible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeasureCoding {
    pub loinc: &'static str,
    pub unit: &'static str,
    pub display: &'static str,
    pub min: f64,
    pub max: f64,
}

/// The coding of each measure kind, as published in the WIT contract.
pub fn coding(kind: MeasureKind) -> MeasureCoding {
    let (unit, display, min, max) = match kind {
        MeasureKind::Weight => ("kg", "Body weight", 0.5, 500.0),
        MeasureKind::Height => ("cm", "Body height", 20.0, 300.0),
        MeasureKind::Bmi => ("kg/m2", "Body mass index", 1.0, 200.0),
        MeasureKind::WaistCircumference => ("cm", "Waist circumference", 20.0, 300.0),
        MeasureKind::BodyTemperature => ("Cel", "Body temperature", 25.0, 45.0),
        MeasureKind::BloodGlucose => ("mg/dL", "Glucose", 10.0, 1500.0),
        MeasureKind::PainSeverity => ("{score}", "Pain severity 0-10", 0.0, 10.0),
        MeasureKind::HeartRate => ("/min", "Heart rate", 20.0, 300.0),
        MeasureKind::DailySteps => ("1/(24.h)", "Steps in 24 hours", 0.0, 200_000.0),
    };
    MeasureCoding {
        loinc: kind.loinc(),
        unit,
        display,
        min,
        max,
    }
}

/// BMI from a weight in kg and a height in cm, rounded to one decimal as
/// displayed to patients.
pub fn bmi(weight_kg: f64, height_cm: f64) -> f64 {
    let metres = height_cm / 100.0;
    (weight_kg / (metres * metres) * 10.0).round() / 10.0
}

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A fresh record id: time-ordered, so new rows land at the end of indexes.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmi_matches_the_usual_formula() {
        assert_eq!(bmi(70.0, 175.0), 22.9);
        assert_eq!(bmi(95.5, 180.0), 29.5);
    }

    #[test]
    fn every_kind_has_a_distinct_loinc_code() {
        let mut codes: Vec<_> = MeasureKind::ALL.iter().map(|k| coding(*k).loinc).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), MeasureKind::ALL.len());
    }

    #[test]
    fn digest_displays_as_hex() {
        let d = ComponentDigest::of(b"");
        assert_eq!(
            d.to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(format!("{d:?}"), format!("sha256:{d}"));
    }

    #[test]
    fn origin_round_trips() {
        for o in [
            Origin::Patient,
            Origin::Professional,
            Origin::Service,
            Origin::Platform,
        ] {
            assert_eq!(Origin::parse(o.as_str()), Some(o));
        }
        assert_eq!(Origin::parse("robot"), None);
    }
}
