//! Invocation and start-up costs, in process.
//!
//! `cargo bench -p officine-host --bench invoke` builds the example services
//! and prints:
//! - `invoke/summary`: a whole weight-tracker invocation (`GET /api/summary`:
//!   two measure reads and a storage read against SQLite), under the demo
//!   patient's grant;
//! - `invoke/no-platform-call`: the same component on a route that makes no
//!   platform call (its 404): the platform's own part — store, WASI context,
//!   instantiation from the linked template, the call and the drop;
//! - `storage/summary-reads`: the summary's three storage reads alone, made
//!   directly as the service makes them (60 weights and BMIs, the latest
//!   height, the goal), with the grant's conditions;
//! - `enforce/measures-list/checked` and `/unchecked`: the 60-record measures
//!   read with the consent checks (decision, windows, grant check in the
//!   statement) and the same read made for the patient, without them,
//!   interleaved;
//! - `load/cached` and `load/compile`: turning component bytes into a
//!   runnable component, from the disk cache (as after a restart) or by
//!   compiling;
//! - `load/artifact`: the cached artifact alone (read, hash check,
//!   deserialise), as when the digest is already known.

mod common;

use common::get;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use officine_host::audit::InvocationId;
use officine_host::consent;
use officine_host::db::measures::{self, MeasureQuery};
use officine_host::db::storage::{self, Space};
use officine_host::db::{Db, GrantGuard, Reader, seed};
use officine_host::examples;
use officine_host::model::{ComponentDigest, MeasureKind, now_millis};
use officine_host::runtime::cache::Lookup;
use officine_host::runtime::{CallContext, Runtime, RuntimeConfig};
use officine_host::service::Service;
use officine_policy::{Item, Op, Request, decide};

/// The weight tracker, built from source.
fn weight_tracker() -> (Vec<u8>, std::path::PathBuf, std::path::PathBuf) {
    let workspace = examples::workspace().expect("run from the repository");
    let built = examples::build(&workspace).expect("example services build");
    let example = built
        .into_iter()
        .find(|e| e.package == "weight-tracker")
        .unwrap();
    let bytes = std::fs::read(&example.wasm).unwrap();
    (bytes, example.wasm, example.manifest)
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (bytes, wasm, manifest) = weight_tracker();
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeConfig::default(), None).unwrap();
    let service = Service::load(&runtime, &wasm, &manifest).unwrap();
    let component = service.component.clone();
    // The demo patient grants the weight tracker what it requests, as
    // `officine dev` does.
    let (db, call) = rt.block_on(async {
        let db = Db::open_sqlite(&dir.path().join("bench.db")).await.unwrap();
        let seeded = seed::seed_demo(&db, now_millis()).await.unwrap();
        let record = consent::register(&db, &service).await.unwrap();
        let grant = consent::grant_requested(&db, &seeded.patient, &record, now_millis())
            .await
            .unwrap();
        let call = CallContext {
            db: db.clone(),
            service_name: record.name.clone(),
            grant: Arc::new(grant),
            limits: Default::default(),
        };
        (db, call)
    });

    let summary = get("/api/summary");
    let page = get("/");
    let missing = get("/no-such-page");
    // Sanity: the routes answer what the figures claim to measure.
    rt.block_on(async {
        let r = runtime
            .invoke(&component, &call, summary.clone())
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert!(String::from_utf8_lossy(&r.body).contains("\"bmi\""));
        let r = runtime
            .invoke(&component, &call, missing.clone())
            .await
            .unwrap();
        assert_eq!(r.status, 404);
    });

    let mut group = c.benchmark_group("invoke");
    group.bench_function("summary", |b| {
        b.to_async(&rt).iter(|| async {
            runtime
                .invoke(&component, &call, summary.clone())
                .await
                .unwrap()
        })
    });
    group.bench_function("page", |b| {
        b.to_async(&rt).iter(|| async {
            runtime
                .invoke(&component, &call, page.clone())
                .await
                .unwrap()
        })
    });
    group.bench_function("no-platform-call", |b| {
        b.to_async(&rt).iter(|| async {
            runtime
                .invoke(&component, &call, missing.clone())
                .await
                .unwrap()
        })
    });
    group.finish();

    let grant = call.grant.clone();
    let patient = grant.grant.patient().clone();
    let guard = || GrantGuard::of(&grant);
    // The kinds the summary reads, each from the date the grant allows.
    let window = |kind: MeasureKind| {
        let from = grant
            .grant
            .window(Op::Search, Item::Measure(Some(kind)))
            .expect("the weight tracker may read this kind");
        (kind.as_str(), from)
    };
    let recent_kinds = [window(MeasureKind::Weight), window(MeasureKind::Bmi)];
    let height_kinds = [window(MeasureKind::Height)];
    let since = now_millis() - 90 * 24 * 3600 * 1000;
    let recent = MeasureQuery {
        kinds: &recent_kinds,
        since: Some(since),
        until: None,
        limit: Some(1000),
    };
    let height = MeasureQuery {
        kinds: &height_kinds,
        since: None,
        until: None,
        limit: Some(1),
    };
    c.bench_function("storage/summary-reads", |b| {
        b.to_async(&rt).iter(|| async {
            let guard = guard();
            let reader = Reader::Service(&guard);
            let space = Space {
                service: grant.grant.service(),
                patient: &patient,
                guard: &guard,
                component: ComponentDigest::of(b"bench"),
                invocation: InvocationId::new(),
            };
            (
                measures::list(&db, &patient, &recent, reader)
                    .await
                    .unwrap(),
                measures::list(&db, &patient, &height, reader)
                    .await
                    .unwrap(),
                storage::get(&db, space, "goal-weight").await.unwrap(),
            )
        })
    });

    // The consent checks on the measures read path, against the same read
    // with none: the decision, the grant's windows turned into the query's
    // conditions, and the statement's check that the grant still stands.
    // The two are interleaved, one untimed call of the other variant before
    // each timed one, so that both see the same machine.
    let request = Request {
        op: Op::Search,
        item: Item::Measure(None),
        date: None,
        written_by: None,
        at: now_millis(),
    };
    let checked = || async {
        assert!(decide(&grant.grant, &request).is_allowed());
        let kinds: Vec<(&'static str, i64)> = [MeasureKind::Weight, MeasureKind::Bmi]
            .into_iter()
            .filter_map(|k| {
                let from = grant.grant.window(Op::Search, Item::Measure(Some(k)))?;
                Some((k.as_str(), from))
            })
            .collect();
        let query = MeasureQuery {
            kinds: &kinds,
            ..recent.clone()
        };
        let guard = guard();
        let rows = measures::list(&db, &patient, &query, Reader::Service(&guard))
            .await
            .unwrap();
        assert_eq!(rows.len(), 60);
    };
    let unchecked_kinds = [
        (MeasureKind::Weight.as_str(), i64::MIN),
        (MeasureKind::Bmi.as_str(), i64::MIN),
    ];
    let unchecked = || async {
        let query = MeasureQuery {
            kinds: &unchecked_kinds,
            ..recent.clone()
        };
        let rows = measures::list(&db, &patient, &query, Reader::Owner)
            .await
            .unwrap();
        assert_eq!(rows.len(), 60);
    };
    let mut group = c.benchmark_group("enforce");
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("measures-list/checked", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                unchecked().await;
                let start = Instant::now();
                checked().await;
                timed += start.elapsed();
            }
            timed
        })
    });
    group.bench_function("measures-list/unchecked", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                checked().await;
                let start = Instant::now();
                unchecked().await;
                timed += start.elapsed();
            }
            timed
        })
    });
    group.finish();

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
