//! The patient's control of professionals: temporary delegations, handed
//! out as codes, and professionals blocked from everything.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use officine_policy::habilitation::Section;

use super::form::Posted;
use super::layout::{self, Here, Section as Nav, View};
use super::records::{DataQuery, Kind};
use super::session::Visitor;
use super::text;
use crate::api::ApiState;
use crate::model::now_millis;
use crate::professionals::{self, DelegationError, StoredDelegation};

const HOUR_MS: i64 = 3600 * 1000;
/// The durations offered, in hours.
const DURATIONS: [i64; 4] = [24, 72, 7 * 24, 30 * 24];

/// A form posted to this page's actions: the view, and the signed-in
/// patient if this session's own page sent it; otherwise the answer.
#[expect(
    clippy::result_large_err,
    reason = "the error is the answer, built once and returned at once"
)]
fn posted<'a>(
    state: &ApiState,
    visitor: &'a Visitor,
    headers: &HeaderMap,
    form: &Posted,
) -> Result<(View<'a>, &'a crate::auth::Patient), Response> {
    let view = View::new(form.lang, visitor.signed_in(), Here::at("/mes-delegations"));
    let (signed_in, patient) = super::patient::patient(&view)?;
    form.check(&state.web, signed_in, headers)?;
    Ok((view, patient))
}

/// `GET /mes-delegations`.
pub async fn page(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<DataQuery>,
) -> Response {
    let here = Here::at("/mes-delegations");
    let view = match View::asked(query.lang(), visitor.signed_in(), here) {
        Ok(view) => view,
        Err(response) => return response,
    };
    render(&state, &view, None, None, StatusCode::OK).await
}

