//! Platform interfaces exercised by components built from WAT.
//!
//! Every test builds small core modules with [`Guest`]: the body of `handle`
//! calls platform functions, each writing its result into its own return
//! area, and the module answers with its whole linear memory (from address 0
//! to the allocator's top) as the response body. [`Memory`] then reads what
//! the host wrote there, following the canonical ABI layouts documented on
//! each decoder, and the tests compare it with the database.
//!
//! Canonical ABI (wasm32) used throughout:
//! - `string` / `list<T>`: (ptr, len) as two i32, 8 bytes, align 4.
//! - enums, `bool`: one byte (u8), flattened to one i32.
//! - `option<T>`: u8 discriminant, then `T` at the next multiple of `T`'s
//!   alignment; flattened to (i32 discriminant, `T`'s flat values).
//! - `result<T, error>`: u8 discriminant (0 ok, 1 err), payload at 4 when both
//!   sides are 4-aligned, at 8 when the ok side holds an s64/f64.
//! - `error`: u8 discriminant (denied 0, not-found 1, invalid 2, limit 3,
//!   unavailable 4), string payload at +4: 12 bytes, align 4.
//! - Parameters are flattened (at most 16 flat values here); results that
//!   flatten to more than one value go to a return area whose address is the
//!   last parameter (`retptr`).

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use officine_host::db::{documents, measures as db_measures};
use officine_host::model::{
    DocumentCategory, MeasureKind as DbKind, PatientId, Writer, now_millis,
};
use officine_host::runtime::bindings::agenda::{Event, EventKind};
use officine_host::runtime::bindings::dmp::{Category, DocumentMeta};
use officine_host::runtime::bindings::handler::Request;
use officine_host::runtime::bindings::measures::{Measure, MeasureKind};
use officine_host::runtime::bindings::messaging::Message;
use officine_host::runtime::bindings::types::{Error, Origin};
use officine_host::runtime::{CallContext, LoadedComponent};

use crate::support::{Scratch, component_from_wat, get, load, request, runtime};

/// The service the tests act as, and another one.
pub(crate) const SERVICE: &str = "fr.example.suivi-poids";
pub(crate) const OTHER: &str = "fr.example.carnet";
/// The display name `Scratch::call` gives `SERVICE`.
pub(crate) const SERVICE_NAME: &str = "Service fr.example.suivi-poids";

pub(crate) const MINUTE: i64 = 60 * 1000;
pub(crate) const DAY: i64 = 24 * 60 * MINUTE;
pub(crate) const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------
// Building components
// ---------------------------------------------------------------------------

/// Every platform function the tests call, with its lowered core signature.
pub(crate) const IMPORTS: &[(&str, &str, &str)] = &[
    // get(key: string) -> result<option<list<u8>>, error>: key, retptr
    ("storage", "get", "(param i32 i32 i32)"),
    // set(key: string, value: list<u8>) -> result<_, error>: key, value, retptr
    ("storage", "set", "(param i32 i32 i32 i32 i32)"),
    // delete(key: string) -> result<_, error>: key, retptr
    ("storage", "delete", "(param i32 i32 i32)"),
    // keys() -> result<list<string>, error>: retptr
    ("storage", "keys", "(param i32)"),
    // list(q: query) -> result<list<measure>, error>:
    // kinds (ptr, len), since (disc, i64), until (disc, i64), limit (disc, u32), retptr
    (
        "measures",
        "list",
        "(param i32 i32 i32 i64 i32 i64 i32 i32 i32)",
    ),
    // add(kind, value: f64, effective-at: s64) -> result<measure, error>: ..., retptr
    ("measures", "add", "(param i32 f64 i64 i32)"),
    // list(since: option<s64>, until: option<s64>, limit: option<u32>) -> result<list<event>, error>
    ("agenda", "list", "(param i32 i64 i32 i64 i32 i32 i32)"),
    // add(draft) -> result<event, error>: draft = kind, title (ptr, len), start i64,
    // end (disc, i64), place (disc, ptr, len); retptr
    (
        "agenda",
        "add",
        "(param i32 i32 i32 i64 i32 i64 i32 i32 i32 i32)",
    ),
    // update(id: string, draft) -> result<event, error>: id (ptr, len), draft, retptr
    (
        "agenda",
        "update",
        "(param i32 i32 i32 i32 i32 i64 i32 i64 i32 i32 i32 i32)",
    ),
    // remove(id: string) -> result<_, error>: id, retptr
    ("agenda", "remove", "(param i32 i32 i32)"),
    // list(q: query) -> result<list<document-meta>, error>:
    // categories (ptr, len), since (disc, i64), until (disc, i64), limit (disc, u32), retptr
    ("dmp", "list", "(param i32 i32 i32 i64 i32 i64 i32 i32 i32)"),
    // content(id: string) -> result<list<u8>, error>: id, retptr
    ("dmp", "content", "(param i32 i32 i32)"),
    // add(draft) -> result<document-meta, error>: draft = category, doc-type (ptr, len),
    // title (ptr, len), date i64, format (ptr, len), content (ptr, len); retptr
    (
        "dmp",
        "add",
        "(param i32 i32 i32 i32 i32 i64 i32 i32 i32 i32 i32)",
    ),
    // list(since: option<s64>, limit: option<u32>) -> result<list<message>, error>
    ("messaging", "list", "(param i32 i64 i32 i32 i32)"),
    // send(subject: string, body: string) -> result<message, error>: ..., retptr
    ("messaging", "send", "(param i32 i32 i32 i32 i32)"),
    // write(level, message: string, fields: list<tuple<string, string>>): no result
    ("log", "write", "(param i32 i32 i32 i32 i32)"),
];

/// The return area of a platform call: 128 bytes at a fixed, 8-aligned
/// address. Displays as its address, an i32 operand.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Area(u32);

/// Where the `n`th return area lives.
pub(crate) const fn ret(n: u32) -> Area {
    Area(64 + 128 * n)
}

/// Return areas end here; constant data follows.
pub(crate) const DATA_START: u32 = 64 + 128 * 16;

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(i32.const {})", self.0)
    }
}

/// A string or byte list placed in the module's data. Displays as its
/// flattened (ptr, len) operands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bytes {
    pub(crate) ptr: u32,
    pub(crate) len: u32,
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(i32.const {}) (i32.const {})", self.ptr, self.len)
    }
}

/// The request's body, as (ptr, len) operands.
pub(crate) const BODY: &str = "(local.get $body) (local.get $body_len)";
/// The request's path without its leading `/`, as (ptr, len) operands.
pub(crate) const PATH_TAIL: &str =
    "(i32.add (local.get $path) (i32.const 1)) (i32.sub (local.get $path_len) (i32.const 1))";
/// `none` for an `option<s64>` / `option<u32>` parameter.
pub(crate) const NONE_S64: &str = "(i32.const 0) (i64.const 0)";
pub(crate) const NONE_U32: &str = "(i32.const 0) (i32.const 0)";

/// A core module of the `service` world, assembled from the body of `handle`
/// and the constant data it uses. Platform functions are imported when the
/// code calls them (`(call $storage.get ...)`).
///
/// Memory map: the response record at 0, return areas from 64 (see
/// [`ret`]), constant data from [`DATA_START`], then the heap of a bump
/// allocator that grows the memory as needed.
pub(crate) struct Guest {
    data: Vec<(u32, Vec<u8>)>,
    top: u32,
    code: String,
}

impl Guest {
    pub(crate) fn new() -> Guest {
        Guest {
            data: Vec::new(),
            top: DATA_START,
            code: String::new(),
        }
    }

