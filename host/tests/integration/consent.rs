//! Consent, enforced end to end: real components, real grants in SQLite.
//!
//! The components are the WAT guests of [`crate::platform`]; each test
//! grants a service some scopes, runs platform calls through a component,
//! and checks both what the component was answered and what the database
//! holds afterwards.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use officine_host::consent;
use officine_host::db::Db;
use officine_host::db::grants::{self, ServiceRecord};
use officine_host::db::measures as db_measures;
use officine_host::model::{MeasureKind as DbKind, PatientId, ServiceId, Writer, now_millis};
use officine_host::runtime::bindings::agenda::EventKind;
use officine_host::runtime::bindings::dmp::Category;
use officine_host::runtime::bindings::measures::{Measure, MeasureKind};
use officine_host::runtime::bindings::types::Error;
use officine_host::runtime::{CallContext, LoadedComponent};
use officine_policy::{Scope, SheetHash};

use crate::platform::{
    DAY, DocDraft, Draft, Guest, Memory, NONE_S64, NONE_U32, SERVICE, add_measure,
    agenda_add_component, agenda_list_component, agenda_remove_component, agenda_update_component,
    content, dmp_add_component, dmp_list_component, invoke, list_measures,
    messaging_list_component, messaging_send_component, once, ret, storage_delete, storage_get,
    storage_keys, storage_put, with_id,
};
use crate::support::{Scratch, get, request, runtime};

// ---------------------------------------------------------------------------
// Every operation under every scope
// ---------------------------------------------------------------------------

/// The platform operations, each made with fixed arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    MeasuresList,
    MeasuresAdd,
    AgendaList,
    AgendaAdd,
    AgendaUpdate,
    AgendaRemove,
    DmpList,
    DmpContent,
    DmpAdd,
    MessagingList,
    MessagingSend,
    StorageGet,
    StorageSet,
    StorageDelete,
    StorageKeys,
}

impl Call {
    const ALL: [Call; 15] = [
        Call::MeasuresList,
        Call::MeasuresAdd,
        Call::AgendaList,
        Call::AgendaAdd,
        Call::AgendaUpdate,
        Call::AgendaRemove,
        Call::DmpList,
        Call::DmpContent,
        Call::DmpAdd,
        Call::MessagingList,
        Call::MessagingSend,
        Call::StorageGet,
        Call::StorageSet,
        Call::StorageDelete,
        Call::StorageKeys,
    ];

    fn writes(self) -> bool {
        matches!(
            self,
            Call::MeasuresAdd
                | Call::AgendaAdd
                | Call::AgendaUpdate
                | Call::AgendaRemove
                | Call::DmpAdd
                | Call::MessagingSend
                | Call::StorageSet
                | Call::StorageDelete
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Denied,
    /// Refused as if the record did not exist.
    NotFound,
}

/// What a service granted exactly `scope` may do, written out by hand from
/// the scope table in `docs/consent.md` (not computed by the policy crate).
fn expected(scope: &str, call: Call) -> Outcome {
    let reads_measures = scope == "measures.read" || scope.starts_with("measures.read:");
    let reads_documents = scope == "dmp.read" || scope.starts_with("dmp.read:");
    let allowed = match call {
        Call::MeasuresList => reads_measures,
        // The call adds a weight.
        Call::MeasuresAdd => scope == "measures.write:weight",
        Call::AgendaList => scope == "agenda.read",
        Call::AgendaAdd | Call::AgendaUpdate | Call::AgendaRemove => scope == "agenda.write",
        Call::DmpList => reads_documents,
        // The call reads a lab result: another category's reader is told
        // it does not exist.
        Call::DmpContent => match scope {
            "dmp.read" | "dmp.read:lab-results" => true,
            _ if reads_documents => return Outcome::NotFound,
            _ => false,
        },
        // The call adds a report.
        Call::DmpAdd => scope == "dmp.write",
        Call::MessagingList => scope == "messaging.read",
        Call::MessagingSend => scope == "messaging.send",
        Call::StorageGet | Call::StorageSet | Call::StorageDelete | Call::StorageKeys => {
            scope == "storage"
        }
    };
    if allowed {
        Outcome::Allowed
    } else {
        Outcome::Denied
    }
}

/// What the service wrote before its grant was narrowed.
struct Fixture {
    own_events: [String; 2],
    lab_result: String,
}

fn draft(title: &str) -> Draft<'_> {
    Draft {
        kind: EventKind::Reminder,
        title,
        start: now_millis() + 3 * DAY,
        end: None,
        place: None,
    }
}

fn add_two_events() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    CELL.get_or_init(|| agenda_add_component(&[draft("Pesée"), draft("Marche")]))
}

