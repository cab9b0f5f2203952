//! The audit record: an event for every access to a patient's data and
//! every change to it, in a tamper-evident log.
//!
//! Each platform call a component makes, each read or change the patient
//! makes in their space, each regulator's action is an [`Event`]: who,
//! for whom, under which grant, what, how many records, how it ended. An
//! event commits with the change it records ([`record`]); the events of
//! reads are written before the response leaves ([`Recorder`]: appended to
//! a queue on SQLite, group-committed on PostgreSQL).
//! Events are then placed, in batches, in an RFC 6962 Merkle log whose
//! checkpoints are signed ([`seal`]), and `officine audit verify` checks
//! the whole log against them ([`verify`]). No row is ever erased, not even
//! when a patient revokes a grant and erases a service's data: the record
//! that accesses happened is the patient's own safeguard.

mod event;
pub mod keys;
pub mod misuse;
mod queue;
mod record;
pub mod seal;
pub mod verify;
pub mod view;

pub use event::{Actor, Event, GrantRef, InvocationId, Outcome, Trail};
pub(crate) use queue::Queue;
pub use queue::path_for as queue_path;
pub(crate) use record::insert_in;
pub use record::{RecordError, Recorder};
pub use seal::{SealPolicy, Sealed, Sealer};

#[cfg(test)]
mod tests;
