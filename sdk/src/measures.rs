//! Health measures ("mesures de santé"): weight, height, BMI, waist,
//! temperature, glucose, pain, heart rate and steps.
//!
//! Reading needs a `measures.read` scope (optionally narrowed to some kinds,
//! `measures.read:weight`); adding needs `measures.write:<kind>`. BMI is
//! computed by the platform from each weight and the latest height: it can be
//! read (`measures.read:bmi`), never written.
//!
//! ```no_run
//! use officine_sdk::{measures, now, time, MeasureKind};
//!
//! # fn main() -> officine_sdk::Result<()> {
//! let last = measures::latest(MeasureKind::Weight)?;
//! let month = measures::list(
//!     &measures::Query::new()
//!         .kind(MeasureKind::Weight)
//!         .since(now() - 30 * time::DAY),
//! )?;
//! measures::add(MeasureKind::Weight, 72.5, now())?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::str::FromStr;

use crate::bindings::officine::platform::measures as raw;
use crate::{Result, Timestamp};

pub use raw::{Measure, MeasureKind, Query};

impl MeasureKind {
    /// Every kind, in the platform's order.
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

    /// The kind's name in the platform contract and in scopes:
    /// `weight`, `waist-circumference`, …
    pub fn name(self) -> &'static str {
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

    /// The LOINC code of the kind (system `http://loinc.org`).
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

    /// The UCUM unit every value of this kind is expressed in.
    pub fn unit(self) -> &'static str {
        match self {
            MeasureKind::Weight => "kg",
            MeasureKind::Height => "cm",
            MeasureKind::Bmi => "kg/m2",
            MeasureKind::WaistCircumference => "cm",
            MeasureKind::BodyTemperature => "Cel",
            MeasureKind::BloodGlucose => "mg/dL",
            MeasureKind::PainSeverity => "{score}",
            MeasureKind::HeartRate => "/min",
            MeasureKind::DailySteps => "1/(24.h)",
        }
    }

    /// A short French label for pages: « Poids », « Taille », « IMC »…
    pub fn label_fr(self) -> &'static str {
        match self {
            MeasureKind::Weight => "Poids",
            MeasureKind::Height => "Taille",
            MeasureKind::Bmi => "IMC",
            MeasureKind::WaistCircumference => "Tour de taille",
            MeasureKind::BodyTemperature => "Température",
            MeasureKind::BloodGlucose => "Glycémie",
            MeasureKind::PainSeverity => "Douleur",
            MeasureKind::HeartRate => "Fréquence cardiaque",
            MeasureKind::DailySteps => "Nombre de pas",
        }
    }

    /// False for BMI, which only the platform computes; true otherwise.
    pub fn is_writable(self) -> bool {
        self != MeasureKind::Bmi
    }
}

impl fmt::Display for MeasureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given is not one of [`MeasureKind::name`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind(pub String);

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown measure kind {:?}", self.0)
    }
}

impl std::error::Error for UnknownKind {}

impl FromStr for MeasureKind {
    type Err = UnknownKind;

    /// Parses a kind's contract name (`weight`, `heart-rate`, …).
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        MeasureKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

impl Query {
    /// Every measure the service may read, newest first, up to the
    /// platform's cap (1000).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one kind to the kinds asked for (none means every kind the
    /// service may read).
    pub fn kind(mut self, kind: MeasureKind) -> Self {
        self.kinds.push(kind);
        self
    }

    /// Adds several kinds.
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = MeasureKind>) -> Self {
        self.kinds.extend(kinds);
        self
    }

    /// Only measures taken at or after `at`.
    pub fn since(mut self, at: Timestamp) -> Self {
        self.since = Some(at);
        self
    }

    /// Only measures taken strictly before `at`.
    pub fn until(mut self, at: Timestamp) -> Self {
        self.until = Some(at);
        self
    }

    /// At most `n` measures (the newest ones).
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
}

/// Lists the patient's measures matching `query`, newest first.
///
/// Needs `measures.read` (or `measures.read:<kind>` for each kind asked for).
pub fn list(query: &Query) -> Result<Vec<Measure>> {
    Ok(raw::list(query)?)
}