fn add_one_event() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    CELL.get_or_init(|| agenda_add_component(&[draft("Rappel")]))
}

fn update_event() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    CELL.get_or_init(|| agenda_update_component(&draft("Pesée du matin")))
}

fn add_report() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    CELL.get_or_init(|| {
        dmp_add_component(&[DocDraft {
            category: Category::Reports,
            doc_type: "Bilan",
            title: "Bilan du programme",
            date: now_millis() - DAY,
            format: "text/plain",
            content: b"Programme suivi.",
        }])
    })
}

fn send_message() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    CELL.get_or_init(|| messaging_send_component(&[("Rappel", "Pensez à vous peser.")]))
}

/// Writes, as the service with every scope granted, what the calls then
/// work on.
async fn prepare(scratch: &Scratch) -> Fixture {
    let full = scratch.call(SERVICE).await;
    let added = invoke(add_two_events(), &full, get("/")).await;
    let own_events = [0, 1].map(|n| added.event_result(ret(n)).unwrap().id);
    storage_put(&full, "k", b"v").await.unwrap();
    let (lab_result,): (String,) =
        sqlx::query_as("SELECT id FROM documents WHERE category = 'lab-results'")
            .fetch_one(scratch.db.pool())
            .await
            .unwrap();
    Fixture {
        own_events,
        lab_result,
    }
}

async fn make(call: &CallContext, what: Call, fixture: &Fixture) -> Result<(), Error> {
    fn done<T>(result: Result<T, Error>) -> Result<(), Error> {
        result.map(|_| ())
    }
    match what {
        Call::MeasuresList => done(list_measures(call, 0).await.measure_list(ret(0))),
        Call::MeasuresAdd => {
            done(add_measure(call, MeasureKind::Weight, 70.0, now_millis() - DAY).await)
        }
        Call::AgendaList => done(
            invoke(agenda_list_component(), call, get("/"))
                .await
                .event_list(ret(0)),
        ),
        Call::AgendaAdd => done(
            invoke(add_one_event(), call, get("/"))
                .await
                .event_result(ret(0)),
        ),
        Call::AgendaUpdate => done(
            with_id(update_event(), call, &fixture.own_events[0])
                .await
                .event_result(ret(0)),
        ),
        Call::AgendaRemove => with_id(agenda_remove_component(), call, &fixture.own_events[1])
            .await
            .unit(ret(0)),
        Call::DmpList => done(
            invoke(dmp_list_component(), call, get("/"))
                .await
                .document_list(ret(0)),
        ),
        Call::DmpContent => done(content(call, &fixture.lab_result).await),
        Call::DmpAdd => done(
            invoke(add_report(), call, get("/"))
                .await
                .document_added(ret(0)),
        ),
        Call::MessagingList => done(
            invoke(messaging_list_component(), call, get("/"))
                .await
                .message_list(ret(0)),
        ),
        Call::MessagingSend => done(
            invoke(send_message(), call, get("/"))
                .await
                .message_sent(ret(0)),
        ),
        Call::StorageGet => done(storage_get(call, "k").await),
        Call::StorageSet => storage_put(call, "k2", b"w").await,
        Call::StorageDelete => storage_delete(call, "k").await,
        Call::StorageKeys => done(storage_keys(call).await),
    }
}

