//! The shared medical record (DMP): the patient's documents.
//!
//! Documents the patient hid, or that their author flagged as masked, never
//! reach a service: they are absent from lists and answer
//! [`Error::NotFound`](crate::Error::NotFound).
//!
//! Reading needs `dmp.read` (or `dmp.read:<category>`); adding needs
//! `dmp.write`, into any category but [`Category::Summary`].

use crate::bindings::officine::platform::dmp as raw;
use crate::{Result, Timestamp};

pub use raw::{Category, DocumentDraft, DocumentMeta, Query};

impl Query {
    /// Every document the service may read, newest first, up to the
    /// platform's cap (1000).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a category to those asked for (none means every category the
    /// service may read).
    pub fn category(mut self, category: Category) -> Self {
        self.categories.push(category);
        self
    }

    /// Only documents dated at or after `at`.
    pub fn since(mut self, at: Timestamp) -> Self {
        self.since = Some(at);
        self
    }

    /// Only documents dated strictly before `at`.
    pub fn until(mut self, at: Timestamp) -> Self {
        self.until = Some(at);
        self
    }

    /// At most `n` documents (the newest ones).
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
}

/// Lists document descriptions, newest first.
///
/// Needs `dmp.read` (or `dmp.read:<category>` for each category asked for).
pub fn list(query: &Query) -> Result<Vec<DocumentMeta>> {
    Ok(raw::list(query)?)
}

/// A document's content.
///
/// Needs `dmp.read` for the document's category.
pub fn content(id: &str) -> Result<Vec<u8>> {
    Ok(raw::content(id)?)
}

/// Adds a document to the patient-reserved item of a category, with this
/// service as author, and returns its description. Content at most 10 MiB;
/// format one of `application/pdf`, `text/plain`, `text/xml`, `image/jpeg`,
/// `image/png`.
///
/// Needs `dmp.write`.
pub fn add(draft: &DocumentDraft) -> Result<DocumentMeta> {
    Ok(raw::add(draft)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_builder_and_category_names() {
        let q = Query::new()
            .category(Category::LabResults)
            .since(1)
            .until(2)
            .limit(3);
        assert_eq!(q.categories, [Category::LabResults]);
        assert_eq!((q.since, q.until, q.limit), (Some(1), Some(2), Some(3)));
        assert_eq!(
            serde_json::to_string(&Category::LabResults).unwrap(),
            "\"lab-results\""
        );
    }
}
