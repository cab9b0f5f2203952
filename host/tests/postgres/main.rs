//! The suites that touch storage, run on PostgreSQL: the same test files as
//! `tests/integration`, with their databases made on the throwaway server of
//! `officine-test-postgres` (started by the first test, stopped with the
//! process).

use officine_host::db::Backend;

/// The database the suites' databases are made on.
const BACKEND: Backend = Backend::Postgres;

// Shared with suites this binary does not run.
#[allow(dead_code)]
#[path = "../integration/pages_client.rs"]
mod pages_client;
#[allow(dead_code)]
#[path = "../integration/server.rs"]
mod server;
#[allow(dead_code)]
#[path = "../integration/support.rs"]
mod support;

// Storage, seen from components.
#[path = "../integration/audit.rs"]
mod audit;
#[path = "../integration/hostile.rs"]
mod hostile;
#[path = "../integration/limits.rs"]
mod limits;
#[path = "../integration/loading.rs"]
mod loading;
#[path = "../integration/platform.rs"]
mod platform;
#[path = "../integration/weight_tracker.rs"]
mod weight_tracker;

// Consent, listing, and signatures made by other Sigstore clients.
#[path = "../integration/consent.rs"]
mod consent;
#[path = "../integration/interop.rs"]
mod interop;
#[path = "../integration/listing.rs"]
mod listing;

// Running invocations stopped by a decision.
#[path = "../integration/killswitch.rs"]
mod killswitch;

// The `officine` commands, and the development server.
#[path = "../integration/commands.rs"]
mod commands;

// A host killed during writes.
#[path = "../integration/crash.rs"]
mod crash;

// The production server, two of them on one database, and a schema that
// can be distributed by patient.
mod distribution;
mod nodes;
#[path = "../integration/serve.rs"]
mod serve;

// The HTTP API.
#[path = "../integration/api.rs"]
mod api;
#[path = "../integration/api_records.rs"]
mod api_records;
#[path = "../integration/api_registry.rs"]
mod api_registry;
#[path = "../integration/auth.rs"]
mod auth;
#[path = "../integration/fhir.rs"]
mod fhir;
#[path = "../integration/schema.rs"]
mod schema;

// The pages: signing in, sessions, and a patient's consent from the pages.
#[path = "../integration/professionals.rs"]
mod professionals;
#[path = "../integration/sign_in.rs"]
mod sign_in;
