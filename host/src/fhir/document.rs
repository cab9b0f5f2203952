//! DMP documents as `DocumentReference`s, their content as `Binary`.
//!
//! Only documents storage let through reach here: hidden and masked ones
//! are never selected. The category is coded in the platform's DMP
//! category system (the one its scopes use); the national document type is
//! stored as text, so `type` is a text. The content is not inlined: the
//! attachment points at `Binary/<id>`, the same id as the document.

use serde::Serialize;

use super::Resource;
use super::datatypes::{CodeableConcept, Coding, Extension, Reference};
use super::datetime;
use super::provenance::Provenance;
use crate::db::documents::DocumentMeta;
use crate::model::{DocumentCategory, Origin, PatientId};
use officine_policy::DMP_CATEGORY_SYSTEM;

/// `DocumentReference`, as the platform writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType", rename_all = "camelCase")]
pub struct DocumentReference {
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub status: &'static str,
    #[serde(rename = "type")]
    pub type_: CodeableConcept,
    pub category: Vec<CodeableConcept>,
    pub subject: Reference,
    pub date: String,
    pub author: Vec<Reference>,
    pub description: String,
    pub content: Vec<Content>,
}

/// `DocumentReference.content`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Content {
    pub attachment: Attachment,
}

/// `Attachment`, by URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub content_type: String,
    pub url: String,
    /// FHIR's `unsignedInt` stops at 2³¹−1: left out beyond.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u32>,
    pub title: String,
    pub creation: String,
}

impl Resource for DocumentReference {
    const TYPE: &'static str = "DocumentReference";

    fn id(&self) -> &str {
        &self.id
    }
}

/// The French name of a DMP category.
pub fn category_display(category: DocumentCategory) -> &'static str {
    match category {
        DocumentCategory::Summary => "Synthèse",
        DocumentCategory::Prescriptions => "Traitements et soins",
        DocumentCategory::Reports => "Comptes rendus",
        DocumentCategory::LabResults => "Résultats d'examens de biologie",
        DocumentCategory::Imaging => "Imagerie médicale",
        DocumentCategory::Vaccinations => "Vaccinations",
        DocumentCategory::Prevention => "Prévention",
        DocumentCategory::Certificates => "Certificats et documents administratifs",
    }
}

/// The `DocumentReference` of one of `patient`'s documents.
pub fn from_document(patient: &PatientId, document: &DocumentMeta) -> DocumentReference {
    let provenance = Provenance {
        origin: document.origin,
        service: document.written_by.as_deref(),
        component: None,
        professional: None,
    };
    // The stored author is a name: a professional's, or whoever the
    // writer said; the provenance extension says who wrote the record.
    let author = match document.origin {
        Origin::Professional => Reference::display("Practitioner", &document.author),
        Origin::Patient => Reference {
            display: Some(document.author.clone()),
            ..Reference::to(super::patient_reference(patient))
        },
        Origin::Service | Origin::Platform => Reference {
            display: Some(document.author.clone()),
            ..provenance.author(patient)
        },
    };
    let date = datetime::instant(document.date);
    DocumentReference {
        id: document.id.clone(),
        extension: vec![provenance.extension()],
        status: "current",
        type_: CodeableConcept::text(&document.doc_type),
        category: vec![CodeableConcept::coded(Coding::new(
            DMP_CATEGORY_SYSTEM,
            document.category.as_str(),
            Some(category_display(document.category)),
        ))],
        subject: Reference::to(super::patient_reference(patient)),
        date: date.clone(),
        author: vec![author],
        description: document.title.clone(),
        content: vec![Content {
            attachment: Attachment {
                content_type: document.format.clone(),
                url: format!("Binary/{}", document.id),
                size: u32::try_from(document.size)
                    .ok()
                    .filter(|s| i32::try_from(*s).is_ok()),
                title: document.title.clone(),
                creation: date,
            },
        }],
    }
}

/// `Binary`: a document's content.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType", rename_all = "camelCase")]
pub struct Binary {
    pub id: String,
    pub content_type: String,
    /// The document whose access rules this content follows.
    pub security_context: Reference,
    /// Base64.
    pub data: String,
}

impl Resource for Binary {
    const TYPE: &'static str = "Binary";

    fn id(&self) -> &str {
        &self.id
    }
}

/// The `Binary` of a document's content, as JSON (a client asking for the
/// document's own media type gets the bytes instead, without this).
pub fn binary(document: &DocumentMeta, content: &[u8]) -> Binary {
    Binary {
        id: document.id.clone(),
        content_type: document.format.clone(),
        security_context: Reference::to(format!("DocumentReference/{}", document.id)),
        data: base64(content),
    }
}

/// Standard base64 with padding (RFC 4648 §4), as FHIR's `base64Binary`.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(origin: Origin) -> DocumentMeta {
        DocumentMeta {
            id: "d1".into(),
            category: DocumentCategory::LabResults,
            doc_type: "Compte rendu d'examens de biologie".into(),
            title: "Bilan lipidique".into(),
            author: "Dr Claire Bernard".into(),
            origin,
            written_by: None,
            date: 1_740_818_096_000,
            format: "text/plain".into(),
            size: 12,
        }
    }

    #[test]
    fn a_document_reference_points_at_its_binary() {
        let d = from_document(&PatientId::new("p1"), &document(Origin::Professional));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(
            json,
            json!({
                "resourceType": "DocumentReference",
                "id": "d1",
                "extension": [{"url": "urn:officine:fhir:extension:provenance",
                               "extension": [{"url": "origin", "valueCode": "professional"}]}],
                "status": "current",
                "type": {"text": "Compte rendu d'examens de biologie"},
                "category": [{"coding": [{
                    "system": "urn:officine:dmp-category", "code": "lab-results",
                    "display": "Résultats d'examens de biologie"
                }]}],
                "subject": {"reference": "Patient/p1"},
                "date": "2025-03-01T08:34:56.000Z",
                "author": [{"type": "Practitioner", "display": "Dr Claire Bernard"}],
                "description": "Bilan lipidique",
                "content": [{"attachment": {
                    "contentType": "text/plain", "url": "Binary/d1", "size": 12,
                    "title": "Bilan lipidique", "creation": "2025-03-01T08:34:56.000Z"
                }}]
            })
        );
    }

    #[test]
    fn authors_by_origin_and_oversized_documents() {
        let d = from_document(&PatientId::new("p1"), &document(Origin::Patient));
        assert_eq!(d.author[0].reference.as_deref(), Some("Patient/p1"));
        let mut meta = document(Origin::Service);
        meta.written_by = Some("fr.example.dmp".into());
        meta.size = 3_000_000_000;
        let d = from_document(&PatientId::new("p1"), &meta);
        assert_eq!(d.author[0].type_.as_deref(), Some("Device"));
        assert_eq!(d.author[0].display.as_deref(), Some("Dr Claire Bernard"));
        assert_eq!(d.content[0].attachment.size, None);
        for category in DocumentCategory::ALL {
            assert!(!category_display(category).is_empty());
        }
    }

    #[test]
    fn binary_content_is_base64() {
        let b = binary(&document(Origin::Professional), b"Cholest\xc3\xa9rol");
        assert_eq!(b.data, "Q2hvbGVzdMOpcm9s");
        assert_eq!(
            b.security_context.reference.as_deref(),
            Some("DocumentReference/d1")
        );
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(json["resourceType"], "Binary");
        assert_eq!(json["contentType"], "text/plain");
        for (input, expected) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
            (&[0xff, 0xfe, 0xfd][..], "//79"),
        ] {
            assert_eq!(base64(input), expected);
        }
    }
}
