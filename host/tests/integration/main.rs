//! The host's integration tests, in one binary, on SQLite. The suites that
//! touch storage run again on PostgreSQL from `tests/postgres`.

use officine_host::db::Backend;

/// The database the scratch databases of these suites are made on.
const BACKEND: Backend = Backend::Sqlite;

mod pages_client;
mod server;
mod support;

mod api;
mod api_records;
mod api_registry;
mod audit;
mod auth;
mod browser;
mod commands;
mod consent;
mod crash;
mod fairness;
mod fhir;
mod harness;
mod hostile;
mod interop;
mod killswitch;
mod limits;
mod listing;
mod loading;
mod pages;
mod platform;
mod professionals;
mod schema;
mod serve;
mod sign_in;
mod weight_tracker;
