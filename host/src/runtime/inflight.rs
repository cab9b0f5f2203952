//! The invocations running now, so that a decision can stop them.
//!
//! A suspension, a withdrawal or a revoked key stops a service, and a
//! revocation stops a patient's grant, for the invocations already running
//! as well as for the next ones. Each invocation registers here for as long
//! as it runs; whoever learns of such a decision (the kill switch, see
//! [`crate::killswitch`]) interrupts the invocations it concerns. An
//! interrupted invocation ends at its next await point — a platform call, or
//! the epoch yield guest code makes every tick — with the reason.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::Notify;

use crate::model::{ComponentDigest, GrantId, PatientId, ServiceId};

/// Why an invocation was stopped before it ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Interruption {
    /// The service may no longer be served (suspended, withdrawn, its key
    /// revoked): the listing check's reason.
    #[error("the service was stopped: {0}")]
    Stopped(String),
    /// The patient's grant no longer stands.
    #[error("the patient's grant was revoked or has ended")]
    GrantEnded,
}

/// What an invocation runs: which component, under which grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    /// The service it runs for, and its component.
    pub service: ServiceId,
    pub component: ComponentDigest,
    pub patient: PatientId,
    pub grant: GrantId,
    /// The grant's revision the invocation started under.
    pub revision: i64,
}

/// How an invocation learns it was interrupted.
#[derive(Default)]
struct Signal {
    reason: OnceLock<Interruption>,
    notify: Notify,
}

/// The running invocations of one runtime.
#[derive(Default)]
pub struct InFlight {
    next: AtomicU64,
    running: Mutex<HashMap<u64, (Running, Arc<Signal>)>>,
}

impl InFlight {
    /// Registers an invocation until the returned guard is dropped.
    pub(crate) fn register(&self, running: Running) -> Registration<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let signal = Arc::new(Signal::default());
        self.lock().insert(id, (running, signal.clone()));
        Registration {
            inflight: self,
            id,
            signal,
        }
    }

    /// What runs now.
    pub fn running(&self) -> Vec<Running> {
        self.lock().values().map(|(r, _)| r.clone()).collect()
    }

    /// Whether nothing runs.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Interrupts every running invocation `which` selects; returns how many.
    pub fn interrupt(&self, which: impl Fn(&Running) -> bool, reason: &Interruption) -> usize {
        let running = self.lock();
        let mut count = 0;
        for (r, signal) in running.values() {
            if which(r) && signal.reason.set(reason.clone()).is_ok() {
                // `notify_one` stores a permit: the invocation sees it even
                // if it was not waiting at this instant.
                signal.notify.notify_one();
                count += 1;
            }
        }
        count
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (Running, Arc<Signal>)>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One running invocation's place in [`InFlight`].
pub(crate) struct Registration<'a> {
    inflight: &'a InFlight,
    id: u64,
    signal: Arc<Signal>,
}

impl Registration<'_> {
    /// Resolves when the invocation is interrupted, with the reason.
    pub(crate) async fn interrupted(&self) -> Interruption {
        loop {
            if let Some(reason) = self.signal.reason.get() {
                return reason.clone();
            }
            self.signal.notify.notified().await;
        }
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.inflight.lock().remove(&self.id);
    }
}
