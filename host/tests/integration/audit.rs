//! The audit record of real components' platform calls: one event per
//! call, what it says and what it never says, refusals and stops, a change
//! committed with its event, and a response withheld when its record
//! cannot be written.

use std::collections::BTreeSet;
use std::time::Duration;

use officine_host::audit::misuse::{self, MisuseRules, Rule};
use officine_host::audit::view;
use officine_host::audit::{Actor, Event, Outcome};
use officine_host::model::{ComponentDigest, PatientId, ServiceId, now_millis};
use officine_host::platform::PlatformLimits;
use officine_host::runtime::{InvokeError, RuntimeConfig};
use serde_json::Value;

use crate::server::{Server, header};
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

/// Every number in `value`, in document order.
fn numbers_in(value: &Value, out: &mut Vec<i64>) {
    match value {
        Value::Number(n) => out.push(n.as_i64().expect("whole numbers only")),
        Value::Array(items) => items.iter().for_each(|v| numbers_in(v, out)),
        Value::Object(fields) => fields.values().for_each(|v| numbers_in(v, out)),
        _ => {}
    }
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
        // Its only numbers are the time, the count and the grant's
        // revision: no measure's value.
        let mut numbers = Vec::new();
        numbers_in(&value, &mut numbers);
        assert_eq!(
            numbers,
            [event.at, grant.revision, event.records as i64],
            "{body}"
        );
        assert!(
            !body.contains("Camille") && !body.contains("Martin"),
            "{body}"
        );
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
        unwritable_queue(&scratch.db, &file).await;
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

/// Makes the SQLite queue where reads' events wait unwritable, from
/// outside the platform: a file where its directory was, found once the
/// segment being appended to is closed by a move.
async fn unwritable_queue(db: &officine_host::db::Db, database: &std::path::Path) {
    let queue = officine_host::audit::queue_path(database);
    std::fs::remove_dir_all(&queue).unwrap();
    std::fs::write(&queue, "not a directory").unwrap();
    let moved = db.audit().flush().await;
    assert!(moved.is_err(), "moved from a file: {moved:?}");
}

async fn weight_count(scratch: &Scratch) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM measures WHERE kind = 'weight'")
        .fetch_one(scratch.db.pool())
        .await
        .unwrap();
    n
}