/// Every row a component could reach or change, as text.
async fn snapshot(scratch: &Scratch) -> Vec<String> {
    let mut rows = Vec::new();
    for sql in [
        "SELECT 'm|' || id || '|' || kind || '|' || CAST(value AS TEXT) || '|' || \
         CAST(effective_at AS TEXT) || '|' || COALESCE(grant_id, '') FROM measures",
        "SELECT 'a|' || id || '|' || title || '|' || CAST(starts_at AS TEXT) || '|' || \
         COALESCE(grant_id, '') FROM agenda_events",
        "SELECT 'd|' || id || '|' || category || '|' || title || '|' || \
         CAST(hidden AS TEXT) FROM documents",
        "SELECT 'x|' || id || '|' || subject || '|' || CAST(is_read AS TEXT) FROM messages",
        "SELECT 's|' || service_id || '|' || patient_id || '|' || key || '|' || \
         CAST(LENGTH(value) AS TEXT) FROM service_storage",
    ] {
        let found: Vec<(String,)> = sqlx::query_as(sql)
            .fetch_all(scratch.db.pool())
            .await
            .unwrap();
        rows.extend(found.into_iter().map(|(row,)| row));
    }
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_under_every_scope_is_allowed_or_denied_as_the_grant_says() {
    let scopes: Vec<String> = Scope::aliases().map(|s| s.to_string()).collect();
    // Each call is allowed by some scope: the table tests both outcomes.
    for call in Call::ALL {
        assert!(
            scopes.iter().any(|s| expected(s, call) == Outcome::Allowed),
            "{call:?}"
        );
    }
    for scope in &scopes {
        let scratch = Scratch::new().await;
        let fixture = prepare(&scratch).await;
        let call = scratch.call_with(SERVICE, &[scope.as_str()]).await;
        for what in Call::ALL {
            let before = snapshot(&scratch).await;
            let result = make(&call, what, &fixture).await;
            let after = snapshot(&scratch).await;
            let outcome = expected(scope, what);
            match (outcome, &result) {
                (Outcome::Allowed, Ok(())) => {
                    if what.writes() {
                        assert_ne!(before, after, "{scope} {what:?} changed nothing");
                    } else {
                        assert_eq!(before, after, "{scope} {what:?} is a read");
                    }
                }
                (Outcome::Denied, Err(Error::Denied))
                | (Outcome::NotFound, Err(Error::NotFound)) => {
                    assert_eq!(
                        before, after,
                        "{scope} {what:?} was refused but changed data"
                    );
                }
                _ => panic!("{scope} {what:?}: expected {outcome:?}, got {result:?}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn service_writes_record_the_grant_they_were_made_under() {
    let scratch = Scratch::new().await;
    let call = scratch.call_with(SERVICE, &["measures.write:weight"]).await;
    let added = add_measure(&call, MeasureKind::Weight, 71.0, now_millis() - DAY)
        .await
        .unwrap();
    let (grant_id, written_by): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT grant_id, written_by FROM measures WHERE id = $1")
            .bind(&added.id)
            .fetch_one(scratch.db.pool())
            .await
            .unwrap();
    assert_eq!(grant_id.as_deref(), Some(call.grant.grant.id().as_str()));
    assert_eq!(written_by.as_deref(), Some(SERVICE));
}

// ---------------------------------------------------------------------------
// Hidden data reads exactly like absent data
// ---------------------------------------------------------------------------

/// Lists glucose measures only (area 0) and every kind (area 1).
fn glucose_and_all() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    once(&CELL, || {
        let mut g = Guest::new();
        let glucose = g.bytes(&[MeasureKind::BloodGlucose as u8]);
        let (r0, r1) = (ret(0), ret(1));
        g.code(format!(
            r#"
    (call $measures.list {glucose} {NONE_S64} {NONE_S64} {NONE_U32} {r0})
    (call $measures.list (i32.const 0) (i32.const 0) {NONE_S64} {NONE_S64} {NONE_U32} {r1})"#
        ));
        g
    })
}

async fn glucose_then_all(call: &CallContext) -> (Vec<Measure>, Vec<Measure>) {
    let memory = invoke(glucose_and_all(), call, get("/")).await;
    (
        memory.measure_list(ret(0)).unwrap(),
        memory.measure_list(ret(1)).unwrap(),
    )
}

async fn add_as_patient(scratch: &Scratch, patient: &PatientId, kind: DbKind, value: f64) {
    db_measures::add(
        &scratch.db,
        patient,
        &Writer::Patient,
        kind,
        value,
        now_millis() - DAY,
    )
    .await
    .unwrap()
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_measure_kind_outside_the_grant_reads_like_one_with_no_data() {
    let scratch = Scratch::new().await;
    let (with_glucose, without) = (scratch.patient.clone(), PatientId::new("patient-b"));
    scratch
        .db
        .ensure_patient(&without, "Patient B")
        .await
        .unwrap();
    add_as_patient(&scratch, &with_glucose, DbKind::BloodGlucose, 105.0).await;
    add_as_patient(&scratch, &without, DbKind::Weight, 64.0).await;
    let all: Vec<Scope> = Scope::aliases().collect();
    let weight: Vec<Scope> = vec!["measures.read:weight".parse().unwrap()];

    let a = scratch
        .grant_as(&with_glucose, SERVICE, &all, &weight)
        .await;
    let b = scratch.grant_as(&without, SERVICE, &all, &weight).await;
    let (a_glucose, a_all) = glucose_then_all(&a).await;
    let (b_glucose, b_all) = glucose_then_all(&b).await;
    // The same answer about glucose for the patient who has some and the
    // one who has none; every-kind reads bring weights only.
    assert_eq!(format!("{a_glucose:?}"), format!("{b_glucose:?}"));
    assert!(a_glucose.is_empty());
    assert!(
        a_all.iter().all(|m| m.kind == MeasureKind::Weight),
        "{a_all:?}"
    );
    assert!(
        b_all.iter().all(|m| m.kind == MeasureKind::Weight),
        "{b_all:?}"
    );
    assert_eq!(b_all.len(), 1);

    // The glucose is there, for a service granted it.
    let glucose = vec!["measures.read:blood-glucose".parse().unwrap()];
    let reader = scratch
        .grant_as(&with_glucose, SERVICE, &all, &glucose)
        .await;
    let (found, everything) = glucose_then_all(&reader).await;
    assert_eq!(found.len(), 1);
    assert_eq!(format!("{found:?}"), format!("{everything:?}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_category_outside_the_grant_reads_like_one_with_no_document() {
    let scratch = Scratch::new().await;
    let call = scratch.call_with(SERVICE, &["dmp.read:lab-results"]).await;
    let memory = invoke(dmp_list_component(), &call, get("/")).await;
    let all = memory.document_list(ret(0)).unwrap();
    assert!(!all.is_empty());
    assert!(
        all.iter().all(|d| d.category == Category::LabResults),
        "{all:?}"
    );
    // Area 1 lists reports only: the patient has one, the service sees none.
    assert!(memory.document_list(ret(1)).unwrap().is_empty());
    let (report,): (String,) =
        sqlx::query_as("SELECT id FROM documents WHERE category = 'reports'")
            .fetch_one(scratch.db.pool())
            .await
            .unwrap();
    // Its content: exactly the answer for an id that never existed.
    assert!(matches!(
        content(&call, &report).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        content(&call, "0190d7a2-0000-7000-8000-000000000000").await,
        Err(Error::NotFound)
    ));
    let reader = scratch.call_with(SERVICE, &["dmp.read"]).await;
    assert!(content(&reader, &report).await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_time_window_clamps_what_is_read() {
    let scratch = Scratch::new().await;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let start_day = time::OffsetDateTime::from_unix_timestamp((now_millis() - 30 * DAY) / 1000)
        .unwrap()
        .date();
    let from = start_day.midnight().assume_utc().unix_timestamp() * 1000;
    let scope = format!(
        "patient/Observation.rs?date=ge{}",
        start_day.format(format).unwrap()
    );
    let call = scratch.call_with(SERVICE, &[scope.as_str()]).await;

    let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM measures")
        .fetch_one(scratch.db.pool())
        .await
        .unwrap();
    let (inside,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM measures WHERE effective_at >= $1")
            .bind(from)
            .fetch_one(scratch.db.pool())
            .await
            .unwrap();
    assert!(total > inside && inside > 0, "{total} {inside}");
    // Asking from the epoch changes nothing: the window is the query's.
    let memory = list_measures(&call, 0).await;
    let every_kind = memory.measure_list(ret(1)).unwrap_or_default();
    let weights = memory.measure_list(ret(2)).unwrap();
    assert!(
        weights.iter().all(|m| m.effective_at >= from),
        "{weights:?}"
    );
    let (weights_inside,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM measures WHERE kind = 'weight' AND effective_at >= $1",
    )
    .bind(from)
    .fetch_one(scratch.db.pool())
    .await
    .unwrap();
    assert_eq!(weights.len() as i64, weights_inside);
    assert!(every_kind.iter().all(|m| m.effective_at >= from));
    // A write dated before the window is refused, one inside it needs a
    // write scope, which this grant does not hold.
    assert!(matches!(
        add_measure(&call, MeasureKind::Weight, 70.0, from - DAY).await,
        Err(Error::Denied)
    ));
}

// ---------------------------------------------------------------------------
// Revocation, expiry, new versions
// ---------------------------------------------------------------------------

/// Stores a counter under "tick" (4 bytes, little-endian) again and again,
/// counting up after each success, until a call fails: then answers with
/// the failed call's result in area 0 and the counter at address 2048.
fn ticker() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    once(&CELL, || {
        let mut g = Guest::new();
        let key = g.str("tick");
        let counter = g.bytes(&[0; 4]);
        let r0 = ret(0);
        let at = counter.ptr;
        g.code(format!(
            r#"
    (block $failed
      (loop $again
        (call $storage.set {key} (i32.const {at}) (i32.const 4) {r0})
        (br_if $failed (i32.load8_u {r0}))
        (i32.store (i32.const {at}) (i32.add (i32.load (i32.const {at})) (i32.const 1)))
        (br $again)))"#
        ));
        g
    })
}

async fn stored_tick(scratch: &Scratch) -> Option<u32> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT value FROM service_storage WHERE key = 'tick'")
            .fetch_optional(scratch.db.pool())
            .await
            .unwrap();
    row.map(|(v,)| u32::from_le_bytes(v.try_into().unwrap()))
}

/// Runs the ticker under a storage grant, applies `change` from another
/// handle on the database once it has made a few calls, and checks that
/// the first call after the change was refused and nothing was stored
/// after it.
async fn change_while_running<F, Fut>(change: F)
where
    F: FnOnce(Db, PatientId) -> Fut,
    Fut: Future<Output = ()>,
{
    let scratch = Scratch::new().await;
    let call = scratch
        .call_with(SERVICE, &["storage", "measures.read"])
        .await;
    let component = ticker().clone();
    let running = tokio::spawn({
        let call = call.clone();
        async move { runtime().invoke(&component, &call, get("/")).await }
    });
    // Let it run a few calls, then change the grant as another process
    // sharing the database would: through its own connections, with no
    // memory shared with the running invocation.
    while stored_tick(&scratch).await.is_none_or(|t| t < 5) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    change(scratch.other_process().await, scratch.patient.clone()).await;
    let at_change = stored_tick(&scratch).await.unwrap();

    let response = running.await.unwrap().expect("the component answers");
    let memory = Memory(response.body);
    let refused = memory.unit(ret(0));
    assert!(matches!(refused, Err(Error::Denied)), "{refused:?}");
    // Nothing was stored after the change, and the first call made after
    // it was the one refused: every earlier one had succeeded.
    assert_eq!(stored_tick(&scratch).await, Some(at_change));
    let calls_made = memory.u32(crate::platform::DATA_START + 8);
    assert_eq!(calls_made, at_change + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revocation_stops_a_running_invocation_at_its_next_call() {
    change_while_running(|db, patient| async move {
        let service = ServiceId::new(SERVICE).unwrap();
        consent::revoke(&db, &patient, &service, false, now_millis())
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn narrowing_a_grant_applies_to_a_running_invocation_at_its_next_call() {
    change_while_running(|db, patient| async move {
        let service = ServiceId::new(SERVICE).unwrap();
        let now = now_millis();
        let measures_only = vec![Scope::measures_read(None)];
        consent::grant(&db, &patient, &service, measures_only, now, now + DAY)
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_and_erase_deletes_the_service_storage_and_nothing_else() {
    let scratch = Scratch::new().await;
    let mine = scratch.call(SERVICE).await;
    let other = scratch.call("fr.example.carnet").await;
    storage_put(&mine, "a", b"1").await.unwrap();
    storage_put(&mine, "b", b"2").await.unwrap();
    storage_put(&other, "a", b"3").await.unwrap();
    add_measure(&mine, MeasureKind::Weight, 70.0, now_millis() - DAY)
        .await
        .unwrap();
    let measures_before = snapshot(&scratch)
        .await
        .into_iter()
        .filter(|row| row.starts_with("m|"))
        .count();

    let service = ServiceId::new(SERVICE).unwrap();
    let revoked = consent::revoke(&scratch.db, &scratch.patient, &service, true, now_millis())
        .await
        .unwrap();
    assert_eq!(revoked.erased_keys, 2);
    let rows = snapshot(&scratch).await;
    let storage: Vec<&String> = rows.iter().filter(|r| r.starts_with("s|")).collect();
    assert_eq!(storage.len(), 1);
    assert!(
        storage[0].starts_with("s|fr.example.carnet|"),
        "{storage:?}"
    );
    // What the service wrote into the record is the patient's: it stays.
    assert_eq!(
        rows.iter().filter(|row| row.starts_with("m|")).count(),
        measures_before
    );
    // No grant in force any more; the running context is denied.
    let now = now_millis();
    assert!(
        consent::for_invocation(&scratch.db, &scratch.patient, &service, now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(storage_get(&mine, "a").await, Err(Error::Denied)));
    // Revoking again is an error that changes nothing.
    let again = consent::revoke(&scratch.db, &scratch.patient, &service, true, now).await;
    assert!(
        matches!(again, Err(consent::ConsentError::NoGrant { .. })),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_grant_is_a_revoked_grant() {
    let scratch = Scratch::new().await;
    let service = ServiceId::new(SERVICE).unwrap();
    let _ = scratch.call_with(SERVICE, &["storage"]).await;
    let now = now_millis();
    let short = consent::grant(
        &scratch.db,
        &scratch.patient,
        &service,
        vec![Scope::Storage],
        now - 1000,
        now + 300,
    )
    .await
    .unwrap();
    let call = CallContext {
        db: scratch.db.clone(),
        service_name: "Service".to_owned(),
        grant: std::sync::Arc::new(short),
        limits: Default::default(),
    };
    storage_put(&call, "a", b"1").await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(matches!(
        storage_put(&call, "a", b"2").await,
        Err(Error::Denied)
    ));
    assert!(matches!(storage_get(&call, "a").await, Err(Error::Denied)));
    assert!(
        consent::for_invocation(&scratch.db, &scratch.patient, &service, now_millis())
            .await
            .unwrap()
            .is_none()
    );
    let stored: (Vec<u8>,) = sqlx::query_as("SELECT value FROM service_storage WHERE key = 'a'")
        .fetch_one(scratch.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.0, b"1");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_version_runs_with_the_existing_grant_until_the_patient_consents() {
    let scratch = Scratch::new().await;
    let service = ServiceId::new(SERVICE).unwrap();
    let v1_scopes: Vec<Scope> = vec!["measures.read:weight".parse().unwrap(), Scope::Storage];
    let call = scratch
        .grant_as(&scratch.patient, SERVICE, &v1_scopes, &v1_scopes)
        .await;
    // Version 2 also requests the agenda.
    let mut v2_scopes = v1_scopes.clone();
    v2_scopes.push(Scope::agenda_read());
    let v2 = ServiceRecord {
        id: service.clone(),
        version: semver::Version::new(2, 0, 0),
        name: "Service v2".to_owned(),
        requested: v2_scopes.clone(),
        sheet: SheetHash([2; 32]),
    };
    grants::register_service(&scratch.db, &v2).await.unwrap();

    let current = consent::for_invocation(&scratch.db, &scratch.patient, &service, now_millis())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.grant.version(), &semver::Version::new(1, 0, 0));
    assert_eq!(
        consent::pending(&current.grant, &v2),
        vec![Scope::agenda_read()]
    );
    let agenda = |call: CallContext| async move {
        invoke(agenda_list_component(), &call, get("/"))
            .await
            .event_list(ret(0))
    };
    assert!(matches!(agenda(call.clone()).await, Err(Error::Denied)));

    // The patient consents to version 2's request: the agenda opens.
    let now = now_millis();
    let granted = consent::grant(
        &scratch.db,
        &scratch.patient,
        &service,
        v2_scopes,
        now,
        now + consent::DEFAULT_DURATION_MS,
    )
    .await
    .unwrap();
    assert_eq!(granted.grant.version(), &semver::Version::new(2, 0, 0));
    assert!(consent::pending(&granted.grant, &v2).is_empty());
    let call = CallContext {
        grant: std::sync::Arc::new(granted),
        ..call
    };
    assert!(agenda(call).await.unwrap().len() >= 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_beyond_the_request_is_refused_and_nothing_is_stored() {
    let scratch = Scratch::new().await;
    let requested: Vec<Scope> = vec!["measures.read:weight".parse().unwrap()];
    let _ = scratch
        .grant_as(&scratch.patient, SERVICE, &requested, &requested)
        .await;
    let service = ServiceId::new(SERVICE).unwrap();
    let now = now_millis();
    let before = grants::for_patient(&scratch.db, &scratch.patient)
        .await
        .unwrap();
    let wider = consent::grant(
        &scratch.db,
        &scratch.patient,
        &service,
        vec!["measures.read".parse().unwrap()],
        now,
        now + DAY,
    )
    .await;
    assert!(
        matches!(&wider, Err(e) if e.to_string() == "the service did not request measures.read"),
        "{wider:?}"
    );
    let unknown = consent::grant(
        &scratch.db,
        &scratch.patient,
        &ServiceId::new("fr.example.inconnu").unwrap(),
        requested.clone(),
        now,
        now + DAY,
    )
    .await;
    assert!(matches!(
        unknown,
        Err(consent::ConsentError::UnknownService(_))
    ));
    let nobody = consent::grant(
        &scratch.db,
        &PatientId::new("nobody"),
        &service,
        requested,
        now,
        now + DAY,
    )
    .await;
    assert!(matches!(
        nobody,
        Err(consent::ConsentError::UnknownPatient(_))
    ));
    let after = grants::for_patient(&scratch.db, &scratch.patient)
        .await
        .unwrap();
    assert_eq!(before.len(), after.len());
    assert_eq!(before[0].revision, after[0].revision);
    assert_eq!(before[0].grant.scopes(), after[0].grant.scopes());
}

// ---------------------------------------------------------------------------
// Pseudonyms
// ---------------------------------------------------------------------------

/// Answers with the request's `patient` field as its body.
fn echo_patient() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    once(&CELL, || {
        let mut g = Guest::new();
        // The response record is at 0: body list at +12/+16.
        g.code(
            r#"
    (i32.store16 (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (i32.const 0))
    (i32.store (i32.const 8) (i32.const 0))
    (i32.store (i32.const 12) (local.get $patient))
    (i32.store (i32.const 16) (local.get $patient_len))
    (return (i32.const 0))"#,
        );
        g
    })
}

async fn pseudonym(call: &CallContext) -> String {
    let response = runtime()
        .invoke(echo_patient(), call, request("GET", "/", Vec::new()))
        .await
        .unwrap();
    String::from_utf8(response.body).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_sees_a_per_service_pseudonym_never_the_patient_id() {
    let scratch = Scratch::new().await;
    let other_patient = PatientId::new("patient-b");
    scratch
        .db
        .ensure_patient(&other_patient, "Patient B")
        .await
        .unwrap();
    let mine = pseudonym(&scratch.call(SERVICE).await).await;
    assert_eq!(mine.len(), 32);
    assert!(mine.chars().all(|c| c.is_ascii_hexdigit()), "{mine}");
    assert!(!mine.contains(scratch.patient.as_str()));
    // Stable for the service, different for another service or patient.
    assert_eq!(mine, pseudonym(&scratch.call(SERVICE).await).await);
    assert_ne!(
        mine,
        pseudonym(&scratch.call("fr.example.carnet").await).await
    );
    assert_ne!(
        mine,
        pseudonym(&scratch.call_for(&other_patient, SERVICE).await).await
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_decided_under_old_terms_is_made_again_under_the_new_ones() {
    let scratch = Scratch::new().await;
    let service = ServiceId::new(SERVICE).unwrap();
    let kinds = |measures: Vec<Measure>| {
        let mut kinds: Vec<MeasureKind> = measures.into_iter().map(|m| m.kind).collect();
        kinds.dedup();
        format!("{kinds:?}")
    };
    let set_terms = |scope: &'static str| {
        let (db, patient, service) = (scratch.db.clone(), scratch.patient.clone(), service.clone());
        async move {
            let now = now_millis();
            consent::grant(
                &db,
                &patient,
                &service,
                vec![scope.parse().unwrap()],
                now,
                now + DAY,
            )
            .await
            .unwrap();
        }
    };

    // The invocation starts with weights only; the patient widens the grant
    // before its first call, which lists weights and heights: it sees both.
    let stale = scratch.call_with(SERVICE, &["measures.read:weight"]).await;
    set_terms("measures.read").await;
    let first = list_measures(&stale, 0).await.measure_list(ret(0)).unwrap();
    assert!(
        first.iter().any(|m| m.kind == MeasureKind::Height),
        "{}",
        kinds(first)
    );

    // And the other way: every kind narrowed to heights, before the call.
    let stale = scratch.call_with(SERVICE, &["measures.read"]).await;
    set_terms("measures.read:height").await;
    let first = list_measures(&stale, 0).await.measure_list(ret(0)).unwrap();
    assert!(!first.is_empty());
    assert!(
        first.iter().all(|m| m.kind == MeasureKind::Height),
        "{}",
        kinds(first)
    );
}

/// The weight tracker's manifest with its scopes replaced by `scopes`.
fn manifest_requesting(scopes: &[&str]) -> String {
    let workspace = officine_host::examples::workspace().unwrap();
    let text =
        std::fs::read_to_string(workspace.join("plugins/weight-tracker/officine.toml")).unwrap();
    let head = &text[..text.find("[[scopes]]").unwrap()];
    let mut manifest = head.to_owned();
    for scope in scopes {
        manifest.push_str(&format!(
            "[[scopes]]\nscope = \"{scope}\"\nreason = \"Pour le test.\"\n\n"
        ));
    }
    manifest
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_importing_an_interface_its_manifest_does_not_request_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = Guest::new();
    g.code(format!(
        "    (call $agenda.list {NONE_S64} {NONE_S64} {NONE_U32} {})",
        ret(0)
    ));
    let wasm = dir.path().join("agenda.wasm");
    std::fs::write(&wasm, crate::support::component_from_wat(&g.wat())).unwrap();
    let manifest = dir.path().join("officine.toml");

    std::fs::write(
        &manifest,
        manifest_requesting(&["storage", "measures.read"]),
    )
    .unwrap();
    let refused = officine_host::service::Service::load(runtime(), &wasm, &manifest)
        .err()
        .expect("refused");
    let message = refused.to_string();
    assert!(
        message.contains(
            "imports officine:platform/agenda but the manifest requests no scope for it \
             (request agenda.read or agenda.write"
        ),
        "{message}"
    );

    std::fs::write(&manifest, manifest_requesting(&["agenda.read"])).unwrap();
    assert!(officine_host::service::Service::load(runtime(), &wasm, &manifest).is_ok());
}
