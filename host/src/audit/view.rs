//! Reading the record: a patient's accesses, a component's report, the
//! raw log.
//!
//! Each reader first moves what waits in an SQLite file's queue into the
//! log, so that the last second's reads are there too.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use utoipa::ToSchema;

use super::Event;
use crate::db::read::Select;
use crate::db::{Db, DbError, Result};
use crate::model::PatientId;

/// Most events one read returns.
pub const MAX_EVENTS: u32 = 1000;

/// An event and the number it was recorded under (its `AuditEvent` id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub seq: i64,
    pub event: Event,
}

/// Which of a patient's events to read.
#[derive(Debug, Clone, Default)]
pub struct PatientFilter<'a> {
    /// Only the accesses of this service's components.
    pub service: Option<&'a str>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: Option<u32>,
}

/// Accesses to `patient`'s data, newest first.
pub async fn for_patient(
    db: &Db,
    patient: &PatientId,
    filter: &PatientFilter<'_>,
) -> Result<Vec<Recorded>> {
    db.audit().flush().await?;
    let (since, until) = crate::db::range(filter.since, filter.until);
    let limit = crate::db::limit(filter.limit, MAX_EVENTS);
    let service = match filter.service {
        Some(_) => " AND service_id = $4",
        None => "",
    };
    let sql = format!(
        "SELECT seq, body FROM audit_events WHERE patient_id = $1 AND at >= $2 AND at < $3{service} \
         ORDER BY at DESC, seq DESC LIMIT {limit}"
    );
    let mut select = Select::new(sql)
        .bind(patient.as_str())
        .bind(since)
        .bind(until);
    if let Some(service) = filter.service {
        select = select.bind(service);
    }
    select.fetch_all(db, recorded).await
}

/// When each service's components last read or changed `patient`'s data, by
/// service id (milliseconds): what "my services" shows beside each one.
pub async fn last_accesses(db: &Db, patient: &PatientId) -> Result<BTreeMap<String, i64>> {
    db.audit().flush().await?;
    let rows = Select::new(
        "SELECT service_id, MAX(at) FROM audit_events \
         WHERE patient_id = $1 AND service_id IS NOT NULL AND outcome = 'allowed' \
         GROUP BY service_id",
    )
    .bind(patient.as_str())
    .fetch_all(db, |row| Ok((row.text(0)?, row.int(1)?)))
    .await?;
    Ok(rows.into_iter().collect())
}

/// Every access to `patient`'s data, newest first: their export.
pub async fn everything_for_patient(db: &Db, patient: &PatientId) -> Result<Vec<Recorded>> {
    db.audit().flush().await?;
    Select::new(
        "SELECT seq, body FROM audit_events WHERE patient_id = $1 ORDER BY at DESC, seq DESC",
    )
    .bind(patient.as_str())
    .fetch_all(db, recorded)
    .await
}

fn recorded(row: &dyn crate::db::read::Row) -> Result<Recorded> {
    let body = row.text(1)?;
    let event = Event::from_entry(&body).ok_or_else(|| DbError::Corrupt {
        column: "audit_events.body",
        value: "(not an audit event)".into(),
    })?;
    Ok(Recorded {
        seq: row.int(0)?,
        event,
    })
}

/// One component's accesses, for regulators: per day and per call, how
/// many calls, records, refusals and failures; and how many patients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ComponentReport {
    pub service: String,
    /// The period, in milliseconds since the Unix epoch (end excluded).
    pub since: i64,
    pub until: i64,
    pub calls: u64,
    pub denied: u64,
    pub failed: u64,
    /// Distinct patients whose data the service reached or tried to.
    pub patients: u64,
    pub days: Vec<DayLine>,
    /// Each reason the service was refused, and how often.
    pub denials: BTreeMap<String, u64>,
}

/// A line of a [`ComponentReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DayLine {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// `interface.operation`, e.g. `measures.list`.
    pub call: String,
    pub calls: u64,
    pub records: u64,
    pub denied: u64,
    pub failed: u64,
}

const DAY_MS: i64 = 86_400_000;

/// Why a report's period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("{name} {text:?} is not a date (YYYY-MM-DD): {problem}")]
    Date {
        name: &'static str,
        text: String,
        problem: String,
    },
    #[error("since is after until")]
    Reversed,
}