/// The patient's most recent measure of `kind`, if any.
///
/// Needs `measures.read:<kind>`.
pub fn latest(kind: MeasureKind) -> Result<Option<Measure>> {
    Ok(list(&Query::new().kind(kind).limit(1))?.into_iter().next())
}

/// Records a new measure for the patient, `value` in the kind's
/// [unit](MeasureKind::unit), taken at `at`, and returns it.
///
/// The platform answers `invalid` for an implausible value and for BMI.
/// Adding a weight also records the BMI computed from the latest height.
///
/// Needs `measures.write:<kind>`.
pub fn add(kind: MeasureKind, value: f64, at: Timestamp) -> Result<Measure> {
    Ok(raw::add(kind, value, at)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Origin;

    #[test]
    fn metadata_matches_the_contract() {
        let table = [
            (MeasureKind::Weight, "weight", "29463-7", "kg"),
            (MeasureKind::Height, "height", "8302-2", "cm"),
            (MeasureKind::Bmi, "bmi", "39156-5", "kg/m2"),
            (
                MeasureKind::WaistCircumference,
                "waist-circumference",
                "8280-0",
                "cm",
            ),
            (
                MeasureKind::BodyTemperature,
                "body-temperature",
                "8310-5",
                "Cel",
            ),
            (
                MeasureKind::BloodGlucose,
                "blood-glucose",
                "2345-7",
                "mg/dL",
            ),
            (
                MeasureKind::PainSeverity,
                "pain-severity",
                "72514-3",
                "{score}",
            ),
            (MeasureKind::HeartRate, "heart-rate", "8867-4", "/min"),
            (
                MeasureKind::DailySteps,
                "daily-steps",
                "41950-7",
                "1/(24.h)",
            ),
        ];
        assert_eq!(table.len(), MeasureKind::ALL.len());
        for ((kind, name, loinc, unit), listed) in table.into_iter().zip(MeasureKind::ALL) {
            assert_eq!(kind, listed);
            assert_eq!(kind.name(), name);
            assert_eq!(kind.loinc(), loinc);
            assert_eq!(kind.unit(), unit);
            assert_eq!(kind.to_string(), name);
            assert_eq!(name.parse::<MeasureKind>(), Ok(kind));
            assert!(!kind.label_fr().is_empty());
        }
        assert_eq!(
            "weightt".parse::<MeasureKind>(),
            Err(UnknownKind("weightt".into()))
        );
    }

    #[test]
    fn only_bmi_is_read_only() {
        for kind in MeasureKind::ALL {
            assert_eq!(kind.is_writable(), kind != MeasureKind::Bmi);
        }
    }

    #[test]
    fn serde_uses_contract_names() {
        assert_eq!(
            serde_json::to_string(&MeasureKind::WaistCircumference).unwrap(),
            "\"waist-circumference\""
        );
        assert_eq!(
            serde_json::from_str::<MeasureKind>("\"daily-steps\"").unwrap(),
            MeasureKind::DailySteps
        );
        let m = Measure {
            id: "m1".into(),
            kind: MeasureKind::Weight,
            value: 72.4,
            unit: "kg".into(),
            effective_at: 1_700_000_000_000,
            origin: Origin::Service,
            mine: true,
        };
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!({
                "id": "m1", "kind": "weight", "value": 72.4, "unit": "kg",
                "effective_at": 1_700_000_000_000_i64, "origin": "service", "mine": true
            })
        );
    }

    #[test]
    fn query_builder() {
        let q = Query::new()
            .kind(MeasureKind::Weight)
            .kinds([MeasureKind::Bmi, MeasureKind::Height])
            .since(10)
            .until(20)
            .limit(5);
        assert_eq!(
            q.kinds,
            [MeasureKind::Weight, MeasureKind::Bmi, MeasureKind::Height]
        );
        assert_eq!((q.since, q.until, q.limit), (Some(10), Some(20), Some(5)));
        let q = Query::new();
        assert!(q.kinds.is_empty() && q.since.is_none() && q.until.is_none() && q.limit.is_none());
    }
}
