//! `officine:platform/measures`.

use officine_policy::{Item, Op};

use super::{ATTEMPTS, Platform, check_range, check_timestamp};
use crate::db::Reader;
use crate::db::measures::{self as db, MeasureQuery};
use crate::model::{self, MeasureKind};
use crate::runtime::bindings::measures::{Host, Measure, MeasureKind as WitKind, Query};
use crate::runtime::bindings::types::{Error, Timestamp};

/// How far in the future a measure may be dated, for clock skew.
const FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;

impl Host for Platform {
    async fn list(&mut self, q: Query) -> Result<Vec<Measure>, Error> {
        self.enter("measures.list")?;
        let result = self.measures_list(q).await;
        self.audit_read("measures.list", &result, |r| r.len() as u64);
        result
    }

    async fn add(
        &mut self,
        kind: WitKind,
        value: f64,
        effective_at: Timestamp,
    ) -> Result<Measure, Error> {
        self.enter("measures.add")?;
        let result = self.measures_add(kind, value, effective_at).await;
        self.audit_change("measures.add", &result);
        result
    }
}

impl Platform {
    async fn measures_list(&mut self, q: Query) -> Result<Vec<Measure>, Error> {
        check_range(q.since, q.until)?;
        let asked: Vec<MeasureKind> = if q.kinds.is_empty() {
            MeasureKind::ALL.to_vec()
        } else {
            q.kinds.into_iter().map(MeasureKind::from).collect()
        };
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("measures.list", Op::Search, Item::Measure(None), None)?;
            // The grant becomes the query's condition: kinds it does not
            // cover are never selected, so they read exactly like kinds
            // with no data.
            let kinds: Vec<(&'static str, i64)> = asked
                .iter()
                .filter_map(|&kind| {
                    let from = self.window(Op::Search, Item::Measure(Some(kind)))?;
                    Some((kind.as_str(), from))
                })
                .collect();
            let query = MeasureQuery {
                kinds: &kinds,
                since: q.since,
                until: q.until,
                limit: q.limit,
            };
            let rows = db::list(&self.db, &self.patient, &query, Reader::Service(&guard))
                .await
                .map_err(|e| self.unavailable("measures.list", e))?;
            if rows.is_empty() && self.grant_changed("measures.list").await? {
                continue;
            }
            return Ok(rows.into_iter().map(|m| self.to_wit(m)).collect());
        }
        Err(Error::Unavailable)
    }

    async fn measures_add(
        &mut self,
        kind: WitKind,
        value: f64,
        effective_at: Timestamp,
    ) -> Result<Measure, Error> {
        let kind = MeasureKind::from(kind);
        let item = Item::Measure(Some(kind));
        // A BMI is never written, whoever asks: `invalid`, as the interface
        // says, not a matter of consent.
        check_value(kind, value)?;
        self.authorize("measures.add", Op::Create, item, Some(effective_at))?;
        check_timestamp("effective-at", effective_at)?;
        if effective_at > model::now_millis() + FUTURE_SKEW_MS {
            return Err(Error::Invalid("effective-at is in the future".to_owned()));
        }
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("measures.add", Op::Create, item, Some(effective_at))?;
            let writer = self.writer(guard);
            let added = db::add(&self.db, &self.patient, &writer, kind, value, effective_at)
                .await
                .map_err(|e| self.unavailable("measures.add", e))?;
            match added {
                Some(measure) => return Ok(self.to_wit(measure)),
                None => {
                    self.grant_changed("measures.add").await?;
                }
            }
        }
        Err(Error::Unavailable)
    }
}

impl Platform {
    fn to_wit(&self, m: db::Measure) -> Measure {
        Measure {
            mine: self.is_mine(m.written_by.as_deref()),
            id: m.id,
            kind: m.kind.into(),
            value: m.value,
            unit: model::coding(m.kind).unit.to_owned(),
            effective_at: m.effective_at,
            origin: m.origin.into(),
        }
    }
}

/// A service may write any kind but BMI, with a finite value in the kind's
/// plausible range.
fn check_value(kind: MeasureKind, value: f64) -> Result<(), Error> {
    if kind.is_computed() {
        return Err(Error::Invalid(format!(
            "{} is computed by the platform and cannot be written",
            kind.as_str()
        )));
    }
    let coding = model::coding(kind);
    if !value.is_finite() || value < coding.min || value > coding.max {
        return Err(Error::Invalid(format!(
            "{} must be between {} and {} {}",
            kind.as_str(),
            coding.min,
            coding.max,
            coding.unit
        )));
    }
    Ok(())
}

impl From<WitKind> for MeasureKind {
    fn from(kind: WitKind) -> Self {
        match kind {
            WitKind::Weight => MeasureKind::Weight,
            WitKind::Height => MeasureKind::Height,
            WitKind::Bmi => MeasureKind::Bmi,
            WitKind::WaistCircumference => MeasureKind::WaistCircumference,
            WitKind::BodyTemperature => MeasureKind::BodyTemperature,
            WitKind::BloodGlucose => MeasureKind::BloodGlucose,
            WitKind::PainSeverity => MeasureKind::PainSeverity,
            WitKind::HeartRate => MeasureKind::HeartRate,
            WitKind::DailySteps => MeasureKind::DailySteps,
        }
    }
}

impl From<MeasureKind> for WitKind {
    fn from(kind: MeasureKind) -> Self {
        match kind {
            MeasureKind::Weight => WitKind::Weight,
            MeasureKind::Height => WitKind::Height,
            MeasureKind::Bmi => WitKind::Bmi,
            MeasureKind::WaistCircumference => WitKind::WaistCircumference,
            MeasureKind::BodyTemperature => WitKind::BodyTemperature,
            MeasureKind::BloodGlucose => WitKind::BloodGlucose,
            MeasureKind::PainSeverity => WitKind::PainSeverity,
            MeasureKind::HeartRate => WitKind::HeartRate,
            MeasureKind::DailySteps => WitKind::DailySteps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmi_is_never_writable() {
        assert!(
            matches!(check_value(MeasureKind::Bmi, 22.0), Err(Error::Invalid(r)) if r.contains("computed"))
        );
    }

    #[test]
    fn values_outside_the_plausible_range_are_refused() {
        assert!(check_value(MeasureKind::Weight, 72.0).is_ok());
        for bad in [0.0, 501.0, f64::NAN, f64::INFINITY, -1.0] {
            assert!(
                matches!(check_value(MeasureKind::Weight, bad), Err(Error::Invalid(r)) if r.contains("between 0.5 and 500 kg")),
                "{bad} accepted"
            );
        }
        assert!(check_value(MeasureKind::PainSeverity, 10.0).is_ok());
        assert!(check_value(MeasureKind::PainSeverity, 11.0).is_err());
    }

    #[test]
    fn every_kind_converts_both_ways() {
        for kind in MeasureKind::ALL {
            assert_eq!(MeasureKind::from(WitKind::from(kind)), kind);
        }
    }
}
