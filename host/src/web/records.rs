//! The patient's own data, as pages: measures, agenda, medical record
//! documents and messages, newest first. Each page's read is on the audit
//! record, as the patient's own, like the API's.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use officine_policy::MeasureKind;
use officine_policy::habilitation::Section as Delegated;
use serde::Deserialize;

use super::layout::{self, Here, Section, View};
use super::patient::service_names;
use super::session::Visitor;
use super::{Lang, text};
use crate::api::ApiState;
use crate::api::records::read_by_patient;
use crate::db::Reader;
use crate::db::agenda;
use crate::db::documents::{self, DocumentMeta, DocumentQuery};
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
    /// The kind a delegation's section opens.
    pub fn of(section: Delegated) -> Kind {
        match section {
            Delegated::Measures => Kind::Measures,
            Delegated::Agenda => Kind::Agenda,
            Delegated::Documents => Kind::Documents,
            Delegated::Messages => Kind::Messages,
        }
    }

    /// The delegation's section of this kind.
    pub fn section(self) -> Delegated {
        match self {
            Kind::Measures => Delegated::Measures,
            Kind::Agenda => Delegated::Agenda,
            Kind::Documents => Delegated::Documents,
            Kind::Messages => Delegated::Messages,
        }
    }

    pub const ALL: [Kind; 4] = [
        Kind::Measures,
        Kind::Agenda,
        Kind::Documents,
        Kind::Messages,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Kind::Measures => "/mes-donnees/mesures",
            Kind::Agenda => "/mes-donnees/agenda",
            Kind::Documents => "/mes-donnees/documents",
            Kind::Messages => "/mes-donnees/messages",
        }
    }

    pub fn title(self, lang: Lang) -> &'static str {
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

impl DataQuery {
    pub fn lang(&self) -> &str {
        &self.lang
    }
}

/// The call a read of `kind` is recorded as.
pub(super) fn call_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Measures => "measures.search",
        Kind::Agenda => "agenda.search",
        Kind::Documents => "dmp.search",
        Kind::Messages => "messaging.search",
    }
}

/// One kind of a patient's data, read and rendered, newest first: the
/// markup, how many rows, and the call it is recorded as.
pub(super) struct Read {
    pub markup: Markup,
    pub rows: usize,
    pub call: &'static str,
}

