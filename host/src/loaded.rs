//! The services a host serves, by site label, kept in step with the registry.
//!
//! A host loads the services listed when it starts. Every listing decision,
//! suspension, withdrawal or key revocation, made through any host sharing
//! the database, moves the registry's generation; when a host sees it move
//! (each invocation's listing check reads it), it loads what the registry
//! now lists: a newly listed service, or a newer listed version of one it
//! serves. Whether a loaded component may run is never decided here: the
//! listing check before each invocation does that, so a suspended service
//! stays loaded and answers why it is not served.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::Context as _;

use crate::consent;
use crate::db::Db;
use crate::listing::releases::{self, StoredRelease};
use crate::runtime::Runtime;
use crate::service::Service;
use crate::sites;

/// Services by site label (`weight-tracker` for
/// `weight-tracker.svc.localhost`).
pub type ServiceMap = BTreeMap<String, Service>;

/// A generation no registry has: what was loaded has not been compared
/// with the registry yet.
const UNKNOWN: i64 = i64::MIN;

/// The services of a running host.
pub struct LoadedServices {
    current: RwLock<Arc<ServiceMap>>,
    /// The registry's generation `current` reflects.
    generation: AtomicI64,
    /// One reload at a time; others wait for it rather than repeat it.
    reloading: tokio::sync::Mutex<()>,
    runtime: Arc<Runtime>,
    db: Db,
}

impl LoadedServices {
    /// Services loaded at start, at a generation not known yet: the first
    /// check against the registry reloads them (cheaply: components already
    /// compiled are kept).
    pub fn new(services: ServiceMap, runtime: Arc<Runtime>, db: Db) -> Self {
        LoadedServices {
            current: RwLock::new(Arc::new(services)),
            generation: AtomicI64::new(UNKNOWN),
            reloading: tokio::sync::Mutex::new(()),
            runtime,
            db,
        }
    }

    /// The services as they are now.
    pub fn snapshot(&self) -> Arc<ServiceMap> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reloads in the background if the services do not reflect the
    /// registry at `generation`; requests go on with the services as they
    /// are meanwhile.
    pub fn refresh_later(self: &Arc<Self>, generation: i64) {
        if self.is_current(generation) {
            return;
        }
        let services = self.clone();
        tokio::spawn(async move {
            if let Err(error) = services.refresh(generation).await {
                tracing::error!(%error, "reloading the listed services failed");
            }
        });
    }

    /// Whether the services reflect the registry at `generation`.
    pub fn is_current(&self, generation: i64) -> bool {
        self.generation.load(Ordering::Acquire) == generation
    }

    /// Brings the services up to the registry at `generation` (or later),
    /// unless they already are. A service that cannot be loaded is left
    /// out, with an error in the log; the others are served.
    pub async fn refresh(&self, generation: i64) -> Result<(), crate::db::DbError> {
        let _one = self.reloading.lock().await;
        if self.is_current(generation) {
            return Ok(());
        }
        // Read before the releases: a decision made meanwhile moves the
        // generation past this one, and the next check reloads again.
        let serving = releases::serving(&self.db).await?;
        let mut next = ServiceMap::clone(&self.snapshot());
        for stored in serving {
            let id = stored.release.manifest().id();
            let label = sites::label(id.as_str()).to_owned();
            match next.get(&label) {
                // The same release: a new version may keep the component
                // and change its manifest (its limits, its scopes).
                Some(loaded)
                    if loaded.component.digest() == stored.release.component_sha256()
                        && loaded.manifest == *stored.release.manifest() =>
                {
                    continue;
                }
                Some(loaded) if loaded.manifest.id() != id => {
                    tracing::error!(service = %id, other = %loaded.manifest.id(), "two services would be served under one label; the newer is not served");
                    continue;
                }
                _ => {}
            }
            match self.load(stored).await {
                Ok(service) => {
                    tracing::info!(service = %service.manifest.id(), version = %service.manifest.version(), "now serving");
                    next.insert(label, service);
                }
                Err(error) => tracing::error!(%error, "a listed service could not be loaded"),
            }
        }
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        self.generation.store(generation, Ordering::Release);
        Ok(())
    }

    /// Fetches, checks and compiles (off the async workers) one release,
    /// and registers what it requests so that patients can grant it.
    async fn load(&self, stored: StoredRelease) -> anyhow::Result<Service> {
        let service = load_release(&self.db, &self.runtime, stored).await?;
        consent::register(&self.db, &service).await?;
        Ok(service)
    }
}

/// Loads each service's latest listed release from the registry, checks and
/// compiles (or loads from cache) its component, and registers what it
/// requests so that patients can grant it. Any failure is an error: a host
/// does not start with part of its catalogue.
pub async fn load_services(runtime: &Arc<Runtime>, db: &Db) -> anyhow::Result<ServiceMap> {
    let mut services = BTreeMap::new();
    for stored in releases::serving(db).await? {
        let service = load_release(db, runtime, stored).await?;
        let label = sites::label(service.manifest.id().as_str()).to_owned();
        if services.contains_key(&label) {
            anyhow::bail!("two services would be served under the label {label:?}");
        }
        consent::register(db, &service).await?;
        services.insert(label, service);
    }
    Ok(services)
}

/// A release's component, checked and compiled against its manifest.
async fn load_release(
    db: &Db,
    runtime: &Arc<Runtime>,
    stored: StoredRelease,
) -> anyhow::Result<Service> {
    let digest = stored.release.component_sha256();
    let name = stored.name();
    let bytes = releases::component(db, &digest)
        .await?
        .with_context(|| format!("the component of {name} is missing"))?;
    let manifest = stored.release.manifest().clone();
    let runtime = runtime.clone();
    // Compiling takes a second or more: not on a worker that serves requests.
    tokio::task::spawn_blocking(move || {
        Service::from_parts(&runtime, manifest, &bytes, &PathBuf::from(&name))
            .with_context(|| format!("loading {name}"))
    })
    .await
    .context("the compiling thread failed")?
}