    /// Places bytes in the data section, 8-aligned.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> Bytes {
        let ptr = self.top;
        self.data.push((ptr, bytes.to_vec()));
        self.top = (ptr + bytes.len() as u32).next_multiple_of(8);
        Bytes {
            ptr,
            len: bytes.len() as u32,
        }
    }

    pub(crate) fn str(&mut self, s: &str) -> Bytes {
        self.bytes(s.as_bytes())
    }

    /// Appends WAT instructions to the body of `handle`.
    pub(crate) fn code(&mut self, wat: impl AsRef<str>) -> &mut Guest {
        self.code.push_str(wat.as_ref());
        self.code.push('\n');
        self
    }

    pub(crate) fn wat(&self) -> String {
        let imports: String = IMPORTS
            .iter()
            .filter(|(interface, func, _)| {
                let call = format!("(call ${interface}.{func}");
                self.code.match_indices(&call).any(|(at, _)| {
                    self.code[at + call.len()..]
                        .starts_with(|c: char| c.is_whitespace() || c == ')')
                })
            })
            .map(|(interface, func, signature)| {
                format!(
                    "  (import \"officine:platform/{interface}@0.1.0\" \"{func}\" \
                     (func ${interface}.{func} {signature}))\n"
                )
            })
            .collect();
        let data: String = self
            .data
            .iter()
            .map(|(at, bytes)| {
                let escaped: String = bytes.iter().map(|b| format!("\\{b:02x}")).collect();
                format!("  (data (i32.const {at}) \"{escaped}\")\n")
            })
            .collect();
        let heap = self.top.next_multiple_of(8);
        // Enough 64 KiB pages for the data; the allocator grows the rest.
        let pages = heap.div_ceil(65536).max(1);
        let code = &self.code;
        format!(
            r#"(module
{imports}
  (memory (export "memory") {pages})
{data}
  ;; Top of the bump allocator's heap.
  (global $heap (mut i32) (i32.const {heap}))

  ;; cabi_realloc(old_ptr, old_size, align, new_size) -> ptr
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    ;; round the top up to `align`
    (local.set $ptr
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    ;; grow the memory when the new top is past its end
    (if (i32.gt_u (global.get $heap) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.eq
              (memory.grow
                (i32.sub
                  (i32.shr_u (i32.add (global.get $heap) (i32.const 0xffff)) (i32.const 16))
                  (memory.size)))
              (i32.const -1))
          (then unreachable))))
    ;; a reallocation keeps the old bytes
    (if (local.get $old_size)
      (then
        (memory.copy (local.get $ptr) (local.get $old)
          (select (local.get $old_size) (local.get $size)
            (i32.lt_u (local.get $old_size) (local.get $size))))))
    (local.get $ptr))

  ;; handle(request) -> response: the request record flattened to twelve i32
  (func (export "officine:platform/handler@0.1.0#handle")
    (param $patient i32) (param $patient_len i32)
    (param $method i32) (param $method_len i32)
    (param $path i32) (param $path_len i32)
    (param $query i32) (param $query_len i32)
    (param $headers i32) (param $headers_len i32)
    (param $body i32) (param $body_len i32)
    (result i32)
{code}
    ;; the response record at 0: status u16 at +0, headers list at +4/+8
    ;; (empty), body list at +12/+16 = memory[0..heap)
    (i32.store16 (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (i32.const 0))
    (i32.store (i32.const 8) (i32.const 0))
    (i32.store (i32.const 12) (i32.const 0))
    (i32.store (i32.const 16) (global.get $heap))
    (i32.const 0))
)
"#
        )
    }

    /// Builds the component and loads it into the shared runtime.
    pub(crate) fn load(&self) -> LoadedComponent {
        load(&component_from_wat(&self.wat()))
    }
}

/// Builds a component once per test binary.
pub(crate) fn once(
    cell: &'static OnceLock<LoadedComponent>,
    build: fn() -> Guest,
) -> &'static LoadedComponent {
    cell.get_or_init(|| build().load())
}

// ---------------------------------------------------------------------------
// Reading what the component received
// ---------------------------------------------------------------------------

/// A component's linear memory from address 0, as it answered it.
pub(crate) struct Memory(pub(crate) Vec<u8>);

pub(crate) const MEASURE_KINDS: [MeasureKind; 9] = [
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
pub(crate) const EVENT_KINDS: [EventKind; 3] =
    [EventKind::Appointment, EventKind::Reminder, EventKind::Task];
pub(crate) const CATEGORIES: [Category; 8] = [
    Category::Summary,
    Category::Prescriptions,
    Category::Reports,
    Category::LabResults,
    Category::Imaging,
    Category::Vaccinations,
    Category::Prevention,
    Category::Certificates,
];
pub(crate) const ORIGINS: [Origin; 4] = [
    Origin::Patient,
    Origin::Professional,
    Origin::Service,
    Origin::Platform,
];

impl Memory {
    pub(crate) fn slice(&self, at: u32, len: u32) -> &[u8] {
        &self.0[at as usize..(at + len) as usize]
    }

    pub(crate) fn u8(&self, at: u32) -> u8 {
        self.0[at as usize]
    }

    pub(crate) fn bool(&self, at: u32) -> bool {
        match self.u8(at) {
            0 => false,
            1 => true,
            other => panic!("bool {other} at {at}"),
        }
    }

    pub(crate) fn u32(&self, at: u32) -> u32 {
        u32::from_le_bytes(self.slice(at, 4).try_into().unwrap())
    }

    pub(crate) fn u64(&self, at: u32) -> u64 {
        u64::from_le_bytes(self.slice(at, 8).try_into().unwrap())
    }

    pub(crate) fn i64(&self, at: u32) -> i64 {
        i64::from_le_bytes(self.slice(at, 8).try_into().unwrap())
    }

    pub(crate) fn f64(&self, at: u32) -> f64 {
        f64::from_le_bytes(self.slice(at, 8).try_into().unwrap())
    }

    /// The `list<u8>` whose (ptr, len) is at `at`.
    pub(crate) fn bytes(&self, at: u32) -> Vec<u8> {
        self.slice(self.u32(at), self.u32(at + 4)).to_vec()
    }

    /// The `string` whose (ptr, len) is at `at`.
    pub(crate) fn string(&self, at: u32) -> String {
        String::from_utf8(self.bytes(at)).expect("UTF-8 string")
    }

    /// The addresses of the elements of the list at `at`.
    pub(crate) fn list(&self, at: u32, stride: u32) -> Vec<u32> {
        let (ptr, len) = (self.u32(at), self.u32(at + 4));
        (0..len).map(|i| ptr + i * stride).collect()
    }

    /// `option<s64>`: discriminant at +0, value at +8.
    pub(crate) fn option_i64(&self, at: u32) -> Option<i64> {
        match self.u8(at) {
            0 => None,
            1 => Some(self.i64(at + 8)),
            other => panic!("option discriminant {other} at {at}"),
        }
    }

    /// `option<string>` / `option<list<u8>>`: discriminant at +0, list at +4.
    pub(crate) fn option_bytes(&self, at: u32) -> Option<Vec<u8>> {
        match self.u8(at) {
            0 => None,
            1 => Some(self.bytes(at + 4)),
            other => panic!("option discriminant {other} at {at}"),
        }
    }

    pub(crate) fn option_string(&self, at: u32) -> Option<String> {
        self.option_bytes(at)
            .map(|b| String::from_utf8(b).expect("UTF-8 string"))
    }

    /// `error`: discriminant at +0, the reason of `invalid`/`limit` at +4.
    pub(crate) fn error(&self, at: u32) -> Error {
        match self.u8(at) {
            0 => Error::Denied,
            1 => Error::NotFound,
            2 => Error::Invalid(self.string(at + 4)),
            3 => Error::Limit(self.string(at + 4)),
            4 => Error::Unavailable,
            other => panic!("error discriminant {other} at {at}"),
        }
    }

    /// `result<T, error>` in `area`, with both payloads at `payload`.
    pub(crate) fn result<T>(
        &self,
        area: Area,
        payload: u32,
        ok: impl FnOnce(&Memory, u32) -> T,
    ) -> Result<T, Error> {
        match self.u8(area.0) {
            0 => Ok(ok(self, area.0 + payload)),
            1 => Err(self.error(area.0 + payload)),
            other => panic!("result discriminant {other} at {}", area.0),
        }
    }

    /// `result<_, error>`: payload at +4.
    pub(crate) fn unit(&self, area: Area) -> Result<(), Error> {
        self.result(area, 4, |_, _| ())
    }

    /// `result<list<T>, error>`: the list at +4.
    pub(crate) fn results<T>(
        &self,
        area: Area,
        stride: u32,
        item: impl Fn(&Memory, u32) -> T,
    ) -> Result<Vec<T>, Error> {
        self.result(area, 4, |m, at| {
            m.list(at, stride).into_iter().map(|e| item(m, e)).collect()
        })
    }

    /// `measure` (48 bytes, align 8): id +0, kind +8, value +16, unit +24,
    /// effective-at +32, origin +40, mine +41.
    pub(crate) fn measure(&self, at: u32) -> Measure {
        Measure {
            id: self.string(at),
            kind: MEASURE_KINDS[self.u8(at + 8) as usize],
            value: self.f64(at + 16),
            unit: self.string(at + 24),
            effective_at: self.i64(at + 32),
            origin: ORIGINS[self.u8(at + 40) as usize],
            mine: self.bool(at + 41),
        }
    }

    /// `event` (64 bytes, align 8): id +0, kind +8, title +12, start +24,
    /// end +32 (option<s64>), place +48 (option<string>), origin +60, mine +61.
    pub(crate) fn event(&self, at: u32) -> Event {
        Event {
            id: self.string(at),
            kind: EVENT_KINDS[self.u8(at + 8) as usize],
            title: self.string(at + 12),
            start: self.i64(at + 24),
            end: self.option_i64(at + 32),
            place: self.option_string(at + 48),
            origin: ORIGINS[self.u8(at + 60) as usize],
            mine: self.bool(at + 61),
        }
    }

    /// `document-meta` (72 bytes, align 8): id +0, category +8, doc-type +12,
    /// title +20, author +28, origin +36, date +40, format +48, size +56, mine +64.
    pub(crate) fn document(&self, at: u32) -> DocumentMeta {
        DocumentMeta {
            id: self.string(at),
            category: CATEGORIES[self.u8(at + 8) as usize],
            doc_type: self.string(at + 12),
            title: self.string(at + 20),
            author: self.string(at + 28),
            origin: ORIGINS[self.u8(at + 36) as usize],
            date: self.i64(at + 40),
            format: self.string(at + 48),
            size: self.u64(at + 56),
            mine: self.bool(at + 64),
        }
    }

    /// `message` (64 bytes, align 8): id +0, thread +8, origin +16, sender +20,
    /// subject +28, body +36, sent-at +48, read +56, mine +57.
    pub(crate) fn message(&self, at: u32) -> Message {
        Message {
            id: self.string(at),
            thread: self.string(at + 8),
            origin: ORIGINS[self.u8(at + 16) as usize],
            sender: self.string(at + 20),
            subject: self.string(at + 28),
            body: self.string(at + 36),
            sent_at: self.i64(at + 48),
            read: self.bool(at + 56),
            mine: self.bool(at + 57),
        }
    }

    // Results of each platform function, by return area.

    pub(crate) fn measure_list(&self, area: Area) -> Result<Vec<Measure>, Error> {
        self.results(area, 48, Memory::measure)
    }

    /// `result<measure, error>`: payload at +8 (`measure` is 8-aligned).
    pub(crate) fn measure_added(&self, area: Area) -> Result<Measure, Error> {
        self.result(area, 8, Memory::measure)
    }

    pub(crate) fn event_list(&self, area: Area) -> Result<Vec<Event>, Error> {
        self.results(area, 64, Memory::event)
    }

    pub(crate) fn event_result(&self, area: Area) -> Result<Event, Error> {
        self.result(area, 8, Memory::event)
    }

    pub(crate) fn document_list(&self, area: Area) -> Result<Vec<DocumentMeta>, Error> {
        self.results(area, 72, Memory::document)
    }

    pub(crate) fn document_added(&self, area: Area) -> Result<DocumentMeta, Error> {
        self.result(area, 8, Memory::document)
    }

    pub(crate) fn message_list(&self, area: Area) -> Result<Vec<Message>, Error> {
        self.results(area, 64, Memory::message)
    }

    pub(crate) fn message_sent(&self, area: Area) -> Result<Message, Error> {
        self.result(area, 8, Memory::message)
    }
}

/// Runs a request and returns the component's memory.
pub(crate) async fn invoke(
    component: &LoadedComponent,
    call: &CallContext,
    request: Request,
) -> Memory {
    let response = runtime()
        .invoke(component, call, request.clone())
        .await
        .expect("the invocation succeeds");
    assert_eq!(response.status, 200);
    Memory(response.body)
}

pub(crate) fn digest(component: &LoadedComponent) -> Option<String> {
    Some(component.digest().to_hex())
}

pub(crate) fn assert_invalid<T: fmt::Debug>(result: Result<T, Error>, reason: &str) {
    match result {
        Err(Error::Invalid(r)) => assert!(
            r.contains(reason),
            "reason {r:?} does not mention {reason:?}"
        ),
        other => panic!("expected invalid ({reason}), got {other:?}"),
    }
}

pub(crate) async fn count(scratch: &Scratch, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(scratch.db.pool())
        .await
        .unwrap();
    n
}

// ---------------------------------------------------------------------------
// storage
// ---------------------------------------------------------------------------

/// A key-value front over `storage`, keyed by the request path without its
/// `/`: PUT stores the body, GET reads, DELETE removes (result in area 0);
/// every request then lists the keys (area 1).
pub(crate) fn storage_component() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    once(&CELL, || {
        let mut g = Guest::new();
        let (r0, r1) = (ret(0), ret(1));
        g.code(format!(
            r#"
    ;; the method's first byte picks the call
    (if (i32.eq (i32.load8_u (local.get $method)) (i32.const 0x50)) ;; PUT
      (then (call $storage.set {PATH_TAIL} {BODY} {r0})))
    (if (i32.eq (i32.load8_u (local.get $method)) (i32.const 0x47)) ;; GET
      (then (call $storage.get {PATH_TAIL} {r0})))
    (if (i32.eq (i32.load8_u (local.get $method)) (i32.const 0x44)) ;; DELETE
      (then (call $storage.delete {PATH_TAIL} {r0})))
    (call $storage.keys {r1})"#
        ));
        g
    })
}

