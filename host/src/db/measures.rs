//! Health measures, and the BMI the platform derives from them.

use sqlx::AssertSqlSafe;

use super::read::{Row, Select};
use super::{Reader, Result, Windows, decode};
use crate::audit::Event;
use crate::db::Db;
use crate::model::{self, MeasureKind, Origin, PatientId, Writer};

/// Most measures one query returns.
pub const MAX_ROWS: u32 = 1000;

/// A measure as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub id: String,
    pub kind: MeasureKind,
    pub value: f64,
    pub effective_at: i64,
    pub origin: Origin,
    /// The service that wrote it, if a service did.
    pub written_by: Option<String>,
}

/// Which measures to read: the kinds, each from the date its reader may read
/// it (`i64::MIN` for any date). Callers resolve "the kinds this reader may
/// read" before asking; no kind, no measure.
#[derive(Debug, Clone)]
pub struct MeasureQuery<'a> {
    pub kinds: Windows<'a>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: Option<u32>,
}

const COLUMNS: &str = "id, kind, value, effective_at, origin, written_by";

/// The patient's measures matching `q`, newest first.
///
/// One ordered scan per kind, merged: each kind's rows come out of
/// `measures_by_patient_kind_date` already in order and with every column,
/// so the database neither sorts nor looks rows up in the table.
pub async fn list(
    db: &Db,
    patient: &PatientId,
    q: &MeasureQuery<'_>,
    reader: Reader<'_>,
) -> Result<Vec<Measure>> {
    // A kind asked twice is scanned once: its rows must not come back twice.
    let mut kinds: Vec<(&'static str, i64)> = Vec::with_capacity(q.kinds.len());
    for &(kind, from) in q.kinds {
        if !kinds.iter().any(|&(k, _)| k == kind) {
            kinds.push((kind, from));
        }
    }
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let (since, until) = super::range(q.since, q.until);
    // $1 the patient, $2 the end of the range, then a kind and its floor per
    // scan, then the reader's condition, in the limit.
    let scans: Vec<String> = (0..kinds.len())
        .map(|i| {
            let (kind, floor) = (3 + 2 * i, 4 + 2 * i);
            format!(
                "SELECT {COLUMNS} FROM measures WHERE patient_id = $1 AND kind = ${kind} \
                 AND effective_at >= ${floor} AND effective_at < $2"
            )
        })
        .collect();
    let sql = format!(
        "{} ORDER BY effective_at DESC, id DESC LIMIT {}",
        scans.join(" UNION ALL "),
        reader.limit(3 + 2 * kinds.len(), super::limit(q.limit, MAX_ROWS)),
    );
    let mut select = Select::new(sql).bind(patient.as_str()).bind(until);
    for (kind, from) in kinds {
        select = select.bind(kind).bind(since.max(from));
    }
    reader.bind(select).fetch_all(db, from_row).await
}

/// One of the patient's measures, by id (`None` for an unknown id and for
/// another patient's alike).
pub async fn by_id(db: &Db, patient: &PatientId, id: &str) -> Result<Option<Measure>> {
    let sql = format!("SELECT {COLUMNS} FROM measures WHERE patient_id = $1 AND id = $2");
    Select::new(sql)
        .bind(patient.as_str())
        .bind(id)
        .fetch_optional(db, from_row)
        .await
}

/// Every kind, from any date: what the patient reads.
pub fn all_kinds() -> Vec<(&'static str, i64)> {
    MeasureKind::ALL.map(|k| (k.as_str(), i64::MIN)).to_vec()
}

/// Records a measure. A weight also records the BMI computed from the latest
/// height taken at or before it, in the same transaction. Values are not
/// validated here: callers check them against [`model::coding`]. `None`
/// when a service's grant no longer stands (nothing is written).
pub async fn add(
    db: &Db,
    patient: &PatientId,
    writer: &Writer,
    kind: MeasureKind,
    value: f64,
    effective_at: i64,
) -> Result<Option<Measure>> {
    let mut tx = db.pool().begin().await?;
    let Some(measure) = insert(&mut tx, patient, writer, kind, value, effective_at, None).await?
    else {
        return Ok(None);
    };
    let mut records = 1;
    if kind == MeasureKind::Weight {
        let height: Option<(f64,)> = sqlx::query_as(
            "SELECT value FROM measures WHERE patient_id = $1 AND kind = $2 AND effective_at <= $3 \
             ORDER BY effective_at DESC LIMIT 1",
        )
        .bind(patient.as_str())
        .bind(MeasureKind::Height.as_str())
        .bind(effective_at)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((height,)) = height {
            let bmi = model::bmi(value, height);
            // The weight's insert stood, so its grant does: the platform
            // writes the BMI in the same transaction.
            insert(
                &mut tx,
                patient,
                &Writer::Platform,
                MeasureKind::Bmi,
                bmi,
                effective_at,
                Some(&measure.id),
            )
            .await?;
            records += 1;
        }
    }
    let event = Event::change(writer, patient, "measures.add", records);
    super::record_in(db, &mut tx, event).await?;
    tx.commit().await?;
    Ok(Some(measure))
}

async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    patient: &PatientId,
    writer: &Writer,
    kind: MeasureKind,
    value: f64,
    effective_at: i64,
    derived_from: Option<&str>,
) -> Result<Option<Measure>> {
    let id = model::new_id();
    let sql = format!(
        "INSERT INTO measures (id, patient_id, kind, value, effective_at, origin, written_by, \
         component_digest, derived_from, recorded_at, grant_id) {}",
        super::insert_source(11, writer, super::Backend::of_connection(tx))
    );
    let query = sqlx::query(AssertSqlSafe(sql))
        .bind(&id)
        .bind(patient.as_str())
        .bind(kind.as_str())
        .bind(value)
        .bind(effective_at)
        .bind(writer.origin().as_str())
        .bind(writer.service().map(|s| s.as_str().to_owned()))
        .bind(writer.component().map(|c| c.to_hex()))
        .bind(derived_from.map(str::to_owned))
        .bind(model::now_millis())
        .bind(writer.grant().map(|g| g.grant.as_str().to_owned()));
    let done = super::bind_writer(query, writer).execute(&mut **tx).await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    Ok(Some(Measure {
        id,
        kind,
        value,
        effective_at,
        origin: writer.origin(),
        written_by: writer.service().map(|s| s.as_str().to_owned()),
    }))
}