/// Reads `kind` of `patient`'s data; `documents` keeps the documents the
/// reader may see (all of them for the patient); with `reply` (the
/// patient's form token), each conversation a professional opened offers
/// an answer.
pub(super) async fn read(
    state: &ApiState,
    patient: &PatientId,
    kind: Kind,
    lang: Lang,
    documents: impl Fn(&DocumentMeta) -> bool,
    reply: Option<&str>,
) -> crate::db::Result<Read> {
    // Only the patient opens a document's content from these pages.
    let open_document = |id: &str| reply.map(|_| format!("/mes-donnees/documents/{id}"));
    let db = &state.db;
    let text = lang.text();
    // Services' names, for the kinds that say who wrote each row.
    let names = match kind {
        Kind::Measures | Kind::Agenda => service_names(state).await?,
        Kind::Documents | Kind::Messages => Default::default(),
    };
    let written_by = |origin, service: Option<&str>| written_by(lang, origin, service, &names);
    Ok(match kind {
        Kind::Measures => {
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
            let mut found = measures::list(db, patient, &query, Reader::Owner).await?;
            found.sort_by_key(|measure| std::cmp::Reverse(measure.effective_at));
            let markup = html! {
                @if !found.is_empty() {
                    (layout::table(&[text.day, text.measure, text.value, text.written_by], html! {
                        @for measure in &found {
                            tr {
                                td { (text::moment(lang, measure.effective_at)) }
                                td { (text::measure(lang, measure.kind)) }
                                td { (value(lang, measure.kind, measure.value)) }
                                td { (written_by(measure.origin, measure.written_by.as_deref())) }
                            }
                        }
                    }))
                }
            };
            Read {
                markup,
                rows: found.len(),
                call: call_of(kind),
            }
        }
        Kind::Agenda => {
            let found = agenda::list(db, patient, None, None, Some(SHOWN), Reader::Owner).await?;
            let markup = html! {
                @if !found.is_empty() {
                    (layout::table(&[text.when, text.what, text.place, text.written_by], html! {
                        @for event in &found {
                            tr {
                                td { (text::moment(lang, event.draft.starts_at)) }
                                td { (text::event_kind(lang, event.draft.kind)) " — " (event.draft.title) }
                                td { (event.draft.place.as_deref().unwrap_or("—")) }
                                td { (written_by(event.origin, event.written_by.as_deref())) }
                            }
                        }
                    }))
                }
            };
            Read {
                markup,
                rows: found.len(),
                call: call_of(kind),
            }
        }
        Kind::Documents => {
            let categories = documents::all_categories();
            let query = DocumentQuery {
                categories: &categories,
                since: None,
                until: None,
                limit: Some(SHOWN),
            };
            let found: Vec<DocumentMeta> = documents::list(db, patient, &query, Reader::Owner)
                .await?
                .into_iter()
                .filter(|document| documents(document))
                .collect();
            let markup = html! {
                @if !found.is_empty() {
                    (layout::table(&[text.day, text.document_title, text.doc_category, text.author], html! {
                        @for document in &found {
                            tr {
                                td { (text::day(lang, document.date)) }
                                td {
                                    @if let Some(link) = open_document(&document.id) {
                                        a href=(link) { (document.title) }
                                    } @else {
                                        (document.title)
                                    }
                                }
                                td { (text::document(lang, document.category)) }
                                td { (document.author) }
                            }
                        }
                    }))
                }
            };
            Read {
                markup,
                rows: found.len(),
                call: call_of(kind),
            }
        }
        Kind::Messages => {
            let found = messages::list(db, patient, None, Some(SHOWN), Reader::Owner).await?;
            let markup = html! {
                @for message in &found {
                    article.message {
                        h3 { (message.subject) }
                        p.hint { ((text.sent_by)(&message.sender, &text::moment(lang, message.sent_at))) }
                        p.body { (message.body) }
                        @if let Some(reply) = reply.filter(|_| {
                            message.origin == Origin::Professional && message.id == message.thread
                        }) {
                            form.step method="post" action=(format!("/mes-donnees/messages/{}/repondre", message.thread)) {
                                input type="hidden" name="csrf" value=(reply);
                                input type="hidden" name="lang" value=(lang.code());
                                div.field {
                                    label for=(format!("reply-{}", message.id)) { (text.reply_label) }
                                    textarea id=(format!("reply-{}", message.id)) name="body" required rows="3" {}
                                }
                                button type="submit" { (text.reply) }
                            }
                        }
                    }
                }
            };
            Read {
                markup,
                rows: found.len(),
                call: call_of(kind),
            }
        }
    })
}

/// Tabs for the kinds in `kinds`, `current` marked, each linking to
/// `path(kind)`.
pub(super) fn tabs(
    view: &View<'_>,
    label: &str,
    kinds: &[Kind],
    current: Kind,
    path: impl Fn(Kind) -> String,
) -> Markup {
    let lang = view.lang;
    html! {
        nav aria-label=(label) {
            ul.tabs {
                @for kind in kinds {
                    li {
                        a href=(view.link(&path(*kind)))
                          aria-current=[(*kind == current).then_some("page")] { (kind.title(lang)) }
                    }
                }
            }
        }
    }
}

/// A patient's data page, its read recorded as theirs.
async fn data_page(state: &ApiState, visitor: &Visitor, query: &DataQuery, kind: Kind) -> Response {
    let here = Here::at(kind.path());
    let view = match View::asked(&query.lang, visitor.signed_in(), here) {
        Ok(view) => view,
        Err(response) => return response,
    };
    let lang = view.lang;
    let (signed_in, patient) = match super::patient::patient(&view) {
        Ok((signed_in, patient)) => (signed_in, patient.subject.clone()),
        Err(response) => return response,
    };
    let found = match read(state, &patient, kind, lang, |_| true, Some(&signed_in.csrf)).await {
        Ok(found) => found,
        Err(error) => return super::unavailable(&error),
    };
    let text = lang.text();
    let title = kind.title(lang);
    let main = html! {
        h1 { (text.my_data) }
        p { a href="/mes-donnees/export" download="officine-export.json" { (text.export_all) } }
        (tabs(&view, text.my_data, &Kind::ALL, kind, |k| k.path().to_owned()))
        h2 { (title) }
        p role="status" { ((text.rows_shown)(found.rows)) }
        (found.markup)
    };
    let page = layout::page(&view, Section::MyData, title, main).into_response();
    read_by_patient(&state.db, &patient, found.call, found.rows, page).await
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

macro_rules! data_route {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        pub async fn $name(
            State(state): State<ApiState>,
            visitor: Visitor,
            Query(query): Query<DataQuery>,
        ) -> Response {
            data_page(&state, &visitor, &query, $kind).await
        }
    };
}