pub(crate) async fn storage(call: &CallContext, method: &str, key: &str, value: &[u8]) -> Memory {
    invoke(
        storage_component(),
        call,
        request(method, &format!("/{key}"), value.to_vec()),
    )
    .await
}

pub(crate) async fn storage_put(call: &CallContext, key: &str, value: &[u8]) -> Result<(), Error> {
    storage(call, "PUT", key, value).await.unit(ret(0))
}

pub(crate) async fn storage_get(call: &CallContext, key: &str) -> Result<Option<Vec<u8>>, Error> {
    storage(call, "GET", key, b"")
        .await
        .result(ret(0), 4, Memory::option_bytes)
}

pub(crate) async fn storage_delete(call: &CallContext, key: &str) -> Result<(), Error> {
    storage(call, "DELETE", key, b"").await.unit(ret(0))
}

/// `result<list<string>, error>`: the list at +4, strings of 8 bytes.
pub(crate) async fn storage_keys(call: &CallContext) -> Result<Vec<String>, Error> {
    storage(call, "HEAD", "", b"")
        .await
        .results(ret(1), 8, Memory::string)
}

/// The stored value, read from the database.
pub(crate) async fn stored(
    scratch: &Scratch,
    service: &str,
    patient: &PatientId,
    key: &str,
) -> Option<Vec<u8>> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as(
        "SELECT value FROM service_storage WHERE service_id = $1 AND patient_id = $2 AND key = $3",
    )
    .bind(service)
    .bind(patient.as_str())
    .bind(key)
    .fetch_optional(scratch.db.pool())
    .await
    .unwrap();
    row.map(|(v,)| v)
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn storage_sets_gets_lists_and_deletes() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    assert!(storage_keys(&call).await.unwrap().is_empty());

    for (key, value) in [("poids-cible", "72.5"), ("Unite", "kg"), ("debut", "84")] {
        storage_put(&call, key, value.as_bytes()).await.unwrap();
    }
    assert_eq!(
        storage_get(&call, "poids-cible").await.unwrap(),
        Some(b"72.5".to_vec())
    );
    assert_eq!(storage_get(&call, "absente").await.unwrap(), None);
    // Byte order: upper case before lower case.
    assert_eq!(
        storage_keys(&call).await.unwrap(),
        ["Unite", "debut", "poids-cible"]
    );
    assert_eq!(
        stored(&scratch, SERVICE, &scratch.patient, "Unite").await,
        Some(b"kg".to_vec())
    );

    // Setting again replaces.
    storage_put(&call, "poids-cible", b"70").await.unwrap();
    assert_eq!(
        storage_get(&call, "poids-cible").await.unwrap(),
        Some(b"70".to_vec())
    );
    assert_eq!(
        stored(&scratch, SERVICE, &scratch.patient, "poids-cible").await,
        Some(b"70".to_vec())
    );
    assert_eq!(
        count(&scratch, "SELECT COUNT(*) FROM service_storage").await,
        3
    );

    storage_delete(&call, "debut").await.unwrap();
    assert_eq!(storage_get(&call, "debut").await.unwrap(), None);
    assert_eq!(storage_keys(&call).await.unwrap(), ["Unite", "poids-cible"]);
    assert_eq!(
        stored(&scratch, SERVICE, &scratch.patient, "debut").await,
        None
    );
    // Deleting an absent key is not an error.
    storage_delete(&call, "debut").await.unwrap();
    assert_eq!(
        count(&scratch, "SELECT COUNT(*) FROM service_storage").await,
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn storage_is_private_to_the_service_and_the_patient() {
    let scratch = Scratch::new().await;
    let mine = scratch.call(SERVICE).await;
    let other_service = scratch.call(OTHER).await;
    let patient_b = PatientId::new("patient-b");
    scratch
        .db
        .ensure_patient(&patient_b, "Patient B")
        .await
        .unwrap();
    let other_patient = scratch.call_for(&patient_b, SERVICE).await;

    storage_put(&mine, "objectif", b"A").await.unwrap();

    // Another service, same patient: nothing, and its own value apart.
    assert_eq!(storage_get(&other_service, "objectif").await.unwrap(), None);
    assert!(storage_keys(&other_service).await.unwrap().is_empty());
    storage_put(&other_service, "objectif", b"B").await.unwrap();
    // Deleting there leaves the first service's value alone.
    storage_delete(&other_service, "objectif").await.unwrap();
    storage_put(&other_service, "objectif", b"B").await.unwrap();

    // Same service, another patient: nothing.
    assert_eq!(storage_get(&other_patient, "objectif").await.unwrap(), None);
    assert!(storage_keys(&other_patient).await.unwrap().is_empty());
    storage_put(&other_patient, "objectif", b"C").await.unwrap();

    assert_eq!(
        storage_get(&mine, "objectif").await.unwrap(),
        Some(b"A".to_vec())
    );
    assert_eq!(
        storage_get(&other_service, "objectif").await.unwrap(),
        Some(b"B".to_vec())
    );
    assert_eq!(
        storage_get(&other_patient, "objectif").await.unwrap(),
        Some(b"C".to_vec())
    );
    assert_eq!(
        stored(&scratch, SERVICE, &scratch.patient, "objectif").await,
        Some(b"A".to_vec())
    );
    assert_eq!(
        stored(&scratch, OTHER, &scratch.patient, "objectif").await,
        Some(b"B".to_vec())
    );
    assert_eq!(
        stored(&scratch, SERVICE, &patient_b, "objectif").await,
        Some(b"C".to_vec())
    );
    assert_eq!(stored(&scratch, OTHER, &patient_b, "objectif").await, None);
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn storage_refuses_invalid_keys() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let too_long = "k".repeat(129);
    for (key, reason) in [
        ("", "1 to 128 bytes"),
        ("clé", "printable ASCII"),
        ("tab\there", "printable ASCII"),
        (too_long.as_str(), "1 to 128 bytes"),
    ] {
        assert_invalid(storage_put(&call, key, b"v").await, reason);
        assert_invalid(storage_get(&call, key).await, reason);
        assert_invalid(storage_delete(&call, key).await, reason);
    }
    // The longest key is accepted.
    storage_put(&call, &"k".repeat(128), b"v").await.unwrap();
    assert_eq!(storage_keys(&call).await.unwrap(), ["k".repeat(128)]);
    assert_eq!(
        count(&scratch, "SELECT COUNT(*) FROM service_storage").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn storage_enforces_its_quota() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    storage_put(&call, "k", b"v1").await.unwrap();

    // Key and value over 1 MiB: refused, the old value stays.
    let result = storage_put(&call, "k", &vec![7; MIB]).await;
    assert!(
        matches!(&result, Err(Error::Limit(r)) if r.contains("quota")),
        "{result:?}"
    );
    assert_eq!(storage_get(&call, "k").await.unwrap(), Some(b"v1".to_vec()));
    assert_eq!(
        stored(&scratch, SERVICE, &scratch.patient, "k").await,
        Some(b"v1".to_vec())
    );

    // Exactly 1 MiB, key included, fits; the value being replaced does not count.
    storage_put(&call, "k", &vec![1; MIB - 1]).await.unwrap();
    storage_put(&call, "k", &vec![2; MIB - 1]).await.unwrap();
    assert_eq!(
        stored(&scratch, SERVICE, &scratch.patient, "k").await,
        Some(vec![2; MIB - 1])
    );
    // Then not one more key.
    let result = storage_put(&call, "x", b"y").await;
    assert!(matches!(&result, Err(Error::Limit(_))), "{result:?}");
    assert_eq!(stored(&scratch, SERVICE, &scratch.patient, "x").await, None);

    // The quota is per (service, patient): another service still has room.
    storage_put(&scratch.call(OTHER).await, "x", b"y")
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------
// measures
// ---------------------------------------------------------------------------

/// Lists measures four ways: weight and height (area 0), every kind, at most
/// 3 (area 1), weights since the i64 in the request body (area 2), and with
/// `since` after `until` (area 3).
pub(crate) fn measures_list_component() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    once(&CELL, || {
        let mut g = Guest::new();
        let weight_height = g.bytes(&[0, 1]);
        let weight = g.bytes(&[0]);
        let (r0, r1, r2, r3) = (ret(0), ret(1), ret(2), ret(3));
        g.code(format!(
            r#"
    ;; kinds, since, until, limit, retptr
    (call $measures.list {weight_height} {NONE_S64} {NONE_S64} {NONE_U32} {r0})
    (call $measures.list (i32.const 0) (i32.const 0) {NONE_S64} {NONE_S64} (i32.const 1) (i32.const 3) {r1})
    (call $measures.list {weight} (i32.const 1) (i64.load (local.get $body)) {NONE_S64} {NONE_U32} {r2})
    (call $measures.list {weight} (i32.const 1) (i64.const 2) (i32.const 1) (i64.const 1) {NONE_U32} {r3})"#
        ));
        g
    })
}

/// Adds the measure described by the request body: kind u32, value f64,
/// effective-at i64, little-endian (area 0).
pub(crate) fn measures_add_component() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    once(&CELL, || {
        let mut g = Guest::new();
        let r0 = ret(0);
        g.code(format!(
            r#"
    (call $measures.add
      (i32.load (local.get $body))            ;; kind
      (f64.load offset=4 (local.get $body))   ;; value
      (i64.load offset=12 (local.get $body))  ;; effective-at
      {r0})"#
        ));
        g
    })
}

pub(crate) async fn add_measure(
    call: &CallContext,
    kind: MeasureKind,
    value: f64,
    at: i64,
) -> Result<Measure, Error> {
    let mut body = (kind as u32).to_le_bytes().to_vec();
    body.extend(value.to_le_bytes());
    body.extend(at.to_le_bytes());
    invoke(measures_add_component(), call, request("POST", "/", body))
        .await
        .measure_added(ret(0))
}

pub(crate) async fn list_measures(call: &CallContext, since: i64) -> Memory {
    invoke(
        measures_list_component(),
        call,
        request("GET", "/", since.to_le_bytes().to_vec()),
    )
    .await
}

pub(crate) type MeasureRow = (
    String,
    String,
    f64,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub(crate) async fn measure_row(scratch: &Scratch, id: &str) -> MeasureRow {
    sqlx::query_as(
        "SELECT patient_id, kind, value, effective_at, origin, written_by, component_digest, derived_from \
         FROM measures WHERE id = $1",
    )
    .bind(id)
    .fetch_one(scratch.db.pool())
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn measures_lists_the_seeded_measures_newest_first() {
    let scratch = Scratch::new().await;
    let since = now_millis() - 10 * DAY;
    let memory = list_measures(&scratch.call(SERVICE).await, since).await;

    let listed = memory.measure_list(ret(0)).unwrap();
    let expected: Vec<(String, String, f64, i64)> = sqlx::query_as(
        "SELECT id, kind, value, effective_at FROM measures \
         WHERE patient_id = $1 AND kind IN ('weight', 'height') ORDER BY effective_at DESC, id DESC",
    )
    .bind(scratch.patient.as_str())
    .fetch_all(scratch.db.pool())
    .await
    .unwrap();
    // 41 weights, every third day over 120 days, and one height.
    assert_eq!(listed.len(), 42);
    assert_eq!(expected.len(), 42);
    for (m, (id, _, value, at)) in listed.iter().zip(&expected) {
        assert_eq!((&m.id, m.value, m.effective_at), (id, *value, *at));
        assert!(!m.mine);
    }
    let (weights, height) = listed.split_at(41);
    for pair in weights.windows(2) {
        assert!(
            pair[0].effective_at > pair[1].effective_at,
            "not newest first"
        );
    }
    for w in weights {
        assert_eq!(
            (w.kind, w.unit.as_str(), w.origin),
            (MeasureKind::Weight, "kg", Origin::Patient)
        );
        assert!((75.0..=85.0).contains(&w.value), "{w:?}");
    }
    let height = &height[0];
    assert_eq!(
        (
            height.kind,
            height.value,
            height.unit.as_str(),
            height.origin
        ),
        (MeasureKind::Height, 176.0, "cm", Origin::Professional)
    );

    // Every kind, limit 3: the newest rows, whatever their kind.
    let newest = memory.measure_list(ret(1)).unwrap();
    let expected: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM measures WHERE patient_id = $1 ORDER BY effective_at DESC, id DESC LIMIT 3",
    )
    .bind(scratch.patient.as_str())
    .fetch_all(scratch.db.pool())
    .await
    .unwrap();
    assert_eq!(
        newest.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        expected.iter().map(|(id,)| id.as_str()).collect::<Vec<_>>()
    );
    let bmi = newest
        .iter()
        .find(|m| m.kind == MeasureKind::Bmi)
        .expect("the newest BMI");
    assert_eq!((bmi.unit.as_str(), bmi.origin), ("kg/m2", Origin::Platform));

    // Weights since ten days ago: the last four.
    let recent = memory.measure_list(ret(2)).unwrap();
    assert_eq!(
        recent.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        weights[..4]
            .iter()
            .map(|m| m.id.as_str())
            .collect::<Vec<_>>()
    );
    assert!(recent.iter().all(|m| m.effective_at >= since));

    assert_invalid(memory.measure_list(ret(3)), "since is after until");
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn measures_add_a_weight_and_its_bmi() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let at = now_millis();
    let added = add_measure(&call, MeasureKind::Weight, 80.0, at)
        .await
        .unwrap();
    assert!(!added.id.is_empty());
    assert_eq!(
        (
            added.kind,
            added.value,
            added.unit.as_str(),
            added.effective_at,
            added.origin,
            added.mine
        ),
        (MeasureKind::Weight, 80.0, "kg", at, Origin::Service, true)
    );

    assert_eq!(
        measure_row(&scratch, &added.id).await,
        (
            scratch.patient.as_str().to_owned(),
            "weight".to_owned(),
            80.0,
            at,
            "service".to_owned(),
            Some(SERVICE.to_owned()),
            digest(measures_add_component()),
            None,
        )
    );
    // The BMI, from the seeded height of 176 cm.
    let bmis: Vec<(String,)> = sqlx::query_as("SELECT id FROM measures WHERE derived_from = $1")
        .bind(added.id.as_str())
        .fetch_all(scratch.db.pool())
        .await
        .unwrap();
    assert_eq!(bmis.len(), 1);
    let expected_bmi = (80.0 / (1.76f64 * 1.76) * 10.0).round() / 10.0;
    assert_eq!(expected_bmi, 25.8);
    assert_eq!(
        measure_row(&scratch, &bmis[0].0).await,
        (
            scratch.patient.as_str().to_owned(),
            "bmi".to_owned(),
            expected_bmi,
            at,
            "platform".to_owned(),
            None,
            None,
            Some(added.id.clone()),
        )
    );

    // Listed first, as this service's own; another service sees it too, not as its own.
    let listed = list_measures(&call, at).await.measure_list(ret(2)).unwrap();
    assert_eq!(listed[0].id, added.id);
    assert!(listed[0].mine);
    assert!(listed[1..].iter().all(|m| !m.mine));
    let listed = list_measures(&scratch.call(OTHER).await, at)
        .await
        .measure_list(ret(2))
        .unwrap();
    assert_eq!(
        (listed[0].id.as_str(), listed[0].mine),
        (added.id.as_str(), false)
    );
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn measures_refuse_bmi_implausible_values_and_bad_dates() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let now = now_millis();
    let before = count(&scratch, "SELECT COUNT(*) FROM measures").await;
    // BMI is computed by the platform: writing one is invalid, whatever
    // the grant says.
    assert!(matches!(
        add_measure(&call, MeasureKind::Bmi, 22.0, now - DAY).await,
        Err(Error::Invalid(reason)) if reason.contains("computed")
    ));
    for (kind, value, at, reason) in [
        (
            MeasureKind::Weight,
            0.1,
            now - DAY,
            "between 0.5 and 500 kg",
        ),
        (
            MeasureKind::Weight,
            501.0,
            now - DAY,
            "between 0.5 and 500 kg",
        ),
        (
            MeasureKind::Weight,
            f64::NAN,
            now - DAY,
            "between 0.5 and 500 kg",
        ),
        (
            MeasureKind::Weight,
            f64::INFINITY,
            now - DAY,
            "between 0.5 and 500 kg",
        ),
        (
            MeasureKind::PainSeverity,
            11.0,
            now - DAY,
            "between 0 and 10",
        ),
        (MeasureKind::Weight, 72.0, now + DAY, "future"),
        (
            MeasureKind::Weight,
            72.0,
            -3_000_000_000_000,
            "plausible date",
        ),
    ] {
        assert_invalid(add_measure(&call, kind, value, at).await, reason);
    }
    assert_eq!(
        count(&scratch, "SELECT COUNT(*) FROM measures").await,
        before
    );
}

// ---------------------------------------------------------------------------
// agenda
// ---------------------------------------------------------------------------

/// An `event-draft`, rendered as its flattened parameters.
#[derive(Clone, Copy)]
pub(crate) struct Draft<'a> {
    pub(crate) kind: EventKind,
    pub(crate) title: &'a str,
    pub(crate) start: i64,
    pub(crate) end: Option<i64>,
    pub(crate) place: Option<&'a str>,
}

/// The draft fields of an event: kind, title, start, end, place.
pub(crate) type DraftFields<'a> = (EventKind, &'a str, i64, Option<i64>, Option<&'a str>);

pub(crate) fn fields_of(e: &Event) -> DraftFields<'_> {
    (e.kind, &e.title, e.start, e.end, e.place.as_deref())
}

