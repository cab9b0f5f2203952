//! The patient's own data, as pages: measures, agenda, medical record
//! documents and messages, newest first. Each page's read is on the audit
//! record, as the patient's own, like the API's.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use officine_policy::MeasureKind;
use serde::Deserialize;

use super::layout::{self, Here, Section, View};
use super::patient::service_names;
use super::session::Visitor;
use super::{Lang, text};
use crate::api::ApiState;
use crate::api::records::read_by_patient;
use crate::db::Reader;
use crate::db::agenda;
use crate::db::documents::{self, DocumentQuery};
use crate::db::measures::{self, MeasureQuery};
use crate::db::messages;
use crate::fhir::observation::unit_text;
use crate::model::{Origin, PatientId};

/// At most this many rows per page.
const SHOWN: u32 = 200;

/// The four kinds of data, as the pages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Measures,
    Agenda,
    Documents,
    Messages,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::Measures,
        Kind::Agenda,
        Kind::Documents,
        Kind::Messages,
    ];

    fn path(self) -> &'static str {
        match self {
            Kind::Measures => "/mes-donnees/mesures",
            Kind::Agenda => "/mes-donnees/agenda",
            Kind::Documents => "/mes-donnees/documents",
            Kind::Messages => "/mes-donnees/messages",
        }
    }

    fn title(self, lang: Lang) -> &'static str {
        let text = lang.text();
        match self {
            Kind::Measures => text.my_measures,
            Kind::Agenda => text.my_agenda,
            Kind::Documents => text.my_documents,
            Kind::Messages => text.my_messages,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DataQuery {
    lang: String,
}

/// A data page: its view for a signed-in patient, the page, and its read
/// recorded; or the answer for anyone else.
async fn data_page<F, Fut>(
    state: &ApiState,
    visitor: &Visitor,
    query: &DataQuery,
    kind: Kind,
    read: F,
) -> Response
where
    F: FnOnce(PatientId, Lang) -> Fut,
    Fut: std::future::Future<Output = crate::db::Result<(Markup, usize, &'static str)>>,
{
    let here = Here::at(kind.path());
    let lang = match layout::lang(&query.lang, &here) {
        Ok(lang) => lang,
        Err(response) => return response,
    };
    let view = View::new(lang, visitor.signed_in(), here);
    let patient = match super::patient::patient(&view) {
        Ok((_, patient)) => patient.subject.clone(),
        Err(response) => return response,
    };
    let (content, count, call) = match read(patient.clone(), lang).await {
        Ok(found) => found,
        Err(error) => return super::unavailable(&error),
    };
    let title = kind.title(lang);
    let main = html! {
        h1 { (lang.text().my_data) }
        nav aria-label=(lang.text().my_data) {
            ul.tabs {
                @for other in Kind::ALL {
                    li {
                        a href=(view.link(other.path()))
                          aria-current=[(other == kind).then_some("page")] { (other.title(lang)) }
                    }
                }
            }
        }
        h2 { (title) }
        p role="status" { ((lang.text().rows_shown)(count)) }
        (content)
    };
    let page = layout::page(&view, Section::MyData, title, main).into_response();
    read_by_patient(&state.db, &patient, call, count, page).await
}

/// Who wrote a row, in plain words.
fn written_by(
    lang: Lang,
    origin: Origin,
    service: Option<&str>,
    names: &BTreeMap<String, String>,
) -> String {
    let text = lang.text();
    match (origin, service) {
        (Origin::Service, Some(id)) => names.get(id).cloned().unwrap_or_else(|| id.to_owned()),
        (Origin::Patient, _) => text.by_you.to_owned(),
        (Origin::Professional, _) => text.a_professional.to_owned(),
        (Origin::Platform, _) | (Origin::Service, None) => text.by_platform.to_owned(),
    }
}

/// A measure's value with its unit, in the page's language.
fn value(lang: Lang, kind: MeasureKind, value: f64) -> String {
    let number = format!("{value}");
    let number = match lang {
        Lang::Fr => number.replace('.', ","),
        Lang::En => number,
    };
    format!("{number} {}", unit_text(kind))
}

/// `GET /mes-donnees/mesures`.
pub async fn measures(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<DataQuery>,
) -> Response {
    let db = state.db.clone();
    let names = state.clone();
    data_page(&state, &visitor, &query, Kind::Measures, |patient, lang| async move {
        let kinds: Vec<(&'static str, i64)> = MeasureKind::ALL
            .iter()
            .map(|kind| (kind.as_str(), i64::MIN))
            .collect();
        let query = MeasureQuery {
            kinds: &kinds,
            since: None,
            until: None,
            limit: Some(SHOWN),
        };
        let mut found = measures::list(&db, &patient, &query, Reader::Owner).await?;
        found.sort_by_key(|measure| std::cmp::Reverse(measure.effective_at));
        let names = service_names(&names).await?;
        let text = lang.text();
        let table = html! {
            @if !found.is_empty() {
                (layout::table(&[text.day, text.measure, text.value, text.written_by], html! {
                        @for measure in &found {
                            tr {
                                td { (text::moment(lang, measure.effective_at)) }
                                td { (text::measure(lang, measure.kind)) }
                                td { (value(lang, measure.kind, measure.value)) }
                                td { (written_by(lang, measure.origin, measure.written_by.as_deref(), &names)) }
                            }
                        }
                    }))
            }
        };
        Ok((table, found.len(), "measures.search"))
    })
    .await
}

/// `GET /mes-donnees/agenda`.
pub async fn agenda(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<DataQuery>,
) -> Response {
    let db = state.db.clone();
    let names = state.clone();
    data_page(&state, &visitor, &query, Kind::Agenda, |patient, lang| async move {
        let found = agenda::list(&db, &patient, None, None, Some(SHOWN), Reader::Owner).await?;
        let names = service_names(&names).await?;
        let text = lang.text();
        let table = html! {
            @if !found.is_empty() {
                (layout::table(&[text.when, text.what, text.place, text.written_by], html! {
                        @for event in &found {
                            tr {
                                td { (text::moment(lang, event.draft.starts_at)) }
                                td { (text::event_kind(lang, event.draft.kind)) " — " (event.draft.title) }
                                td { (event.draft.place.as_deref().unwrap_or("—")) }
                                td { (written_by(lang, event.origin, event.written_by.as_deref(), &names)) }
                            }
                        }
                    }))
            }
        };
        Ok((table, found.len(), "agenda.search"))
    })
    .await
}

/// `GET /mes-donnees/documents`: the documents of the medical record the
/// patient sees.
pub async fn documents(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<DataQuery>,
) -> Response {
    let db = state.db.clone();
    data_page(
        &state,
        &visitor,
        &query,
        Kind::Documents,
        |patient, lang| async move {
            let categories = documents::all_categories();
            let query = DocumentQuery {
                categories: &categories,
                since: None,
                until: None,
                limit: Some(SHOWN),
            };
            let found = documents::list(&db, &patient, &query, Reader::Owner).await?;
            let text = lang.text();
            let table = html! {
                @if !found.is_empty() {
                    (layout::table(&[text.day, text.document_title, text.doc_category, text.author], html! {
                            @for document in &found {
                                tr {
                                    td { (text::day(lang, document.date)) }
                                    td { (document.title) }
                                    td { (text::document(lang, document.category)) }
                                    td { (document.author) }
                                }
                            }
                        }))
                }
            };
            Ok((table, found.len(), "dmp.search"))
        },
    )
    .await
}

/// `GET /mes-donnees/messages`.
pub async fn messages(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<DataQuery>,
) -> Response {
    let db = state.db.clone();
    data_page(&state, &visitor, &query, Kind::Messages, |patient, lang| async move {
        let found = messages::list(&db, &patient, None, Some(SHOWN), Reader::Owner).await?;
        let text = lang.text();
        let list = html! {
            @for message in &found {
                article.message {
                    h3 { (message.subject) }
                    p.hint { ((text.sent_by)(&message.sender, &text::moment(lang, message.sent_at))) }
                    p.body { (message.body) }
                }
            }
        };
        Ok((list, found.len(), "messaging.search"))
    })
    .await
}
