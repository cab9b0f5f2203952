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
use crate::model::now_millis;
use crate::professionals::{self, RedeemError, StoredDelegation};

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
    let lang = match layout::lang(query.lang(), &here) {
        Ok(lang) => lang,
        Err(response) => return response,
    };
    let view = View::new(lang, visitor.signed_in(), here);
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

/// `GET /pro/acces/{delegation}/{section}`: one section of the patient's
/// space, if the delegation opens it to this professional now.
pub async fn section(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path((id, section)): Path<(String, String)>,
    Query(query): Query<DataQuery>,
) -> Response {
    let path = format!("/pro/acces/{id}/{section}");
    let here = Here::at(&path);
    let lang = match layout::lang(query.lang(), &here) {
        Ok(lang) => lang,
        Err(response) => return response,
    };
    let view = View::new(lang, visitor.signed_in(), here);
    let (_, professional) = match professional(&view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let text = lang.text();
    let Some(section) = Section::parse(&section) else {
        return layout::problem(&view, StatusCode::NOT_FOUND, text.no_such_section);
    };
    let rpps = professional.rpps.as_str();
    let stored = match professionals::delegation_for(&state.db, &id, rpps).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return layout::problem(&view, StatusCode::NOT_FOUND, text.no_such_delegation),
        Err(error) => return super::unavailable(&error),
    };
    let patient = stored.patient.clone();
    let (space, overrides) = match tokio::try_join!(
        professionals::is_closed(&state.db, &patient),
        professionals::overrides(&state.db, &patient),
    ) {
        Ok((closed, overrides)) => (if closed { Space::Closed } else { Space::Open }, overrides),
        Err(error) => return super::unavailable(&error),
    };
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
    let found = match records::read(&state, &patient, kind, lang, document_ok).await {
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
    let main = html! {
        p { a href=(view.link("/pro")) { (text.pro_back) } }
        h1 { ((text.patient_space)(patient.as_str())) }
        p { ((text.delegated_until)(&text::moment(lang, stored.delegation.expires_at))) }
        (records::tabs(&view, text.my_data, &delegated, kind, |k| section_path(&stored.id, k)))
        h2 { (title) }
        p role="status" { ((text.rows_shown)(found.rows)) }
        (found.markup)
    };
    layout::page(&view, Nav::Pro, title, main).into_response()
}