impl Draft<'_> {
    pub(crate) fn fields(&self) -> DraftFields<'_> {
        (self.kind, self.title, self.start, self.end, self.place)
    }

    /// kind, title (ptr, len), start, end (disc, i64), place (disc, ptr, len).
    pub(crate) fn args(&self, g: &mut Guest) -> String {
        let title = g.str(self.title);
        let end = match self.end {
            Some(end) => format!("(i32.const 1) (i64.const {end})"),
            None => NONE_S64.to_owned(),
        };
        let place = match self.place {
            Some(place) => format!("(i32.const 1) {}", g.str(place)),
            None => "(i32.const 0) (i32.const 0) (i32.const 0)".to_owned(),
        };
        format!(
            "(i32.const {kind}) {title} (i64.const {start}) {end} {place}",
            kind = self.kind as u32,
            start = self.start
        )
    }
}

/// Lists events: all (area 0), the first one starting at or after the i64
/// in the request body (area 1), and with `since` after `until` (area 2).
pub(crate) fn agenda_list_component() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    once(&CELL, || {
        let mut g = Guest::new();
        let (r0, r1, r2) = (ret(0), ret(1), ret(2));
        g.code(format!(
            r#"
    ;; since, until, limit, retptr
    (call $agenda.list {NONE_S64} {NONE_S64} {NONE_U32} {r0})
    (call $agenda.list (i32.const 1) (i64.load (local.get $body)) {NONE_S64} (i32.const 1) (i32.const 1) {r1})
    (call $agenda.list (i32.const 1) (i64.const 2) (i32.const 1) (i64.const 1) {NONE_U32} {r2})"#
        ));
        g
    })
}

