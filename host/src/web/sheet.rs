//! A service's consent sheet: who makes it, what for, what it asks for and
//! why, how long it keeps data, how it is secured, the patient's recourse,
//! and its listing.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::layout::{self, Here, Section, View};
use super::session::Visitor;
use super::{consent_form, text};
use crate::api::ApiState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SheetQuery {
    lang: String,
}

/// `GET /catalogue/{service}`.
pub async fn page(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path(service): Path<String>,
    Query(query): Query<SheetQuery>,
) -> Response {
    let path = format!("/catalogue/{service}");
    let here = Here {
        path: &path,
        query: Vec::new(),
    };
    let view = match View::asked(&query.lang, visitor.signed_in(), here) {
        Ok(view) => view,
        Err(response) => return response,
    };
    render(&state, &view, &service, None).await
}

/// The sheet of `service`; `problem` says what was wrong with a consent
/// the visitor just sent (and makes the answer a 400).
pub async fn render(
    state: &ApiState,
    view: &View<'_>,
    service: &str,
    problem: Option<&str>,
) -> Response {
    let lang = view.lang;
    let text = lang.text();
    let serving = match super::listed(state).await {
        Ok(serving) => serving,
        Err(response) => return response,
    };
    let Some(stored) = serving
        .iter()
        .find(|stored| stored.release.manifest().id().as_str() == service)
    else {
        return layout::problem(view, StatusCode::NOT_FOUND, text.no_such_service);
    };
    let manifest = stored.release.manifest();
    let consent = match consent_form::for_sheet(state, view, manifest, problem).await {
        Ok(consent) => consent,
        Err(response) => return response,
    };
    let sheet = manifest.consent();
    let listed = (text.listed)(
        &text::day(lang, stored.updated_at),
        stored.requirement_set.as_deref().unwrap_or("—"),
    );
    let main = html! {
        p { a href=(format!("/catalogue?lang={}", lang.code())) { (text.back) } }
        h1 { (manifest.name()) }
        p { (manifest.description()) }
        dl.facts {
            dt { (text.editor) }
            dd { (manifest.editor()) " (" (manifest.editor_id()) ")" }
            dt { (text.purpose) }
            dd { (text::purpose(lang, manifest.purpose())) }
            dt { (text.device) }
            dd { (text::device(lang, sheet.medical_device())) }
            dt { (text.listing) }
            dd { (listed) }
        }
        h2 { (text.requests) }
        ul {
            @for requested in manifest.requested_scopes() {
                li {
                    (text::scope(lang, &requested.scope()))
                    br;
                    span { (text.why) (requested.reason()) }
                }
            }
        }
        h2 { (text.retention) }
        p { (sheet.retention()) }
        h2 { (text.security) }
        p { (sheet.security()) }
        h2 { (text.recourse) }
        p { (sheet.recourse()) }
        h2 { (text.legal) }
        ul { @for legal in sheet.legal() { li { (legal) } } }
        h2 { (text.accessibility) }
        p { (sheet.accessibility()) }
        (consent)
    };
    let status = match problem {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    (
        status,
        layout::page(view, Section::Catalogue, manifest.name(), main),
    )
        .into_response()
}
