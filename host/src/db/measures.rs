//! Health measures, and the BMI the platform derives from them.

use sqlx::AssertSqlSafe;

use super::read::{Row, Select};
use super::{Reader, Result, Windows, decode};
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
pub async fn list(
    db: &Db,
    patient: &PatientId,
    q: &MeasureQuery<'_>,
    reader: Reader<'_>,
) -> Result<Vec<Measure>> {
    if q.kinds.is_empty() {
        return Ok(Vec::new());
    }
    let (kinds, params) = super::windows_condition("kind", "effective_at", q.kinds, 4);
    let sql = format!(
        "SELECT {COLUMNS} FROM measures \
         WHERE patient_id = $1 AND effective_at >= $2 AND effective_at < $3 AND {kinds}{} \
         ORDER BY effective_at DESC, id DESC LIMIT {}",
        reader.condition(4 + params.len()),
        super::limit(q.limit, MAX_ROWS),
    );
    let (since, until) = super::range(q.since, q.until);
    let select = Select::new(sql)
        .bind(patient.as_str())
        .bind(since)
        .bind(until)
        .bind_all(params);
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
        }
    }
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
        super::insert_source(11, writer)
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
fn from_row(row: &dyn Row) -> Result<Measure> {
    Ok(Measure {
        id: row.text(0)?,
        kind: decode("measures.kind", row.text(1)?, |s| s.parse().ok())?,
        value: row.real(2)?,
        effective_at: row.int(3)?,
        origin: decode("measures.origin", row.text(4)?, Origin::parse)?,
        written_by: row.text_or_null(5)?,
    })
}