/// Adds each draft, the `n`th into area `n`.
pub(crate) fn agenda_add_component(drafts: &[Draft]) -> LoadedComponent {
    let mut g = Guest::new();
    for (n, draft) in drafts.iter().enumerate() {
        let args = draft.args(&mut g);
        g.code(format!("    (call $agenda.add {args} {})", ret(n as u32)));
    }
    g.load()
}

/// Updates the event whose id is the request body with `draft` (area 0).
pub(crate) fn agenda_update_component(draft: &Draft) -> LoadedComponent {
    let mut g = Guest::new();
    let args = draft.args(&mut g);
    g.code(format!(
        "    (call $agenda.update {BODY} {args} {})",
        ret(0)
    ));
    g.load()
}

/// Removes the event whose id is the request body (area 0).
pub(crate) fn agenda_remove_component() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    once(&CELL, || {
        let mut g = Guest::new();
        g.code(format!("    (call $agenda.remove {BODY} {})", ret(0)));
        g
    })
}

pub(crate) async fn with_id(component: &LoadedComponent, call: &CallContext, id: &str) -> Memory {
    invoke(
        component,
        call,
        request("POST", "/", id.as_bytes().to_vec()),
    )
    .await
}

pub(crate) type EventRow = (
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

pub(crate) async fn event_row(scratch: &Scratch, id: &str) -> Option<EventRow> {
    sqlx::query_as(
        "SELECT kind, title, starts_at, ends_at, place, origin, written_by, component_digest \
         FROM agenda_events WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(scratch.db.pool())
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn agenda_lists_the_seeded_events_earliest_first() {
    let scratch = Scratch::new().await;
    let now = now_millis();
    let memory = invoke(
        agenda_list_component(),
        &scratch.call(SERVICE).await,
        request("GET", "/", now.to_le_bytes().to_vec()),
    )
    .await;
    let events = memory.event_list(ret(0)).unwrap();

    let expected: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, starts_at FROM agenda_events WHERE patient_id = $1 ORDER BY starts_at",
    )
    .bind(scratch.patient.as_str())
    .fetch_all(scratch.db.pool())
    .await
    .unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(
        events
            .iter()
            .map(|e| (e.id.clone(), e.start))
            .collect::<Vec<_>>(),
        expected
    );
    let summary: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.title.as_str(), e.place.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                EventKind::Appointment,
                "Consultation de suivi",
                Some("Cabinet du Dr Bernard")
            ),
            (
                EventKind::Appointment,
                "Bilan sanguin",
                Some("Laboratoire Pasteur")
            ),
            (EventKind::Reminder, "Renouveler l'ordonnance", None),
            (
                EventKind::Appointment,
                "Consultation de suivi",
                Some("Cabinet du Dr Bernard")
            ),
        ]
    );
    for e in &events {
        assert_eq!(e.end, Some(e.start + 30 * MINUTE));
        assert_eq!((e.origin, e.mine), (Origin::Professional, false));
    }

    // Since now, at most one: the coming reminder.
    let next = memory.event_list(ret(1)).unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].id, events[2].id);

    assert_invalid(memory.event_list(ret(2)), "since is after until");
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn agenda_adds_updates_and_removes_its_own_events() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let start = now_millis() + 3 * DAY;

    let draft = Draft {
        kind: EventKind::Task,
        title: "Pesée du matin",
        start,
        end: None,
        place: Some("Salle de bain"),
    };
    let add = agenda_add_component(&[draft]);
    let added = invoke(&add, &call, get("/"))
        .await
        .event_result(ret(0))
        .unwrap();
    assert_eq!(fields_of(&added), draft.fields());
    assert_eq!((added.origin, added.mine), (Origin::Service, true));
    assert_eq!(
        event_row(&scratch, &added.id).await,
        Some((
            "task".to_owned(),
            "Pesée du matin".to_owned(),
            start,
            None,
            Some("Salle de bain".to_owned()),
            "service".to_owned(),
            Some(SERVICE.to_owned()),
            digest(&add),
        ))
    );
    let patient: (String,) = sqlx::query_as("SELECT patient_id FROM agenda_events WHERE id = $1")
        .bind(added.id.as_str())
        .fetch_one(scratch.db.pool())
        .await
        .unwrap();
    assert_eq!(patient.0, scratch.patient.as_str());

    // Update its own event.
    let start2 = start + DAY;
    let draft = Draft {
        kind: EventKind::Appointment,
        title: "Pesée hebdomadaire",
        start: start2,
        end: Some(start2 + 15 * MINUTE),
        place: None,
    };
    let update = agenda_update_component(&draft);
    let updated = with_id(&update, &call, &added.id)
        .await
        .event_result(ret(0))
        .unwrap();
    assert_eq!(updated.id, added.id);
    assert_eq!(fields_of(&updated), draft.fields());
    assert_eq!((updated.origin, updated.mine), (Origin::Service, true));
    let row = event_row(&scratch, &added.id).await.unwrap();
    assert_eq!(
        (
            row.0.as_str(),
            row.1.as_str(),
            row.2,
            row.3,
            row.4.as_deref(),
            row.5.as_str(),
            row.6.as_deref()
        ),
        (
            "appointment",
            "Pesée hebdomadaire",
            start2,
            Some(start2 + 15 * MINUTE),
            None,
            "service",
            Some(SERVICE)
        )
    );

    // Another service may neither update nor remove it.
    let other = scratch.call(OTHER).await;
    assert!(matches!(
        with_id(&update, &other, &added.id)
            .await
            .event_result(ret(0)),
        Err(Error::Denied)
    ));
    assert!(matches!(
        with_id(agenda_remove_component(), &other, &added.id)
            .await
            .unit(ret(0)),
        Err(Error::Denied)
    ));
    assert_eq!(event_row(&scratch, &added.id).await, Some(row));

    // Remove it.
    with_id(agenda_remove_component(), &call, &added.id)
        .await
        .unit(ret(0))
        .unwrap();
    assert_eq!(event_row(&scratch, &added.id).await, None);
    let again = with_id(agenda_remove_component(), &call, &added.id)
        .await
        .unit(ret(0));
    assert!(matches!(again, Err(Error::NotFound)), "{again:?}");
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn agenda_denies_others_events_and_reports_unknown_ids() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let (seeded,): (String,) = sqlx::query_as(
        "SELECT id FROM agenda_events WHERE patient_id = $1 ORDER BY starts_at LIMIT 1",
    )
    .bind(scratch.patient.as_str())
    .fetch_one(scratch.db.pool())
    .await
    .unwrap();
    let before = event_row(&scratch, &seeded).await.unwrap();
    assert_eq!(
        (before.5.as_str(), before.6.as_deref()),
        ("professional", None)
    );

    let update = agenda_update_component(&Draft {
        kind: EventKind::Reminder,
        title: "Déplacé",
        start: now_millis() + DAY,
        end: None,
        place: None,
    });
    let result = with_id(&update, &call, &seeded).await.event_result(ret(0));
    assert!(matches!(result, Err(Error::Denied)), "{result:?}");
    let result = with_id(agenda_remove_component(), &call, &seeded)
        .await
        .unit(ret(0));
    assert!(matches!(result, Err(Error::Denied)), "{result:?}");
    assert_eq!(event_row(&scratch, &seeded).await, Some(before));

    let too_long = "0".repeat(65);
    for unknown in ["0190c0de0000700080000000000000ff", too_long.as_str()] {
        let result = with_id(&update, &call, unknown).await.event_result(ret(0));
        assert!(matches!(result, Err(Error::NotFound)), "{result:?}");
        let result = with_id(agenda_remove_component(), &call, unknown)
            .await
            .unit(ret(0));
        assert!(matches!(result, Err(Error::NotFound)), "{result:?}");
    }

    // Another patient's event is not found, not denied.
    let patient_b = PatientId::new("patient-b");
    scratch
        .db
        .ensure_patient(&patient_b, "Patient B")
        .await
        .unwrap();
    let call_b = scratch.call_for(&patient_b, SERVICE).await;
    let result = with_id(&update, &call_b, &seeded)
        .await
        .event_result(ret(0));
    assert!(matches!(result, Err(Error::NotFound)), "{result:?}");
    assert_eq!(
        count(&scratch, "SELECT COUNT(*) FROM agenda_events").await,
        4
    );
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn agenda_refuses_invalid_drafts() {
    let scratch = Scratch::new().await;
    let start = now_millis() + DAY;
    let long_title = "a".repeat(201);
    let add = agenda_add_component(&[
        Draft {
            kind: EventKind::Appointment,
            title: "Fin avant le début",
            start,
            end: Some(start - MINUTE),
            place: None,
        },
        Draft {
            kind: EventKind::Task,
            title: "",
            start,
            end: None,
            place: None,
        },
        Draft {
            kind: EventKind::Task,
            title: &long_title,
            start,
            end: None,
            place: None,
        },
        Draft {
            kind: EventKind::Task,
            title: "Trop tard",
            start: 10_000_000_000_000, // year 2286
            end: None,
            place: None,
        },
        Draft {
            kind: EventKind::Task,
            title: "Lieu",
            start,
            end: None,
            place: Some("ligne\nsuivante"),
        },
    ]);
    let memory = invoke(&add, &scratch.call(SERVICE).await, get("/")).await;
    assert_invalid(memory.event_result(ret(0)), "end is before start");
    assert_invalid(memory.event_result(ret(1)), "title must be 1 to 200");
    assert_invalid(memory.event_result(ret(2)), "title must be 1 to 200");
    assert_invalid(memory.event_result(ret(3)), "start is not a plausible date");
    assert_invalid(
        memory.event_result(ret(4)),
        "place must not contain control",
    );
    assert_eq!(
        count(&scratch, "SELECT COUNT(*) FROM agenda_events").await,
        4
    );
}

