//! Hostile components, built from source. `plugins/hostile` misbehaves in
//! one way per route; each crate of `plugins/hostile-imports` imports
//! something the platform never links. Each misbehaviour ends with the
//! error that names it (or the platform's answer, as the component reports
//! it), the host serves on, and no data changes.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use officine_host::db::{agenda, documents, measures as db_measures, messages};
use officine_host::model::{DocumentCategory, MeasureKind, PatientId, Writer, now_millis};
use officine_host::platform::PlatformLimits;
use officine_host::runtime::bindings::handler::{Request, Response};
use officine_host::runtime::{
    CallContext, InvokeError, LoadError, LoadedComponent, Runtime, RuntimeConfig,
};
use serde_json::{Value, json};

use crate::support::{
    Scratch, assert_still_serving, body_text, get, hostile_bytes, request, runtime, runtime_with,
};

/// The service the hostile component runs as.
const SERVICE: &str = "fr.officine.hostile";
const DAY: i64 = 24 * 3600 * 1000;

/// The tables platform calls write to, and how to count their rows.
const TABLES: [(&str, &str); 6] = [
    ("patients", "SELECT COUNT(*) FROM patients"),
    ("measures", "SELECT COUNT(*) FROM measures"),
    ("agenda_events", "SELECT COUNT(*) FROM agenda_events"),
    ("documents", "SELECT COUNT(*) FROM documents"),
    ("messages", "SELECT COUNT(*) FROM messages"),
    ("service_storage", "SELECT COUNT(*) FROM service_storage"),
];

/// The row count of each of [`TABLES`].
async fn rows(scratch: &Scratch) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for (table, sql) in TABLES {
        let (n,): (i64,) = sqlx::query_as(sql)
            .fetch_one(scratch.db.pool())
            .await
            .unwrap();
        counts.push((table, n));
    }
    counts
}

/// The hostile component, loaded once into the shared runtime.
fn hostile() -> &'static LoadedComponent {
    static COMPONENT: OnceLock<LoadedComponent> = OnceLock::new();
    COMPONENT.get_or_init(|| {
        runtime()
            .load(hostile_bytes("hostile"))
            .expect("the hostile component targets the service world")
    })
}

/// Runs `request` through `component` in `runtime`, and checks that the
/// runtime serves on and that no table gained or lost a row.
async fn invoke_checked(
    runtime: &Runtime,
    component: &LoadedComponent,
    scratch: &Scratch,
    call: &CallContext,
    request: Request,
) -> Result<Response, InvokeError> {
    let before = rows(scratch).await;
    let outcome = runtime.invoke(component, call, request).await;
    assert_still_serving(runtime).await;
    assert_eq!(rows(scratch).await, before, "no data changed");
    outcome
}

/// A JSON answer of the component, with its status checked.
fn json_body(response: &Response) -> Value {
    assert_eq!(response.status, 200, "{}", body_text(response));
    serde_json::from_slice(&response.body).unwrap()
}