/// The weight tracker's site and a session on it for the demo patient,
/// opened through the store's handshake, as a browser does.
async fn tracker_session(server: &Server) -> (String, String) {
    let token = server.token("patient:demo");
    let (status, headers, body) = server
        .send(
            "GET",
            "/s/fr.officine.weight-tracker?path=/",
            Some(&token),
            "",
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let location = header(&headers, "location").unwrap().to_owned();
    let site = format!("weight-tracker.svc.localhost:{}", server.addr.port());
    let path = &location[format!("http://{site}").len()..];
    let (status, headers, _) = server.get_at(&site, path, &[]).await;
    assert_eq!(status, 303);
    let cookie = header(&headers, "set-cookie").unwrap();
    let session = cookie.split(';').next().unwrap().to_owned();
    (site, session)
}

/// Opens the weight tracker's page as the demo patient.
async fn open_tracker(server: &Server) {
    let (site, session) = tracker_session(server).await;
    let (status, _, _) = server.get_at(&site, "/", &[("Cookie", &session)]).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn over_http_nothing_is_answered_that_could_not_be_recorded() {
    let server = Server::start().await;
    let (site, session) = tracker_session(&server).await;
    let demo = server.token("patient:demo");
    // The record made unwritable from outside the platform: on SQLite the
    // queue where reads' events wait, on PostgreSQL the table.
    match crate::BACKEND {
        officine_host::db::Backend::Sqlite => {
            unwritable_queue(&server.db, &server.data.join("officine.db")).await;
        }
        officine_host::db::Backend::Postgres => {
            sqlx::query("ALTER TABLE audit_events RENAME TO audit_events_elsewhere")
                .execute(server.db.pool())
                .await
                .unwrap();
        }
    }
    let (status, headers, body) = server.get_at(&site, "/", &[("Cookie", &session)]).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(header(&headers, "retry-after"), Some("1"));
    assert!(!body.contains("Suivi du poids"), "the page left: {body}");
    let (status, _, body) = server
        .send("GET", "/fhir/Observation?_count=5", Some(&demo), "")
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(!body.contains("29463-7"), "measures left: {body}");
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_patient_sees_who_accessed_their_data() {
    let server = Server::start().await;
    open_tracker(&server).await;
    let demo = server.token("patient:demo");
    let path = "/fhir/AuditEvent?agent=urn:officine:service%7Cfr.officine.weight-tracker";
    let (status, headers, body) = server.send("GET", path, Some(&demo), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/fhir+json")
    );
    let bundle = json(&body);
    let entries = bundle["entry"].as_array().expect("the page's accesses");
    let subtypes: BTreeSet<&str> = entries
        .iter()
        .map(|e| e["resource"]["subtype"][0]["code"].as_str().unwrap())
        .collect();
    assert!(
        subtypes.contains("search-type") && subtypes.contains("read"),
        "{subtypes:?}"
    );
    for entry in entries {
        let event = &entry["resource"];
        assert_eq!(event["resourceType"], "AuditEvent");
        assert_eq!(
            event["agent"][0]["who"]["identifier"]["value"],
            "fr.officine.weight-tracker"
        );
        assert_eq!(event["entity"][0]["what"]["reference"], "Patient/demo");
        assert_eq!(event["outcome"], "0");
    }

    // Another service's filter, another patient, a date before it all:
    // nothing of this.
    let (_, _, body) = server
        .send(
            "GET",
            "/fhir/AuditEvent?agent=fr.example.other",
            Some(&demo),
            "",
        )
        .await;
    assert_eq!(json(&body)["total"], 0);
    let other = server.token("patient:other-patient");
    let (status, _, body) = server
        .send("GET", "/fhir/AuditEvent", Some(&other), "")
        .await;
    assert_eq!(status, 200);
    assert!(!body.contains("Patient/demo"), "{body}");
    let (_, _, body) = server
        .send("GET", "/fhir/AuditEvent?date=lt2020-01-01", Some(&demo), "")
        .await;
    assert_eq!(json(&body)["total"], 0);

    // A search the platform does not support is refused by name.
    let (status, _, body) = server
        .send("GET", "/fhir/AuditEvent?patient=demo", Some(&demo), "")
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("OperationOutcome") && body.contains("patient"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn regulators_read_a_components_report_and_the_raw_log() {
    let server = Server::start().await;
    open_tracker(&server).await;
    let regulator = server.token("regulator:ansm");
    let (status, _, body) = server
        .send(
            "GET",
            "/api/regulator/audit/fr.officine.weight-tracker",
            Some(&regulator),
            "",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let report = json(&body);
    assert_eq!(report["patients"], 1);
    assert!(report["calls"].as_u64().unwrap() >= 3, "{report}");
    assert_eq!(report["denied"], 0);
    let calls: BTreeSet<&str> = report["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["call"].as_str().unwrap())
        .collect();
    assert!(
        calls.contains("measures.list") && calls.contains("storage.get"),
        "{calls:?}"
    );

    // A patient, an editor: not theirs to read.
    for hint in ["patient:demo", "editor:siret:00000000000018"] {
        let token = server.token(hint);
        let (status, _, _) = server
            .send(
                "GET",
                "/api/regulator/audit/fr.officine.weight-tracker",
                Some(&token),
                "",
            )
            .await;
        assert_eq!(status, 403, "{hint}");
    }
    let (status, _, body) = server
        .send(
            "GET",
            "/api/regulator/audit/fr.officine.weight-tracker?since=2026-13-01",
            Some(&regulator),
            "",
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // The raw log, once the events are placed (a seal a second), each
    // entry as hashed, and the report's own reading on record.
    let mut entries = Vec::new();
    for _ in 0..50 {
        let (status, _, body) = server
            .send(
                "GET",
                "/api/regulator/audit-log?limit=10000",
                Some(&regulator),
                "",
            )
            .await;
        assert_eq!(status, 200, "{body}");
        entries = json(&body)["entries"].as_array().unwrap().clone();
        if entries
            .iter()
            .any(|e| e["entry"].as_str().unwrap().contains("audit"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry["index"], i as u64);
        Event::from_entry(entry["entry"].as_str().unwrap()).expect("an event as logged");
    }
    assert!(
        entries.iter().any(|e| e["entry"]
            .as_str()
            .unwrap()
            .contains("\"kind\":\"regulator\"")),
        "the regulator's report is on record"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn regulators_work_the_misuse_queue() {
    let server = Server::start().await;
    // The tracker's component refused sixty times in a row: probing.
    let service = ServiceId::new(TRACKER).unwrap();
    let refusals = (0..60)
        .map(|_| {
            Event::new(
                Actor::component(&service, &ComponentDigest::of(b"c")),
                Some(&PatientId::new("demo")),
                "dmp.list",
                0,
                Outcome::Denied {
                    reason: "no granted scope opens this interface".into(),
                },
            )
        })
        .collect();
    server.db.audit().record(refusals).await.unwrap();
    // A window leaves out its last instant, which the next one covers.
    let window_end = now_millis() + 1;
    misuse::evaluate(&server.db, &MisuseRules::default(), window_end)
        .await
        .unwrap();
    // Raised by this evaluation or by the server's own, once.
    let open = misuse::alerts(&server.db, true).await.unwrap();
    let open: Vec<_> = open.iter().map(|a| (a.service.as_str(), a.rule)).collect();
    assert_eq!(open, [(TRACKER, Rule::Probing)]);

    let regulator = server.token("regulator:ansm");
    let (status, _, body) = server
        .send("GET", "/api/regulator/alerts", Some(&regulator), "")
        .await;
    assert_eq!(status, 200, "{body}");
    let alerts = json(&body);
    assert_eq!(alerts[0]["service"], TRACKER);
    assert_eq!(alerts[0]["rule"], "probing");
    assert_eq!(alerts[0]["evidence"]["denied"], 60);
    let id = alerts[0]["id"].as_str().unwrap().to_owned();
    let close = format!("/api/regulator/alerts/{id}/close");

    let patient = server.token("patient:demo");
    let (status, _, _) = server
        .send("POST", &close, Some(&patient), r#"{"note": "mine"}"#)
        .await;
    assert_eq!(status, 403);
    let (status, _, body) = server
        .send("POST", &close, Some(&regulator), r#"{"note": " "}"#)
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _, _) = server
        .send(
            "POST",
            "/api/regulator/alerts/nope/close",
            Some(&regulator),
            r#"{"note": "checked"}"#,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, body) = server
        .send(
            "POST",
            &close,
            Some(&regulator),
            r#"{"note": "the editor's bug, fixed in 0.1.1"}"#,
        )
        .await;
    assert_eq!(status, 204, "{body}");

    let (_, _, body) = server
        .send("GET", "/api/regulator/alerts", Some(&regulator), "")
        .await;
    assert_eq!(json(&body), serde_json::json!([]));
    let (_, _, body) = server
        .send(
            "GET",
            "/api/regulator/alerts?all=true",
            Some(&regulator),
            "",
        )
        .await;
    let all = json(&body);
    assert_eq!(all[0]["closed_by"], "ansm");
    assert_eq!(all[0]["note"], "the editor's bug, fixed in 0.1.1");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_patients_own_reads_and_consent_changes_are_on_record() {
    let server = Server::start().await;
    let demo = server.token("patient:demo");
    let (status, _, body) = server
        .send("GET", "/fhir/Observation?_count=5", Some(&demo), "")
        .await;
    assert_eq!(status, 200, "{body}");
    let patient = PatientId::new("demo");
    let tracker = ServiceId::new(TRACKER).unwrap();
    officine_host::consent::revoke(&server.db, &patient, &tracker, true, now_millis())
        .await
        .expect("the demo grant, revoked");

    let recorded = view::for_patient(&server.db, &patient, &view::PatientFilter::default())
        .await
        .unwrap();
    let by_patient: Vec<(String, u64)> = recorded
        .iter()
        .filter(|r| r.event.actor == Actor::patient(&patient))
        .map(|r| (call_name(&r.event), r.event.records))
        .collect();
    for expected in [
        ("measures.search".to_owned(), 5),
        ("consent.revoke".to_owned(), 1),
        ("storage.erase".to_owned(), 0),
    ] {
        assert!(
            by_patient.contains(&expected),
            "{expected:?} in {by_patient:?}"
        );
    }
    let revoke = recorded
        .iter()
        .find(|r| call_name(&r.event) == "consent.revoke")
        .unwrap();
    let grant = revoke.event.grant.as_ref().expect("the grant revoked");
    assert!(grant.revision >= 2, "{grant:?}");
}
