//! Misuse rules: what puts a service in the regulators' queue, with the
//! evidence.
//!
//! Over a sliding window (an hour by default), for each registered service:
//!
//! - **probing**: its calls refused at least `denied` times (a component
//!   trying what the patients did not grant);
//! - **above peers**: at least `peer_floor` calls, and `peer_factor` times
//!   the median of the other services' calls;
//! - **per patient**: one patient's data reached at least `per_patient`
//!   times.
//!
//! A rule that holds raises an alert (one open alert per service and rule:
//! it stays open, with its first evidence, until a regulator closes it).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::read::Select;
use crate::db::{Backend, Db, Result};
use crate::model::{new_id, now_millis};

/// The rules' thresholds (`[audit.misuse]` in `officine.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct MisuseRules {
    /// The window the rules look at, in seconds.
    pub window_secs: u64,
    /// Refused calls in the window that make probing.
    pub denied: u64,
    /// How many times the median of the other services' calls is too many.
    pub peer_factor: f64,
    /// Calls below which no service is "above its peers".
    pub peer_floor: u64,
    /// Accesses to one patient's data in the window that are too many.
    pub per_patient: u64,
}

impl Default for MisuseRules {
    fn default() -> Self {
        MisuseRules {
            window_secs: 3600,
            denied: 50,
            peer_factor: 10.0,
            peer_floor: 1000,
            per_patient: 500,
        }
    }
}

impl MisuseRules {
    fn window_ms(&self) -> i64 {
        i64::try_from(self.window_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }
}

/// A rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Probing,
    AbovePeers,
    PerPatient,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Probing => "probing",
            Rule::AbovePeers => "above-peers",
            Rule::PerPatient => "per-patient",
        }
    }

    fn parse(text: &str) -> Option<Rule> {
        [Rule::Probing, Rule::AbovePeers, Rule::PerPatient]
            .into_iter()
            .find(|rule| rule.as_str() == text)
    }
}

/// A service in the regulators' queue.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Alert {
    pub id: String,
    pub service: String,
    pub rule: Rule,
    /// The window the rule held over, in ms since the Unix epoch.
    pub window_start: i64,
    pub window_end: i64,
    /// The figures, and the threshold they passed.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    pub raised_at: i64,
    pub closed_at: Option<i64>,
    pub closed_by: Option<String>,
    pub note: Option<String>,
}

/// One service's figures over the window.
#[derive(Debug, Clone, Default, PartialEq)]
struct Figures {
    calls: u64,
    denied: u64,
    /// The patient reached most, and how many times.
    busiest: Option<(String, u64)>,
}

/// Evaluates the rules over the window ending at `now`, and raises an
/// alert for each that holds and has none open. Returns the new alerts.
pub async fn evaluate(db: &Db, rules: &MisuseRules, now: i64) -> Result<Vec<Alert>> {
    db.audit().flush().await?;
    let start = now.saturating_sub(rules.window_ms());
    let figures = window_figures(db, start, now).await?;
    let mut raised = Vec::new();
    for (service, found) in &figures {
        for (rule, evidence) in holding(rules, service, found, &figures) {
            let alert = Alert {
                id: new_id(),
                service: service.clone(),
                rule,
                window_start: start,
                window_end: now,
                evidence,
                raised_at: now_millis(),
                closed_at: None,
                closed_by: None,
                note: None,
            };
            if raise(db, &alert).await? {
                tracing::warn!(service = %service, rule = rule.as_str(), "service put in the regulators' queue");
                raised.push(alert);
            }
        }
    }
    Ok(raised)
}

/// The rules that hold for `service`, each with its evidence.
fn holding(
    rules: &MisuseRules,
    service: &str,
    found: &Figures,
    all: &BTreeMap<String, Figures>,
) -> Vec<(Rule, serde_json::Value)> {
    let mut holding = Vec::new();
    if found.denied >= rules.denied {
        holding.push((
            Rule::Probing,
            serde_json::json!({ "denied": found.denied, "calls": found.calls, "threshold": rules.denied }),
        ));
    }
    let mut peers: Vec<u64> = all
        .iter()
        .filter(|(other, _)| other.as_str() != service)
        .map(|(_, figures)| figures.calls)
        .collect();
    if !peers.is_empty() && found.calls >= rules.peer_floor {
        peers.sort_unstable();
        let median = peers[peers.len() / 2];
        if found.calls as f64 >= rules.peer_factor * median as f64 {
            holding.push((
                Rule::AbovePeers,
                serde_json::json!({
                    "calls": found.calls,
                    "peers_median": median,
                    "peers": peers.len(),
                    "factor": rules.peer_factor,
                    "floor": rules.peer_floor,
                }),
            ));
        }
    }
    if let Some((patient, times)) = &found.busiest
        && *times >= rules.per_patient
    {
        holding.push((
            Rule::PerPatient,
            serde_json::json!({ "patient": patient, "accesses": times, "threshold": rules.per_patient }),
        ));
    }
    holding
}

