//! The log on both databases: recorded, sealed, verified; and each way of
//! tampering with it found, with its position.

use std::sync::Arc;

use officine_registry::keys::KeyPair;
use officine_registry::log::LogSigner;
use officine_tlog::ReplayError;

use super::verify::{Check, Fault, Report, verify};
use super::*;
use crate::db::{Backend, Db};
use crate::model::{ComponentDigest, PatientId, ServiceId};

fn signer() -> Arc<LogSigner> {
    Arc::new(LogSigner::new(seal::ORIGIN, KeyPair::generate().unwrap()))
}

fn event(patient: &str, records: u64) -> Event {
    let service = ServiceId::new("fr.example.tracker").unwrap();
    Event::new(
        Actor::component(&service, &ComponentDigest::of(b"c")),
        Some(&PatientId::new(patient)),
        "measures.list",
        records,
        Outcome::Allowed,
    )
    .in_invocation(Some(InvocationId::new()))
}

/// A log of `batches` seals of `per` events each.
async fn log_of(db: &Db, signer: &Arc<LogSigner>, batches: u64, per: u64) -> Vec<String> {
    let mut notes = Vec::new();
    for batch in 0..batches {
        let events = (0..per).map(|i| event("p-1", batch * per + i)).collect();
        db.audit().record(events).await.unwrap();
        seal::seal(db, signer).await.unwrap().unwrap();
        notes.push(latest_note(db).await);
    }
    notes
}

async fn latest_note(db: &Db) -> String {
    let (note,): (String,) =
        sqlx::query_as("SELECT note FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
            .fetch_one(db.pool())
            .await
            .unwrap();
    note
}

async fn check(db: &Db, signer: &LogSigner, check: Check<'_>) -> Result<Report, Fault> {
    verify(db, &signer.verifier(), check).await
}

/// Lets the test act as someone with write access to the database, who
/// goes around the triggers.
async fn tamper(db: &Db, sql: &str) {
    let mut tx = db.pool().begin().await.unwrap();
    match db.backend() {
        Backend::Sqlite => {
            for trigger in [
                "audit_events_never_deleted",
                "audit_events_never_changed",
                "audit_checkpoints_never_deleted",
            ] {
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {trigger}")))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
        }
        Backend::Postgres => {
            for table in ["audit_events", "audit_checkpoints"] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "ALTER TABLE {table} DISABLE TRIGGER USER"
                )))
                .execute(&mut *tx)
                .await
                .unwrap();
            }
        }
    }
    for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_sealed_log_verifies_with_its_proofs() {
    let (_dir, dbs) = crate::db::testing::both().await;
    for db in dbs {
        let signer = signer();
        let empty = check(&db, &signer, Check::default()).await.unwrap();
        assert_eq!((empty.size, empty.checkpoints), (0, 0));

        let notes = log_of(&db, &signer, 3, 5).await;
        db.audit().record(vec![event("p-2", 1)]).await.unwrap();
        let report = check(
            &db,
            &signer,
            Check {
                since: Some(&notes[0]),
                inclusion: Some(7),
            },
        )
        .await
        .unwrap();
        assert_eq!(report.size, 15, "{:?}", db.backend());
        assert_eq!(report.checkpoints, 3);
        assert_eq!(report.unsealed, 1, "the last event waits for a seal");
        assert_eq!(report.checkpoint, notes[2]);
        assert!(!report.consistency.unwrap().is_empty());
        assert_eq!(report.inclusion.unwrap().len(), 4, "log2 of 15, rounded up");

        // Events are placed in the order they were recorded, each once.
        assert_eq!(seal::seal_all(&db, &signer).await.unwrap(), 1);
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT idx, body FROM audit_events ORDER BY idx")
                .fetch_all(db.pool())
                .await
                .unwrap();
        let records: Vec<u64> = rows
            .iter()
            .map(|(_, body)| Event::from_entry(body).unwrap().records)
            .collect();
        assert_eq!(records, (0..15).chain([1]).collect::<Vec<_>>());
        assert!(
            rows.iter()
                .enumerate()
                .all(|(i, (idx, _))| *idx == i as i64)
        );
        assert!(seal::seal(&db, &signer).await.unwrap().is_none());

        // Another key's checkpoint is not this log's.
        let stranger = check(
            &db,
            &signer,
            Check {
                since: Some(&signed_by_another_key()),
                inclusion: None,
            },
        )
        .await;
        assert!(
            matches!(stranger, Err(Fault::NotAnExtension { .. })),
            "{stranger:?}"
        );
    }
}

