//! The sandbox's costs and guarantees under load, in process.
//!
//! `cargo bench -p officine-host --bench sandbox --features unlimited-for-benchmarks`
//! builds the weight tracker and the hostile test component and prints:
//!
//! 1. **instantiate + call**: the weight tracker's 404 page (no platform
//!    call: a fresh instance, the call, the drop) at concurrency 1, 16 and
//!    64 — p50, p99, invocations per second — with the limits as shipped
//!    and with none of them (`Runtime::unlimited`), in one run;
//! 2. **kill switch**: from a revocation's commit to the end of the looping
//!    invocation it stops, p50 / p99 / max over repeated trials;
//! 3. **fairness**: the weight tracker's `/api/summary` at concurrency 4,
//!    alone and next to eight looping services each kept at its cap (and
//!    asked for more), p50 / p99 and refusals.
//!
//! Environment: `BENCH_SECONDS` per measure (default 5), `TRIALS` of the kill
//! switch (default 40).

mod common;

use common::{built, drive, env_u64, get, percentiles, show};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use officine_host::consent;
use officine_host::db::grants::{self, ServiceRecord};
use officine_host::db::{Db, seed};
use officine_host::killswitch;
use officine_host::model::{PatientId, ServiceId, now_millis};
use officine_host::runtime::{
    CallContext, FairnessConfig, InvokeError, LoadedComponent, Runtime, RuntimeConfig,
};
use officine_host::service::Service;
use officine_policy::SheetHash;

/// A grant of `scopes` by `patient` to a service `id` (registered here).
async fn grant(db: &Db, patient: &PatientId, id: &str, scopes: &[&str]) -> CallContext {
    let id = ServiceId::new(id).unwrap();
    let requested: Vec<_> = scopes.iter().map(|s| s.parse().unwrap()).collect();
    let record = ServiceRecord {
        id: id.clone(),
        version: semver::Version::new(1, 0, 0),
        name: format!("Service {id}"),
        requested: requested.clone(),
        sheet: SheetHash([1; 32]),
    };
    grants::register_service(db, &record).await.unwrap();
    db.ensure_patient(patient, "Bench").await.unwrap();
    let now = now_millis();
    let stored = consent::grant(db, patient, &id, requested, now - 1000, now + 86_400_000)
        .await
        .unwrap();
    CallContext {
        db: db.clone(),
        service_name: record.name,
        grant: Arc::new(stored),
        limits: Default::default(),
    }
}

