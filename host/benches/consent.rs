//! The cost of finding a patient's grant and deciding under it, as every
//! invocation does, with few and with many grants stored.
//!
//! `cargo bench -p officine-host --bench consent` prints
//! `grant-lookup/1000` and `grant-lookup/1000000`: `consent::for_invocation`
//! (one indexed read of the grants table) then `decide`, for a patient
//! picked at random among the stored ones. The two figures should match:
//! the lookup goes through the `(patient_id, service_id)` index.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use officine_host::consent;
use officine_host::db::Db;
use officine_host::model::{PatientId, ServiceId, now_millis};
use officine_policy::{Item, MeasureKind, Op, Request, decide};

const SERVICE: &str = "fr.example.bench";

/// A database holding `n` patients, each with a grant for the service,
/// generated inside SQLite so that a million rows take seconds.
async fn database(dir: &std::path::Path, n: u64) -> Db {
    let db = Db::open_sqlite(&dir.join(format!("grants-{n}.db")))
        .await
        .unwrap();
    let now = now_millis();
    let generate = format!(
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n})"
    );
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{generate} INSERT INTO patients (id, display_name, created_at) \
         SELECT 'p-' || i, 'Patient ' || i, {now} FROM seq"
    )))
    .execute(db.pool())
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "{generate} INSERT INTO grants (id, patient_id, service_id, scopes, starts_at, ends_at, \
         version, sheet_hash, revision, revoked_at, created_at) \
         SELECT 'g-' || i, 'p-' || i, '{SERVICE}', \
         'patient/Observation.rs?code=http://loinc.org|29463-7 storage', \
         {start}, {end}, '1.0.0', '{sheet}', 1, NULL, {now} FROM seq",
        start = now - 1000,
        end = now + 365 * 24 * 3600 * 1000_i64,
        sheet = "00".repeat(32),
    )))
    .execute(db.pool())
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(db.pool()).await.unwrap();
    db
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let service = ServiceId::new(SERVICE).unwrap();
    let mut group = c.benchmark_group("grant-lookup");
    for n in [1_000_u64, 1_000_000] {
        let db = rt.block_on(database(dir.path(), n));
        // A cheap, reproducible spread over the stored patients.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.to_async(&rt).iter(|| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let patient = PatientId::new(format!("p-{}", state % n + 1));
                let (db, service) = (&db, &service);
                async move {
                    let now = now_millis();
                    let grant = consent::for_invocation(db, &patient, service, now)
                        .await
                        .unwrap()
                        .expect("every patient has a grant");
                    let request = Request {
                        op: Op::Search,
                        item: Item::Measure(Some(MeasureKind::Weight)),
                        date: None,
                        written_by: None,
                        at: now,
                    };
                    black_box(decide(&grant.grant, &request))
                }
            })
        });
    }
    group.finish();
}

criterion_group!(consent_benches, benches);
criterion_main!(consent_benches);