/// Decodes a row of [`COLUMNS`], by position (this is the hot path).
/// Every measure of the patient, newest first: their export.
pub async fn everything(db: &Db, patient: &PatientId) -> Result<Vec<Measure>> {
    Select::new(format!(
        "SELECT {COLUMNS} FROM measures WHERE patient_id = $1 ORDER BY effective_at DESC, id DESC"
    ))
    .bind(patient.as_str())
    .fetch_all(db, from_row)
    .await
}

fn from_row(row: &dyn Row) -> Result<Measure> {
    Ok(Measure {
        id: row.text(0)?,
        kind: decode("measures.kind", row.str(1)?, |s| s.parse().ok())?,
        value: row.real(2)?,
        effective_at: row.int(3)?,
        origin: decode("measures.origin", row.str(4)?, Origin::parse)?,
        written_by: row.text_or_null(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::seed;
    use crate::model::now_millis;

    const DAY: i64 = 24 * 60 * 60 * 1000;

    /// The merged per-kind scans return what one filtered, sorted query
    /// would: each row once, newest first across kinds, each kind from its
    /// own floor, cut at the limit; on both read paths of SQLite and on
    /// PostgreSQL.
    #[tokio::test]
    async fn kinds_merge_newest_first_each_from_its_floor() {
        let (_dir, dbs) = crate::db::testing::both().await;
        for db in dbs {
            kinds_merge_on(db).await;
        }
    }

    async fn kinds_merge_on(db: Db) {
        let now = now_millis();
        let patient = seed::seed_demo(&db, now).await.unwrap().patient;
        let mut through_sqlx = db.clone();
        through_sqlx.readers = None;

        let weights_from = now - 30 * DAY;
        let since = now - 100 * DAY;
        // Weight asked twice, as a guest may: its rows must come back once.
        let kinds = [
            ("weight", weights_from),
            ("bmi", i64::MIN),
            ("weight", i64::MIN),
        ];
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM measures WHERE patient_id = $1 \
             AND ((kind = 'weight' AND effective_at >= $2) \
               OR (kind = 'bmi' AND effective_at >= $3)) \
             ORDER BY effective_at DESC, id DESC",
        )
        .bind(patient.as_str())
        .bind(weights_from)
        .bind(since)
        .fetch_all(db.pool())
        .await
        .unwrap();
        let expected: Vec<String> = rows.into_iter().map(|(id,)| id).collect();
        assert!(
            expected.len() > 40,
            "{:?}: {}",
            db.backend(),
            expected.len()
        );

        for db in [&db, &through_sqlx] {
            for limit in [None, Some(7)] {
                let q = MeasureQuery {
                    kinds: &kinds,
                    since: Some(since),
                    until: None,
                    limit,
                };
                let listed = list(db, &patient, &q, Reader::Owner).await.unwrap();
                let ids: Vec<&str> = listed.iter().map(|m| m.id.as_str()).collect();
                let want = limit.map_or(expected.len(), |n| n as usize);
                assert_eq!(
                    ids,
                    expected[..want]
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                );
            }
        }
    }
}