fn main() {
    let seconds = env_u64("BENCH_SECONDS", 5);
    let trials = env_u64("TRIALS", 40);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (tracker_wasm, tracker_manifest) = built("weight-tracker", "plugins/weight-tracker");
    let (hostile_wasm, _) = built("hostile", "plugins/hostile");
    let dir = tempfile::tempdir().unwrap();

    // Caps high enough not to refuse the instantiate + call loops.
    let open = FairnessConfig {
        per_service: 1000,
        per_patient: 1000,
        ..FairnessConfig::default()
    };
    let limited = Arc::new(
        Runtime::new(
            RuntimeConfig {
                fairness: open,
                ..RuntimeConfig::default()
            },
            None,
        )
        .unwrap(),
    );
    let unlimited = Arc::new(Runtime::unlimited(RuntimeConfig::default()).unwrap());

    rt.block_on(async {
        let db = Db::open_sqlite(&dir.path().join("bench.db")).await.unwrap();
        let seeded = seed::seed_demo(&db, now_millis()).await.unwrap();
        let load = |runtime: &Runtime| -> (LoadedComponent, Service) {
            let service = Service::load(runtime, &tracker_wasm, &tracker_manifest).unwrap();
            (service.component.clone(), service)
        };
        let (tracker_limited, service) = load(&limited);
        let (tracker_unlimited, _) = load(&unlimited);
        let record = consent::register(&db, &service).await.unwrap();
        let tracker_grant =
            consent::grant_requested(&db, &seeded.patient, &record, now_millis())
                .await
                .unwrap();
        let tracker_call = CallContext {
            db: db.clone(),
            service_name: record.name.clone(),
            grant: Arc::new(tracker_grant),
            limits: Default::default(),
        };

        // 1. instantiate + call.
        println!("instantiate + call: the weight tracker's 404 page, {seconds} s per measure");
        println!("{:<10} {:>5} {:>12} {:>12} {:>10}", "limits", "conc", "p50", "p99", "calls/s");
        for concurrency in [1, 16, 64] {
            let mut p50s = Vec::new();
            for (name, runtime, component) in [
                ("shipped", &limited, &tracker_limited),
                ("none", &unlimited, &tracker_unlimited),
            ] {
                let (runtime, component, call) =
                    (runtime.clone(), component.clone(), tracker_call.clone());
                let (samples, _) = drive(concurrency, seconds, move || {
                    let (runtime, component, call) =
                        (runtime.clone(), component.clone(), call.clone());
                    async move {
                        let r = runtime.invoke(&component, &call, get("/nope")).await?;
                        assert_eq!(r.status, 404);
                        Ok(())
                    }
                })
                .await;
                let rate = samples.len() as f64 / seconds as f64;
                let (p50, p99, _) = percentiles(samples);
                p50s.push(p50);
                println!(
                    "{name:<10} {concurrency:>5} {:>12} {:>12} {rate:>10.0}",
                    show(p50),
                    show(p99)
                );
            }
            println!(
                "  limits cost at {concurrency}: p50 {:+.1} %",
                (p50s[0] / p50s[1] - 1.0) * 100.0
            );
        }

        // 2. The kill switch.
        let shipped = Arc::new(Runtime::new(RuntimeConfig::default(), None).unwrap());
        let hostile = shipped
            .load(&std::fs::read(&hostile_wasm).unwrap())
            .unwrap();
        let _watch = killswitch::spawn(shipped.clone(), db.clone(), None, killswitch::PERIOD);
        let patient = PatientId::new("bench-killed");
        let (mut stops, mut commits) = (Vec::new(), Vec::new());
        for trial in 0..trials {
            let call = grant(&db, &patient, "fr.example.killed", &["storage"]).await;
            let running = {
                let (runtime, hostile, call) = (shipped.clone(), hostile.clone(), call.clone());
                tokio::spawn(async move { runtime.invoke(&hostile, &call, get("/loop")).await })
            };
            while shipped.inflight().is_empty() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            // Decisions land at every phase of the watch's period.
            tokio::time::sleep(Duration::from_millis(trial % 20)).await;
            let deciding = Instant::now();
            consent::revoke(&db, &patient, call.service(), false, now_millis())
                .await
                .unwrap();
            let committed = Instant::now();
            commits.push(committed - deciding);
            let outcome = running.await.unwrap();
            assert!(
                matches!(outcome, Err(InvokeError::Interrupted(_))),
                "{outcome:?}"
            );
            stops.push(committed.elapsed());
        }
        let (p50, p99, max) = percentiles(stops);
        println!(
            "\nkill switch, {trials} trials: from the revocation's commit to the end of \
             the invocation: p50 {}, p99 {}, max {}",
            show(p50),
            show(p99),
            show(max)
        );
        let (p50, p99, max) = percentiles(commits);
        println!(
            "  (the revocation itself, a write transaction: p50 {}, p99 {}, max {})",
            show(p50),
            show(p99),
            show(max)
        );

        // 3. Fairness: the tracker next to eight looping services.
        let fairness = FairnessConfig::default();
        let tracker = shipped.load(&std::fs::read(&tracker_wasm).unwrap()).unwrap();
        let tracker_run = {
            let (runtime, tracker, call) = (shipped.clone(), tracker.clone(), tracker_call.clone());
            move || {
                let (runtime, tracker, call) = (runtime.clone(), tracker.clone(), call.clone());
                async move {
                    let r = runtime.invoke(&tracker, &call, get("/api/summary")).await?;
                    assert_eq!(r.status, 200);
                    Ok(())
                }
            }
        };
        let (alone, refused) = drive(4, seconds, tracker_run.clone()).await;
        let (p50, p99, _) = percentiles(alone);
        println!(
            "\nfairness: weight tracker /api/summary at concurrency 4, {seconds} s\n  \
             alone:                       p50 {}, p99 {}, refused {refused}",
            show(p50),
            show(p99)
        );
        let stop = Arc::new(AtomicBool::new(false));
        let hostile_refused = Arc::new(AtomicU64::new(0));
        let mut loopers = Vec::new();
        for service in 0..8 {
            let patient = PatientId::new(format!("bench-hostile-{service}"));
            let call = grant(&db, &patient, &format!("fr.example.hostile-{service}"), &["storage"]).await;
            // Asked for more than its cap, all the time.
            for _ in 0..fairness.per_service + 4 {
                let (runtime, hostile, call, stop, refused) = (
                    shipped.clone(),
                    hostile.clone(),
                    call.clone(),
                    stop.clone(),
                    hostile_refused.clone(),
                );
                loopers.push(tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        match runtime.invoke(&hostile, &call, get("/loop")).await {
                            Err(InvokeError::Busy(_)) => {
                                refused.fetch_add(1, Ordering::Relaxed);
                                tokio::time::sleep(Duration::from_millis(1)).await;
                            }
                            Err(InvokeError::Deadline(_)) => {}
                            other => panic!("{other:?}"),
                        }
                    }
                }));
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (loaded, refused) = drive(4, seconds, tracker_run).await;
        stop.store(true, Ordering::Relaxed);
        let answered = loaded.len();
        let (p50, p99, max) = percentiles(loaded);
        println!(
            "  next to 8 looping services: p50 {}, p99 {}, max {}, {answered} answered, \
             refused {refused}\n  (the looping services: {} of their invocations refused at their cap)",
            show(p50),
            show(p99),
            show(max),
            hostile_refused.load(Ordering::Relaxed)
        );
        for looper in loopers {
            looper.await.unwrap();
        }
    });
}