// ---------------------------------------------------------------------------
// dmp
// ---------------------------------------------------------------------------

/// Lists documents: every category (area 0), reports only (area 1), and with
/// `since` after `until` (area 2).
pub(crate) fn dmp_list_component() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    once(&CELL, || {
        let mut g = Guest::new();
        let reports = g.bytes(&[Category::Reports as u8]);
        let (r0, r1, r2) = (ret(0), ret(1), ret(2));
        g.code(format!(
            r#"
    ;; categories, since, until, limit, retptr
    (call $dmp.list (i32.const 0) (i32.const 0) {NONE_S64} {NONE_S64} {NONE_U32} {r0})
    (call $dmp.list {reports} {NONE_S64} {NONE_S64} {NONE_U32} {r1})
    (call $dmp.list (i32.const 0) (i32.const 0) (i32.const 1) (i64.const 2) (i32.const 1) (i64.const 1) {NONE_U32} {r2})"#
        ));
        g
    })
}

/// The content of the document whose id is the request body (area 0).
pub(crate) fn dmp_content_component() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    once(&CELL, || {
        let mut g = Guest::new();
        g.code(format!("    (call $dmp.content {BODY} {})", ret(0)));
        g
    })
}

/// A `document-draft`.
pub(crate) struct DocDraft<'a> {
    pub(crate) category: Category,
    pub(crate) doc_type: &'a str,
    pub(crate) title: &'a str,
    pub(crate) date: i64,
    pub(crate) format: &'a str,
    pub(crate) content: &'a [u8],
}

/// Adds each draft, the `n`th into area `n`.
pub(crate) fn dmp_add_component(drafts: &[DocDraft]) -> LoadedComponent {
    let mut g = Guest::new();
    for (n, d) in drafts.iter().enumerate() {
        let (doc_type, title, format, content) = (
            g.str(d.doc_type),
            g.str(d.title),
            g.str(d.format),
            g.bytes(d.content),
        );
        g.code(format!(
            "    (call $dmp.add (i32.const {category}) {doc_type} {title} (i64.const {date}) {format} {content} {area})",
            category = d.category as u32,
            date = d.date,
            area = ret(n as u32),
        ));
    }
    g.load()
}

pub(crate) async fn content(call: &CallContext, id: &str) -> Result<Vec<u8>, Error> {
    with_id(dmp_content_component(), call, id)
        .await
        .result(ret(0), 4, Memory::bytes)
}

pub(crate) async fn list_documents(call: &CallContext) -> Vec<DocumentMeta> {
    invoke(dmp_list_component(), call, get("/"))
        .await
        .document_list(ret(0))
        .unwrap()
}

