//! Structured logs into the platform's logs, tagged with the service.
//!
//! Logs are for operating the service, not for health data: never put
//! measures, document contents or names in them. Needs no scope. Messages
//! over 1 KiB and more than 16 fields are truncated.
//!
//! ```no_run
//! use officine_sdk::log;
//!
//! log::info("goal updated");
//! log::write(log::Level::Warn, "storage near quota", &[("used", "900 KiB")]);
//! ```

use crate::bindings::officine::platform::log as raw;

pub use raw::Level;

/// Writes one log line with key-value fields.
pub fn write(level: Level, message: &str, fields: &[(&str, &str)]) {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    raw::write(level, message, &fields);
}

/// Writes a `trace` line.
pub fn trace(message: &str) {
    write(Level::Trace, message, &[]);
}

/// Writes a `debug` line.
pub fn debug(message: &str) {
    write(Level::Debug, message, &[]);
}

/// Writes an `info` line.
pub fn info(message: &str) {
    write(Level::Info, message, &[]);
}

/// Writes a `warn` line.
pub fn warn(message: &str) {
    write(Level::Warn, message, &[]);
}

/// Writes an `error` line.
pub fn error(message: &str) {
    write(Level::Error, message, &[]);
}
