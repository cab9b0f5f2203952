//! The professional's pages: entering a patient's delegation code, then
//! reading exactly the sections it opens, until it ends or is revoked.
//! Every read is on the patient's audit record, by the professional's RPPS
//! number; the patient's blocks and the space's closure always win.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use officine_policy::habilitation::{self, Matrix, Section, Space};

use super::form::Posted;
use super::layout::{self, Here, Section as Nav, View};
use super::records::{self, DataQuery, Kind};
use super::session::{SignedIn, Visitor};
use super::text;
use crate::api::ApiState;
use crate::audit::{Actor, Event, Outcome};
use crate::auth::Professional;
use crate::db::documents::{self, DocumentDraft};
use crate::db::messages;
use crate::model::Writer;
use crate::model::now_millis;
use crate::professionals::{self, RedeemError, StoredDelegation};
use officine_policy::DocumentCategory;

/// The signed-in professional, or the answer for anyone else.
#[expect(
    clippy::result_large_err,
    reason = "the error is the answer, built once and returned at once"
)]
fn professional<'a>(view: &View<'a>) -> Result<(&'a SignedIn, &'a Professional), Response> {
    match view.visitor {
        None => Err(super::see_other(&layout::sign_in_link(
            view.lang,
            view.here.path,
        ))),
        Some(signed_in) => match &signed_in.identity {
            crate::auth::Identity::Professional(professional) => Ok((signed_in, professional)),
            _ => Err(layout::problem(
                view,
                StatusCode::FORBIDDEN,
                view.lang.text().professionals_only,
            )),
        },
    }
}

/// The delegation `id` this professional holds, with the patient's rules
/// about professionals; or the answer when they hold none by that id.
async fn held(
    state: &ApiState,
    view: &View<'_>,
    id: &str,
    rpps: &str,
) -> Result<(StoredDelegation, Space, habilitation::Overrides), Response> {
    let stored = match professionals::delegation_for(&state.db, id, rpps).await {
        Ok(Some(stored)) => stored,
        Ok(None) => {
            return Err(layout::problem(
                view,
                StatusCode::NOT_FOUND,
                view.lang.text().no_such_delegation,
            ));
        }
        Err(error) => return Err(super::unavailable(&error)),
    };
    let (space, overrides) = professionals::rules(&state.db, &stored.patient)
        .await
        .map_err(|error| super::unavailable(&error))?;
    Ok((stored, space, overrides))
}

fn section_path(delegation: &str, kind: Kind) -> String {
    format!("/pro/acces/{delegation}/{}", kind.section().as_str())
}

/// `GET /pro`: the code form, and the delegations this professional holds.
pub async fn home(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<DataQuery>,
) -> Response {
    let here = Here::at("/pro");
    let view = match View::asked(query.lang(), visitor.signed_in(), here) {
        Ok(view) => view,
        Err(response) => return response,
    };
    render_home(&state, &view, None, StatusCode::OK).await
}