fn signed_by_another_key() -> String {
    let other = signer();
    let checkpoint = officine_tlog::Checkpoint::new(seal::ORIGIN, 1, [0; 32]).unwrap();
    officine_tlog::SignedCheckpoint::sign(checkpoint, &*other).to_string()
}

#[tokio::test]
async fn the_database_refuses_to_change_or_remove_an_event() {
    let (_dir, dbs) = crate::db::testing::both().await;
    for db in dbs {
        let signer = signer();
        log_of(&db, &signer, 1, 3).await;
        for sql in [
            "UPDATE audit_events SET records = 99 WHERE idx = 1",
            "UPDATE audit_events SET idx = 7 WHERE idx = 1",
            "DELETE FROM audit_events WHERE idx = 1",
            "DELETE FROM audit_checkpoints",
            "UPDATE audit_checkpoints SET note = 'x'",
        ] {
            let refused = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(db.pool())
                .await
                .unwrap_err();
            assert!(
                refused.to_string().contains("never") || refused.to_string().contains("keeps"),
                "{:?} {sql}: {refused}",
                db.backend()
            );
        }
        check(&db, &signer, Check::default()).await.unwrap();
    }
}

/// Each tampering, on a fresh log of 4 seals of 5 events, and what
/// verification says of it.
#[tokio::test]
async fn tampering_is_found_and_located() {
    type Expected = fn(&Fault) -> bool;
    let cases: [(&str, Expected); 5] = [
        // The content changed, its recorded hash left as it was.
        (
            "UPDATE audit_events SET body = REPLACE(body, '\"records\":7', '\"records\":8') WHERE idx = 7",
            |f| matches!(f, Fault::Altered { index: 7 }),
        ),
        // A column the views read changed: the patient's history would
        // no longer show the access.
        (
            "UPDATE audit_events SET patient_id = 'p-9' WHERE idx = 12",
            |f| {
                matches!(
                    f,
                    Fault::ColumnAltered {
                        index: 12,
                        column: "patient_id"
                    }
                )
            },
        ),
        // A row removed from the middle.
        ("DELETE FROM audit_events WHERE idx = 11", |f| {
            matches!(
                f,
                Fault::Removed {
                    index: 11,
                    after: 12
                }
            )
        }),
        // A row slipped into the middle, the ones after it moved along:
        // the first checkpoint past it no longer matches.
        (
            "UPDATE audit_events SET idx = idx + 1000 WHERE idx >= 12; \
             UPDATE audit_events SET idx = idx - 999 WHERE idx >= 1012; \
             INSERT INTO audit_events (idx, at, patient_id, service_id, interface, operation, \
             outcome, records, body, leaf) SELECT 12, at, patient_id, service_id, interface, \
             operation, outcome, records, body, leaf FROM audit_events WHERE idx = 0",
            |f| {
                matches!(
                    f,
                    Fault::Checkpoint(ReplayError::Mismatch { from: 10, size: 15 })
                )
            },
        ),
        // The last rows removed, the checkpoint that covered them kept.
        ("DELETE FROM audit_events WHERE idx >= 18", |f| {
            matches!(
                f,
                Fault::Checkpoint(ReplayError::Truncated {
                    entries: 18,
                    size: 20
                })
            )
        }),
    ];
    let (_dir, dbs) = crate::db::testing::both().await;
    for db in &dbs {
        for (sql, expected) in &cases {
            let (_dir, fresh) = fresh(db).await;
            let signer = signer();
            log_of(&fresh, &signer, 4, 5).await;
            tamper(&fresh, sql).await;
            let fault = check(&fresh, &signer, Check::default()).await.unwrap_err();
            assert!(expected(&fault), "{:?} {sql}: {fault}", db.backend());
        }
    }
}

/// After the last checkpoint, an event waits for the next seal: on SQLite
/// it has its place already, and one slipped in there cannot be told from
/// one recorded (the seal period bounds that window); on PostgreSQL a
/// placed event is always signed, so a placed and unsigned one was inserted.
#[tokio::test]
async fn a_row_added_after_the_last_checkpoint() {
    let (_dir, dbs) = crate::db::testing::both().await;
    for db in &dbs {
        let (_dir, db) = fresh(db).await;
        let signer = signer();
        log_of(&db, &signer, 4, 5).await;
        tamper(
            &db,
            "INSERT INTO audit_events (idx, at, patient_id, service_id, interface, operation, \
             outcome, records, body, leaf) SELECT 20, at, patient_id, service_id, interface, \
             operation, outcome, records, body, leaf FROM audit_events WHERE idx = 0",
        )
        .await;
        let result = check(&db, &signer, Check::default()).await;
        match db.backend() {
            Backend::Sqlite => {
                let report = result.unwrap();
                assert_eq!((report.size, report.unsealed), (20, 1));
                assert!(report.oldest_unsealed.is_some());
            }
            Backend::Postgres => {
                let fault = result.unwrap_err();
                assert!(matches!(fault, Fault::Uncovered { from: 20 }), "{fault}");
            }
        }
    }
}

