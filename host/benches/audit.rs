//! What the audit record costs, in process, on an SQLite file.
//!
//! `cargo bench -p officine-host --bench audit --features unaudited-for-benchmarks`
//! prints:
//!
//! 1. **recording**: events per second that callers get committed, each
//!    call carrying an invocation's three events, at 1, 16 and 64 callers
//!    at once, while the sealer places and signs them on its schedule; what
//!    was left to seal when the callers stopped, how long sealing it took,
//!    and so the rate the whole pipeline sustained (events over recording
//!    plus sealing time); then how fast a backlog is sealed, and what an
//!    event takes on disk;
//! 2. **the invocation path**: the weight tracker's page (three reads, so
//!    three events committed before the response) with the audit record
//!    and with it turned off (`Recorder::turn_off`, which only this
//!    feature has), interleaved in one run, at concurrency 1 and 16:
//!    p50, p99, invocations per second, and the ratio.
//!
//! Environment: `BENCH_SECONDS` per measure (default 5); `SKIP_RECORDING`
//! to measure the invocation path only (to profile it, say).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{built, drive, env_u64, get, percentiles, show};
use officine_host::audit::{
    Actor, Event, GrantRef, InvocationId, Outcome, SealPolicy, Sealer, seal,
};
use officine_host::consent;
use officine_host::db::{Db, seed};
use officine_host::model::{ComponentDigest, PatientId, ServiceId, now_millis};
use officine_host::runtime::{CallContext, FairnessConfig, Runtime, RuntimeConfig};
use officine_host::service::Service;
use officine_registry::keys::KeyPair;
use officine_registry::log::LogSigner;

/// An invocation's worth of events, as the page leaves them.
fn invocation_events(patient: &PatientId) -> Vec<Event> {
    let service = ServiceId::new("fr.example.bench").unwrap();
    let actor = Actor::component(&service, &ComponentDigest::of(b"bench"));
    let invocation = InvocationId::new();
    ["measures.list", "measures.list", "storage.get"]
        .into_iter()
        .map(|call| {
            Event::new(actor.clone(), Some(patient), call, 60, Outcome::Allowed)
                .under(Some(GrantRef {
                    id: "0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9".to_owned(),
                    revision: 1,
                }))
                .in_invocation(Some(invocation))
        })
        .collect()
}

/// Events recorded and not yet covered by a checkpoint.
async fn unsealed(db: &Db) -> i64 {
    let (recorded, signed): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM audit_events), \
                (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints)",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let (queued, _) = db.audit().waiting().await.unwrap();
    recorded - signed + queued as i64
}