fn error(kind: &str) -> Value {
    json!({ "error": { "kind": kind } })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_that_loops_forever_is_stopped_at_its_deadline() {
    let deadline = Duration::from_millis(200);
    let runtime = runtime_with(RuntimeConfig {
        deadline,
        ..RuntimeConfig::default()
    });
    let component = runtime.load(hostile_bytes("hostile")).unwrap();
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let started = Instant::now();
    let error = invoke_checked(&runtime, &component, &scratch, &call, get("/loop"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, InvokeError::Deadline(d) if d == deadline),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_that_allocates_without_end_is_stopped_at_its_memory_cap() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let error = invoke_checked(runtime(), hostile(), &scratch, &call, get("/alloc"))
        .await
        .unwrap_err();
    let cap = runtime().config().memory_per_instance;
    assert!(
        matches!(error, InvokeError::Memory { limit } if limit == cap),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_that_recurses_without_end_overflows_its_stack() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let error = invoke_checked(runtime(), hostile(), &scratch, &call, get("/recurse"))
        .await
        .unwrap_err();
    assert!(matches!(error, InvokeError::StackOverflow), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panic_is_a_trap_of_that_invocation_only() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let error = invoke_checked(runtime(), hostile(), &scratch, &call, get("/panic"))
        .await
        .unwrap_err();
    // A Rust panic aborts: the guest executes `unreachable`.
    assert!(
        matches!(&error, InvokeError::Trap(trap) if trap.contains("unreachable")),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_response_is_refused_with_the_limit() {
    // The production default: 1 MiB.
    let runtime = runtime_with(RuntimeConfig::default());
    let component = runtime.load(hostile_bytes("hostile")).unwrap();
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let error = invoke_checked(&runtime, &component, &scratch, &call, get("/oversized"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, InvokeError::ResponseTooLarge { limit: 1_048_576 }),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_platform_calls_is_answered_limit_past_the_allowance() {
    let runtime = runtime_with(RuntimeConfig {
        platform: PlatformLimits {
            calls: 50,
            ..PlatformLimits::default()
        },
        ..RuntimeConfig::default()
    });
    let component = runtime.load(hostile_bytes("hostile")).unwrap();
    let scratch = Scratch::new().await;
    let call = scratch.call_with(SERVICE, &["storage"]).await;
    // The allowance is per invocation: a second one gets as many.
    for _ in 0..2 {
        let response = invoke_checked(&runtime, &component, &scratch, &call, get("/flood"))
            .await
            .unwrap();
        let report = json_body(&response);
        assert_eq!(report["succeeded"], 50, "{report}");
        assert_eq!(report["error"]["kind"], "limit", "{report}");
        let reason = report["error"]["reason"].as_str().unwrap();
        assert!(reason.contains("50"), "{reason}");
    }
}

/// A second patient's records, one of each kind, all carrying `MARKER`.
struct OtherPatient {
    patient: PatientId,
    ids: Vec<String>,
    event: String,
}

const MARKER: &str = "Marqueur-patient-b";

async fn other_patient(scratch: &Scratch) -> OtherPatient {
    let patient = PatientId::new("patient-b");
    scratch
        .db
        .ensure_patient(&patient, &format!("Patient {MARKER}"))
        .await
        .unwrap();
    let professional = Writer::Professional {
        name: format!("Dr {MARKER}"),
        rpps: "10001234567".to_owned(),
    };
    let now = now_millis();
    let measure = db_measures::add(
        &scratch.db,
        &patient,
        &Writer::Patient,
        MeasureKind::Weight,
        81.5,
        now - DAY,
    )
    .await
    .unwrap()
    .unwrap();
    let event = agenda::add(
        &scratch.db,
        &patient,
        &professional,
        agenda::EventDraft {
            kind: agenda::EventKind::Appointment,
            title: format!("Consultation {MARKER}"),
            starts_at: now + 3 * DAY,
            ends_at: Some(now + 3 * DAY + 1_800_000),
            place: Some(format!("Cabinet {MARKER}")),
        },
    )
    .await
    .unwrap()
    .unwrap();
    let document = documents::add(
        &scratch.db,
        &patient,
        &professional,
        documents::DocumentDraft {
            category: DocumentCategory::LabResults,
            doc_type: "Compte rendu d'examens de biologie".to_owned(),
            title: format!("Bilan {MARKER}"),
            author: format!("Dr {MARKER}"),
            date: now - DAY,
            format: "text/plain".to_owned(),
            content: format!("Contenu {MARKER}").into_bytes(),
            masked: false,
        },
    )
    .await
    .unwrap()
    .unwrap();
    let message = messages::add(
        &scratch.db,
        &patient,
        &professional,
        &format!("Dr {MARKER}"),
        None,
        &format!("Objet {MARKER}"),
        &format!("Message {MARKER}"),
    )
    .await
    .unwrap()
    .unwrap();
    OtherPatient {
        patient,
        ids: vec![measure.id, event.id.clone(), document.id, message.id],
        event: event.id,
    }
}

/// An event as stored: title, start, end and place.
async fn event_row(scratch: &Scratch, id: &str) -> (String, i64, Option<i64>, Option<String>) {
    sqlx::query_as("SELECT title, starts_at, ends_at, place FROM agenda_events WHERE id = $1")
        .bind(id)
        .fetch_one(scratch.db.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn guessing_another_patients_record_ids_finds_nothing() {
    let scratch = Scratch::new().await;
    let other = other_patient(&scratch).await;
    let event_before = event_row(&scratch, &other.event).await;
    // The other patient has granted the service everything too.
    scratch.call_for(&other.patient, SERVICE).await;
    // One of the demo patient's own documents: the guessing does read what
    // the grant opens.
    let (own,): (String,) = sqlx::query_as(
        "SELECT id FROM documents WHERE patient_id = 'demo' AND category = 'lab-results'",
    )
    .fetch_one(scratch.db.pool())
    .await
    .unwrap();

    let call = scratch.call(SERVICE).await;
    let mut ids = other.ids.clone();
    ids.push(own.clone());
    let path = format!("/guess?ids={}", ids.join(","));
    let response = invoke_checked(runtime(), hostile(), &scratch, &call, get(&path))
        .await
        .unwrap();
    let text = body_text(&response);
    let report = json_body(&response);
    let report = report.as_array().unwrap();
    assert_eq!(report.len(), ids.len(), "{text}");

    for (entry, id) in report.iter().zip(&other.ids) {
        assert_eq!(entry["id"], id.as_str());
        for call in ["dmp.content", "agenda.update", "agenda.remove"] {
            assert_eq!(entry[call], error("not-found"), "{call} {id}: {text}");
        }
        assert_eq!(entry["listed"], false, "{id}: {text}");
        // Named only where the component echoes what it asked for.
        assert_eq!(text.matches(id.as_str()).count(), 1, "{id}: {text}");
    }
    let control = &report[ids.len() - 1];
    assert_eq!(control["id"], own.as_str());
    assert!(
        control["dmp.content"]["ok"]
            .as_str()
            .is_some_and(|c| c.contains("Cholestérol")),
        "{text}"
    );
    assert_eq!(control["listed"], true, "{text}");

    assert!(!text.contains(MARKER), "{text}");
    assert_eq!(event_row(&scratch, &other.event).await, event_before);
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_outside_the_grant_are_denied() {
    let scratch = Scratch::new().await;
    // Every interface open for reading, none for writing.
    let call = scratch
        .call_with(
            SERVICE,
            &[
                "measures.read:weight",
                "agenda.read",
                "dmp.read",
                "messaging.read",
            ],
        )
        .await;
    let response = invoke_checked(
        runtime(),
        hostile(),
        &scratch,
        &call,
        request("POST", "/write-outside", Vec::new()),
    )
    .await
    .unwrap();
    assert_eq!(
        json_body(&response),
        json!({
            "measures.add": error("denied"),
            "agenda.add": error("denied"),
            "dmp.add": error("denied"),
            "messaging.send": error("denied"),
            "storage.set": error("denied"),
        })
    );
}

/// The contract (`wit/measures.wit`, the SDK's documentation) says a BMI
/// write answers `invalid`.
#[tokio::test(flavor = "multi_thread")]
async fn writing_a_bmi_is_invalid() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let response = invoke_checked(
        runtime(),
        hostile(),
        &scratch,
        &call,
        request("POST", "/write-bmi", Vec::new()),
    )
    .await
    .unwrap();
    let report = json_body(&response);
    assert_eq!(
        report["measures.add"]["error"]["kind"], "invalid",
        "{report}"
    );
    let reason = report["measures.add"]["error"]["reason"].as_str().unwrap();
    assert!(reason.contains("bmi"), "{reason}");
}

/// The interfaces of the `service` world a component may import besides
/// its own platform's: what a Rust `std` guest needs.
const WASI_OFFERED: [&str; 4] = ["wasi:io/", "wasi:cli/", "wasi:clocks/", "wasi:random/"];

/// Checks that the component of `package` imports `interface` and nothing
/// else outside the `service` world but from `family`, and exports the
/// handler (so only its imports are wrong); then that the runtime refuses
/// it, naming each of those imports, and serves on.
async fn refused_for_its_import(package: &str, family: &str, interface: &str) {
    let bytes = hostile_bytes(package);
    let engine = runtime().engine();
    let ty = wasmtime::component::Component::new(engine, bytes)
        .unwrap()
        .component_type();
    let imported: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    assert!(
        imported.iter().any(|name| name.starts_with(interface)),
        "{package} does not import {interface}: {imported:?}"
    );
    let foreign: Vec<&String> = imported
        .iter()
        .filter(|name| {
            !name.starts_with("officine:platform/")
                && !WASI_OFFERED.iter().any(|offered| name.starts_with(offered))
        })
        .collect();
    assert!(
        foreign.iter().all(|name| name.starts_with(family)),
        "{package} imports {foreign:?}"
    );
    assert!(
        ty.exports(engine)
            .any(|(name, _)| name.starts_with("officine:platform/handler@0.1.")),
        "{package} does not export the handler"
    );

    // Refused, naming every one of those imports (the one asked for among
    // them), and only those.
    let error = runtime().load(bytes).unwrap_err();
    match &error {
        LoadError::ForbiddenImports(names) => {
            assert_eq!(names.iter().collect::<Vec<_>>(), foreign, "{package}");
            assert!(names.iter().any(|n| n.starts_with(interface)), "{names:?}");
        }
        other => panic!("{package}: expected ForbiddenImports, got {other:?}"),
    }
    assert!(error.to_string().contains(family), "{error}");
    assert_still_serving(runtime()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_importing_sockets_is_refused() {
    refused_for_its_import("hostile-sockets", "wasi:sockets/", "wasi:sockets/tcp@0.2.").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_importing_the_filesystem_is_refused() {
    refused_for_its_import(
        "hostile-filesystem",
        "wasi:filesystem/",
        "wasi:filesystem/types@0.2.",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_importing_outgoing_http_is_refused() {
    refused_for_its_import(
        "hostile-http",
        "wasi:http/",
        "wasi:http/outgoing-handler@0.2.12",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_importing_an_unknown_interface_is_refused() {
    refused_for_its_import(
        "hostile-unknown",
        "example:unknown/",
        "example:unknown/thing@0.1.0",
    )
    .await;
}
