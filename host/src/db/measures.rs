//! Health measures, and the BMI the platform derives from them.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{Result, decode};
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

/// Which measures to read. `kinds` must not be empty: callers resolve "all
/// the kinds this caller may read" before asking.
#[derive(Debug, Clone)]
pub struct MeasureQuery<'a> {
    pub kinds: &'a [MeasureKind],
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: Option<u32>,
}

const COLUMNS: &str = "id, kind, value, effective_at, origin, written_by";

/// The patient's measures matching `q`, newest first.
pub async fn list(db: &Db, patient: &PatientId, q: &MeasureQuery<'_>) -> Result<Vec<Measure>> {
    if q.kinds.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..q.kinds.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM measures \
         WHERE patient_id = $1 AND effective_at >= $2 AND effective_at < $3 AND kind IN ({}) \
         ORDER BY effective_at DESC, id DESC LIMIT {}",
        placeholders.join(", "),
        super::limit(q.limit, MAX_ROWS),
    );
    let (since, until) = super::range(q.since, q.until);
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(patient.as_str())
        .bind(since)
        .bind(until);
    for kind in q.kinds {
        query = query.bind(kind.as_str());
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(from_row).collect()
}

/// Records a measure. A weight also records the BMI computed from the latest
/// height taken at or before it, in the same transaction. Values are not
/// validated here: callers check them against [`model::coding`].
pub async fn add(
    db: &Db,
    patient: &PatientId,
    writer: &Writer,
    kind: MeasureKind,
    value: f64,
    effective_at: i64,
) -> Result<Measure> {
    let mut tx = db.pool().begin().await?;
    let measure = insert(&mut tx, patient, writer, kind, value, effective_at, None).await?;
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
    Ok(measure)
}

async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    patient: &PatientId,
    writer: &Writer,
    kind: MeasureKind,
    value: f64,
    effective_at: i64,
    derived_from: Option<&str>,
) -> Result<Measure> {
    let id = model::new_id();
    sqlx::query(
        "INSERT INTO measures (id, patient_id, kind, value, effective_at, origin, written_by, \
         component_digest, derived_from, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
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
    .execute(&mut **tx)
    .await?;
    Ok(Measure {
        id,
        kind,
        value,
        effective_at,
        origin: writer.origin(),
        written_by: writer.service().map(|s| s.as_str().to_owned()),
    })
}

/// Decodes a row of [`COLUMNS`], by position (this is the hot path).
fn from_row(row: &AnyRow) -> Result<Measure> {
    Ok(Measure {
        id: row.try_get(0)?,
        kind: decode("measures.kind", row.try_get(1)?, |s| s.parse().ok())?,
        value: row.try_get(2)?,
        effective_at: row.try_get(3)?,
        origin: decode("measures.origin", row.try_get(4)?, Origin::parse)?,
        written_by: row.try_get(5)?,
    })
}
