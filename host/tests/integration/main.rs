//! The host's integration tests, in one binary.

mod server;
mod support;

mod api;
mod auth;
mod commands;
mod consent;
mod fhir;
mod interop;
mod limits;
mod listing;
mod loading;
mod platform;
mod serve;
mod weight_tracker;