const MINUTE: i64 = 60_000;

/// Every registered service's figures over `[start, end)`: the counts each
/// seal keeps by the minute (the minutes the window touches), and the
/// events no seal has covered yet, read in one statement so that a seal
/// in between neither hides nor doubles any.
async fn window_figures(db: &Db, start: i64, end: i64) -> Result<BTreeMap<String, Figures>> {
    let uncounted = match db.backend() {
        Backend::Sqlite => "idx >= (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints)",
        // Events wait there unplaced until a seal places them.
        Backend::Postgres => {
            "(idx IS NULL OR idx >= (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints))"
        }
    };
    let sql = format!(
        "SELECT service_id, patient_id, CAST(SUM(calls) AS BIGINT), CAST(SUM(denied) AS BIGINT) \
         FROM (SELECT service_id, patient_id, calls, denied FROM audit_counts \
               WHERE minute >= $1 AND minute <= $2 \
               UNION ALL \
               SELECT service_id, COALESCE(patient_id, ''), 1, \
                      CASE WHEN outcome = 'denied' THEN 1 ELSE 0 END \
               FROM audit_events \
               WHERE {uncounted} AND service_id IS NOT NULL AND at >= $3 AND at < $4) AS counted \
         GROUP BY service_id, patient_id"
    );
    let rows = Select::new(sql)
        .bind(start.div_euclid(MINUTE))
        .bind((end - 1).div_euclid(MINUTE))
        .bind(start)
        .bind(end)
        .fetch_all(db, |row| {
            Ok((
                row.text(0)?,
                row.text(1)?,
                row.int(2)?.max(0) as u64,
                row.int(3)?.max(0) as u64,
            ))
        })
        .await?;
    let mut figures: BTreeMap<String, Figures> = Select::new("SELECT id FROM services")
        .fetch_all(db, |row| row.text(0))
        .await?
        .into_iter()
        .map(|service| (service, Figures::default()))
        .collect();
    for (service, patient, calls, denied) in rows {
        // Figures only for registered services, as the rules compare peers.
        let Some(found) = figures.get_mut(&service) else {
            continue;
        };
        found.calls += calls;
        found.denied += denied;
        let busier = match &found.busiest {
            None => true,
            Some((other, most)) => calls > *most || (calls == *most && patient < *other),
        };
        if !patient.is_empty() && busier {
            found.busiest = Some((patient, calls));
        }
    }
    Ok(figures)
}

/// Inserts `alert` unless one for its service and rule is open.
async fn raise(db: &Db, alert: &Alert) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO audit_alerts (id, service_id, rule, window_start, window_end, evidence, \
         raised_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (service_id, rule) WHERE closed_at IS NULL DO NOTHING",
    )
    .bind(&alert.id)
    .bind(&alert.service)
    .bind(alert.rule.as_str())
    .bind(alert.window_start)
    .bind(alert.window_end)
    .bind(alert.evidence.to_string())
    .bind(alert.raised_at)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The alerts, open ones first, newest first.
pub async fn alerts(db: &Db, open_only: bool) -> Result<Vec<Alert>> {
    let filter = if open_only {
        "WHERE closed_at IS NULL"
    } else {
        ""
    };
    Select::new(format!(
        "SELECT id, service_id, rule, window_start, window_end, evidence, raised_at, closed_at, \
         closed_by, note FROM audit_alerts {filter} \
         ORDER BY (closed_at IS NULL) DESC, raised_at DESC, id"
    ))
    .fetch_all(db, |row| {
        let rule = row.text(2)?;
        let evidence = row.text(5)?;
        Ok(Alert {
            id: row.text(0)?,
            service: row.text(1)?,
            rule: crate::db::decode("audit_alerts.rule", rule, Rule::parse)?,
            window_start: row.int(3)?,
            window_end: row.int(4)?,
            evidence: serde_json::from_str(&evidence)
                .unwrap_or(serde_json::Value::String(evidence)),
            raised_at: row.int(6)?,
            closed_at: row.int_or_null(7)?,
            closed_by: row.text_or_null(8)?,
            note: row.text_or_null(9)?,
        })
    })
    .await
}