/// Adds a professional's document directly.
pub(crate) async fn professional_document(scratch: &Scratch, title: &str, masked: bool) -> String {
    let draft = documents::DocumentDraft {
        category: DocumentCategory::LabResults,
        doc_type: "Compte rendu d'examens de biologie".to_owned(),
        title: title.to_owned(),
        author: "Dr Claire Bernard".to_owned(),
        date: now_millis() - DAY,
        format: "text/plain".to_owned(),
        content: format!("{title} : résultat").into_bytes(),
        masked,
    };
    let writer = Writer::Professional {
        name: "Dr Claire Bernard".to_owned(),
        rpps: "10001234567".to_owned(),
    };
    documents::add(&scratch.db, &scratch.patient, &writer, draft)
        .await
        .unwrap()
        .expect("a professional's write needs no grant")
        .id
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn dmp_lists_visible_documents_and_serves_their_content() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let masked = professional_document(&scratch, "Sérologie", true).await;
    let hidden = professional_document(&scratch, "Bilan thyroïdien", false).await;
    assert!(
        documents::set_hidden(&scratch.db, &scratch.patient, &hidden, true)
            .await
            .unwrap()
    );

    let memory = invoke(dmp_list_component(), &call, get("/")).await;
    let listed = memory.document_list(ret(0)).unwrap();
    let seeded: Vec<(String, String, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT id, title, document_date, content FROM documents \
         WHERE patient_id = $1 AND written_by IS NULL AND hidden = 0 AND masked = 0 \
         ORDER BY document_date DESC",
    )
    .bind(scratch.patient.as_str())
    .fetch_all(scratch.db.pool())
    .await
    .unwrap();
    assert_eq!(seeded.len(), 2);
    assert_eq!(
        listed
            .iter()
            .map(|d| (d.id.clone(), d.title.clone(), d.date))
            .collect::<Vec<_>>(),
        seeded
            .iter()
            .map(|(id, title, date, _)| (id.clone(), title.clone(), *date))
            .collect::<Vec<_>>()
    );
    let (lab, report) = (&listed[0], &listed[1]);
    assert_eq!(
        (lab.category, lab.doc_type.as_str(), lab.title.as_str()),
        (
            Category::LabResults,
            "Compte rendu d'examens de biologie",
            "Bilan lipidique"
        )
    );
    assert_eq!(
        (
            report.category,
            report.doc_type.as_str(),
            report.title.as_str()
        ),
        (
            Category::Reports,
            "Compte rendu de consultation",
            "Consultation de suivi nutritionnel"
        )
    );
    for (d, (_, _, _, bytes)) in listed.iter().zip(&seeded) {
        assert_eq!(
            (
                d.author.as_str(),
                d.origin,
                d.format.as_str(),
                d.size,
                d.mine
            ),
            (
                "Dr Claire Bernard",
                Origin::Professional,
                "text/plain",
                bytes.len() as u64,
                false
            )
        );
    }
    // Reports only.
    let reports = memory.document_list(ret(1)).unwrap();
    assert_eq!(
        reports.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [report.id.as_str()]
    );
    assert_invalid(memory.document_list(ret(2)), "since is after until");

    // Content of a visible document; masked and hidden ones do not exist.
    let lab_content = content(&call, &lab.id).await.unwrap();
    assert_eq!(lab_content, seeded[0].3);
    assert!(
        String::from_utf8(lab_content)
            .unwrap()
            .starts_with("Cholestérol total")
    );
    for id in [&masked, &hidden] {
        let result = content(&call, id).await;
        assert!(matches!(result, Err(Error::NotFound)), "{result:?}");
    }
    let result = content(&call, "0190c0de0000700080000000000000ff").await;
    assert!(matches!(result, Err(Error::NotFound)), "{result:?}");

    // Shown again by the patient, it is listed and readable.
    documents::set_hidden(&scratch.db, &scratch.patient, &hidden, false)
        .await
        .unwrap();
    let listed = list_documents(&call).await;
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].id, hidden);
    assert_eq!(
        content(&call, &hidden).await.unwrap(),
        "Bilan thyroïdien : résultat".as_bytes()
    );
    assert!(listed.iter().all(|d| d.id != masked));
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn dmp_adds_a_report_as_the_service() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let date = now_millis() - DAY;
    let text = "Poids moyen sur 30 jours : 80,2 kg\n".as_bytes();
    let add = dmp_add_component(&[DocDraft {
        category: Category::Reports,
        doc_type: "Relevé d'automesure",
        title: "Courbe de poids",
        date,
        format: "text/plain",
        content: text,
    }]);
    let added = invoke(&add, &call, get("/"))
        .await
        .document_added(ret(0))
        .unwrap();
    assert_eq!(
        (
            added.category,
            added.doc_type.as_str(),
            added.title.as_str(),
            added.author.as_str(),
            added.origin,
            added.date,
            added.format.as_str(),
            added.size,
            added.mine
        ),
        (
            Category::Reports,
            "Relevé d'automesure",
            "Courbe de poids",
            SERVICE_NAME,
            Origin::Service,
            date,
            "text/plain",
            text.len() as u64,
            true
        )
    );

    type DocumentRow = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        i64,
    );
    let row: DocumentRow = sqlx::query_as(
        "SELECT patient_id, category, doc_type, title, author, origin, written_by, component_digest, document_date \
         FROM documents WHERE id = $1",
    )
    .bind(added.id.as_str())
    .fetch_one(scratch.db.pool())
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            scratch.patient.as_str().to_owned(),
            "reports".to_owned(),
            "Relevé d'automesure".to_owned(),
            "Courbe de poids".to_owned(),
            SERVICE_NAME.to_owned(),
            "service".to_owned(),
            Some(SERVICE.to_owned()),
            digest(&add),
            date,
        )
    );
    let stored: (String, i64, Vec<u8>, i64, i64) =
        sqlx::query_as("SELECT format, size, content, hidden, masked FROM documents WHERE id = $1")
            .bind(added.id.as_str())
            .fetch_one(scratch.db.pool())
            .await
            .unwrap();
    assert_eq!(
        stored,
        (
            "text/plain".to_owned(),
            text.len() as i64,
            text.to_vec(),
            0,
            0
        )
    );

    // Listed (newest first) as this service's own, and readable back.
    let listed = list_documents(&call).await;
    assert_eq!(listed.len(), 3);
    assert_eq!(
        (listed[0].id.as_str(), listed[0].mine),
        (added.id.as_str(), true)
    );
    assert_eq!(content(&call, &added.id).await.unwrap(), text);
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn dmp_refuses_the_summary_and_bad_drafts() {
    let scratch = Scratch::new().await;
    let date = now_millis() - DAY;
    let draft = |category, format: &'static str, content: &'static [u8]| DocDraft {
        category,
        doc_type: "Synthèse",
        title: "Synthèse",
        date,
        format,
        content,
    };
    let add = dmp_add_component(&[
        draft(Category::Summary, "text/plain", b"VSM"),
        draft(Category::Reports, "application/msword", b"doc"),
        draft(Category::Reports, "text/plain", b""),
        DocDraft {
            title: "",
            ..draft(Category::Reports, "text/plain", b"x")
        },
    ]);
    let memory = invoke(&add, &scratch.call(SERVICE).await, get("/")).await;
    assert_invalid(memory.document_added(ret(0)), "summary");
    assert_invalid(memory.document_added(ret(1)), "format must be one of");
    assert_invalid(memory.document_added(ret(2)), "content is empty");
    assert_invalid(memory.document_added(ret(3)), "title must be 1 to 200");
    assert_eq!(count(&scratch, "SELECT COUNT(*) FROM documents").await, 2);
}

// ---------------------------------------------------------------------------
// messaging
// ---------------------------------------------------------------------------

/// Lists every message (area 0).
pub(crate) fn messaging_list_component() -> &'static LoadedComponent {
    static CELL: OnceLock<LoadedComponent> = OnceLock::new();
    once(&CELL, || {
        let mut g = Guest::new();
        g.code(format!(
            "    (call $messaging.list {NONE_S64} {NONE_U32} {})",
            ret(0)
        ));
        g
    })
}

