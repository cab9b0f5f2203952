//! Stand-ins for the interfaces an invocation's consent does not cover.
//!
//! A component is instantiated with every platform interface it imports, so
//! that it runs whatever the patient granted; the ones outside the grant are
//! these stubs. Every call answers `denied` and touches nothing — not even a
//! query to learn whether data exists, so refused and absent data cannot be
//! told apart by timing a storage round trip either.

use crate::runtime::bindings::types::{Error, Timestamp};
use crate::runtime::bindings::{agenda, dmp, measures, messaging, storage};

/// The denied stand-in for any platform interface.
pub struct Denied;

impl measures::Host for Denied {
    async fn list(&mut self, _: measures::Query) -> Result<Vec<measures::Measure>, Error> {
        Err(Error::Denied)
    }

    async fn add(
        &mut self,
        _: measures::MeasureKind,
        _: f64,
        _: Timestamp,
    ) -> Result<measures::Measure, Error> {
        Err(Error::Denied)
    }
}

impl agenda::Host for Denied {
    async fn list(
        &mut self,
        _: Option<Timestamp>,
        _: Option<Timestamp>,
        _: Option<u32>,
    ) -> Result<Vec<agenda::Event>, Error> {
        Err(Error::Denied)
    }

    async fn add(&mut self, _: agenda::EventDraft) -> Result<agenda::Event, Error> {
        Err(Error::Denied)
    }

    async fn update(&mut self, _: String, _: agenda::EventDraft) -> Result<agenda::Event, Error> {
        Err(Error::Denied)
    }

    async fn remove(&mut self, _: String) -> Result<(), Error> {
        Err(Error::Denied)
    }
}

impl dmp::Host for Denied {
    async fn list(&mut self, _: dmp::Query) -> Result<Vec<dmp::DocumentMeta>, Error> {
        Err(Error::Denied)
    }

    async fn content(&mut self, _: String) -> Result<Vec<u8>, Error> {
        Err(Error::Denied)
    }

    async fn add(&mut self, _: dmp::DocumentDraft) -> Result<dmp::DocumentMeta, Error> {
        Err(Error::Denied)
    }
}

impl messaging::Host for Denied {
    async fn list(
        &mut self,
        _: Option<Timestamp>,
        _: Option<u32>,
    ) -> Result<Vec<messaging::Message>, Error> {
        Err(Error::Denied)
    }

    async fn send(&mut self, _: String, _: String) -> Result<messaging::Message, Error> {
        Err(Error::Denied)
    }
}

impl storage::Host for Denied {
    async fn get(&mut self, _: String) -> Result<Option<Vec<u8>>, Error> {
        Err(Error::Denied)
    }

    async fn set(&mut self, _: String, _: Vec<u8>) -> Result<(), Error> {
        Err(Error::Denied)
    }

    async fn delete(&mut self, _: String) -> Result<(), Error> {
        Err(Error::Denied)
    }

    async fn keys(&mut self) -> Result<Vec<String>, Error> {
        Err(Error::Denied)
    }
}
