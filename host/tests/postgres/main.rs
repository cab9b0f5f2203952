//! The suites that touch storage, run on PostgreSQL: the same test files as
//! `tests/integration`, with scratch databases made on the throwaway server
//! of `officine-test-postgres` (started by the first test, stopped with the
//! process).

use officine_host::db::Backend;

/// The database the scratch databases of these suites are made on.
const BACKEND: Backend = Backend::Postgres;

// Shared with suites this binary does not run.
#[allow(dead_code)]
#[path = "../integration/support.rs"]
mod support;

#[path = "../integration/consent.rs"]
mod consent;
#[path = "../integration/limits.rs"]
mod limits;
#[path = "../integration/platform.rs"]
mod platform;
#[path = "../integration/weight_tracker.rs"]
mod weight_tracker;
