//! Checking the audit log: every event against its recorded hash and
//! columns, every signed checkpoint against the events it covers.
//!
//! One pass over the log in index order, a page at a time: memory does not
//! grow with the log, except for the leaf hashes a consistency or inclusion
//! proof needs (32 bytes an event), kept only when one is asked for.

use officine_registry::log::LogVerifier;
use officine_tlog::{
    Checkpoint, Hash, Replay, ReplayError, SignedCheckpoint, consistency_proof, inclusion_proof,
    leaf_hash, verify_consistency, verify_inclusion,
};
use sqlx::Row as _;

use super::Event;
use crate::db::{Backend, Db, DbError};

/// Events read per query.
const PAGE: i64 = 10_000;

/// What is wrong with the audit log, and where.
#[derive(Debug, thiserror::Error)]
pub enum Fault {
    #[error("event {index} was removed: the next event in the log is {after}")]
    Removed { index: u64, after: u64 },
    #[error(
        "event {index} was changed: its content no longer matches the hash recorded when it was logged"
    )]
    Altered { index: u64 },
    #[error("event {index} was changed: its {column} column no longer says what the event says")]
    ColumnAltered { index: u64, column: &'static str },
    #[error("event {index} cannot be read: {problem}")]
    Unreadable { index: u64, problem: String },
    #[error("{0}")]
    Checkpoint(ReplayError),
    #[error("the checkpoint of size {size}: {problem}")]
    BadCheckpoint { size: u64, problem: String },
    #[error(
        "events from {from} on are placed in the log but no signed checkpoint covers them: \
         they were inserted"
    )]
    Uncovered { from: u64 },
    #[error("the log does not extend the checkpoint kept earlier: {problem}")]
    NotAnExtension { problem: String },
    #[error("event {index} is not in the log (its latest checkpoint covers {size})")]
    NoSuchEvent { index: u64, size: u64 },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for Fault {
    fn from(error: sqlx::Error) -> Self {
        Fault::Db(DbError::Sqlx(error))
    }
}

/// What to prove besides the log's own consistency.
#[derive(Debug, Clone, Default)]
pub struct Check<'a> {
    /// A signed checkpoint kept earlier elsewhere: the log must extend it.
    pub since: Option<&'a str>,
    /// An event whose inclusion to prove.
    pub inclusion: Option<u64>,
}

/// What a verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Events in the log, all covered by `checkpoint`.
    pub size: u64,
    /// The latest signed checkpoint (empty for an empty log): keep it to
    /// check later that the log only grew.
    pub checkpoint: String,
    /// Checkpoints whose signature and tree head were checked.
    pub checkpoints: u64,
    /// Events recorded and not yet covered by a checkpoint (the next seal
    /// will cover them), and when the oldest of them was recorded.
    pub unsealed: u64,
    pub oldest_unsealed: Option<i64>,
    /// The consistency proof from the kept checkpoint to `checkpoint`.
    pub consistency: Option<Vec<Hash>>,
    /// The inclusion proof of the asked event in `checkpoint`.
    pub inclusion: Option<Vec<Hash>>,
}