/// Closes an open alert; false when there is no such open alert.
pub async fn close(db: &Db, id: &str, by: &str, note: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE audit_alerts SET closed_at = $1, closed_by = $2, note = $3 \
         WHERE id = $4 AND closed_at IS NULL",
    )
    .bind(now_millis())
    .bind(by)
    .bind(note)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Evaluates the rules every `period` while it lives.
#[derive(Debug)]
pub struct Watch {
    task: tokio::task::JoinHandle<()>,
}

impl Watch {
    pub fn spawn(db: Db, rules: MisuseRules, period: Duration) -> Watch {
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // Scans of the last hour, with SQLite's reads on the
                // caller's thread: off the async workers.
                let (db, handle) = (db.clone(), tokio::runtime::Handle::current());
                let evaluated = tokio::task::spawn_blocking(move || {
                    handle.block_on(evaluate(&db, &rules, now_millis()))
                })
                .await;
                if let Ok(Err(error)) = evaluated {
                    tracing::error!(%error, "evaluating the misuse rules failed");
                }
            }
        });
        Watch { task }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, Event, Outcome};
    use crate::db::grants::{self, ServiceRecord};
    use crate::model::{ComponentDigest, PatientId, ServiceId};

    const HOUR: i64 = 3_600_000;

    fn rules() -> MisuseRules {
        MisuseRules {
            window_secs: 3600,
            denied: 5,
            peer_factor: 3.0,
            peer_floor: 10,
            per_patient: 8,
        }
    }

    /// `count` calls by `service` to `patient`'s data, `ago` ms before now.
    /// A window's end just after the events recorded so far: windows
    /// leave out their last instant, which the next window covers.
    fn just_after() -> i64 {
        now_millis() + 1
    }

    fn calls(service: &str, patient: &str, denied: bool, count: usize, ago: i64) -> Vec<Event> {
        let id = ServiceId::new(service).unwrap();
        let outcome = if denied {
            Outcome::Denied {
                reason: "no granted scope opens this interface".into(),
            }
        } else {
            Outcome::Allowed
        };
        (0..count)
            .map(|_| {
                let mut event = Event::new(
                    Actor::component(&id, &ComponentDigest::of(b"c")),
                    Some(&PatientId::new(patient)),
                    "measures.list",
                    1,
                    outcome.clone(),
                );
                event.at -= ago;
                event
            })
            .collect()
    }

    async fn register(db: &Db, services: &[&str]) {
        for service in services {
            let record = ServiceRecord {
                id: ServiceId::new(*service).unwrap(),
                version: semver::Version::new(1, 0, 0),
                name: service.to_string(),
                requested: Vec::new(),
                sheet: officine_policy::SheetHash([0; 32]),
            };
            grants::register_service(db, &record).await.unwrap();
        }
    }

    /// Each case: the calls recorded, and the alerts the rules raise.
    #[tokio::test]
    async fn each_rule_raises_at_its_threshold_and_not_below() {
        type Case = (&'static str, Vec<Event>, Vec<(&'static str, Rule)>);
        let cases: Vec<Case> = vec![
            (
                "refused calls at the threshold are probing, below it are not",
                [
                    calls("fr.a.probe", "p1", true, 5, 0),
                    calls("fr.a.near", "p1", true, 4, 0),
                ]
                .concat(),
                vec![("fr.a.probe", Rule::Probing)],
            ),
            (
                "refusals outside the window do not count",
                calls("fr.a.old", "p1", true, 9, 2 * HOUR),
                vec![],
            ),
            (
                "far above the median of its peers, and over the floor",
                [
                    calls("fr.b.big", "p1", false, 7, 0),
                    calls("fr.b.big", "p2", false, 7, 0),
                    calls("fr.b.big", "p3", false, 7, 0),
                    calls("fr.b.one", "p1", false, 5, 0),
                    calls("fr.b.two", "p2", false, 6, 0),
                ]
                .concat(),
                vec![("fr.b.big", Rule::AbovePeers)],
            ),
            (
                "one patient reached too often",
                [
                    calls("fr.c.heavy", "p1", false, 8, 0),
                    calls("fr.c.light", "p1", false, 7, 0),
                    calls("fr.c.light", "p2", false, 7, 0),
                ]
                .concat(),
                vec![("fr.c.heavy", Rule::PerPatient)],
            ),
        ];
        let (_dir, dbs) = crate::db::testing::both().await;
        for db in dbs {
            for (name, events, expected) in &cases {
                // Each case on its own services, so cases do not mix.
                let services: std::collections::BTreeSet<String> = events
                    .iter()
                    .filter_map(|e| e.actor.service().map(str::to_owned))
                    .collect();
                let services: Vec<&str> = services.iter().map(String::as_str).collect();
                register(&db, &services).await;
                db.audit().record(events.clone()).await.unwrap();
                let raised = evaluate(&db, &rules(), just_after()).await.unwrap();
                let got: Vec<(&str, Rule)> = raised
                    .iter()
                    .filter(|a| services.contains(&a.service.as_str()))
                    .map(|a| (a.service.as_str(), a.rule))
                    .collect();
                assert_eq!(&got, expected, "{:?}: {name}", db.backend());
            }
        }
    }

    /// The rules count sealed events from the seals' counts and the rest
    /// from the log: each event once, before a seal and after it.
    #[tokio::test]
    async fn each_event_counts_once_whether_sealed_or_not() {
        let signer = std::sync::Arc::new(officine_registry::log::LogSigner::new(
            crate::audit::seal::ORIGIN,
            officine_registry::keys::KeyPair::generate().unwrap(),
        ));
        let (_dir, dbs) = crate::db::testing::both().await;
        for db in dbs {
            register(&db, &["fr.e.count", "fr.e.other"]).await;
            let figures = |db: Db| async move {
                // As `evaluate` does: what waits in a queue goes into the log.
                db.audit().flush().await.unwrap();
                let all = window_figures(&db, just_after() - HOUR, just_after())
                    .await
                    .unwrap();
                let found = &all["fr.e.count"];
                (found.calls, found.denied, found.busiest.clone())
            };
            db.audit()
                .record(
                    [
                        calls("fr.e.count", "p1", true, 3, 0),
                        calls("fr.e.count", "p2", false, 1, 0),
                    ]
                    .concat(),
                )
                .await
                .unwrap();
            db.audit()
                .record(calls("fr.e.count", "p1", false, 2, 2 * HOUR))
                .await
                .unwrap();
            let before = figures(db.clone()).await;
            assert_eq!(
                before,
                (4, 3, Some(("p1".to_owned(), 3))),
                "{:?}",
                db.backend()
            );
            crate::audit::seal::seal_all(&db, &signer).await.unwrap();
            assert_eq!(
                figures(db.clone()).await,
                before,
                "{:?}: sealed",
                db.backend()
            );
            db.audit()
                .record(calls("fr.e.count", "p2", false, 3, 0))
                .await
                .unwrap();
            assert_eq!(
                figures(db.clone()).await,
                (7, 3, Some(("p2".to_owned(), 4))),
                "{:?}: sealed and not",
                db.backend()
            );
        }
    }

    #[tokio::test]
    async fn an_open_alert_is_raised_once_and_again_after_it_is_closed() {
        let (_dir, dbs) = crate::db::testing::both().await;
        for db in dbs {
            register(&db, &["fr.d.probe"]).await;
            db.audit()
                .record(calls("fr.d.probe", "p1", true, 6, 0))
                .await
                .unwrap();
            let first = evaluate(&db, &rules(), just_after()).await.unwrap();
            assert_eq!(first.len(), 1);
            assert_eq!(first[0].evidence["denied"], 6);
            assert!(
                evaluate(&db, &rules(), just_after())
                    .await
                    .unwrap()
                    .is_empty()
            );
            let open = alerts(&db, true).await.unwrap();
            assert_eq!(open, first);

            assert!(
                close(&db, &first[0].id, "ansm", "the editor fixed it")
                    .await
                    .unwrap()
            );
            assert!(!close(&db, &first[0].id, "ansm", "twice").await.unwrap());
            assert!(alerts(&db, true).await.unwrap().is_empty());
            let again = evaluate(&db, &rules(), just_after()).await.unwrap();
            assert_eq!(again.len(), 1, "{:?}", db.backend());
            let all = alerts(&db, false).await.unwrap();
            assert_eq!(all.len(), 2);
            assert_eq!(all[1].note.as_deref(), Some("the editor fixed it"));
        }
    }
}
