//! The host's integration tests, in one binary.

mod support;

mod loading;
mod platform;
mod weight_tracker;
