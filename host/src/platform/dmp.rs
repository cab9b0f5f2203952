//! `officine:platform/dmp`.

use officine_policy::{Item, Op};

use super::{ATTEMPTS, Platform, check_range, check_text, check_timestamp, plausible_id};
use crate::db::Reader;
use crate::db::documents::{self as db, DocumentQuery};
use crate::model::DocumentCategory;
use crate::runtime::bindings::dmp::{Category, DocumentDraft, DocumentMeta, Host, Query};
use crate::runtime::bindings::types::Error;

/// Largest document a service may add.
pub const MAX_CONTENT: usize = 10 * 1024 * 1024;

/// Formats the record accepts: PDF, plain text, CDA R2 XML and images.
pub const FORMATS: [&str; 5] = [
    "application/pdf",
    "text/plain",
    "text/xml",
    "image/jpeg",
    "image/png",
];

impl Host for Platform {
    async fn list(&mut self, q: Query) -> Result<Vec<DocumentMeta>, Error> {
        self.enter("dmp.list")?;
        let result = self.dmp_list(q).await;
        self.audit_read("dmp.list", &result, |r| r.len() as u64);
        result
    }

    async fn content(&mut self, id: String) -> Result<Vec<u8>, Error> {
        self.enter("dmp.content")?;
        let result = self.dmp_content(id).await;
        self.audit_read("dmp.content", &result, |_| 1);
        result
    }

    async fn add(&mut self, draft: DocumentDraft) -> Result<DocumentMeta, Error> {
        self.enter("dmp.add")?;
        let result = self.dmp_add(draft).await;
        self.audit_change("dmp.add", &result);
        result
    }
}

impl Platform {
    async fn dmp_list(&mut self, q: Query) -> Result<Vec<DocumentMeta>, Error> {
        check_range(q.since, q.until)?;
        let asked: Vec<DocumentCategory> = if q.categories.is_empty() {
            DocumentCategory::ALL.to_vec()
        } else {
            q.categories
                .into_iter()
                .map(DocumentCategory::from)
                .collect()
        };
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("dmp.list", Op::Search, Item::Document(None), None)?;
            let categories = self.readable(Op::Search, &asked);
            let query = DocumentQuery {
                categories: &categories,
                since: q.since,
                until: q.until,
                limit: q.limit,
            };
            let rows = db::list(&self.db, &self.patient, &query, Reader::Service(&guard))
                .await
                .map_err(|e| self.unavailable("dmp.list", e))?;
            if rows.is_empty() && self.grant_changed("dmp.list").await? {
                continue;
            }
            return Ok(rows.into_iter().map(|d| self.meta_to_wit(d)).collect());
        }
        Err(Error::Unavailable)
    }

    async fn dmp_content(&mut self, id: String) -> Result<Vec<u8>, Error> {
        self.authorize("dmp.content", Op::Read, Item::Document(None), None)?;
        if !plausible_id(&id) {
            return Err(Error::NotFound);
        }
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("dmp.content", Op::Read, Item::Document(None), None)?;
            let categories = self.readable(Op::Read, &DocumentCategory::ALL);
            let reader = Reader::Service(&guard);
            let content = db::content(&self.db, &self.patient, &id, &categories, reader)
                .await
                .map_err(|e| self.unavailable("dmp.content", e))?;
            match content {
                Some(content) => return Ok(content),
                // Absent, hidden, or outside the grant: one answer for all.
                None if !self.grant_changed("dmp.content").await? => {
                    return Err(Error::NotFound);
                }
                None => {}
            }
        }
        Err(Error::Unavailable)
    }

    async fn dmp_add(&mut self, draft: DocumentDraft) -> Result<DocumentMeta, Error> {
        let item = Item::Document(Some(DocumentCategory::from(draft.category)));
        self.authorize("dmp.add", Op::Create, item, Some(draft.date))?;
        let category = DocumentCategory::from(draft.category);
        if category == DocumentCategory::Summary {
            return Err(Error::Invalid(
                "the summary category is written by the attending physician only".to_owned(),
            ));
        }
        check_text("doc-type", &draft.doc_type, 1, 200)?;
        check_text("title", &draft.title, 1, 200)?;
        check_timestamp("date", draft.date)?;
        if !FORMATS.contains(&draft.format.as_str()) {
            return Err(Error::Invalid(format!(
                "format must be one of {}",
                FORMATS.join(", ")
            )));
        }
        if draft.content.is_empty() {
            return Err(Error::Invalid("content is empty".to_owned()));
        }
        if draft.content.len() > MAX_CONTENT {
            return Err(Error::Limit(format!(
                "content is {} bytes, over the {} bytes a document may hold",
                draft.content.len(),
                MAX_CONTENT
            )));
        }
        let draft = db::DocumentDraft {
            category,
            doc_type: draft.doc_type,
            title: draft.title,
            author: self.service_name.clone(),
            date: draft.date,
            format: draft.format,
            content: draft.content,
            masked: false,
        };
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("dmp.add", Op::Create, item, Some(draft.date))?;
            let writer = self.writer(guard);
            let added = db::add(&self.db, &self.patient, &writer, draft.clone())
                .await
                .map_err(|e| self.unavailable("dmp.add", e))?;
            match added {
                Some(meta) => return Ok(self.meta_to_wit(meta)),
                None => {
                    self.grant_changed("dmp.add").await?;
                }
            }
        }
        Err(Error::Unavailable)
    }
}

impl Platform {
    /// The categories of `asked` the grant lets `op` reach, each from the
    /// date it may.
    fn readable(&self, op: Op, asked: &[DocumentCategory]) -> Vec<(&'static str, i64)> {
        asked
            .iter()
            .copied()
            .filter_map(|c| Some((c.as_str(), self.window(op, Item::Document(Some(c)))?)))
            .collect()
    }

    fn meta_to_wit(&self, d: db::DocumentMeta) -> DocumentMeta {
        DocumentMeta {
            mine: self.is_mine(d.written_by.as_deref()),
            id: d.id,
            category: d.category.into(),
            doc_type: d.doc_type,
            title: d.title,
            author: d.author,
            origin: d.origin.into(),
            date: d.date,
            format: d.format,
            size: d.size,
        }
    }
}

impl From<Category> for DocumentCategory {
    fn from(c: Category) -> Self {
        match c {
            Category::Summary => DocumentCategory::Summary,
            Category::Prescriptions => DocumentCategory::Prescriptions,
            Category::Reports => DocumentCategory::Reports,
            Category::LabResults => DocumentCategory::LabResults,
            Category::Imaging => DocumentCategory::Imaging,
            Category::Vaccinations => DocumentCategory::Vaccinations,
            Category::Prevention => DocumentCategory::Prevention,
            Category::Certificates => DocumentCategory::Certificates,
        }
    }
}

impl From<DocumentCategory> for Category {
    fn from(c: DocumentCategory) -> Self {
        match c {
            DocumentCategory::Summary => Category::Summary,
            DocumentCategory::Prescriptions => Category::Prescriptions,
            DocumentCategory::Reports => Category::Reports,
            DocumentCategory::LabResults => Category::LabResults,
            DocumentCategory::Imaging => Category::Imaging,
            DocumentCategory::Vaccinations => Category::Vaccinations,
            DocumentCategory::Prevention => Category::Prevention,
            DocumentCategory::Certificates => Category::Certificates,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_converts_both_ways() {
        for c in DocumentCategory::ALL {
            assert_eq!(DocumentCategory::from(Category::from(c)), c);
        }
    }
}
