//! `Bundle` of type `searchset`: the answer to a search.

use serde::Serialize;

use super::Resource;

/// A search result set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resourceType")]
pub struct Bundle<R: Resource> {
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// How many resources matched.
    pub total: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<Link>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<Entry<R>>,
}

/// `Bundle.link`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub relation: &'static str,
    pub url: String,
}

/// `Bundle.entry`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry<R: Resource> {
    /// The resource's absolute URL.
    pub full_url: String,
    pub resource: R,
    pub search: Search,
}

/// `Bundle.entry.search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Search {
    /// `match`: the resource matched the search (nothing is included).
    pub mode: &'static str,
}

impl<R: Resource> Bundle<R> {
    /// The resources found, in order, under the FHIR base URL `base` (e.g.
    /// `https://officine.example/fhir`), each entry's `fullUrl` being
    /// `<base>/<Type>/<id>`. `total` is the number of entries: searches
    /// return every match up to their count, and pages are not offered.
    pub fn searchset(base: &str, resources: impl IntoIterator<Item = R>) -> Bundle<R> {
        let base = base.trim_end_matches('/');
        let entry: Vec<Entry<R>> = resources
            .into_iter()
            .map(|resource| Entry {
                full_url: format!("{base}/{}", resource.reference()),
                resource,
                search: Search { mode: "match" },
            })
            .collect();
        Bundle {
            type_: "searchset",
            total: u32::try_from(entry.len()).unwrap_or(u32::MAX),
            link: Vec::new(),
            entry,
        }
    }

    /// The same, with the `self` link: the URL of the search as understood.
    pub fn with_self_link(mut self, url: impl Into<String>) -> Bundle<R> {
        self.link.push(Link {
            relation: "self",
            url: url.into(),
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::agenda::{Event, EventDraft, EventKind};
    use crate::fhir::appointment::{self, Appointment};
    use crate::model::{Origin, PatientId};
    use serde_json::json;

    fn event(id: &str) -> Event {
        Event {
            id: id.into(),
            draft: EventDraft {
                kind: EventKind::Task,
                title: "Marcher".into(),
                starts_at: 0,
                ends_at: None,
                place: None,
            },
            origin: Origin::Patient,
            written_by: None,
        }
    }

    #[test]
    fn a_searchset_with_full_urls() {
        let p = PatientId::new("p1");
        let bundle = Bundle::searchset(
            "https://officine.test/fhir/",
            [event("a"), event("b")]
                .iter()
                .map(|e| appointment::from_event(&p, e)),
        )
        .with_self_link("https://officine.test/fhir/Appointment");
        let json = serde_json::to_value(&bundle).unwrap();
        assert_eq!(json["resourceType"], "Bundle");
        assert_eq!(json["type"], "searchset");
        assert_eq!(json["total"], 2);
        assert_eq!(
            json["link"][0],
            json!({"relation": "self", "url": "https://officine.test/fhir/Appointment"})
        );
        assert_eq!(
            json["entry"][0]["fullUrl"],
            "https://officine.test/fhir/Appointment/a"
        );
        assert_eq!(json["entry"][1]["resource"]["id"], "b");
        assert_eq!(json["entry"][1]["search"]["mode"], "match");
    }

    #[test]
    fn an_empty_searchset_has_no_entry() {
        let bundle = Bundle::<Appointment>::searchset("https://officine.test/fhir", []);
        assert_eq!(
            serde_json::to_value(&bundle).unwrap(),
            json!({"resourceType": "Bundle", "type": "searchset", "total": 0})
        );
    }
}
