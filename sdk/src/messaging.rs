//! Secure messaging: the patient's inbox as the service may see it, and
//! messages from the service to the patient.
//!
//! A service never opens a thread with a professional. Reading needs
//! `messaging.read`; sending needs `messaging.send`.

use crate::bindings::officine::platform::messaging as raw;
use crate::{Result, Timestamp};

pub use raw::Message;

/// The patient's messages sent at or after `since`, newest first, at most
/// `limit` (capped at 1000).
///
/// Needs `messaging.read`.
pub fn list(since: Option<Timestamp>, limit: Option<u32>) -> Result<Vec<Message>> {
    Ok(raw::list(since, limit)?)
}

/// Sends a message from this service to the patient, in a new thread, and
/// returns it. The subject is 1 to 200 characters, the body at most 64 KiB.
///
/// Needs `messaging.send`.
pub fn send(subject: &str, body: &str) -> Result<Message> {
    Ok(raw::send(subject, body)?)
}
