//! What the page and `/api/summary` show, gathered from the platform.

use std::collections::HashMap;

use officine_sdk::measures::{self, Query};
use officine_sdk::time::DAY;
use officine_sdk::{Error, Measure, MeasureKind, Result, Timestamp, log, storage};
use serde::{Deserialize, Serialize};

/// The storage key of the goal weight.
pub const GOAL_KEY: &str = "goal-weight";

/// How far back the trend goes.
pub const TREND_DAYS: i64 = 90;

/// The goal weight, as stored (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    pub kg: f64,
}

/// One value with its unit and the time it was taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    pub value: f64,
    pub unit: String,
    pub at: Timestamp,
}

impl From<&Measure> for Reading {
    fn from(m: &Measure) -> Self {
        Reading {
            value: m.value,
            unit: m.unit.clone(),
            at: m.effective_at,
        }
    }
}

/// One weighing of the trend, with the BMI the platform computed for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub at: Timestamp,
    pub weight: f64,
    pub bmi: Option<f64>,
}

/// Everything the service shows. Serialized as the `/api/summary` answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub weight: Option<Reading>,
    pub height: Option<Reading>,
    pub bmi: Option<Reading>,
    pub goal: Option<f64>,
    /// The last [`TREND_DAYS`] days of weighings, oldest first.
    pub trend: Vec<TrendPoint>,
}

impl Summary {
    /// Reads the summary from the platform.
    ///
    /// A read the patient did not grant counts as no data: the service
    /// cannot tell, and must not try to tell, hidden from absent. Other
    /// failures (the platform unavailable, a limit) are errors.
    pub fn load(now: Timestamp) -> Result<Summary> {
        let since = now - TREND_DAYS * DAY;
        let latest = |kind| readable(measures::latest(kind)).map(Option::flatten);

        // One read for both series: each platform call is a round trip to
        // storage. The platform filters out what the patient did not share.
        let query = Query::new()
            .kinds([MeasureKind::Weight, MeasureKind::Bmi])
            .since(since)
            .limit(1000);
        let recent = readable(measures::list(&query))?.unwrap_or_default();
        let (weights, bmis): (Vec<Measure>, Vec<Measure>) = recent
            .into_iter()
            .partition(|m| m.kind == MeasureKind::Weight);
        // Lists are newest first: the latest is at hand unless it is older
        // than the trend window.
        let weight = match weights.first() {
            Some(m) => Some(m.clone()),
            None => latest(MeasureKind::Weight)?,
        };
        let bmi = match bmis.first() {
            Some(m) => Some(m.clone()),
            None => latest(MeasureKind::Bmi)?,
        };
        let height = latest(MeasureKind::Height)?;
        let goal = load_goal()?;
        Ok(Summary::from_parts(
            weight.as_ref(),
            height.as_ref(),
            bmi.as_ref(),
            goal,
            &weights,
            &bmis,
        ))
    }

    /// Builds the summary from measures already read. The BMI of a weighing
    /// is the platform's BMI measure taken at the same instant, if any.
    pub fn from_parts(
        weight: Option<&Measure>,
        height: Option<&Measure>,
        bmi: Option<&Measure>,
        goal: Option<f64>,
        weights: &[Measure],
        bmis: &[Measure],
    ) -> Summary {
        let bmi_at: HashMap<Timestamp, f64> =
            bmis.iter().map(|b| (b.effective_at, b.value)).collect();
        let mut trend: Vec<TrendPoint> = weights
            .iter()
            .map(|w| TrendPoint {
                at: w.effective_at,
                weight: w.value,
                bmi: bmi_at.get(&w.effective_at).copied(),
            })
            .collect();
        trend.sort_by_key(|p| p.at);
        Summary {
            weight: weight.map(Reading::from),
            height: height.map(Reading::from),
            bmi: bmi.map(Reading::from),
            goal,
            trend,
        }
    }

    /// Current weight minus goal, in kg: positive means above the goal.
    pub fn distance_to_goal(&self) -> Option<f64> {
        Some(self.weight.as_ref()?.value - self.goal?)
    }
}

/// `Ok(None)` for data the service may not see or that does not exist.
fn readable<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_absent() => Ok(None),
        Err(e) => Err(e),
    }
}

fn load_goal() -> Result<Option<f64>> {
    match storage::get_json::<Goal>(GOAL_KEY) {
        Ok(goal) => Ok(goal.map(|g| g.kg)),
        Err(e) if e.is_absent() => Ok(None),
        Err(Error::Decode(_)) => {
            log::warn("unreadable goal in storage, ignored");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use officine_sdk::Origin;

    pub fn measure(kind: MeasureKind, value: f64, at: Timestamp) -> Measure {
        Measure {
            id: format!("{kind}-{at}"),
            kind,
            value,
            unit: kind.unit().to_owned(),
            effective_at: at,
            origin: if kind == MeasureKind::Bmi {
                Origin::Platform
            } else {
                Origin::Patient
            },
            mine: false,
        }
    }

    #[test]
    fn pairs_weights_with_their_bmi_oldest_first() {
        // Newest first, as the platform lists them.
        let weights = [
            measure(MeasureKind::Weight, 72.4, 3 * DAY),
            measure(MeasureKind::Weight, 73.0, 2 * DAY),
            measure(MeasureKind::Weight, 74.1, DAY),
        ];
        let bmis = [
            measure(MeasureKind::Bmi, 23.6, 3 * DAY),
            measure(MeasureKind::Bmi, 24.2, DAY),
        ];
        let height = measure(MeasureKind::Height, 175.0, 0);
        let s = Summary::from_parts(
            weights.first(),
            Some(&height),
            bmis.first(),
            Some(70.0),
            &weights,
            &bmis,
        );
        assert_eq!(
            s.trend,
            [
                TrendPoint {
                    at: DAY,
                    weight: 74.1,
                    bmi: Some(24.2)
                },
                TrendPoint {
                    at: 2 * DAY,
                    weight: 73.0,
                    bmi: None
                },
                TrendPoint {
                    at: 3 * DAY,
                    weight: 72.4,
                    bmi: Some(23.6)
                },
            ]
        );
        let d = s.distance_to_goal().unwrap();
        assert!((d - 2.4).abs() < 1e-9);
    }

    #[test]
    fn summary_json_shape() {
        let w = measure(MeasureKind::Weight, 72.4, 1_741_771_800_000);
        let s = Summary::from_parts(Some(&w), None, None, None, std::slice::from_ref(&w), &[]);
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({
                "weight": {"value": 72.4, "unit": "kg", "at": 1_741_771_800_000_i64},
                "height": null,
                "bmi": null,
                "goal": null,
                "trend": [{"at": 1_741_771_800_000_i64, "weight": 72.4, "bmi": null}],
            })
        );
        assert_eq!(s.distance_to_goal(), None);
        let empty = serde_json::to_value(Summary::default()).unwrap();
        assert_eq!(empty["trend"], serde_json::json!([]));
        assert!(empty["weight"].is_null());
    }

    #[test]
    fn absent_reads_are_no_data() {
        assert_eq!(readable::<u8>(Err(Error::Denied)), Ok(None));
        assert_eq!(readable::<u8>(Err(Error::NotFound)), Ok(None));
        assert_eq!(readable(Ok(3)), Ok(Some(3)));
        assert_eq!(
            readable::<u8>(Err(Error::Unavailable)),
            Err(Error::Unavailable)
        );
    }
}
