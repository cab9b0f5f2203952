//! The shared medical record (DMP): documents and their content.
//!
//! Every read here leaves out documents the patient hid or their author
//! masked: they are not merely filtered later, they are never selected.

use sqlx::AssertSqlSafe;

use super::read::{Row, Select};
use super::{Reader, Result, Windows, decode};
use crate::audit::Event;
use crate::db::Db;
use crate::model::{self, DocumentCategory, Origin, PatientId, Writer};

pub const MAX_ROWS: u32 = 1000;

/// A document's description.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentMeta {
    pub id: String,
    pub category: DocumentCategory,
    pub doc_type: String,
    pub title: String,
    pub author: String,
    pub origin: Origin,
    pub written_by: Option<String>,
    pub date: i64,
    pub format: String,
    pub size: u64,
}

/// What a writer provides.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentDraft {
    pub category: DocumentCategory,
    pub doc_type: String,
    pub title: String,
    pub author: String,
    pub date: i64,
    pub format: String,
    pub content: Vec<u8>,
    /// Set by professionals' systems; a masked document never reaches a service.
    pub masked: bool,
}

/// Which documents to read: the categories, each from the date its reader
/// may read it (`i64::MIN`: any date). No category, no document.
#[derive(Debug, Clone)]
pub struct DocumentQuery<'a> {
    pub categories: Windows<'a>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: Option<u32>,
}

const COLUMNS: &str =
    "id, category, doc_type, title, author, origin, written_by, document_date, format, size";
const VISIBLE: &str = "hidden = 0 AND masked = 0";

/// Visible documents matching `q`, newest first.
pub async fn list(
    db: &Db,
    patient: &PatientId,
    q: &DocumentQuery<'_>,
    reader: Reader<'_>,
) -> Result<Vec<DocumentMeta>> {
    if q.categories.is_empty() {
        return Ok(Vec::new());
    }
    let (categories, params) =
        super::windows_condition("category", "document_date", q.categories, 4);
    let sql = format!(
        "SELECT {COLUMNS} FROM documents \
         WHERE patient_id = $1 AND {VISIBLE} AND document_date >= $2 AND document_date < $3 \
         AND {categories} ORDER BY document_date DESC, id DESC LIMIT {}",
        reader.limit(4 + params.len(), super::limit(q.limit, MAX_ROWS))
    );
    let (since, until) = super::range(q.since, q.until);
    let select = Select::new(sql)
        .bind(patient.as_str())
        .bind(since)
        .bind(until)
        .bind_all(params);
    reader.bind(select).fetch_all(db, from_row).await
}

/// Every category, from any date: what the patient reads.
pub fn all_categories() -> Vec<(&'static str, i64)> {
    DocumentCategory::ALL
        .map(|c| (c.as_str(), i64::MIN))
        .to_vec()
}

/// A visible document's content, if its category and date are among
/// `categories`.
pub async fn content(
    db: &Db,
    patient: &PatientId,
    id: &str,
    categories: Windows<'_>,
    reader: Reader<'_>,
) -> Result<Option<Vec<u8>>> {
    if categories.is_empty() {
        return Ok(None);
    }
    let (allowed, params) = super::windows_condition("category", "document_date", categories, 3);
    let sql = format!(
        "SELECT content FROM documents WHERE patient_id = $1 AND id = $2 AND {VISIBLE} \
         AND {allowed}{}",
        reader.condition(3 + params.len())
    );
    let select = Select::new(sql)
        .bind(patient.as_str())
        .bind(id)
        .bind_all(params);
    reader
        .bind(select)
        .fetch_optional(db, |row| row.blob(0))
        .await
}

pub async fn add(
    db: &Db,
    patient: &PatientId,
    writer: &Writer,
    draft: DocumentDraft,
) -> Result<Option<DocumentMeta>> {
    let id = model::new_id();
    let size = draft.content.len() as u64;
    let sql = format!(
        "INSERT INTO documents (id, patient_id, category, doc_type, title, author, origin, written_by, \
         component_digest, document_date, format, size, content, hidden, masked, recorded_at, \
         grant_id) {}",
        super::insert_source(17, writer, db.backend())
    );
    let query = sqlx::query(AssertSqlSafe(sql))
        .bind(&id)
        .bind(patient.as_str())
        .bind(draft.category.as_str())
        .bind(&draft.doc_type)
        .bind(&draft.title)
        .bind(&draft.author)
        .bind(writer.origin().as_str())
        .bind(writer.service().map(|s| s.as_str().to_owned()))
        .bind(writer.component().map(|c| c.to_hex()))
        .bind(draft.date)
        .bind(&draft.format)
        .bind(size as i64)
        .bind(draft.content)
        .bind(0_i64)
        .bind(i64::from(draft.masked))
        .bind(model::now_millis())
        .bind(writer.grant().map(|g| g.grant.as_str().to_owned()));
    let query = super::bind_writer(query, writer);
    let changed =
        super::execute_audited(db, query, |n| Event::change(writer, patient, "dmp.add", n)).await?;
    if changed == 0 {
        return Ok(None);
    }
    Ok(Some(DocumentMeta {
        id,
        category: draft.category,
        doc_type: draft.doc_type,
        title: draft.title,
        author: draft.author,
        origin: writer.origin(),
        written_by: writer.service().map(|s| s.as_str().to_owned()),
        date: draft.date,
        format: draft.format,
        size,
    }))
}

/// Hides or shows a document (the patient's choice).
pub async fn set_hidden(db: &Db, patient: &PatientId, id: &str, hidden: bool) -> Result<bool> {
    let query = sqlx::query("UPDATE documents SET hidden = $1 WHERE patient_id = $2 AND id = $3")
        .bind(i64::from(hidden))
        .bind(patient.as_str())
        .bind(id);
    let call = if hidden { "dmp.hide" } else { "dmp.show" };
    let changed = super::execute_audited(db, query, |n| {
        Event::change(&Writer::Patient, patient, call, n)
    })
    .await?;
    Ok(changed > 0)
}

/// Decodes a row of [`COLUMNS`], by position.
/// Every document of the patient's record with its content, newest first:
/// their export. The ones they hid are theirs and included; the ones an
/// author masked are not yet theirs to read, and are left out.
pub async fn everything(db: &Db, patient: &PatientId) -> Result<Vec<(DocumentMeta, Vec<u8>)>> {
    Select::new(format!(
        "SELECT {COLUMNS}, content FROM documents WHERE patient_id = $1 AND masked = 0 \
         ORDER BY document_date DESC, id DESC"
    ))
    .bind(patient.as_str())
    .fetch_all(db, |row| Ok((from_row(row)?, row.blob(10)?)))
    .await
}

fn from_row(row: &dyn Row) -> Result<DocumentMeta> {
    Ok(DocumentMeta {
        id: row.text(0)?,
        category: decode("documents.category", row.text(1)?, |s| s.parse().ok())?,
        doc_type: row.text(2)?,
        title: row.text(3)?,
        author: row.text(4)?,
        origin: decode("documents.origin", row.text(5)?, Origin::parse)?,
        written_by: row.text_or_null(6)?,
        date: row.int(7)?,
        format: row.text(8)?,
        size: row.int(9)?.max(0) as u64,
    })
}