/// A report's period, `[since, until)` in milliseconds, from its first and
/// last days (`YYYY-MM-DD`, UTC, both included): by default the 30 days to
/// `now`'s.
pub fn period(
    since: Option<&str>,
    until: Option<&str>,
    now: i64,
) -> std::result::Result<(i64, i64), PeriodError> {
    let day = |name, text: &str| {
        crate::fhir::datetime::parse(text).map_err(|e| PeriodError::Date {
            name,
            text: text.to_owned(),
            problem: e.to_string(),
        })
    };
    let until = match until {
        Some(text) => day("until", text)?.end,
        None => (now.div_euclid(DAY_MS) + 1) * DAY_MS,
    };
    let since = match since {
        Some(text) => day("since", text)?.start,
        None => until - 30 * DAY_MS,
    };
    if since >= until {
        return Err(PeriodError::Reversed);
    }
    Ok((since, until))
}

/// The report of `service`'s accesses from `since` to `until` (ms).
pub async fn component_report(
    db: &Db,
    service: &str,
    since: i64,
    until: i64,
) -> Result<ComponentReport> {
    db.audit().flush().await?;
    let rows = Select::new(
        "SELECT at, patient_id, interface, operation, outcome, records, body FROM audit_events \
         WHERE service_id = $1 AND at >= $2 AND at < $3 ORDER BY at",
    )
    .bind(service)
    .bind(since)
    .bind(until)
    .fetch_all(db, |row| {
        Ok((
            row.int(0)?,
            row.text_or_null(1)?,
            format!("{}.{}", row.str(2)?, row.str(3)?),
            row.text(4)?,
            row.int(5)?,
            row.text(6)?,
        ))
    })
    .await?;
    let mut report = ComponentReport {
        service: service.to_owned(),
        since,
        until,
        calls: 0,
        denied: 0,
        failed: 0,
        patients: 0,
        days: Vec::new(),
        denials: BTreeMap::new(),
    };
    let mut patients = BTreeSet::new();
    let mut lines: BTreeMap<(i64, String), DayLine> = BTreeMap::new();
    for (at, patient, call, outcome, records, body) in rows {
        let day = at.div_euclid(DAY_MS);
        let line = lines.entry((day, call.clone())).or_insert_with(|| DayLine {
            day: crate::fhir::datetime::instant(day * DAY_MS)[..10].to_owned(),
            call,
            calls: 0,
            records: 0,
            denied: 0,
            failed: 0,
        });
        line.calls += 1;
        line.records += records.max(0) as u64;
        report.calls += 1;
        match outcome.as_str() {
            "denied" => {
                line.denied += 1;
                report.denied += 1;
                if let Some(super::Outcome::Denied { reason }) =
                    Event::from_entry(&body).map(|e| e.outcome)
                {
                    *report.denials.entry(reason).or_default() += 1;
                }
            }
            "failed" => {
                line.failed += 1;
                report.failed += 1;
            }
            _ => {}
        }
        if let Some(patient) = patient {
            patients.insert(patient);
        }
    }
    report.patients = patients.len() as u64;
    report.days = lines.into_values().collect();
    Ok(report)
}

/// Entries of the log from position `from`, at most `limit`, in order:
/// `(position, entry as logged)`. Only sealed events have a position.
pub async fn export(db: &Db, from: u64, limit: u32) -> Result<Vec<(u64, String)>> {
    db.audit().flush().await?;
    Select::new("SELECT idx, body FROM audit_events WHERE idx >= $1 ORDER BY idx LIMIT $2")
        .bind(from as i64)
        .bind(i64::from(limit.min(MAX_EXPORT)))
        .fetch_all(db, |row| Ok((row.int(0)? as u64, row.text(1)?)))
        .await
}

/// Most entries one export returns; ask again from the next position.
pub const MAX_EXPORT: u32 = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_24: i64 = 1_795_478_400_000; // 2026-11-24T00:00:00Z

    #[test]
    fn a_period_is_whole_days_and_thirty_by_default() {
        let noon = NOV_24 + DAY_MS / 2;
        assert_eq!(
            period(None, None, noon),
            Ok((NOV_24 + DAY_MS - 30 * DAY_MS, NOV_24 + DAY_MS))
        );
        assert_eq!(
            period(Some("2026-11-01"), Some("2026-11-24"), noon),
            Ok((NOV_24 - 23 * DAY_MS, NOV_24 + DAY_MS))
        );
        assert_eq!(
            period(Some("2026-11-25"), Some("2026-11-24"), noon),
            Err(PeriodError::Reversed)
        );
        let bad = period(Some("2026-13-01"), None, noon).unwrap_err();
        assert!(
            matches!(bad, PeriodError::Date { name: "since", .. }),
            "{bad}"
        );
    }
}
