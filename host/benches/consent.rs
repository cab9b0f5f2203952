//! The cost of finding a patient's grant and deciding under it, as every
//! invocation does, with few and with many grants stored.
//!
//! `cargo bench -p officine-host --bench consent` prints
//! `grant-lookup/1000` and `grant-lookup/1000000`: `consent::for_invocation`
//! (one indexed read of the grants table) then `decide`, for a patient
//! picked at random among the stored ones, each timed lookup following an
//! untimed one in the other database. The two figures should match: the
//! lookup goes through the `(patient_id, service_id)` index, whose depth
//! grows with the logarithm of the number of grants.

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

/// Reads every page of the grants table and of the index the lookup uses,
/// as a running platform has them in memory.
async fn warm(db: &Db) {
    sqlx::query(
        "SELECT COUNT(*), SUM(LENGTH(scopes)) FROM grants; \
         SELECT COUNT(service_id) FROM grants INDEXED BY grants_current WHERE revoked_at IS NULL",
    )
    .execute(db.pool())
    .await
    .unwrap();
}

/// Looks up a random patient's grant in a database of `n` and decides under it.
async fn lookup(db: &Db, n: u64, state: &mut u64) {
    // xorshift: a cheap, reproducible spread over the stored patients.
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    let patient = PatientId::new(format!("p-{}", *state % n + 1));
    let service = ServiceId::new(SERVICE).unwrap();
    let now = now_millis();
    let grant = consent::for_invocation(db, &patient, &service, now)
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
    black_box(decide(&grant.grant, &request));
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sizes = [1_000_u64, 1_000_000];
    let dbs: Vec<Db> = sizes
        .iter()
        .map(|&n| {
            rt.block_on(async {
                let db = database(dir.path(), n).await;
                warm(&db).await;
                db
            })
        })
        .collect();
    let mut group = c.benchmark_group("grant-lookup");
    group.measurement_time(std::time::Duration::from_secs(10));
    // Each timed lookup follows an untimed one in the other database, so
    // that both sizes are measured under the same conditions.
    for (i, &n) in sizes.iter().enumerate() {
        let (db, other) = (&dbs[i], &dbs[1 - i]);
        let other_n = sizes[1 - i];
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.to_async(&rt).iter_custom(|iters| async move {
                let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ iters;
                let mut timed = std::time::Duration::ZERO;
                for _ in 0..iters {
                    lookup(other, other_n, &mut state).await;
                    let start = std::time::Instant::now();
                    lookup(db, n, &mut state).await;
                    timed += start.elapsed();
                }
                timed
            })
        });
    }
    group.finish();
}

criterion_group!(consent_benches, benches);
criterion_main!(consent_benches);
