//! Write Officine services in Rust.
//!
//! An Officine service is a WebAssembly component that answers the patient's
//! requests and reaches their health data only through the platform's
//! interfaces (`officine:platform`), within what the patient consented to.
//! This crate is everything a service needs:
//!
//! - [`Service`] and [`export!`] wire a type to the component's `handler`
//!   export;
//! - [`Request`], [`Response`] and [`Router`] handle the HTTP-like requests
//!   the platform relays from the patient's browser;
//! - [`measures`], [`storage`], [`agenda`], [`dmp`], [`messaging`] and
//!   [`log`] call the platform, returning [`Error`] when a call does not
//!   succeed;
//! - [`html::escape`], [`number`], [`now`] and [`time`] cover the small
//!   things every service ends up writing.
//!
//! The raw generated bindings stay reachable in [`bindings`] for anything the
//! wrappers do not cover.
//!
//! # Example
//!
//! A complete service: `GET /` answers the patient's latest weight as JSON,
//! `POST /weights` records a new one from a form.
//!
//! ```
//! use officine_sdk::{measures, now, Error, MeasureKind, Request, Response, Router, Service};
//!
//! struct Scale;
//!
//! impl Service for Scale {
//!     fn handle(req: Request) -> Response {
//!         Router::new()
//!             .get("/", latest)
//!             .post("/weights", add)
//!             .handle(req)
//!     }
//! }
//!
//! fn latest(_req: Request) -> Result<Response, Error> {
//!     Ok(Response::json(&measures::latest(MeasureKind::Weight)?))
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct NewWeight {
//!     kg: f64,
//! }
//!
//! fn add(req: Request) -> Result<Response, Error> {
//!     let form: NewWeight = req.form()?;
//!     measures::add(MeasureKind::Weight, form.kg, now())?;
//!     Ok(Response::redirect("/"))
//! }
//!
//! officine_sdk::export!(Scale);
//! # fn main() {}
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release`: the result
//! in `target/wasm32-wasip2/release/<crate>.wasm` is the component. The crate
//! must be a `cdylib` (`[lib] crate-type = ["cdylib"]`).
//!
//! # What a service must not do
//!
//! The platform links only the interfaces of the `service` world. A component
//! that imports anything else is refused, so a service must not use
//! `std::fs`, `std::net`, `std::process` or `std::env::current_dir`, which
//! pull in `wasi:filesystem` or `wasi:sockets`. Printing to stdout/stderr is
//! fine (it goes to the platform's logs), but prefer [`log`], and never log
//! health data.

#![warn(missing_docs)]

/// The bindings generated from the `officine:platform` WIT package, world
/// `service`, WASI interfaces included.
///
/// The wrappers in this crate cover the platform interfaces; reach for these
/// only for what they do not expose. Import functions panic when called
/// outside a WebAssembly component (in native unit tests, for example).
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "service",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "officine_sdk::bindings",
        generate_all,
        additional_type_attributes: {
            "officine:platform/types@0.1.0/origin": [
                #[derive(Hash, serde::Serialize, serde::Deserialize)]
                #[serde(rename_all = "kebab-case")]
            ],
            "officine:platform/measures@0.1.0/measure-kind": [
                #[derive(Hash, serde::Serialize, serde::Deserialize)]
                #[serde(rename_all = "kebab-case")]
            ],
            "officine:platform/measures@0.1.0/query": [
                #[derive(Default, PartialEq)]
            ],
            "officine:platform/measures@0.1.0/measure": [
                #[derive(PartialEq, serde::Serialize)]
            ],
            "officine:platform/agenda@0.1.0/event-kind": [
                #[derive(Hash, serde::Serialize, serde::Deserialize)]
                #[serde(rename_all = "kebab-case")]
            ],
            "officine:platform/agenda@0.1.0/event-draft": [
                #[derive(PartialEq, serde::Serialize, serde::Deserialize)]
            ],
            "officine:platform/agenda@0.1.0/event": [
                #[derive(PartialEq, serde::Serialize)]
            ],
            "officine:platform/dmp@0.1.0/category": [
                #[derive(Hash, serde::Serialize, serde::Deserialize)]
                #[serde(rename_all = "kebab-case")]
            ],
            "officine:platform/dmp@0.1.0/query": [
                #[derive(Default, PartialEq)]
            ],
            "officine:platform/dmp@0.1.0/document-meta": [
                #[derive(PartialEq, serde::Serialize)]
            ],
            "officine:platform/messaging@0.1.0/message": [
                #[derive(PartialEq, serde::Serialize)]
            ],
        },
    });
}

pub mod agenda;
pub mod dmp;
mod error;
pub mod html;
mod http;
pub mod log;
pub mod measures;
pub mod messaging;
pub mod number;
mod router;
pub mod storage;
pub mod time;

pub use error::{Error, Result};
pub use http::{IntoResponse, Request, Response};
pub use measures::{Measure, MeasureKind};
pub use router::Router;
pub use time::now;

/// Who wrote a record: the patient, a professional, a service or the
/// platform itself.
pub use bindings::officine::platform::types::Origin;

/// A point in time: milliseconds since the Unix epoch, UTC.
pub type Timestamp = i64;

/// A service: answers each request the platform relays from the patient.
///
/// Each request runs in a fresh instance of the component, so a service keeps
/// nothing between calls except through [`storage`]. Export the type with
/// [`export!`].
pub trait Service {
    /// Answers one request.
    fn handle(req: Request) -> Response;
}

/// Exports a [`Service`] as the component's `handler`.
///
/// Call it once, at the crate root of a `cdylib` crate:
///
/// ```
/// use officine_sdk::{Request, Response, Service};
///
/// struct Hello;
///
/// impl Service for Hello {
///     fn handle(_req: Request) -> Response {
///         Response::text("Bonjour")
///     }
/// }
///
/// officine_sdk::export!(Hello);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export {
    ($service:ty) => {
        const _: () = {
            #[allow(dead_code)]
            struct __OfficineHandler;

            impl $crate::bindings::exports::officine::platform::handler::Guest for __OfficineHandler {
                fn handle(
                    req: $crate::bindings::exports::officine::platform::handler::Request,
                ) -> $crate::bindings::exports::officine::platform::handler::Response {
                    $crate::__private::dispatch::<$service>(req)
                }
            }

            // Only a WebAssembly build exports the handler: the export names
            // (`officine:platform/handler@0.1.0#handle`) are not valid native
            // symbol names, and a native build of the crate (for its unit tests
            // or a workspace-wide `cargo build`) has no host to call it.
            #[cfg(target_arch = "wasm32")]
            $crate::bindings::export!(__OfficineHandler with_types_in $crate::bindings);

            // Natively, keep the service reachable so that its code is not
            // reported as dead.
            #[cfg(not(target_arch = "wasm32"))]
            #[used]
            static __OFFICINE_SERVICE: fn($crate::Request) -> $crate::Response =
                <$service as $crate::Service>::handle;
        };
    };
}

/// Everything most services use, in one import: `use officine_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Error, IntoResponse, Measure, MeasureKind, Request, Response, Result, Router, Service,
        Timestamp, html, log, measures, now, storage,
    };
}

#[doc(hidden)]
pub mod __private {
    use crate::bindings::exports::officine::platform::handler;

    /// Converts the raw request, calls the service, converts its answer.
    pub fn dispatch<S: crate::Service>(req: handler::Request) -> handler::Response {
        S::handle(req.into()).into()
    }
}
