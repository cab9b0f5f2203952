//! Sharing one host between services: no service, and no patient, takes it
//! all.
//!
//! Two mechanisms:
//! - **Admission.** At most so many invocations of one service, and on
//!   behalf of one patient, run at once on a host; the next ones are refused
//!   at once ([`Busy`], answered 429), before anything is instantiated. The
//!   per-service cap is well below the pool's size, so a few services busy at
//!   their cap leave slots for the others.
//! - **The long-running lane.** Guest code yields every epoch tick. An
//!   invocation that has run longer than a threshold (a service's request
//!   normally ends well within it) runs its guest code only while holding a
//!   lane permit, which it gives back at every tick and queues for again: at
//!   most as many long-running invocations as there are lanes execute at any
//!   instant, taking turns, and short invocations never wait for them.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::UpdateDeadline;

use crate::model::{PatientId, ServiceId};

/// How much of a host one service, one patient, and long-running
/// invocations may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FairnessConfig {
    /// Invocations of one service running at once.
    pub per_service: u32,
    /// Invocations on behalf of one patient running at once.
    pub per_patient: u32,
    /// Run time after which an invocation counts as long-running.
    pub long_after: Duration,
    /// Long-running invocations executing guest code at any instant.
    pub long_lanes: usize,
}

impl Default for FairnessConfig {
    fn default() -> Self {
        FairnessConfig {
            per_service: 16,
            per_patient: 16,
            long_after: Duration::from_millis(5),
            long_lanes: 1,
        }
    }
}

/// Why an invocation was refused before it started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Busy {
    #[error("{limit} invocations of this service are already running on this host")]
    Service { limit: u32 },
    #[error("{limit} invocations for this patient are already running on this host")]
    Patient { limit: u32 },
    #[error("every instance slot of this host is in use")]
    Pool,
}

/// Counts of running invocations, by key.
struct Counts<K>(HashMap<K, u32>);

impl<K: Hash + Eq + Clone> Counts<K> {
    fn get(&self, key: &K) -> u32 {
        self.0.get(key).copied().unwrap_or(0)
    }

    fn add(&mut self, key: &K) {
        *self.0.entry(key.clone()).or_insert(0) += 1;
    }

    fn remove(&mut self, key: &K) {
        if let Some(n) = self.0.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                self.0.remove(key);
            }
        }
    }
}

/// The host's share-out of invocations.
pub struct Fairness {
    config: FairnessConfig,
    running: Mutex<(Counts<ServiceId>, Counts<PatientId>)>,
    lanes: Arc<Semaphore>,
}

impl Fairness {
    pub fn new(config: FairnessConfig) -> Self {
        Fairness {
            config,
            running: Mutex::new((Counts(HashMap::new()), Counts(HashMap::new()))),
            lanes: Arc::new(Semaphore::new(config.long_lanes.max(1))),
        }
    }

    /// Admits an invocation, or says which cap it would exceed. It counts
    /// until the returned guard is dropped.
    pub(crate) fn admit(
        &self,
        service: &ServiceId,
        patient: &PatientId,
    ) -> Result<Admitted<'_>, Busy> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let (services, patients) = &mut *running;
        if services.get(service) >= self.config.per_service {
            return Err(Busy::Service {
                limit: self.config.per_service,
            });
        }
        if patients.get(patient) >= self.config.per_patient {
            return Err(Busy::Patient {
                limit: self.config.per_patient,
            });
        }
        services.add(service);
        patients.add(patient);
        Ok(Admitted {
            fairness: self,
            service: service.clone(),
            patient: patient.clone(),
        })
    }

    /// What an invocation does at each epoch tick once it has started at
    /// `started`: go on after a yield while it is short, take its turn in
    /// the long-running lane after.
    pub(crate) fn pacer(&self, started: Instant) -> Pacer {
        Pacer {
            started,
            long_after: self.config.long_after,
            lanes: self.lanes.clone(),
            held: Arc::new(Mutex::new(None)),
        }
    }
}

/// A running invocation's place in the counts.
pub(crate) struct Admitted<'a> {
    fairness: &'a Fairness,
    service: ServiceId,
    patient: PatientId,
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        let mut running = self
            .fairness
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        running.0.remove(&self.service);
        running.1.remove(&self.patient);
    }
}

/// One invocation's yields.
pub(crate) struct Pacer {
    started: Instant,
    long_after: Duration,
    lanes: Arc<Semaphore>,
    /// The lane permit, while the invocation holds one; dropped with the
    /// store, so a lane is never lost.
    held: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
}

impl Pacer {
    /// The yield for this tick.
    pub(crate) fn tick(&mut self) -> UpdateDeadline {
        if self.started.elapsed() < self.long_after {
            return UpdateDeadline::Yield(1);
        }
        // Give the lane back, and queue for it again (the queue is FIFO:
        // long-running invocations take turns).
        self.held.lock().unwrap_or_else(|e| e.into_inner()).take();
        let (lanes, held) = (self.lanes.clone(), self.held.clone());
        UpdateDeadline::YieldCustom(
            1,
            Box::pin(async move {
                // A real yield first: a free lane is acquired without one,
                // and the task must reach the executor at every tick (for
                // the other tasks of its worker, and to see an interruption).
                tokio::task::yield_now().await;
                if let Ok(permit) = lanes.acquire_owned().await {
                    *held.lock().unwrap_or_else(|e| e.into_inner()) = Some(permit);
                }
            }),
        )
    }
}
