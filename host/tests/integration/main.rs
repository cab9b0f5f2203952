//! The host's integration tests, in one binary.

mod server;
mod support;

mod api;
mod api_records;
mod api_registry;
mod auth;
mod commands;
mod consent;
mod fhir;
mod interop;
mod limits;
mod listing;
mod loading;
mod platform;
mod schema;
mod serve;
mod weight_tracker;
