//! The kill switch: a suspension, a withdrawal, a revoked key or a revoked
//! grant stops the invocations already running, on every host.
//!
//! New invocations are refused by the checks they make before running (the
//! listing check, the grant lookup) and by each platform call's own grant
//! check. The ones already running are this module's: while anything runs,
//! each host looks at the shared database every [`PERIOD`] — the registry's
//! generation, and the grants its invocations run under — and interrupts
//! what no longer stands (see [`crate::runtime::inflight`]). Decisions are
//! only ever read from the database, so a decision made through any host,
//! or the command line, reaches every host the same way. When nothing runs,
//! it reads nothing.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::db::{Db, grants};
use crate::listing::served::{ListingCheck, NotServable};
use crate::model::{ComponentDigest, ServiceId, now_millis};
use crate::runtime::{Interruption, Running, Runtime};

/// How often a host looks, while invocations run: the kill switch's
/// latency, give or take one epoch tick.
pub const PERIOD: Duration = Duration::from_millis(20);

/// The watch of one host; it stops when dropped.
pub struct KillSwitch {
    task: JoinHandle<()>,
}

impl Drop for KillSwitch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Watches `runtime`'s invocations: their grants in `db` and, with a listing
/// check, their components' listing.
pub fn spawn(
    runtime: Arc<Runtime>,
    db: Db,
    listing: Option<ListingCheck>,
    period: Duration,
) -> KillSwitch {
    let task = tokio::spawn(async move {
        let mut watch = Watch {
            runtime,
            db,
            listing,
            generation: None,
        };
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticks.tick().await;
            watch.look().await;
        }
    });
    KillSwitch { task }
}

struct Watch {
    runtime: Arc<Runtime>,
    db: Db,
    listing: Option<ListingCheck>,
    /// The registry's generation at the last look.
    generation: Option<i64>,
}

impl Watch {
    async fn look(&mut self) {
        let running = self.runtime.inflight().running();
        if running.is_empty() {
            return;
        }
        self.listings(&running).await;
        self.grants(&running).await;
    }

    /// Stops components the registry no longer lets run, when it moved.
    /// An unreachable database stops nothing here: the invocations' own
    /// platform calls fail closed.
    async fn listings(&mut self, running: &[Running]) {
        let Some(listing) = &self.listing else { return };
        let Ok(generation) = listing.generation().await else {
            return;
        };
        if self.generation == Some(generation) {
            return;
        }
        let components: BTreeSet<(ServiceId, ComponentDigest)> = running
            .iter()
            .map(|r| (r.service.clone(), r.component))
            .collect();
        for (service, component) in components {
            match listing.check(&service, &component).await {
                Ok(()) | Err(NotServable::Unavailable(_)) => {}
                Err(refusal) => {
                    let stopped = self.runtime.inflight().interrupt(
                        |r| r.service == service && r.component == component,
                        &Interruption::Stopped(refusal.to_string()),
                    );
                    if stopped > 0 {
                        tracing::warn!(%component, %refusal, stopped, "invocations stopped");
                    }
                }
            }
        }
        self.generation = Some(generation);
    }

    /// Stops invocations whose grant was revoked or has ended.
    async fn grants(&self, running: &[Running]) {
        let ids: BTreeSet<_> = running.iter().map(|r| (&r.patient, &r.grant)).collect();
        let ids: Vec<_> = ids.into_iter().collect();
        let Ok(stored) = grants::by_ids(&self.db, &ids).await else {
            return;
        };
        let now = now_millis();
        for (patient, grant) in ids {
            let stands = stored.iter().any(|s| {
                s.grant.id() == grant
                    && s.grant.patient() == patient
                    && s.grant.in_force(now).is_ok()
            });
            if !stands {
                let stopped = self
                    .runtime
                    .inflight()
                    .interrupt(|r| &r.grant == grant, &Interruption::GrantEnded);
                // Already interrupted ones may still be ending: said once.
                if stopped > 0 {
                    tracing::info!(%grant, stopped, "invocations stopped: grant no longer in force");
                }
            }
        }
    }
}
