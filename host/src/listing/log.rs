//! The registry's transparency log, stored in the platform database.
//!
//! One writer at a time, whichever host it runs on: an append first makes
//! its transaction the log's only writer ([`crate::db::sole_writer`]), then
//! inserts at `MAX(idx) + 1` and seals the log with a checkpoint signed in
//! the same transaction. The database is the log's single sequencer; the
//! primary key would refuse a second entry at an index in any case.

use officine_registry::log::{LogSigner, LogVerifier};
use officine_tlog::{Checkpoint, Hash, SignedCheckpoint, inclusion_proof, leaf_hash, root};
use sqlx::{Any, Row, Transaction};

use crate::db::{Db, DbError, Result};
use crate::model::now_millis;

/// An entry just appended, with the proof of its inclusion in the
/// checkpoint that sealed it.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub index: u64,
    pub proof: Vec<Hash>,
    pub checkpoint: String,
}

/// Appends `body` and signs the checkpoint of the log that now includes it.
pub(crate) async fn append(
    tx: &mut Transaction<'static, Any>,
    signer: &LogSigner,
    body: &[u8],
) -> Result<Sealed> {
    let text = std::str::from_utf8(body).map_err(|_| DbError::Corrupt {
        column: "registry_log.body",
        value: "(not UTF-8)".into(),
    })?;
    let leaf = leaf_hash(body);
    crate::db::sole_writer(tx, "registry_log").await?;
    let index: i64 = sqlx::query(
        "INSERT INTO registry_log (idx, body, leaf, appended_at) \
         SELECT COALESCE(MAX(idx) + 1, 0), $1, $2, $3 FROM registry_log RETURNING idx",
    )
    .bind(text)
    .bind(hex::encode(leaf))
    .bind(now_millis())
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    let leaves = leaves(tx).await?;
    let index = index as u64;
    let checkpoint = Checkpoint::new(signer.origin(), leaves.len() as u64, root(&leaves))
        .expect("the registry's origin is a valid checkpoint origin");
    let note = SignedCheckpoint::sign(checkpoint, signer).to_string();
    sqlx::query("INSERT INTO registry_checkpoints (size, note) VALUES ($1, $2)")
        .bind(leaves.len() as i64)
        .bind(&note)
        .execute(&mut **tx)
        .await?;
    let proof = inclusion_proof(&leaves, index).expect("the entry was just appended");
    Ok(Sealed {
        index,
        proof,
        checkpoint: note,
    })
}

async fn leaves(conn: &mut sqlx::AnyConnection) -> Result<Vec<Hash>> {
    let rows = sqlx::query("SELECT leaf FROM registry_log ORDER BY idx")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            let text: String = row.try_get(0)?;
            parse_hash(&text, "registry_log.leaf")
        })
        .collect()
}

fn parse_hash(text: &str, column: &'static str) -> Result<Hash> {
    let mut hash = [0; 32];
    hex::decode_to_slice(text, &mut hash).map_err(|_| DbError::Corrupt {
        column,
        value: text.to_owned(),
    })?;
    Ok(hash)
}

/// Every entry, in order: its body and the leaf hash recorded with it.
pub async fn entries(db: &Db) -> Result<Vec<(Vec<u8>, Hash)>> {
    let rows = sqlx::query("SELECT idx, body, leaf FROM registry_log ORDER BY idx")
        .fetch_all(db.pool())
        .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for (expected, row) in rows.iter().enumerate() {
        let index: i64 = row.try_get(0)?;
        if index != expected as i64 {
            // A deleted row: the entries after it would be misnumbered.
            return Err(DbError::Corrupt {
                column: "registry_log.idx",
                value: format!("{index} where {expected} was expected"),
            });
        }
        let body: String = row.try_get(1)?;
        let leaf: String = row.try_get(2)?;
        entries.push((body.into_bytes(), parse_hash(&leaf, "registry_log.leaf")?));
    }
    Ok(entries)
}

/// Every signed checkpoint, by size.
pub async fn checkpoints(db: &Db) -> Result<Vec<(u64, String)>> {
    let rows = sqlx::query("SELECT size, note FROM registry_checkpoints ORDER BY size")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get::<i64, _>(0)? as u64, row.try_get(1)?)))
        .collect()
}

/// The latest signed checkpoint, if the log has any entry.
pub async fn latest_checkpoint(db: &Db) -> Result<Option<String>> {
    let row = sqlx::query("SELECT note FROM registry_checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// Checks the whole log (see [`officine_registry::log::verify_log`]).
pub async fn verify(
    db: &Db,
    verifier: &LogVerifier,
    since: Option<&str>,
) -> anyhow::Result<officine_registry::log::LogReport> {
    let entries = entries(db).await?;
    let checkpoints = checkpoints(db).await?;
    Ok(officine_registry::log::verify_log(
        &entries,
        &checkpoints,
        verifier,
        since,
    )?)
}
