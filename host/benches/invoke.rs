//! Invocation and start-up costs, in process.
//!
//! `cargo bench -p officine-host --bench invoke` builds the example services
//! and prints:
//! - `invoke/summary`: a whole weight-tracker invocation (`GET /api/summary`:
//!   three measure reads and a storage read against SQLite);
//! - `invoke/no-platform-call`: the same component on a route that makes no
//!   platform call (its 404): the platform's own part — store, WASI context,
//!   instantiation from the linked template, the call and the drop;
//! - `storage/summary-reads`: the summary's three storage reads alone, made
//!   directly (60 weights and BMIs, the latest height, the goal);
//! - `load/cached` and `load/compile`: turning component bytes into a
//!   runnable component, from the disk cache (as after a restart) or by
//!   compiling;
//! - `load/artifact`: the cached artifact alone (read, hash check,
//!   deserialise), as when the digest is already known.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use officine_host::db::measures::{self, MeasureQuery};
use officine_host::db::{Db, seed, storage};
use officine_host::examples;
use officine_host::model::{MeasureKind, ServiceId, now_millis};
use officine_host::platform::Interfaces;
use officine_host::runtime::bindings::handler::Request;
use officine_host::runtime::cache::Lookup;
use officine_host::runtime::{CallContext, Runtime, RuntimeConfig};

fn get(path: &str) -> Request {
    Request {
        method: "GET".to_owned(),
        path: path.to_owned(),
        query: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn weight_tracker_bytes() -> Vec<u8> {
    let workspace = examples::workspace().expect("run from the repository");
    let built = examples::build(&workspace).expect("example services build");
    let example = built
        .iter()
        .find(|e| e.package == "weight-tracker")
        .unwrap();
    std::fs::read(&example.wasm).unwrap()
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let bytes = weight_tracker_bytes();
    let dir = tempfile::tempdir().unwrap();
    let db = rt.block_on(async {
        let db = Db::open_sqlite(&dir.path().join("bench.db")).await.unwrap();
        seed::seed_demo(&db, now_millis()).await.unwrap();
        db
    });
    let runtime = Runtime::new(RuntimeConfig::default(), None).unwrap();
    let component = runtime.load(&bytes).unwrap();
    let call = CallContext {
        db: db.clone(),
        patient: officine_host::model::PatientId::new(seed::DEMO_PATIENT),
        service: ServiceId::new("fr.officine.weight-tracker").unwrap(),
        service_name: "Suivi du poids".to_owned(),
        interfaces: Interfaces::all(),
    };

    let summary = get("/api/summary");
    let missing = get("/no-such-page");
    // Sanity: the routes answer what the figures claim to measure.
    rt.block_on(async {
        let r = runtime.invoke(&component, &call, &summary).await.unwrap();
        assert_eq!(r.status, 200);
        let r = runtime.invoke(&component, &call, &missing).await.unwrap();
        assert_eq!(r.status, 404);
    });

    let mut group = c.benchmark_group("invoke");
    group.bench_function("summary", |b| {
        b.to_async(&rt)
            .iter(|| async { runtime.invoke(&component, &call, &summary).await.unwrap() })
    });
    group.bench_function("no-platform-call", |b| {
        b.to_async(&rt)
            .iter(|| async { runtime.invoke(&component, &call, &missing).await.unwrap() })
    });
    group.finish();

    let patient = call.patient.clone();
    let service = call.service.clone();
    c.bench_function("storage/summary-reads", |b| {
        b.to_async(&rt).iter(|| async {
            let since = now_millis() - 90 * 24 * 3600 * 1000;
            let recent = MeasureQuery {
                kinds: &[MeasureKind::Weight, MeasureKind::Bmi],
                since: Some(since),
                until: None,
                limit: Some(1000),
            };
            let height = MeasureQuery {
                kinds: &[MeasureKind::Height],
                since: None,
                until: None,
                limit: Some(1),
            };
            (
                measures::list(&db, &patient, &recent).await.unwrap(),
                measures::list(&db, &patient, &height).await.unwrap(),
                storage::get(&db, &service, &patient, "goal-weight")
                    .await
                    .unwrap(),
            )
        })
    });

    let mut group = c.benchmark_group("load");
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = cache_dir.path().join("components");
    Runtime::new(RuntimeConfig::default(), Some(&cache))
        .unwrap()
        .load(&bytes)
        .unwrap();
    let restarted = Runtime::new(RuntimeConfig::default(), Some(&cache)).unwrap();
    group.bench_function("cached", |b| {
        b.iter(|| {
            let loaded = restarted.load(&bytes).unwrap();
            assert!(loaded.from_cache());
            loaded
        })
    });
    let digest = component.digest();
    let artifacts = restarted.cache().unwrap();
    group.bench_function("artifact", |b| {
        b.iter(|| match artifacts.lookup(restarted.engine(), &digest) {
            Lookup::Hit(component) => component,
            Lookup::Miss => panic!("the artifact is cached"),
        })
    });
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("compile", |b| b.iter(|| runtime.load(&bytes).unwrap()));
    group.finish();
}

criterion_group!(invoke, benches);
criterion_main!(invoke);
