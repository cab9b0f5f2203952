//! The check a host makes before instantiating a component: its release
//! is listed, its signing key is active, and its bundle verifies over the
//! release, which names the component's digest.
//!
//! Verifying a bundle costs a few hundred microseconds, so the verdict is
//! cached per component digest. The cache is only as fresh as the
//! registry's generation counter, which every suspension, withdrawal or key
//! revocation bumps in the shared database: each check reads it (one
//! single-row read) and drops the cache when it moved, so a suspension made
//! from any process refuses the next invocation on every host.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use officine_registry::Sha256Digest;
use officine_registry::review::State;
use officine_registry::signature::{self, Bundle, Identity, TrustedRoot};
use sqlx::Row;

use super::keys::{self, KeyState};
use crate::db::read::Select;
use crate::db::{Db, DbError};
use crate::model::ServiceId;

/// Why a component may not be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotServable {
    #[error("component {0} has no release in the registry")]
    Unknown(String),
    #[error("{name} is {state}, not listed")]
    NotListed { name: String, state: State },
    #[error("{name} was signed by key {key}, which is revoked")]
    KeyRevoked { name: String, key: String },
    #[error("{name}: its signature does not verify: {problem}")]
    BadSignature { name: String, problem: String },
    #[error("the registry could not be read: {0}")]
    Unavailable(String),
}

impl From<DbError> for NotServable {
    fn from(error: DbError) -> Self {
        NotServable::Unavailable(error.to_string())
    }
}

impl From<sqlx::Error> for NotServable {
    fn from(error: sqlx::Error) -> Self {
        NotServable::Unavailable(error.to_string())
    }
}

#[derive(Default)]
struct Cache {
    generation: i64,
    /// By service and component: the same binary may be submitted under
    /// several services, each judged by its own release.
    verdicts: HashMap<ServiceId, HashMap<Sha256Digest, Result<(), NotServable>>>,
}

/// The listing check, shared by a host's invocations.
#[derive(Clone)]
pub struct ListingCheck {
    db: Db,
    root: Arc<TrustedRoot>,
    cache: Arc<Mutex<Cache>>,
    /// The generation the last check read, for readers on the hot path
    /// that must not take the cache's lock again.
    seen: Arc<AtomicI64>,
}

impl ListingCheck {
    pub fn new(db: Db, root: Arc<TrustedRoot>) -> Self {
        ListingCheck {
            db,
            root,
            cache: Arc::default(),
            seen: Arc::new(AtomicI64::new(i64::MIN)),
        }
    }

    /// The registry's generation now: it moves with every listing decision,
    /// suspension, withdrawal and key revocation.
    pub async fn generation(&self) -> Result<i64, NotServable> {
        let generation = Select::new("SELECT generation FROM registry_generation WHERE id = 0")
            .fetch_one(&self.db, |row| row.int(0))
            .await?;
        Ok(generation)
    }

    /// The generation the last check read.
    pub fn generation_seen(&self) -> i64 {
        self.seen.load(Ordering::Acquire)
    }

    /// Whether `service`'s component with this digest may be served now.
    pub async fn check(
        &self,
        service: &ServiceId,
        digest: &Sha256Digest,
    ) -> Result<(), NotServable> {
        let generation = self.generation().await?;
        self.seen.store(generation, Ordering::Release);
        {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.generation != generation {
                cache.verdicts.clear();
                cache.generation = generation;
            }
            // Looked up by reference: nothing is allocated on a hit.
            if let Some(verdict) = cache.verdicts.get(service).and_then(|v| v.get(digest)) {
                return verdict.clone();
            }
        }
        let verdict = self.verify(service, digest).await;
        if !matches!(verdict, Err(NotServable::Unavailable(_))) {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            // Filled at the generation read above: if it moved meanwhile,
            // the next check drops this entry.
            if cache.generation == generation {
                cache
                    .verdicts
                    .entry(service.clone())
                    .or_default()
                    .insert(*digest, verdict.clone());
            }
        }
        verdict
    }

    /// The full check, from the database.
    async fn verify(&self, service: &ServiceId, digest: &Sha256Digest) -> Result<(), NotServable> {
        // The service's latest release of this component (a component
        // resubmitted under a newer version is judged by that one; the same
        // binary submitted by another service changes nothing here).
        let row = sqlx::query(
            "SELECT service, version, release_json, bundle, state, signer_key, signer \
             FROM releases WHERE service = $1 AND component_sha256 = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(service.as_str())
        .bind(digest.to_string())
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| NotServable::Unknown(digest.to_string()))?;
        let service: String = row.try_get(0)?;
        let version: String = row.try_get(1)?;
        let name = format!("{service}@{version}");
        let json: String = row.try_get(2)?;
        let bundle: String = row.try_get(3)?;
        let state: String = row.try_get(4)?;
        let signer_key: Option<String> = row.try_get(5)?;
        let signer: String = row.try_get(6)?;
        let state: State = state.parse().map_err(|_| {
            NotServable::Unavailable(format!("unreadable state of {name}: {state:?}"))
        })?;
        if !state.serves_patients() {
            return Err(NotServable::NotListed { name, state });
        }
        let bad = |problem: String| NotServable::BadSignature {
            name: name.clone(),
            problem,
        };
        // The stored release must be of this very component.
        let release = officine_registry::Release::from_canonical_json(&json)
            .map_err(|e| bad(format!("the stored release is unreadable: {e}")))?;
        if release.component_sha256() != *digest {
            return Err(bad("the stored release is of another component".into()));
        }
        let identity = match signer_key {
            Some(id) => {
                let key_id = id
                    .parse()
                    .map_err(|_| bad(format!("unreadable key id {id:?}")))?;
                let key = keys::key(&self.db, &key_id)
                    .await?
                    .ok_or_else(|| bad(format!("key {id} is not registered")))?;
                if key.state == KeyState::Revoked {
                    return Err(NotServable::KeyRevoked { name, key: id });
                }
                Identity::Key(key.public_key)
            }
            None => {
                let (issuer, subject) = signer
                    .strip_prefix("certificate:")
                    .and_then(|rest| rest.split_once(' '))
                    .ok_or_else(|| bad(format!("unknown signer {signer:?}")))?;
                Identity::Certificate {
                    subject: subject.to_owned(),
                    issuer: issuer.to_owned(),
                }
            }
        };
        let bundle = Bundle::from_json(&bundle).map_err(|e| bad(e.to_string()))?;
        signature::verify(&json, &bundle, &identity, &self.root).map_err(|e| bad(e.to_string()))
    }
}