#[tokio::test]
async fn a_rewritten_log_is_caught_by_its_checkpoints() {
    let (_dir, dbs) = crate::db::testing::both().await;
    for db in &dbs {
        let (_dir, db) = fresh(db).await;
        let signer = signer();
        log_of(&db, &signer, 4, 5).await;
        // Event 7 changed and its hash recomputed, as someone who knows
        // the hashing would: only the signed checkpoints can tell.
        let (body,): (String,) = sqlx::query_as("SELECT body FROM audit_events WHERE idx = 7")
            .fetch_one(db.pool())
            .await
            .unwrap();
        let forged = body.replace("\"records\":7", "\"records\":0");
        let leaf = hex::encode(officine_tlog::leaf_hash(forged.as_bytes()));
        let set_leaf = match db.backend() {
            Backend::Sqlite => format!("X'{leaf}'"),
            Backend::Postgres => format!("'\\x{leaf}'::bytea"),
        };
        tamper(
            &db,
            &format!(
                "UPDATE audit_events SET body = '{forged}', records = 0, leaf = {set_leaf} WHERE idx = 7"
            ),
        )
        .await;
        let fault = check(&db, &signer, Check::default()).await.unwrap_err();
        assert!(
            matches!(
                fault,
                Fault::Checkpoint(ReplayError::Mismatch { from: 5, size: 10 })
            ),
            "{:?}: {fault}",
            db.backend()
        );
        assert!(fault.to_string().contains("entries 5 to 9"), "{fault}");
    }
}

#[tokio::test]
async fn a_truncated_log_is_caught_from_a_checkpoint_kept_elsewhere() {
    let (_dir, dbs) = crate::db::testing::both().await;
    for db in &dbs {
        let (_dir, db) = fresh(db).await;
        let signer = signer();
        let notes = log_of(&db, &signer, 4, 5).await;
        // The last two seals removed entirely, checkpoints included: the
        // log is consistent with itself again.
        tamper(
            &db,
            "DELETE FROM audit_events WHERE idx >= 10; DELETE FROM audit_checkpoints WHERE size > 10",
        )
        .await;
        let alone = check(&db, &signer, Check::default()).await.unwrap();
        assert_eq!(alone.size, 10);
        // But not with the checkpoint a regulator kept.
        let kept = Check {
            since: Some(&notes[3]),
            inclusion: None,
        };
        let fault = check(&db, &signer, kept).await.unwrap_err();
        assert!(
            matches!(
                fault,
                Fault::Checkpoint(ReplayError::Truncated {
                    entries: 10,
                    size: 20
                })
            ),
            "{:?}: {fault}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn concurrent_callers_are_all_recorded() {
    let (_dir, dbs) = crate::db::testing::both().await;
    for db in dbs {
        let callers: Vec<_> = (0..64)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let events = (0..3).map(|_| event(&format!("p-{i}"), 1)).collect();
                    db.audit().record(events).await
                })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap().unwrap();
        }
        db.audit().flush().await.unwrap();
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(count, 64 * 3, "{:?}", db.backend());
    }
}

/// A database of its own, on the same backend as `db`.
async fn fresh(db: &Db) -> (Option<tempfile::TempDir>, Db) {
    match db.backend() {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let db = Db::open_sqlite(&dir.path().join("audit.db")).await.unwrap();
            (Some(dir), db)
        }
        Backend::Postgres => {
            let url = officine_test_postgres::cluster().fresh_url();
            (None, Db::connect(&url).await.unwrap())
        }
    }
}

/// The audit rows' record counts, in the log's order.
async fn logged(db: &Db) -> Vec<i64> {
    let records: Vec<(i64,)> = sqlx::query_as("SELECT records FROM audit_events ORDER BY idx")
        .fetch_all(db.pool())
        .await
        .unwrap();
    records.into_iter().map(|(r,)| r).collect()
}

/// The queue's segment files.
fn segment_files(database: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(super::queue_path(database))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "events"))
        .collect();
    files.sort();
    files
}