data_route!(
    /// `GET /mes-donnees/mesures`.
    measures,
    Kind::Measures
);
data_route!(
    /// `GET /mes-donnees/agenda`.
    agenda,
    Kind::Agenda
);
data_route!(
    /// `GET /mes-donnees/documents`: the documents of the medical record
    /// the patient sees.
    documents,
    Kind::Documents
);
data_route!(
    /// `GET /mes-donnees/messages`.
    messages,
    Kind::Messages
);

/// `POST /mes-donnees/messages/{thread}/repondre`: the patient answers in
/// a conversation a professional opened; they never open one.
pub async fn reply(
    State(state): State<ApiState>,
    visitor: Visitor,
    axum::extract::Path(thread): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form = super::form::Posted::read(&body);
    let lang = form.lang;
    let view = View::new(lang, visitor.signed_in(), Here::at(Kind::Messages.path()));
    let (signed_in, patient) = match super::patient::patient(&view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = form.check(&state.web, signed_in, &headers) {
        return response;
    }
    let text = lang.text();
    let opened = match messages::thread_opener(&state.db, &patient.subject, &thread).await {
        Ok(opened) => opened,
        Err(error) => return super::unavailable(&error),
    };
    let Some((Origin::Professional, subject)) = opened else {
        return layout::problem(
            &view,
            axum::http::StatusCode::NOT_FOUND,
            text.no_such_thread,
        );
    };
    let answer = form.get("body");
    if answer.trim().is_empty() {
        return layout::problem(&view, axum::http::StatusCode::BAD_REQUEST, text.reply_empty);
    }
    let sent = messages::add(
        &state.db,
        &patient.subject,
        &crate::model::Writer::Patient,
        &patient.subject.to_string(),
        Some(&thread),
        &format!("Re: {subject}"),
        answer,
    )
    .await;
    match sent {
        Ok(_) => super::see_other(&view.link(Kind::Messages.path())),
        Err(error) => super::unavailable(&error),
    }
}

/// `GET /mes-donnees/export`: everything of the patient's space, as one
/// FHIR file to save.
pub async fn export(State(state): State<ApiState>, visitor: Visitor) -> Response {
    let view = View::new(
        Lang::Fr,
        visitor.signed_in(),
        Here::at("/mes-donnees/export"),
    );
    match super::patient::patient(&view) {
        Ok((_, patient)) => crate::api::patient::export_of(&state, &patient.subject).await,
        Err(response) => response,
    }
}

/// `GET /mes-donnees/documents/{id}`: a document's content, as a file to
/// save (never shown on the platform's origin), its reading on record.
pub async fn document(
    State(state): State<ApiState>,
    visitor: Visitor,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    use axum::http::{HeaderValue, StatusCode, header};
    let view = View::new(
        Lang::Fr,
        visitor.signed_in(),
        Here::at(Kind::Documents.path()),
    );
    let patient = match super::patient::patient(&view) {
        Ok((_, patient)) => patient.subject.clone(),
        Err(response) => return response,
    };
    let (meta, content) = match crate::api::records::document_of(&state.db, &patient, &id).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return layout::problem(
                &view,
                StatusCode::NOT_FOUND,
                view.lang.text().no_such_document,
            );
        }
        Err(error) => return super::unavailable(&error),
    };
    // The author's format, but always as an attachment, never sniffed,
    // sandboxed if a browser shows it anyway.
    let format = HeaderValue::from_str(&meta.format)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut answer = (StatusCode::OK, content).into_response();
    let headers = answer.headers_mut();
    headers.insert(header::CONTENT_TYPE, format);
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    read_by_patient(&state.db, &patient, "dmp.read", 1, answer).await
}