async fn recording(db: &Db, signer: Arc<LogSigner>, seconds: u64) {
    println!("recording: three events per call, {seconds} s per measure, sealing on its schedule");
    println!(
        "{:>8} {:>14} {:>12} {:>12} {:>10} {:>10} {:>12}",
        "callers", "recorded/s", "p50", "p99", "unsealed", "to seal", "sustained/s"
    );
    let _sealer = Sealer::spawn(db.clone(), signer.clone(), SealPolicy::default());
    for callers in [1, 16, 64] {
        let stop = Arc::new(AtomicBool::new(false));
        let events = Arc::new(AtomicU64::new(0));
        let tasks: Vec<_> = (0..callers)
            .map(|i| {
                let (db, stop, events) = (db.clone(), stop.clone(), events.clone());
                tokio::spawn(async move {
                    let patient = PatientId::new(format!("bench-{i}"));
                    let mut samples = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let batch = invocation_events(&patient);
                        let n = batch.len() as u64;
                        let start = Instant::now();
                        db.audit().record(batch).await.unwrap();
                        samples.push(start.elapsed());
                        events.fetch_add(n, Ordering::Relaxed);
                    }
                    samples
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut samples = Vec::new();
        for task in tasks {
            samples.extend(task.await.unwrap());
        }
        let recorded = events.load(Ordering::Relaxed);
        let rate = recorded as f64 / seconds as f64;
        let (p50, p99, _) = percentiles(samples);
        // What the whole pipeline sustained: the recording, then placing
        // and signing what the sealer had not caught up with.
        let left = unsealed(db).await;
        let draining = Instant::now();
        seal::seal_all(db, &signer).await.unwrap();
        let drained = draining.elapsed().as_secs_f64();
        let sustained = recorded as f64 / (seconds as f64 + drained);
        println!(
            "{callers:>8} {rate:>14.0} {:>12} {:>12} {left:>10} {drained:>8.2} s {sustained:>12.0}",
            show(p50),
            show(p99)
        );
    }
}

/// The database file's size once its write-ahead log is copied into it.
async fn size_on_disk(db: &Db, path: &std::path::Path) -> u64 {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(db.pool())
        .await
        .unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// A backlog, sealed at once: the move out of the queue, hashing, the
/// tree, the signature; then what the events take on disk.
async fn sealing(db: &Db, path: &std::path::Path, signer: &Arc<LogSigner>) {
    let empty = size_on_disk(db, path).await;
    let backlog = 200_000;
    let patient = PatientId::new("bench-backlog");
    let mut batch = Vec::new();
    while batch.len() < backlog {
        batch.extend(invocation_events(&patient));
    }
    db.audit().record(batch).await.unwrap();
    let start = Instant::now();
    let placed = seal::seal_all(db, signer).await.unwrap();
    let took = start.elapsed();
    println!(
        "sealing a backlog: {placed} events in {:.2} s, {:.0} events/s",
        took.as_secs_f64(),
        placed as f64 / took.as_secs_f64()
    );
    let size = size_on_disk(db, path).await;
    println!(
        "on disk: {:.0} bytes an event (the database file, indexes included, less its size empty)",
        (size - empty) as f64 / placed as f64
    );
}

fn main() {
    let seconds = env_u64("BENCH_SECONDS", 5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (wasm, manifest) = built("weight-tracker", "plugins/weight-tracker");
    let dir = tempfile::tempdir().unwrap();
    let runtime = Arc::new(
        Runtime::new(
            RuntimeConfig {
                fairness: FairnessConfig {
                    per_service: 1000,
                    per_patient: 1000,
                    ..FairnessConfig::default()
                },
                ..RuntimeConfig::default()
            },
            None,
        )
        .unwrap(),
    );
    let signer = Arc::new(LogSigner::new(seal::ORIGIN, KeyPair::generate().unwrap()));

    rt.block_on(async {
        let path = dir.path().join("bench.db");
        let audited = Db::open_sqlite(&path).await.unwrap();
        if std::env::var_os("SKIP_RECORDING").is_none() {
            recording(&audited, signer.clone(), seconds).await;
            let path = dir.path().join("backlog.db");
            let backlog = Db::open_sqlite(&path).await.unwrap();
            sealing(&backlog, &path, &signer).await;
        }

        // The same database, through a handle whose record is off.
        let unaudited = Db::open_sqlite(&path).await.unwrap();
        unaudited.audit().turn_off();
        let seeded = seed::seed_demo(&audited, now_millis()).await.unwrap();
        let service = Service::load(&runtime, &wasm, &manifest).unwrap();
        let record = consent::register(&audited, &service).await.unwrap();
        let grant = consent::grant_requested(&audited, &seeded.patient, &record, now_millis())
            .await
            .unwrap();
        let call = |db: &Db| CallContext {
            db: db.clone(),
            service_name: record.name.clone(),
            grant: Arc::new(grant.clone()),
            limits: Default::default(),
        };
        let _sealer = Sealer::spawn(audited.clone(), signer.clone(), SealPolicy::default());

        println!("\nthe invocation path: the weight tracker's page, {seconds} s per measure");
        println!(
            "{:<10} {:>5} {:>12} {:>12} {:>12}",
            "audit", "conc", "p50", "p99", "pages/s"
        );
        for concurrency in [1, 16] {
            let mut rates = [Vec::new(), Vec::new()];
            for _round in 0..2 {
                for (i, (name, db)) in [("recorded", &audited), ("off", &unaudited)]
                    .into_iter()
                    .enumerate()
                {
                    let (runtime, component, call) =
                        (runtime.clone(), service.component.clone(), call(db));
                    let (samples, _) = drive(concurrency, seconds, move || {
                        let (runtime, component, call) =
                            (runtime.clone(), component.clone(), call.clone());
                        async move {
                            let r = runtime.invoke(&component, &call, get("/")).await?;
                            assert_eq!(r.status, 200);
                            Ok(())
                        }
                    })
                    .await;
                    let rate = samples.len() as f64 / seconds as f64;
                    rates[i].push(rate);
                    let (p50, p99, _) = percentiles(samples);
                    println!(
                        "{name:<10} {concurrency:>5} {:>12} {:>12} {rate:>12.0}",
                        show(p50),
                        show(p99)
                    );
                }
            }
            let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
            let (on, off) = (mean(&rates[0]), mean(&rates[1]));
            println!(
                "  at {concurrency}: {on:.0} against {off:.0} pages/s, the record costs {:+.1} %",
                (off / on - 1.0) * 100.0
            );
        }
    });
}