/// On SQLite, reads' events wait in the queue: moved into the log once,
/// by whichever process, then forgotten.
#[tokio::test]
async fn the_queue_moves_each_event_once_and_then_forgets_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let db = Db::open_sqlite(&path).await.unwrap();
    for part in [0..300, 300..600] {
        db.audit()
            .record(part.map(|i| event("p-1", i)).collect())
            .await
            .unwrap();
    }
    assert_eq!(db.audit().waiting().await.unwrap().0, 600);
    assert_eq!(logged(&db).await, Vec::<i64>::new(), "not in the log yet");
    assert_eq!(db.audit().flush().await.unwrap(), 600);
    assert_eq!(db.audit().flush().await.unwrap(), 0, "moved once");
    assert_eq!(
        segment_files(&path),
        Vec::<std::path::PathBuf>::new(),
        "forgotten"
    );

    for i in 0..3 {
        db.audit().record(vec![event("p-2", i)]).await.unwrap();
    }
    // Another process on the same database records in the database
    // itself, and may move what the owner appended, though not remove the
    // segment the owner appends to.
    let other = Db::open_sqlite(&path).await.unwrap();
    other.audit().record(vec![event("p-3", 7)]).await.unwrap();
    assert_eq!(other.audit().flush().await.unwrap(), 3);
    assert_eq!(segment_files(&path).len(), 1, "the owner's segment stays");
    db.audit().record(vec![event("p-2", 3)]).await.unwrap();
    assert_eq!(other.audit().waiting().await.unwrap().0, 1);
    assert_eq!(db.audit().flush().await.unwrap(), 1);
    assert_eq!(db.audit().flush().await.unwrap(), 0);
    let mut expected: Vec<i64> = (0..600).collect();
    expected.extend([7, 0, 1, 2, 3]);
    assert_eq!(logged(&db).await, expected);
    assert!(segment_files(&path).is_empty());
}

/// A move cut after its commit, before the segments were removed, is not
/// made again; an append cut midway is left out, and so is a line that is
/// not an event, without holding up those after it.
#[tokio::test]
async fn a_move_cut_short_and_a_torn_append_lose_and_repeat_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let db = Db::open_sqlite(&path).await.unwrap();
    db.audit()
        .record((0..5).map(|i| event("p-1", i)).collect())
        .await
        .unwrap();
    let segment = segment_files(&path).pop().unwrap();
    let kept = std::fs::read(&segment).unwrap();
    assert_eq!(db.audit().flush().await.unwrap(), 5);
    // The segment back, as if the process had stopped before removing it.
    std::fs::write(&segment, &kept).unwrap();
    assert_eq!(db.audit().waiting().await.unwrap().0, 0);
    assert_eq!(db.audit().flush().await.unwrap(), 0, "not moved twice");
    assert!(!segment.exists(), "removed this time");

    db.audit()
        .record((5..8).map(|i| event("p-1", i)).collect())
        .await
        .unwrap();
    // The owner stops mid-append, after a line that is not an event.
    let segment = segment_files(&path).pop().unwrap();
    drop(db);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&segment)
        .unwrap();
    std::io::Write::write_all(&mut file, b"{\"not\": \"an event\"}\n").unwrap();
    let torn = event("p-1", 99).to_entry();
    std::io::Write::write_all(&mut file, &torn.as_bytes()[..torn.len() / 2]).unwrap();
    drop(file);

    let db = Db::open_sqlite(&path).await.unwrap();
    db.audit().record(vec![event("p-1", 8)]).await.unwrap();
    assert_eq!(db.audit().flush().await.unwrap(), 4);
    assert_eq!(logged(&db).await, (0..9).collect::<Vec<_>>());
    assert!(
        segment_files(&path).is_empty(),
        "the dead owner's segment too"
    );
}

/// Events recorded faster than seals move them do not pile up: segments
/// are cut at their size, and once too many wait, recording moves them.
#[tokio::test]
async fn recording_faster_than_moving_keeps_the_queue_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let db = Db::open_sqlite(&path).await.unwrap();
    // About five events a segment, and three segments waiting at most.
    db.audit().queue().unwrap().limit(2_000, 3);
    let mut most = 0;
    for i in 0..200 {
        db.audit().record(vec![event("p-1", i)]).await.unwrap();
        most = most.max(segment_files(&path).len());
    }
    assert!((2..=5).contains(&most), "{most} segments at once");
    db.audit().flush().await.unwrap();
    assert_eq!(logged(&db).await, (0..200).collect::<Vec<_>>());
}
