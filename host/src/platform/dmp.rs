//! `officine:platform/dmp`.

use super::{Platform, check_range, check_text, check_timestamp, plausible_id};
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
        check_range(q.since, q.until)?;
        let categories: Vec<DocumentCategory> = if q.categories.is_empty() {
            DocumentCategory::ALL.to_vec()
        } else {
            q.categories
                .into_iter()
                .map(DocumentCategory::from)
                .collect()
        };
        let query = DocumentQuery {
            categories: &categories,
            since: q.since,
            until: q.until,
            limit: q.limit,
        };
        let rows = db::list(&self.db, &self.patient, &query)
            .await
            .map_err(|e| self.unavailable("dmp.list", e))?;
        Ok(rows.into_iter().map(|d| self.meta_to_wit(d)).collect())
    }

    async fn content(&mut self, id: String) -> Result<Vec<u8>, Error> {
        if !plausible_id(&id) {
            return Err(Error::NotFound);
        }
        db::content(&self.db, &self.patient, &id)
            .await
            .map_err(|e| self.unavailable("dmp.content", e))?
            .ok_or(Error::NotFound)
    }

    async fn add(&mut self, draft: DocumentDraft) -> Result<DocumentMeta, Error> {
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
        let meta = db::add(&self.db, &self.patient, &self.writer(), draft)
            .await
            .map_err(|e| self.unavailable("dmp.add", e))?;
        Ok(self.meta_to_wit(meta))
    }
}

impl Platform {
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
