//! Stand-ins for the interfaces an invocation's consent does not cover.
//!
//! A component is instantiated with every platform interface it imports, so
//! that it runs whatever the patient granted; the ones outside the grant are
//! these stubs. Every call answers `denied` and touches nothing — not even a
//! query to learn whether data exists, so refused and absent data cannot be
//! told apart by timing a storage round trip either. Each refusal counts as
//! a platform call and is on the audit record: probing shows.

use super::Platform;
use crate::runtime::bindings::types::{Error, Timestamp};
use crate::runtime::bindings::{agenda, dmp, measures, messaging, storage};

/// The denied stand-in for any platform interface.
pub struct Denied<'a>(pub &'a mut Platform);

impl measures::Host for Denied<'_> {
    async fn list(&mut self, _: measures::Query) -> Result<Vec<measures::Measure>, Error> {
        self.0.refuse("measures.list")
    }

    async fn add(
        &mut self,
        _: measures::MeasureKind,
        _: f64,
        _: Timestamp,
    ) -> Result<measures::Measure, Error> {
        self.0.refuse("measures.add")
    }
}

impl agenda::Host for Denied<'_> {
    async fn list(
        &mut self,
        _: Option<Timestamp>,
        _: Option<Timestamp>,
        _: Option<u32>,
    ) -> Result<Vec<agenda::Event>, Error> {
        self.0.refuse("agenda.list")
    }

    async fn add(&mut self, _: agenda::EventDraft) -> Result<agenda::Event, Error> {
        self.0.refuse("agenda.add")
    }

    async fn update(&mut self, _: String, _: agenda::EventDraft) -> Result<agenda::Event, Error> {
        self.0.refuse("agenda.update")
    }

    async fn remove(&mut self, _: String) -> Result<(), Error> {
        self.0.refuse("agenda.remove")
    }
}

impl dmp::Host for Denied<'_> {
    async fn list(&mut self, _: dmp::Query) -> Result<Vec<dmp::DocumentMeta>, Error> {
        self.0.refuse("dmp.list")
    }

    async fn content(&mut self, _: String) -> Result<Vec<u8>, Error> {
        self.0.refuse("dmp.content")
    }

    async fn add(&mut self, _: dmp::DocumentDraft) -> Result<dmp::DocumentMeta, Error> {
        self.0.refuse("dmp.add")
    }
}

impl messaging::Host for Denied<'_> {
    async fn list(
        &mut self,
        _: Option<Timestamp>,
        _: Option<u32>,
    ) -> Result<Vec<messaging::Message>, Error> {
        self.0.refuse("messaging.list")
    }

    async fn send(&mut self, _: String, _: String) -> Result<messaging::Message, Error> {
        self.0.refuse("messaging.send")
    }
}

impl storage::Host for Denied<'_> {
    async fn get(&mut self, _: String) -> Result<Option<Vec<u8>>, Error> {
        self.0.refuse("storage.get")
    }

    async fn set(&mut self, _: String, _: Vec<u8>) -> Result<(), Error> {
        self.0.refuse("storage.set")
    }

    async fn delete(&mut self, _: String) -> Result<(), Error> {
        self.0.refuse("storage.delete")
    }

    async fn keys(&mut self) -> Result<Vec<String>, Error> {
        self.0.refuse("storage.keys")
    }
}