/// Checks the whole audit log with `verifier` (the log's public key).
pub async fn verify(db: &Db, verifier: &LogVerifier, check: Check<'_>) -> Result<Report, Fault> {
    let signed = checkpoints(db, verifier).await?;
    let count = signed.len() as u64;
    let latest_note = signed
        .last()
        .map(|(_, note)| note.clone())
        .unwrap_or_default();
    let mut heads: Vec<Checkpoint> = signed.into_iter().map(|(c, _)| c).collect();
    let signed_size = heads.iter().map(Checkpoint::size).max().unwrap_or(0);
    let kept = check
        .since
        .map(|note| {
            SignedCheckpoint::verify(note, verifier).map_err(|e| Fault::NotAnExtension {
                problem: format!("it is not a checkpoint signed by this log's key: {e}"),
            })
        })
        .transpose()?;
    if let Some(kept) = &kept {
        heads.push(kept.clone());
    }
    let mut replay = Replay::new(heads).map_err(|e| match e {
        ReplayError::Forked { size } => Fault::NotAnExtension {
            problem: format!("the log signed another tree head for size {size}"),
        },
        other => Fault::Checkpoint(other),
    })?;
    let mut leaves = (check.since.is_some() || check.inclusion.is_some()).then(Vec::new);

    let mut next: u64 = 0;
    // When each event past the latest checkpoint was recorded.
    let mut unsealed_at = Vec::new();
    loop {
        let rows = sqlx::query(
            "SELECT idx, at, patient_id, service_id, interface, operation, outcome, records, \
             body, leaf FROM audit_events WHERE idx >= $1 ORDER BY idx LIMIT $2",
        )
        .bind(next as i64)
        .bind(PAGE)
        .fetch_all(db.pool())
        .await?;
        let last_page = (rows.len() as i64) < PAGE;
        for row in rows {
            let index = row.try_get::<i64, _>(0)? as u64;
            if index != next {
                return Err(Fault::Removed {
                    index: next,
                    after: index,
                });
            }
            let (leaf, at) = check_row(index, &row)?;
            if let Some(leaves) = &mut leaves {
                leaves.push(leaf);
            }
            if index >= signed_size {
                unsealed_at.push(at);
            }
            replay.push(leaf).map_err(Fault::Checkpoint)?;
            next += 1;
        }
        if last_page {
            break;
        }
    }
    let latest = replay.finish().map_err(Fault::Checkpoint)?;
    let size = latest.as_ref().map_or(0, Checkpoint::size);
    // On SQLite an event is placed as it is recorded, and waits there for
    // the next seal. On PostgreSQL the seal that places events signs them
    // in the same transaction: placed and unsigned, they were inserted.
    if size < next && db.backend() == Backend::Postgres {
        return Err(Fault::Uncovered { from: size });
    }
    let row = sqlx::query("SELECT COUNT(*), MIN(at) FROM audit_events WHERE idx IS NULL")
        .fetch_one(db.pool())
        .await?;
    let unplaced: i64 = row.try_get(0)?;
    let oldest_unplaced: Option<i64> = row.try_get(1)?;
    let (queued, oldest_queued) = db.audit().waiting().await?;
    let oldest_unsealed = unsealed_at
        .iter()
        .copied()
        .chain(oldest_unplaced)
        .chain(oldest_queued)
        .min();
    let leaves = leaves.unwrap_or_default();
    let consistency = match (&kept, &latest) {
        (Some(kept), Some(latest)) => Some(prove_consistency(&leaves, kept, latest)?),
        (Some(kept), None) if kept.size() > 0 => {
            return Err(Fault::NotAnExtension {
                problem: format!("it covers {} events, the log none", kept.size()),
            });
        }
        _ => None,
    };
    let inclusion = match (check.inclusion, &latest) {
        (Some(index), Some(latest)) if index < latest.size() => {
            let proof = inclusion_proof(&leaves[..size as usize], index)
                .expect("the index is within the log");
            // Checked as a remote verifier holding only the head would.
            verify_inclusion(&leaves[index as usize], index, size, &proof, latest.root()).map_err(
                |e| Fault::BadCheckpoint {
                    size,
                    problem: format!("the inclusion proof of event {index}: {e}"),
                },
            )?;
            Some(proof)
        }
        (Some(index), _) => return Err(Fault::NoSuchEvent { index, size }),
        (None, _) => None,
    };
    Ok(Report {
        size,
        checkpoint: latest_note,
        checkpoints: count,
        unsealed: unsealed_at.len() as u64 + unplaced as u64 + queued,
        oldest_unsealed,
        consistency,
        inclusion,
    })
}

