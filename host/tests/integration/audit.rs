//! The audit record of real components' platform calls: one event per
//! call, what it says and what it never says, refusals and stops, a change
//! committed with its event, and a response withheld when its record
//! cannot be written.

use std::collections::BTreeSet;
use std::time::Duration;

use officine_host::audit::{Event, Outcome};
use officine_host::platform::PlatformLimits;
use officine_host::runtime::{InvokeError, RuntimeConfig};
use serde_json::Value;

use crate::support::{
    Scratch, example_bytes, form_post, get, hostile_bytes, runtime, runtime_with,
};

const TRACKER: &str = "fr.officine.weight-tracker";
const HOSTILE: &str = "fr.officine.hostile";

/// Where the record stands now: what was recorded before (the demo data
/// seeded) is not what a test looks at.
async fn mark(scratch: &Scratch) -> i64 {
    scratch.db.audit().flush().await.unwrap();
    let (seq,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM audit_events")
        .fetch_one(scratch.db.pool())
        .await
        .unwrap();
    seq
}

/// Every event recorded after `mark`, in the order recorded.
async fn events(scratch: &Scratch, mark: i64) -> Vec<(String, Event)> {
    // Events of reads wait in a queue until a seal moves them into the log.
    scratch.db.audit().flush().await.unwrap();
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT body FROM audit_events WHERE seq > $1 ORDER BY seq")
            .bind(mark)
            .fetch_all(scratch.db.pool())
            .await
            .unwrap();
    rows.into_iter()
        .map(|(body,)| {
            let event = Event::from_entry(&body).expect("an audit event");
            (body, event)
        })
        .collect()
}

fn call_name(event: &Event) -> String {
    format!("{}.{}", event.interface, event.operation)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_platform_call_of_a_page_is_on_record_without_health_values() {
    let scratch = Scratch::new().await;
    let call = scratch.call(TRACKER).await;
    let component = runtime().load(example_bytes("weight-tracker")).unwrap();
    let since = mark(&scratch).await;
    let response = runtime().invoke(&component, &call, get("/")).await.unwrap();
    assert_eq!(response.status, 200);

    let recorded = events(&scratch, since).await;
    let calls: Vec<String> = recorded.iter().map(|(_, e)| call_name(e)).collect();
    assert_eq!(
        calls,
        ["measures.list", "measures.list", "storage.get"],
        "the page's three reads, in order"
    );
    let invocation = recorded[0].1.invocation.expect("an invocation id");
    let (weights,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM measures WHERE patient_id = $1 AND kind IN ('weight', 'bmi') \
         AND effective_at >= $2",
    )
    .bind(scratch.patient.as_str())
    .bind(officine_host::model::now_millis() - 90 * 24 * 3600 * 1000)
    .fetch_one(scratch.db.pool())
    .await
    .unwrap();
    let records: Vec<u64> = recorded.iter().map(|(_, e)| e.records).collect();
    assert_eq!(
        records,
        [weights as u64, 1, 0],
        "60 weights and BMIs, the height, no goal"
    );

    for (body, event) in &recorded {
        assert_eq!(event.invocation, Some(invocation));
        assert_eq!(event.outcome, Outcome::Allowed);
        assert_eq!(event.patient.as_deref(), Some(scratch.patient.as_str()));
        let grant = event.grant.as_ref().unwrap();
        assert_eq!(grant.id, call.grant.grant.id().as_str());
        assert_eq!(grant.revision, call.grant.revision);
        assert_eq!(event.actor.service(), Some(TRACKER));
        assert!(body.contains(&component.digest().to_string()), "{body}");
        // What an event may hold, and nothing else: no value, no name.
        let value: Value = serde_json::from_str(body).unwrap();
        let keys: BTreeSet<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "actor",
                "at",
                "grant",
                "interface",
                "invocation",
                "operation",
                "outcome",
                "patient",
                "records"
            ])
        );
        assert!(!body.contains("176") && !body.contains("Demo"), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_commits_with_its_event() {
    let scratch = Scratch::new().await;
    let call = scratch.call(TRACKER).await;
    let component = runtime().load(example_bytes("weight-tracker")).unwrap();
    let since = mark(&scratch).await;
    let response = runtime()
        .invoke(&component, &call, form_post("/weights", "kg=77.9"))
        .await
        .unwrap();
    assert!(response.status < 400, "{}", response.status);
    let recorded = events(&scratch, since).await;
    let add: Vec<&Event> = recorded
        .iter()
        .map(|(_, e)| e)
        .filter(|e| call_name(e) == "measures.add")
        .collect();
    assert_eq!(add.len(), 1, "{recorded:?}");
    assert_eq!(add[0].records, 2, "the weight and the BMI derived from it");
    assert_eq!(add[0].outcome, Outcome::Allowed);
    assert!(!recorded.iter().any(|(body, _)| body.contains("77.9")));
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_and_limits_are_recorded_with_their_reason() {
    let runtime = runtime_with(RuntimeConfig {
        platform: PlatformLimits {
            calls: 20,
            ..PlatformLimits::default()
        },
        ..RuntimeConfig::default()
    });
    let component = runtime.load(hostile_bytes("hostile")).unwrap();
    let scratch = Scratch::new().await;
    // Storage only: the measures interface is the denied stand-in.
    let call = scratch.call_with(HOSTILE, &["storage"]).await;
    let since = mark(&scratch).await;

    runtime
        .invoke(&component, &call, form_post("/write-bmi", ""))
        .await
        .unwrap();
    runtime
        .invoke(&component, &call, get("/flood"))
        .await
        .unwrap();
    let recorded = events(&scratch, since).await;
    let first = &recorded[0].1;
    assert_eq!(call_name(first), "measures.add");
    assert_eq!(
        first.outcome,
        Outcome::Denied {
            reason: "no granted scope opens this interface".into()
        }
    );
    let flood: Vec<&Event> = recorded[1..].iter().map(|(_, e)| e).collect();
    // The allowance's calls, then the first over it once: the calls past
    // it are answered without being made, or recorded.
    assert_eq!(flood.len(), 21, "{flood:?}");
    assert!(flood[..20].iter().all(|e| e.outcome == Outcome::Allowed));
    assert!(
        matches!(&flood[20].outcome, Outcome::Failed { reason } if reason.starts_with("limit: more than 20")),
        "{:?}",
        flood[20]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invocation_stopped_by_its_deadline_is_recorded() {
    let runtime = runtime_with(RuntimeConfig {
        deadline: Duration::from_millis(50),
        ..RuntimeConfig::default()
    });
    let component = runtime.load(hostile_bytes("hostile")).unwrap();
    let scratch = Scratch::new().await;
    let call = scratch.call(HOSTILE).await;
    let since = mark(&scratch).await;
    let error = runtime
        .invoke(&component, &call, get("/loop"))
        .await
        .unwrap_err();
    assert!(matches!(error, InvokeError::Deadline(_)), "{error}");
    let recorded = events(&scratch, since).await;
    let last = &recorded.last().unwrap().1;
    assert_eq!(call_name(last), "handler.handle");
    assert_eq!(
        last.outcome,
        Outcome::Failed {
            reason: "deadline".into()
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_whose_record_cannot_be_written_is_withheld() {
    let scratch = Scratch::new().await;
    let call = scratch.call(TRACKER).await;
    let component = runtime().load(example_bytes("weight-tracker")).unwrap();
    // The audit record made unwritable from outside the platform: its
    // table, and on SQLite the queue file where reads' events wait.
    sqlx::query("ALTER TABLE audit_events RENAME TO audit_events_elsewhere")
        .execute(scratch.db.pool())
        .await
        .unwrap();
    if let Some(file) = scratch.sqlite_file() {
        std::fs::create_dir(officine_host::audit::queue_path(&file)).unwrap();
    }
    match runtime().invoke(&component, &call, get("/")).await {
        Err(InvokeError::Unrecorded(_)) => {}
        Err(other) => panic!("{other}"),
        Ok(response) => panic!("answered {} without its record", response.status),
    }
    // A write is refused whole: no weight without its event.
    let before = weight_count(&scratch).await;
    let error = runtime()
        .invoke(&component, &call, form_post("/weights", "kg=77.9"))
        .await;
    assert!(error.is_err() || error.as_ref().unwrap().status >= 400);
    assert_eq!(weight_count(&scratch).await, before);
}

async fn weight_count(scratch: &Scratch) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM measures WHERE kind = 'weight'")
        .fetch_one(scratch.db.pool())
        .await
        .unwrap();
    n
}
