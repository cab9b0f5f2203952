//! A component that misbehaves on purpose, one route per misbehaviour, for
//! the host's tests (`host/tests/integration/hostile.rs`). Never listed.
//!
//! | route                   | what it does                                              |
//! |-------------------------|-----------------------------------------------------------|
//! | `GET /loop`             | loops forever                                             |
//! | `GET /mark-then-loop`   | stores the key `running`, then loops forever (a test sees it run) |
//! | `GET /alloc`            | allocates and touches memory, 1 MiB at a time, until refused |
//! | `GET /recurse`          | recurses until the stack overflows                        |
//! | `GET /panic`            | panics                                                    |
//! | `GET /oversized`        | answers a 2 MiB body                                      |
//! | `GET /flood`            | calls `storage::get` until an error; answers how many succeeded and the error |
//! | `GET /guess?ids=a,b,c`  | reaches for records by id: document content, event update and removal, and whether any list shows the id |
//! | `POST /write-outside`   | writes a weight, an event, a document, a message and a storage key, whatever its grant covers |
//! | `POST /write-bmi`       | writes a BMI                                              |
//!
//! Platform answers are reported as JSON: `{"ok": value}` or
//! `{"error": {"kind": "not-found"}}` (`kind` is the WIT error's case,
//! `reason` its text when it has one).

use std::collections::BTreeSet;
use std::hint::black_box;

use officine_sdk::{
    Error, MeasureKind, Request, Response, Router, Service, agenda, dmp, measures, messaging, now,
    storage, time,
};
use serde::Serialize;
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

struct Hostile;

impl Service for Hostile {
    fn handle(req: Request) -> Response {
        Router::new()
            .get("/loop", spin)
            .get("/mark-then-loop", mark_then_spin)
            .get("/alloc", alloc)
            .get("/recurse", recurse_route)
            .get("/panic", panic_route)
            .get("/oversized", oversized)
            .get("/flood", flood)
            .get("/guess", guess)
            .post("/write-outside", write_outside)
            .post("/write-bmi", write_bmi)
            .handle(req)
    }
}

officine_sdk::export!(Hostile);

fn mark_then_spin(req: Request) -> Response {
    match storage::set("running", b"1") {
        Ok(()) => spin(req),
        Err(e) => Response::json(&error_json(&e)).with_status(500),
    }
}

fn spin(_req: Request) -> Response {
    let mut turns: u64 = 0;
    loop {
        turns = black_box(turns.wrapping_add(1));
    }
}

fn alloc(_req: Request) -> Response {
    let mut held: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block: Vec<u8> = Vec::new();
        if let Err(refused) = block.try_reserve_exact(MIB) {
            return Response::json(&json!({
                "mebibytes": held.len(),
                "refused": refused.to_string(),
            }))
            .with_status(507);
        }
        // Every byte written: the pages are really used.
        block.resize(MIB, 0xa5);
        held.push(black_box(block));
    }
}

/// Not a tail call, and opaque to the optimiser: each level is a real frame.
fn recurse(depth: u64) -> u64 {
    if black_box(depth) == u64::MAX {
        return depth;
    }
    let below = recurse(black_box(depth + 1));
    black_box(below.wrapping_add(depth))
}

fn recurse_route(_req: Request) -> Response {
    Response::text(recurse(0).to_string())
}

fn panic_route(_req: Request) -> Response {
    panic!("the hostile component panics on purpose");
}

fn oversized(_req: Request) -> Response {
    Response::text("x".repeat(2 * MIB))
}

fn flood(_req: Request) -> Response {
    let mut succeeded: u64 = 0;
    loop {
        match storage::get("flood") {
            Ok(_) => succeeded += 1,
            Err(e) => {
                return Response::json(&json!({
                    "succeeded": succeeded,
                    "error": error_json(&e),
                }));
            }
        }
    }
}

fn guess(req: Request) -> Response {
    let ids = req.query_param("ids").unwrap_or_default();
    let listed = listed_ids();
    let draft = agenda::EventDraft::new(
        agenda::EventKind::Reminder,
        "Rendez-vous détourné",
        now() + time::DAY,
    );
    let report: Vec<Value> = ids
        .split(',')
        .filter(|id| !id.is_empty())
        .map(|id| {
            json!({
                "id": id,
                "dmp.content": outcome(
                    dmp::content(id).map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
                ),
                "agenda.update": outcome(agenda::update(id, &draft)),
                "agenda.remove": outcome(agenda::remove(id)),
                "listed": listed.contains(id),
            })
        })
        .collect();
    Response::json(&report)
}

/// Every record id the lists show this service.
fn listed_ids() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    if let Ok(found) = measures::list(&measures::Query::new()) {
        ids.extend(found.into_iter().map(|m| m.id));
    }
    if let Ok(found) = agenda::list(None, None, None) {
        ids.extend(found.into_iter().map(|e| e.id));
    }
    if let Ok(found) = dmp::list(&dmp::Query::new()) {
        ids.extend(found.into_iter().map(|d| d.id));
    }
    if let Ok(found) = messaging::list(None, None) {
        ids.extend(found.into_iter().map(|m| m.id));
    }
    ids
}

fn write_outside(_req: Request) -> Response {
    let at = now();
    let event =
        agenda::EventDraft::new(agenda::EventKind::Reminder, "Rappel intrus", at + time::DAY);
    let document = dmp::DocumentDraft {
        category: dmp::Category::Prevention,
        doc_type: "Note".to_owned(),
        title: "Document intrus".to_owned(),
        date: at,
        format: "text/plain".to_owned(),
        content: b"intrus".to_vec(),
    };
    Response::json(&json!({
        "measures.add": outcome(measures::add(MeasureKind::Weight, 70.0, at).map(|m| m.id)),
        "agenda.add": outcome(agenda::add(&event).map(|e| e.id)),
        "dmp.add": outcome(dmp::add(&document).map(|d| d.id)),
        "messaging.send": outcome(messaging::send("Message intrus", "intrus").map(|m| m.id)),
        "storage.set": outcome(storage::set("intrus", b"intrus")),
    }))
}

fn write_bmi(_req: Request) -> Response {
    Response::json(&json!({
        "measures.add": outcome(measures::add(MeasureKind::Bmi, 22.0, now()).map(|m| m.id)),
    }))
}

fn outcome<T: Serialize>(result: Result<T, Error>) -> Value {
    match result {
        Ok(value) => json!({ "ok": value }),
        Err(e) => json!({ "error": error_json(&e) }),
    }
}

fn error_json(e: &Error) -> Value {
    match e {
        Error::Denied => json!({ "kind": "denied" }),
        Error::NotFound => json!({ "kind": "not-found" }),
        Error::Invalid(reason) => json!({ "kind": "invalid", "reason": reason }),
        Error::Limit(reason) => json!({ "kind": "limit", "reason": reason }),
        Error::Unavailable => json!({ "kind": "unavailable" }),
        other => json!({ "kind": "other", "reason": other.to_string() }),
    }
}