/// Checks one row: its leaf against its body, its columns against what the
/// body says. Yields the leaf hash recomputed from the body, and when the
/// event was recorded.
fn check_row(index: u64, row: &sqlx::any::AnyRow) -> Result<(Hash, i64), Fault> {
    let unreadable = |problem: String| Fault::Unreadable { index, problem };
    let body: String = row.try_get(8).map_err(|e| unreadable(e.to_string()))?;
    let recorded: Vec<u8> = row.try_get(9).map_err(|e| unreadable(e.to_string()))?;
    let leaf = leaf_hash(body.as_bytes());
    if recorded != leaf {
        return Err(Fault::Altered { index });
    }
    let event = Event::from_entry(&body)
        .ok_or_else(|| unreadable("its content is not an audit event".into()))?;
    let column = |name: &'static str| Fault::ColumnAltered {
        index,
        column: name,
    };
    let get_text = |i: usize| -> Result<Option<String>, Fault> {
        row.try_get(i).map_err(|e| unreadable(e.to_string()))
    };
    if row.try_get::<i64, _>(1)? != event.at {
        return Err(column("at"));
    }
    if get_text(2)? != event.patient {
        return Err(column("patient_id"));
    }
    if get_text(3)?.as_deref() != event.actor.service() {
        return Err(column("service_id"));
    }
    if get_text(4)?.as_deref() != Some(&*event.interface) {
        return Err(column("interface"));
    }
    if get_text(5)?.as_deref() != Some(&*event.operation) {
        return Err(column("operation"));
    }
    if get_text(6)?.as_deref() != Some(event.outcome.as_str()) {
        return Err(column("outcome"));
    }
    if row.try_get::<i64, _>(7)? as u64 != event.records {
        return Err(column("records"));
    }
    Ok((leaf, event.at))
}

/// The entry of event `index`, as logged, if the log has it.
pub async fn event(db: &Db, index: u64) -> Result<Option<String>, DbError> {
    let row = sqlx::query("SELECT body FROM audit_events WHERE idx = $1")
        .bind(index as i64)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// Every checkpoint the log signed, in order of size, each checked against
/// `verifier` and the size it is stored under.
async fn checkpoints(db: &Db, verifier: &LogVerifier) -> Result<Vec<(Checkpoint, String)>, Fault> {
    let rows = sqlx::query("SELECT size, note FROM audit_checkpoints ORDER BY size")
        .fetch_all(db.pool())
        .await?;
    let mut checked = Vec::with_capacity(rows.len());
    for row in rows {
        let size = row.try_get::<i64, _>(0)? as u64;
        let note: String = row.try_get(1)?;
        let checkpoint =
            SignedCheckpoint::verify(&note, verifier).map_err(|e| Fault::BadCheckpoint {
                size,
                problem: e.to_string(),
            })?;
        if checkpoint.size() != size {
            return Err(Fault::BadCheckpoint {
                size,
                problem: format!(
                    "it is stored as size {size} but signs size {}",
                    checkpoint.size()
                ),
            });
        }
        checked.push((checkpoint, note));
    }
    Ok(checked)
}

/// The consistency proof from `kept` to `latest`, checked as a remote
/// verifier holding only the two heads would check it.
fn prove_consistency(
    leaves: &[Hash],
    kept: &Checkpoint,
    latest: &Checkpoint,
) -> Result<Vec<Hash>, Fault> {
    let not_extension = |problem: String| Fault::NotAnExtension { problem };
    if kept.size() > latest.size() {
        return Err(not_extension(format!(
            "it covers {} events, the log's latest checkpoint {}: the log was truncated",
            kept.size(),
            latest.size()
        )));
    }
    let leaves = &leaves[..latest.size() as usize];
    let proof = consistency_proof(leaves, kept.size()).map_err(|e| not_extension(e.to_string()))?;
    verify_consistency(
        kept.size(),
        latest.size(),
        kept.root(),
        latest.root(),
        &proof,
    )
    .map_err(|e| not_extension(e.to_string()))?;
    Ok(proof)
}