/// The page, with a code just made (shown this once) or a problem.
async fn render(
    state: &ApiState,
    view: &View<'_>,
    made: Option<(&StoredDelegation, &str)>,
    problem: Option<&str>,
    status: StatusCode,
) -> Response {
    let (signed_in, patient) = match super::patient::patient(view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let lang = view.lang;
    let text = lang.text();
    let (all, blocked) = match tokio::try_join!(
        professionals::delegations(&state.db, &patient.subject),
        professionals::blocked(&state.db, &patient.subject),
    ) {
        Ok(found) => found,
        Err(error) => return super::unavailable(&error),
    };
    let now = now_millis();
    let hidden = html! {
        input type="hidden" name="csrf" value=(signed_in.csrf);
        input type="hidden" name="lang" value=(lang.code());
    };
    let main = html! {
        h1 { (text.delegations) }
        p { (text.delegations_intro) }
        @if let Some((_, code)) = made {
            div.done role="status" {
                p { (text.code_made) }
                p.code { strong { (code) } }
            }
        }
        @if let Some(problem) = problem {
            p.error role="alert" { (problem) }
        }
        h2 { (text.new_delegation) }
        form.step method="post" action="/mes-delegations" {
            (hidden)
            fieldset {
                legend { (text.delegated_sections) }
                @for section in Section::ALL {
                    div.choice {
                        input type="checkbox" id=(format!("section-{section}")) name="section" value=(section.as_str());
                        label for=(format!("section-{section}")) { (Kind::of(section).title(lang)) }
                    }
                }
            }
            div.field {
                label for="rpps" { (text.delegation_rpps) }
                input id="rpps" name="rpps" type="text" inputmode="numeric" pattern="[0-9]{11}" autocomplete="off";
            }
            div.field {
                label for="hours" { (text.delegation_duration) }
                select id="hours" name="hours" {
                    @for hours in DURATIONS {
                        option value=(hours) selected[hours == 72] { ((text.duration)(hours)) }
                    }
                }
            }
            button type="submit" { (text.make_code) }
        }
        h2 { (text.your_delegations) }
        @if all.is_empty() { p { (text.none) } }
        (layout::table(&[text.delegated_sections, text.who, text.until, text.state, text.revoke_delegation], html! {
            @for stored in &all {
                @let delegation = &stored.delegation;
                @let in_force = !delegation.revoked && delegation.expires_at > now;
                tr {
                    td {
                        @for (i, section) in delegation.sections.iter().enumerate() {
                            @if i > 0 { ", " }
                            (Kind::of(*section).title(lang))
                        }
                    }
                    td { (delegation.professional.as_deref().map_or(text.first_to_enter.to_owned(), |rpps| format!("RPPS {rpps}"))) }
                    td { (text::moment(lang, delegation.expires_at)) }
                    td {
                        @if delegation.revoked { (text.revoked_state) }
                        @else if !in_force { (text.expired_state) }
                        @else { (text.in_force) }
                    }
                    td {
                        @if in_force {
                            form method="post" action=(format!("/mes-delegations/{}/retirer", stored.id)) {
                                (hidden)
                                button type="submit" { (text.revoke_delegation) }
                            }
                        }
                    }
                }
            }
        }))
        h2 { (text.blocks) }
        p { (text.blocks_intro) }
        form.step method="post" action="/mes-delegations/blocages" {
            (hidden)
            div.field {
                label for="block-rpps" { (text.block_rpps) }
                input id="block-rpps" name="rpps" type="text" inputmode="numeric" pattern="[0-9]{11}" required autocomplete="off";
            }
            button.danger type="submit" { (text.block) }
        }
        @if !blocked.is_empty() {
            ul {
                @for rpps in &blocked {
                    li {
                        "RPPS " (rpps) " "
                        form.inline method="post" action=(format!("/mes-delegations/blocages/{rpps}/lever")) {
                            (hidden)
                            button.quiet type="submit" { (text.unblock) }
                        }
                    }
                }
            }
        }
    };
    let main = html! {
        (main)
        h2 { (text.close_title) }
        p { a href=(view.link("/mon-espace/fermer")) { (text.close_title) } }
    };
    let mut response = (
        status,
        layout::page(view, Nav::Delegations, text.delegations, main),
    )
        .into_response();
    // A page with a code in it is never kept by a cache.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

fn rpps_ok(rpps: &str) -> bool {
    rpps.len() == 11 && rpps.bytes().all(|b| b.is_ascii_digit())
}

/// `POST /mes-delegations`: makes a delegation and shows its code once.
pub async fn create(
    State(state): State<ApiState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let (view, patient) = match posted(&state, &visitor, &headers, &form) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let text = form.lang.text();
    let bad = |problem| render(&state, &view, None, Some(problem), StatusCode::BAD_REQUEST);
    let sections: Option<BTreeSet<Section>> = form.all("section").map(Section::parse).collect();
    let Some(sections) = sections else {
        return bad(text.bad_section).await;
    };
    let rpps = form.get("rpps").trim();
    if !rpps.is_empty() && !rpps_ok(rpps) {
        return bad(text.bad_rpps).await;
    }
    let Some(hours) = form
        .get("hours")
        .parse::<i64>()
        .ok()
        .filter(|h| DURATIONS.contains(h))
    else {
        return bad(text.bad_duration).await;
    };
    let now = now_millis();
    let professional = (!rpps.is_empty()).then_some(rpps);
    match professionals::delegate(
        &state.db,
        &patient.subject,
        sections,
        professional,
        now + hours * HOUR_MS,
        now,
    )
    .await
    {
        Ok((stored, code)) => {
            render(
                &state,
                &view,
                Some((&stored, &code)),
                None,
                StatusCode::CREATED,
            )
            .await
        }
        Err(DelegationError::NoSection) => bad(text.no_section).await,
        Err(DelegationError::BadExpiry) => bad(text.bad_duration).await,
        Err(DelegationError::Closed) => bad(text.no_space).await,
        Err(DelegationError::Db(error)) => super::unavailable(&error),
    }
}

/// `POST /mes-delegations/{id}/retirer`.
pub async fn revoke(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let (view, patient) = match posted(&state, &visitor, &headers, &form) {
        Ok(found) => found,
        Err(response) => return response,
    };
    match professionals::revoke(&state.db, &patient.subject, &id, now_millis()).await {
        Ok(true) => super::see_other(&view.link("/mes-delegations")),
        Ok(false) => {
            render(
                &state,
                &view,
                None,
                Some(form.lang.text().no_such_delegation),
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Err(error) => super::unavailable(&error),
    }
}

/// `POST /mes-delegations/blocages`: blocks a professional.
pub async fn block(
    State(state): State<ApiState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let (view, patient) = match posted(&state, &visitor, &headers, &form) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let rpps = form.get("rpps").trim();
    if !rpps_ok(rpps) {
        return render(
            &state,
            &view,
            None,
            Some(form.lang.text().bad_rpps),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    match professionals::block(&state.db, &patient.subject, rpps, now_millis()).await {
        Ok(()) => super::see_other(&view.link("/mes-delegations")),
        Err(error) => super::unavailable(&error),
    }
}

/// `POST /mes-delegations/blocages/{rpps}/lever`: lifts a block.
pub async fn unblock(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path(rpps): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let (view, patient) = match posted(&state, &visitor, &headers, &form) {
        Ok(found) => found,
        Err(response) => return response,
    };
    match professionals::unblock(&state.db, &patient.subject, &rpps).await {
        Ok(_) => super::see_other(&view.link("/mes-delegations")),
        Err(error) => super::unavailable(&error),
    }
}

/// `GET /mon-espace/fermer`: what closing the space does, and the form.
pub async fn closing(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<DataQuery>,
) -> Response {
    let here = Here::at("/mon-espace/fermer");
    let view = match View::asked(query.lang(), visitor.signed_in(), here) {
        Ok(view) => view,
        Err(response) => return response,
    };
    render_closing(&state, &view, None, StatusCode::OK).await
}

async fn render_closing(
    state: &ApiState,
    view: &View<'_>,
    problem: Option<&str>,
    status: StatusCode,
) -> Response {
    let (signed_in, patient) = match super::patient::patient(view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let closed = match professionals::is_closed(&state.db, &patient.subject).await {
        Ok(closed) => closed,
        Err(error) => return super::unavailable(&error),
    };
    let lang = view.lang;
    let text = lang.text();
    let main = html! {
        h1 { (text.close_title) }
        @if closed {
            p.done role="status" { (text.space_closed) }
        } @else {
            @if let Some(problem) = problem {
                p.error role="alert" { (problem) }
            }
            p { (text.close_intro) }
            ul {
                li { (text.close_grants) }
                li { (text.close_delegations) }
                li { (text.close_kept) }
            }
            p { a href="/mes-donnees/export" download="officine-export.json" { (text.export_all) } }
            form.step method="post" action="/mon-espace/fermer" {
                input type="hidden" name="csrf" value=(signed_in.csrf);
                input type="hidden" name="lang" value=(lang.code());
                div.choice {
                    input type="checkbox" id="confirm" name="confirm" value="yes" required;
                    label for="confirm" { (text.close_confirm) }
                }
                button.danger type="submit" { (text.close_title) }
            }
        }
    };
    (
        status,
        layout::page(view, Nav::Delegations, text.close_title, main),
    )
        .into_response()
}

/// `POST /mon-espace/fermer`: closes the space, once confirmed.
pub async fn close(
    State(state): State<ApiState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let (view, patient) = match posted(&state, &visitor, &headers, &form) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let view = View::new(view.lang, view.visitor, Here::at("/mon-espace/fermer"));
    if form.get("confirm") != "yes" {
        let problem = form.lang.text().close_unconfirmed;
        return render_closing(&state, &view, Some(problem), StatusCode::BAD_REQUEST).await;
    }
    match professionals::close_space(&state.db, &patient.subject, now_millis()).await {
        Ok(()) => super::see_other(&view.link("/mon-espace/fermer")),
        Err(error) => super::unavailable(&error),
    }
}
