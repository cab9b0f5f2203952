//! Listing: what it takes for a component to be served.
//!
//! Editors register keys and submit signed releases; regulators admit,
//! review, decide, suspend, reinstate and withdraw them; every step is an
//! entry in the registry's transparency log. Hosts serve a component only
//! while its release is listed, signed by a key still active, with a bundle
//! that verifies against the trusted root ([`served`]).
//!
//! Nothing here trusts a caller: a bad submission is refused before
//! anything is written, and each change is one transaction — state, log
//! entry and signed checkpoint together, or nothing.

pub mod config;
pub mod dev;
pub mod keys;
pub mod log;
pub mod releases;
pub mod served;

use std::path::PathBuf;

use officine_registry::keys::{KeyError, KeyId};
use officine_registry::signature::SignatureError;
use sqlx::{Any, Transaction};

pub use config::RegistryKeys;

use crate::db::{Db, DbError};
use crate::service::ServiceError;

/// Why a registry operation was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{}: {problem}", path.display())]
    File { path: PathBuf, problem: String },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("signature refused: {0}")]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("key {0} is not registered (register it with `officine keys add`)")]
    UnknownKey(KeyId),
    #[error("key {0} is revoked")]
    KeyRevoked(KeyId),
    #[error("key {key} is {}: it signs nothing new", state.as_str())]
    KeyNotActive { key: KeyId, state: keys::KeyState },
    #[error("key {key} is already registered, to {editor}")]
    KeyExists { key: KeyId, editor: String },
    #[error("key {key} is not registered to {editor}, the editor the manifest names")]
    NotEditorsKey { key: KeyId, editor: String },
    #[error("the signing certificate is not one registered for {editor}: {problem}")]
    UnknownIdentity { editor: String, problem: String },
    #[error("{service} {version} was already submitted")]
    Duplicate { service: String, version: String },
    #[error(
        "{service} {version} is older than version {latest}, already submitted: \
         a release can only be followed by a newer one"
    )]
    OlderVersion {
        service: String,
        version: String,
        latest: String,
    },
    #[error("no release {0}")]
    NoRelease(String),
    #[error("{0}")]
    Workflow(String),
    #[error("{0}")]
    Invalid(String),
}

/// The registry: the database, and the keys it signs its log with.
#[derive(Debug, Clone)]
pub struct Registry {
    db: Db,
    keys: RegistryKeys,
}

impl Registry {
    pub fn new(db: Db, keys: RegistryKeys) -> Self {
        Registry { db, keys }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn keys(&self) -> &RegistryKeys {
        &self.keys
    }
}

/// Marks a change that may stop a release being served: every host
/// compares the generation with the one its cache was filled at.
pub(crate) async fn bump_generation(
    tx: &mut Transaction<'static, Any>,
) -> Result<(), ListingError> {
    sqlx::query("UPDATE registry_generation SET generation = generation + 1 WHERE id = 0")
        .execute(&mut **tx)
        .await
        .map_err(DbError::from)?;
    Ok(())
}