async fn render_home(
    state: &ApiState,
    view: &View<'_>,
    problem: Option<&str>,
    status: StatusCode,
) -> Response {
    let (signed_in, professional) = match professional(view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let lang = view.lang;
    let text = lang.text();
    let held =
        match professionals::held_by(&state.db, professional.rpps.as_str(), now_millis()).await {
            Ok(held) => held,
            Err(error) => return super::unavailable(&error),
        };
    let main = html! {
        h1 { (text.pro_title) }
        @if let Some(problem) = problem {
            p.error role="alert" { (problem) }
        }
        form.step method="post" action="/pro/code" {
            input type="hidden" name="csrf" value=(signed_in.csrf);
            input type="hidden" name="lang" value=(lang.code());
            div.field {
                label for="code" { (text.code_label) }
                input id="code" name="code" type="text" required autocomplete="off"
                      spellcheck="false" placeholder="XXXX-XXXX-XXXX";
            }
            button type="submit" { (text.code_enter) }
        }
        h2 { (text.pro_held) }
        @if held.is_empty() {
            p { (text.none) }
        }
        ul.services {
            @for stored in &held {
                li { (held_delegation(view, stored)) }
            }
        }
    };
    (status, layout::page(view, Nav::Pro, text.pro_title, main)).into_response()
}

fn held_delegation(view: &View<'_>, stored: &StoredDelegation) -> maud::Markup {
    let lang = view.lang;
    let text = lang.text();
    html! {
        article {
            h3 { ((text.patient_space)(stored.patient.as_str())) }
            p { ((text.delegated_until)(&text::moment(lang, stored.delegation.expires_at))) }
            ul {
                @for section in &stored.delegation.sections {
                    @let kind = Kind::of(*section);
                    li { a href=(view.link(&section_path(&stored.id, kind))) { (kind.title(lang)) } }
                }
            }
        }
    }
}

/// `POST /pro/code`: enters a code.
pub async fn enter_code(
    State(state): State<ApiState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let view = View::new(form.lang, visitor.signed_in(), Here::at("/pro"));
    let (signed_in, professional) = match professional(&view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = form.check(&state.web, signed_in, &headers) {
        return response;
    }
    let text = form.lang.text();
    let now = now_millis();
    match professionals::redeem(&state.db, form.get("code"), professional.rpps.as_str(), now).await
    {
        Ok(stored) => {
            let first = stored
                .delegation
                .sections
                .iter()
                .next()
                .map_or(Kind::Measures, |s| Kind::of(*s));
            super::see_other(&view.link(&section_path(&stored.id, first)))
        }
        Err(RedeemError::Db(error)) => super::unavailable(&error),
        Err(RedeemError::Record(error)) => super::unavailable(&error),
        Err(RedeemError::TooManyFailures) => {
            render_home(
                &state,
                &view,
                Some(text.code_too_many),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
        Err(RedeemError::Unknown) => {
            render_home(
                &state,
                &view,
                Some(text.code_unknown),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(RedeemError::Refused(refusal)) => {
            let problem = format!(
                "{}{}",
                text.code_refused,
                text::refusal(form.lang, &refusal)
            );
            render_home(&state, &view, Some(&problem), StatusCode::FORBIDDEN).await
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SectionQuery {
    lang: String,
    /// Something was just added.
    fait: String,
}

/// `GET /pro/acces/{delegation}/{section}`: one section of the patient's
/// space, if the delegation opens it to this professional now.
pub async fn section(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path((id, section)): Path<(String, String)>,
    Query(query): Query<SectionQuery>,
) -> Response {
    let path = format!("/pro/acces/{id}/{section}");
    let lang = match layout::lang(&query.lang, &Here::at(&path)) {
        Ok(lang) => lang,
        Err(response) => return response,
    };
    let notice = if query.fait.is_empty() {
        Notice::None
    } else {
        Notice::Done(lang.text().added)
    };
    render_section(&state, &visitor, &id, &section, lang, notice).await
}

/// What a section's page says besides its content.
#[derive(Debug, Clone, Copy)]
enum Notice {
    None,
    /// What was just added (200).
    Done(&'static str),
    /// What was wrong with what was just sent (400).
    Problem(&'static str),
}

/// A section's page, with its notice.
async fn render_section(
    state: &ApiState,
    visitor: &Visitor,
    id: &str,
    section: &str,
    lang: crate::web::Lang,
    notice: Notice,
) -> Response {
    let (problem, done, status) = match notice {
        Notice::None => (None, None, StatusCode::OK),
        Notice::Done(done) => (None, Some(done), StatusCode::OK),
        Notice::Problem(problem) => (Some(problem), None, StatusCode::BAD_REQUEST),
    };
    let path = format!("/pro/acces/{id}/{section}");
    let view = View::new(lang, visitor.signed_in(), Here::at(&path));
    let (signed_in, professional) = match professional(&view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let text = lang.text();
    let Some(section) = Section::parse(section) else {
        return layout::problem(&view, StatusCode::NOT_FOUND, text.no_such_section);
    };
    let rpps = professional.rpps.as_str();
    let (stored, space, overrides) = match held(state, &view, id, rpps).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let patient = stored.patient.clone();
    let reader = habilitation::Professional {
        rpps,
        profession: professional.profession.as_str(),
    };
    let now = now_millis();
    let actor = Actor::Professional {
        rpps: rpps.to_owned(),
    };
    let kind = Kind::of(section);
    if let Err(refusal) = habilitation::section_access(
        space,
        &overrides,
        &reader,
        section,
        Some(&stored.delegation),
        now,
    ) {
        let event = Event::new(
            actor,
            Some(&patient),
            records::call_of(kind),
            0,
            Outcome::Denied {
                reason: refusal.to_string(),
            },
        );
        if let Err(error) = state.db.audit().record(vec![event]).await {
            return super::unavailable(&error);
        }
        let problem = format!("{}{}", text.code_refused, text::refusal(lang, &refusal));
        return layout::problem(&view, StatusCode::FORBIDDEN, &problem);
    }
    // Documents: each one decided, so that overrides and the matrix hold
    // for every document even under a delegation.
    let document_ok = |document: &crate::db::documents::DocumentMeta| {
        habilitation::document_access(
            Matrix::national(),
            space,
            &overrides,
            &reader,
            &habilitation::Document {
                id: &document.id,
                category: document.category,
            },
            Some(&stored.delegation),
            now,
        )
        .is_ok()
    };
    let found = match records::read(state, &patient, kind, lang, document_ok, None).await {
        Ok(found) => found,
        Err(error) => return super::unavailable(&error),
    };
    let event = Event::new(
        actor,
        Some(&patient),
        found.call,
        found.rows as u64,
        Outcome::Allowed,
    );
    if let Err(error) = state.db.audit().record(vec![event]).await {
        return super::unavailable(&error);
    }
    let delegated: Vec<Kind> = stored
        .delegation
        .sections
        .iter()
        .map(|s| Kind::of(*s))
        .collect();
    let title = kind.title(lang);
    let write = write_form(&view, signed_in, &stored.id, kind, &reader);
    let main = html! {
        p { a href=(view.link("/pro")) { (text.pro_back) } }
        h1 { ((text.patient_space)(patient.as_str())) }
        p { ((text.delegated_until)(&text::moment(lang, stored.delegation.expires_at))) }
        (records::tabs(&view, text.my_data, &delegated, kind, |k| section_path(&stored.id, k)))
        @if let Some(problem) = problem {
            p.error role="alert" { (problem) }
        }
        @if let Some(done) = done {
            p.done role="status" { (done) }
        }
        h2 { (title) }
        p role="status" { ((text.rows_shown)(found.rows)) }
        (found.markup)
        (write)
    };
    (status, layout::page(&view, Nav::Pro, title, main)).into_response()
}

/// What a professional may add in `kind`: a document of a category their
/// profession reads, or a new conversation with the patient.
fn write_form(
    view: &View<'_>,
    signed_in: &SignedIn,
    delegation: &str,
    kind: Kind,
    reader: &habilitation::Professional<'_>,
) -> maud::Markup {
    let lang = view.lang;
    let text = lang.text();
    let hidden = html! {
        input type="hidden" name="csrf" value=(signed_in.csrf);
        input type="hidden" name="lang" value=(lang.code());
    };
    let action = section_path(delegation, kind);
    match kind {
        Kind::Documents => {
            let categories: Vec<DocumentCategory> = DocumentCategory::ALL
                .into_iter()
                .filter(|category| writable(reader, *category))
                .collect();
            html! {
                h2 { (text.add_document) }
                form.step method="post" action=(action) {
                    (hidden)
                    div.field {
                        label for="title" { (text.document_title) }
                        input id="title" name="title" type="text" required maxlength="200";
                    }
                    div.field {
                        label for="category" { (text.doc_category) }
                        select id="category" name="category" {
                            @for category in &categories {
                                option value=(category.as_str()) { (text::document(lang, *category)) }
                            }
                        }
                    }
                    div.field {
                        label for="content" { (text.document_content) }
                        textarea id="content" name="content" required rows="6" {}
                    }
                    button type="submit" { (text.add_document) }
                }
            }
        }
        Kind::Messages => html! {
            h2 { (text.open_thread) }
            form.step method="post" action=(action) {
                (hidden)
                div.field {
                    label for="subject" { (text.message_subject) }
                    input id="subject" name="subject" type="text" required maxlength="200";
                }
                div.field {
                    label for="body" { (text.message_body) }
                    textarea id="body" name="body" required rows="6" {}
                }
                button type="submit" { (text.send) }
            }
        },
        Kind::Measures | Kind::Agenda => html! {},
    }
}

/// Whether a professional may add a document of `category`: one their
/// profession reads by the matrix.
fn writable(reader: &habilitation::Professional<'_>, category: DocumentCategory) -> bool {
    habilitation::ProfessionKind::from_code(reader.profession)
        .is_some_and(|profession| Matrix::national().reads(profession, category))
}

/// `POST /pro/acces/{delegation}/{section}`: a document added to the
/// record, or a conversation opened with the patient, under a delegation
/// that opens the section.
pub async fn write(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path((id, section)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let lang = form.lang;
    let path = format!("/pro/acces/{id}/{section}");
    let view = View::new(lang, visitor.signed_in(), Here::at(&path));
    let (signed_in, professional) = match professional(&view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = form.check(&state.web, signed_in, &headers) {
        return response;
    }
    let text = lang.text();
    let Some(section) =
        Section::parse(&section).filter(|s| matches!(s, Section::Documents | Section::Messages))
    else {
        return layout::problem(&view, StatusCode::NOT_FOUND, text.no_such_section);
    };
    let rpps = professional.rpps.as_str();
    let (stored, space, overrides) = match held(&state, &view, &id, rpps).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let patient = stored.patient.clone();
    let reader = habilitation::Professional {
        rpps,
        profession: professional.profession.as_str(),
    };
    let now = now_millis();
    if let Err(refusal) = habilitation::section_access(
        space,
        &overrides,
        &reader,
        section,
        Some(&stored.delegation),
        now,
    ) {
        let problem = format!("{}{}", text.code_refused, text::refusal(lang, &refusal));
        return layout::problem(&view, StatusCode::FORBIDDEN, &problem);
    }
    let writer = Writer::Professional {
        name: format!("RPPS {rpps}"),
        rpps: rpps.to_owned(),
    };
    let kind = Kind::of(section);
    let again = |problem: &'static str| {
        let (state, visitor) = (state.clone(), visitor.clone());
        let (id, section) = (id.clone(), section.as_str().to_owned());
        async move {
            render_section(
                &state,
                &visitor,
                &id,
                &section,
                lang,
                Notice::Problem(problem),
            )
            .await
        }
    };
    let written = match section {
        Section::Documents => {
            let title = form.get("title").trim();
            let content = form.get("content");
            let category = form.get("category").parse::<DocumentCategory>().ok();
            let Some(category) = category.filter(|c| writable(&reader, *c)) else {
                return again(text.bad_category).await;
            };
            if title.is_empty() || title.len() > 200 || content.trim().is_empty() {
                return again(text.document_incomplete).await;
            }
            let draft = DocumentDraft {
                category,
                doc_type: "professional-note".to_owned(),
                title: title.to_owned(),
                author: format!("RPPS {rpps}"),
                date: now,
                format: "text/plain".to_owned(),
                content: content.as_bytes().to_vec(),
                masked: false,
            };
            documents::add(&state.db, &patient, &writer, draft)
                .await
                .map(|d| d.is_some())
        }
        _ => {
            let subject = form.get("subject").trim();
            let body = form.get("body");
            if subject.is_empty() || subject.len() > 200 || body.trim().is_empty() {
                return again(text.message_incomplete).await;
            }
            messages::add(
                &state.db,
                &patient,
                &writer,
                &writer_name(rpps),
                None,
                subject,
                body,
            )
            .await
            .map(|m| m.is_some())
        }
    };
    match written {
        Ok(true) => super::see_other(&view.link(&format!("{}?fait=1", section_path(&id, kind)))),
        Ok(false) => layout::problem(&view, StatusCode::CONFLICT, text.step_refused),
        Err(error) => super::unavailable(&error),
    }
}

fn writer_name(rpps: &str) -> String {
    format!("RPPS {rpps}")
}