/// Sends each (subject, body), the `n`th into area `n`.
pub(crate) fn messaging_send_component(messages: &[(&str, &str)]) -> LoadedComponent {
    let mut g = Guest::new();
    for (n, (subject, body)) in messages.iter().enumerate() {
        let (subject, body) = (g.str(subject), g.str(body));
        g.code(format!(
            "    (call $messaging.send {subject} {body} {})",
            ret(n as u32)
        ));
    }
    g.load()
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn messaging_lists_the_inbox_and_sends_in_a_new_thread() {
    let scratch = Scratch::new().await;
    let call = scratch.call(SERVICE).await;
    let inbox = invoke(messaging_list_component(), &call, get("/"))
        .await
        .message_list(ret(0))
        .unwrap();
    assert_eq!(inbox.len(), 1);
    let gp = &inbox[0];
    assert_eq!(
        (
            gp.thread.as_str(),
            gp.origin,
            gp.sender.as_str(),
            gp.subject.as_str(),
            gp.read,
            gp.mine
        ),
        (
            gp.id.as_str(),
            Origin::Professional,
            "Dr Claire Bernard",
            "Résultats de votre bilan",
            false,
            false
        )
    );
    assert!(gp.body.starts_with("Bonjour, vos résultats"));

    let before = now_millis();
    let send =
        messaging_send_component(&[("Objectif atteint", "Bravo : 72 kg.\nContinuez ainsi !")]);
    let sent = invoke(&send, &call, get("/"))
        .await
        .message_sent(ret(0))
        .unwrap();
    assert_eq!(
        (
            sent.thread.as_str(),
            sent.origin,
            sent.sender.as_str(),
            sent.subject.as_str(),
            sent.body.as_str(),
            sent.read,
            sent.mine
        ),
        (
            sent.id.as_str(),
            Origin::Service,
            SERVICE_NAME,
            "Objectif atteint",
            "Bravo : 72 kg.\nContinuez ainsi !",
            false,
            true
        )
    );
    assert!(sent.sent_at >= before && sent.sent_at <= now_millis());
    assert_ne!(sent.thread, gp.thread);

    type MessageRow = (
        String,
        String,
        String,
        String,
        String,
        String,
        i64,
        i64,
        Option<String>,
        Option<String>,
    );
    let row: MessageRow = sqlx::query_as(
        "SELECT patient_id, thread_id, origin, sender, subject, body, sent_at, is_read, written_by, component_digest \
         FROM messages WHERE id = $1",
    )
    .bind(sent.id.as_str())
    .fetch_one(scratch.db.pool())
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            scratch.patient.as_str().to_owned(),
            sent.id.clone(),
            "service".to_owned(),
            SERVICE_NAME.to_owned(),
            "Objectif atteint".to_owned(),
            "Bravo : 72 kg.\nContinuez ainsi !".to_owned(),
            sent.sent_at,
            0,
            Some(SERVICE.to_owned()),
            digest(&send),
        )
    );

    let inbox = invoke(messaging_list_component(), &call, get("/"))
        .await
        .message_list(ret(0))
        .unwrap();
    assert_eq!(
        inbox
            .iter()
            .map(|m| (m.id.as_str(), m.mine))
            .collect::<Vec<_>>(),
        [(sent.id.as_str(), true), (gp.id.as_str(), false)]
    );
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn messaging_refuses_empty_or_oversized_messages() {
    let scratch = Scratch::new().await;
    let long_subject = "s".repeat(201);
    let long_body = "b".repeat(64 * 1024 + 1);
    let send = messaging_send_component(&[
        ("", "Un corps"),
        ("Un sujet", ""),
        (&long_subject, "Un corps"),
        ("Un sujet", &long_body),
    ]);
    let memory = invoke(&send, &scratch.call(SERVICE).await, get("/")).await;
    assert_invalid(memory.message_sent(ret(0)), "subject must be 1 to 200");
    assert_invalid(memory.message_sent(ret(1)), "body is empty");
    assert_invalid(memory.message_sent(ret(2)), "subject must be 1 to 200");
    let result = memory.message_sent(ret(3));
    assert!(
        matches!(&result, Err(Error::Limit(r)) if r.contains("65536")),
        "{result:?}"
    );
    assert_eq!(count(&scratch, "SELECT COUNT(*) FROM messages").await, 1);
}

// ---------------------------------------------------------------------------
// log
// ---------------------------------------------------------------------------

/// Log lines written while a test runs, on the test's thread.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn log_writes_into_the_host_logs() {
    let scratch = Scratch::new().await;
    let mut g = Guest::new();
    let message = g.str("synchronisation terminée\nFAUX level=error");
    let (count_key, count_value) = (g.str("count"), g.str("3"));
    let (source_key, source_value) = (g.str("source"), g.str("balance"));
    // list<tuple<string, string>>: 16 bytes per field (key ptr, len, value ptr, len).
    let fields: Vec<u8> = [count_key, count_value, source_key, source_value]
        .iter()
        .flat_map(|b| [b.ptr, b.len])
        .flat_map(u32::to_le_bytes)
        .collect();
    let fields = Bytes {
        len: 2,
        ..g.bytes(&fields)
    };
    // level info = 2
    g.code(format!(
        "    (call $log.write (i32.const 2) {message} {fields})"
    ));
    let component = g.load();

    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .with_writer({
            let captured = captured.clone();
            move || captured.clone()
        })
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    invoke(&component, &scratch.call(SERVICE).await, get("/")).await;
    drop(guard);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("officine::component"))
        .unwrap_or_else(|| panic!("no component log line in {logs:?}"));
    // The newline is replaced: one line, not two.
    assert!(
        line.contains("synchronisation terminée FAUX level=error"),
        "{line}"
    );
    assert!(line.contains(SERVICE), "{line}");
    assert!(line.contains("count=3 source=balance"), "{line}");
    assert!(line.contains("INFO"), "{line}");
}

// ---------------------------------------------------------------------------
// Linking and patients
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn interfaces_outside_the_consent_answer_denied_and_touch_nothing() {
    let scratch = Scratch::new().await;
    let storage_only = scratch.call_with(SERVICE, &["storage"]).await;
    let before = count(&scratch, "SELECT COUNT(*) FROM measures").await;

    // The component runs; its measures calls are refused, reads and writes alike.
    let memory = list_measures(&storage_only, 0).await;
    for area in [ret(0), ret(1), ret(2)] {
        assert!(matches!(memory.measure_list(area), Err(Error::Denied)));
    }
    let added = add_measure(&storage_only, MeasureKind::Weight, 70.0, now_millis() - DAY).await;
    assert!(matches!(added, Err(Error::Denied)));
    assert_eq!(
        count(&scratch, "SELECT COUNT(*) FROM measures").await,
        before
    );

    // What was granted works in the same invocation set-up.
    storage_put(&storage_only, "cle", b"v").await.unwrap();
    assert_eq!(
        storage_get(&storage_only, "cle").await.unwrap(),
        Some(b"v".to_vec())
    );

    // And with nothing granted, storage is refused too, and nothing is written.
    let nothing = scratch.call_with(SERVICE, &[]).await;
    assert!(matches!(
        storage_put(&nothing, "autre", b"v").await,
        Err(Error::Denied)
    ));
    assert!(matches!(
        storage_get(&nothing, "cle").await,
        Err(Error::Denied)
    ));
    assert_eq!(
        count(
            &scratch,
            "SELECT COUNT(*) FROM service_storage WHERE key = 'autre'"
        )
        .await,
        0
    );

    // The full grant sees the data the stubs hid.
    let measures = list_measures(&scratch.call(SERVICE).await, 0)
        .await
        .measure_list(ret(0))
        .unwrap();
    assert_eq!(measures.len(), 42);
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn a_component_sees_only_the_calling_patient() {
    let scratch = Scratch::new().await;
    let patient_b = PatientId::new("patient-b");
    scratch
        .db
        .ensure_patient(&patient_b, "Patient B")
        .await
        .unwrap();
    let at = now_millis() - DAY;
    let seeded = db_measures::add(
        &scratch.db,
        &patient_b,
        &Writer::Patient,
        DbKind::Weight,
        65.0,
        at,
    )
    .await
    .unwrap()
    .unwrap();
    let call_b = scratch.call_for(&patient_b, SERVICE).await;

    let memory = list_measures(&call_b, at - DAY).await;
    for area in [ret(0), ret(1), ret(2)] {
        let listed = memory.measure_list(area).unwrap();
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(
            (
                listed[0].id.as_str(),
                listed[0].kind,
                listed[0].value,
                listed[0].origin,
                listed[0].mine
            ),
            (
                seeded.id.as_str(),
                MeasureKind::Weight,
                65.0,
                Origin::Patient,
                false
            )
        );
    }
    let events = invoke(
        agenda_list_component(),
        &call_b,
        request("GET", "/", 0i64.to_le_bytes().to_vec()),
    )
    .await
    .event_list(ret(0))
    .unwrap();
    assert!(events.is_empty());
    assert!(list_documents(&call_b).await.is_empty());
    let (demo_document,): (String,) =
        sqlx::query_as("SELECT id FROM documents WHERE patient_id = 'demo' LIMIT 1")
            .fetch_one(scratch.db.pool())
            .await
            .unwrap();
    let result = content(&call_b, &demo_document).await;
    assert!(matches!(result, Err(Error::NotFound)), "{result:?}");
    let messages = invoke(messaging_list_component(), &call_b, get("/"))
        .await
        .message_list(ret(0))
        .unwrap();
    assert!(messages.is_empty());

    // A weight added for B is B's, with no BMI: B has no height.
    let demo_before = count(
        &scratch,
        "SELECT COUNT(*) FROM measures WHERE patient_id = 'demo'",
    )
    .await;
    let added = add_measure(&call_b, MeasureKind::Weight, 64.5, now_millis())
        .await
        .unwrap();
    let row = measure_row(&scratch, &added.id).await;
    assert_eq!(
        (row.0.as_str(), row.1.as_str(), row.2),
        (patient_b.as_str(), "weight", 64.5)
    );
    assert_eq!(
        count(
            &scratch,
            "SELECT COUNT(*) FROM measures WHERE patient_id = 'patient-b'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &scratch,
            "SELECT COUNT(*) FROM measures WHERE kind = 'bmi' AND patient_id = 'patient-b'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &scratch,
            "SELECT COUNT(*) FROM measures WHERE patient_id = 'demo'"
        )
        .await,
        demo_before
    );

    // The demo patient's list does not include B's weights.
    let demo = list_measures(&scratch.call(SERVICE).await, 0)
        .await
        .measure_list(ret(0))
        .unwrap();
    assert_eq!(demo.len(), 42);
    assert!(demo.iter().all(|m| m.id != seeded.id && m.id != added.id));
}
