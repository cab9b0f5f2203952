//! The host's integration tests, in one binary.

mod support;

mod commands;
mod consent;
mod limits;
mod loading;
mod platform;
mod weight_tracker;
