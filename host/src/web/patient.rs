//! The patient's own pages: their services (what each may see, when it
//! last did, opening it, revoking it) and who accessed their data.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use officine_policy::GrantStatus;
use serde::Deserialize;

use super::form::Posted;
use super::layout::{self, Here, Section, View};
use super::session::{SignedIn, Visitor};
use super::{Lang, text};
use crate::api::ApiState;
use crate::audit::view::{self, PatientFilter};
use crate::audit::{Actor, Event, Outcome};
use crate::auth::Patient;
use crate::consent::{self, ConsentError};
use crate::db::grants::{self, StoredGrant};
use crate::model::{ServiceId, now_millis};

/// The signed-in patient, or the answer that sends the visitor to sign in
/// (or tells a non-patient these pages are not theirs).
#[expect(
    clippy::result_large_err,
    reason = "the error is the answer, built once and returned at once"
)]
pub(super) fn patient<'a>(view: &View<'a>) -> Result<(&'a SignedIn, &'a Patient), Response> {
    let Some(signed_in) = view.visitor else {
        return Err(super::see_other(&layout::sign_in_link(
            view.lang,
            view.here.path,
        )));
    };
    match signed_in.patient() {
        Some(patient) => Ok((signed_in, patient)),
        None => Err(layout::problem(
            view,
            StatusCode::FORBIDDEN,
            view.lang.text().patients_only,
        )),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServicesQuery {
    lang: String,
    /// A service just granted, to confirm.
    accorde: String,
    /// A service just revoked, to confirm.
    retire: String,
    /// A service just revoked with its data erased, to confirm.
    efface: String,
}

/// `GET /mes-services`.
pub async fn services(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<ServicesQuery>,
) -> Response {
    let here = Here {
        path: "/mes-services",
        query: Vec::new(),
    };
    let view = match View::asked(&query.lang, visitor.signed_in(), here) {
        Ok(view) => view,
        Err(response) => return response,
    };
    let lang = view.lang;
    let text = lang.text();
    let done = [
        (&query.accorde, text.granted),
        (&query.retire, text.revoked),
        (&query.efface, text.erased),
    ]
    .into_iter()
    .find(|(service, _)| !service.is_empty())
    .map(|(service, say)| Done { service, say });
    render_services(&state, &view, done, None).await
}

/// What was just done to a service, to confirm on "my services".
struct Done<'a> {
    service: &'a str,
    say: fn(&str) -> String,
}

/// "My services", with a confirmation of what was just done, or a problem
/// with what was just asked (then a 400).
async fn render_services(
    state: &ApiState,
    view: &View<'_>,
    done: Option<Done<'_>>,
    problem: Option<&str>,
) -> Response {
    let (signed_in, patient) = match patient(view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let lang = view.lang;
    let text = lang.text();
    let db = &state.db;
    let (all, names, last) = match tokio::try_join!(
        grants::for_patient(db, &patient.subject),
        service_names(state),
        view::last_accesses(db, &patient.subject),
    ) {
        Ok(found) => found,
        Err(error) => return super::unavailable(&error),
    };
    let now = now_millis();
    let name = |id: &ServiceId| {
        names
            .get(id.as_str())
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    let (current, ended): (Vec<&StoredGrant>, Vec<&StoredGrant>) = all
        .iter()
        .partition(|stored| stored.grant.in_force(now).is_ok());
    let main = html! {
        h1 { (text.my_services) }
        @if let Some(done) = done {
            p.done role="status" {
                ((done.say)(names.get(done.service).map_or(done.service, String::as_str)))
            }
        }
        @if let Some(problem) = problem {
            p.error role="alert" { (problem) }
        }
        @if current.is_empty() {
            p {
                (text.no_services) " "
                a href=(view.link("/catalogue")) { (text.see_catalogue) }
            }
        }
        ul.services {
            @for stored in &current {
                li { (granted_service(view, signed_in, stored, &name(stored.grant.service()), last.get(stored.grant.service().as_str()).copied())) }
            }
        }
        @if !ended.is_empty() {
            h2 { (text.ended_services) }
            ul {
                @for stored in &ended {
                    li { (name(stored.grant.service())) " — " (ended_since(lang, stored)) }
                }
            }
        }
    };
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        layout::page(view, Section::MyServices, text.my_services, main),
    )
        .into_response()
}

/// Every registered service's name, by id.
pub(super) async fn service_names(state: &ApiState) -> crate::db::Result<BTreeMap<String, String>> {
    Ok(grants::services(&state.db)
        .await?
        .into_iter()
        .map(|record| (record.id.to_string(), record.name))
        .collect())
}

/// When and how a grant stopped.
fn ended_since(lang: Lang, stored: &StoredGrant) -> String {
    let text = lang.text();
    match stored.grant.status() {
        GrantStatus::Revoked { at } => (text.revoked_on)(&text::day(lang, at)),
        GrantStatus::Active => (text.expired_on)(&text::day(lang, stored.grant.period().end())),
    }
}

/// One service the patient granted: what it may see, until when, its last
/// access, and what the patient can do.
fn granted_service(
    view: &View<'_>,
    signed_in: &SignedIn,
    stored: &StoredGrant,
    name: &str,
    last: Option<i64>,
) -> Markup {
    let lang = view.lang;
    let text = lang.text();
    let service = stored.grant.service();
    let slug = service.as_str().replace('.', "-");
    let revoke = format!("/mes-services/{service}/retirer");
    html! {
        article aria-labelledby=(format!("service-{slug}")) {
            h2 id=(format!("service-{slug}")) { (name) }
            p {
                a.button href=(view.link(&format!("/mes-services/{service}/ouvrir"))) {
                    (text.open) span.visually-hidden { " " (name) }
                }
            }
            dl.facts {
                dt { (text.may) }
                dd {
                    ul {
                        @for scope in stored.grant.scopes() {
                            li { (text::scope(lang, scope)) }
                        }
                    }
                }
                dt { (text.until) }
                dd { (text::day(lang, stored.grant.period().end() - 1)) }
                dt { (text.last_access) }
                dd {
                    @match last {
                        Some(at) => (text::moment(lang, at)),
                        None => (text.never),
                    }
                }
                dt { (text.sheet) }
                dd { a href=(view.link(&format!("/catalogue/{service}"))) { (text.change_consent) } }
            }
            div.actions {
                form method="post" action=(revoke) {
                    input type="hidden" name="csrf" value=(signed_in.csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    button type="submit" { (text.revoke) span.visually-hidden { " " (name) } }
                }
                form method="post" action=(revoke) {
                    input type="hidden" name="csrf" value=(signed_in.csrf);
                    input type="hidden" name="lang" value=(lang.code());
                    input type="hidden" name="erase" value="yes";
                    div.choice {
                        input type="checkbox" id=(format!("confirm-{slug}")) name="confirm" value="yes" required;
                        label for=(format!("confirm-{slug}")) { (text.erase_confirm) }
                    }
                    button.danger type="submit" { (text.revoke_erase) span.visually-hidden { " " (name) } }
                }
            }
        }
    }
}

/// `GET /mes-services/{service}/ouvrir`: to the service's own site, signed
/// in there for this patient only.
pub async fn open(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path(service): Path<String>,
    Query(query): Query<ServicesQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::parse(Some(&query.lang)).unwrap_or_default();
    let path = format!("/mes-services/{service}/ouvrir");
    let view = View::new(lang, visitor.signed_in(), Here::at(&path));
    let (_, patient) = match patient(&view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    match crate::api::store::handshake(&state, &patient.subject, &service, None, &headers).await {
        Ok(response) => response,
        Err(crate::api::ApiError::NotFound(_)) => {
            layout::problem(&view, StatusCode::NOT_FOUND, lang.text().no_such_service)
        }
        Err(error) => error.into_response(),
    }
}

/// `POST /mes-services/{service}/retirer`: revokes the grant; with
/// `erase=yes` (and `confirm=yes`), the service's notes about the patient
/// go too. The audit record stays whole.
pub async fn revoke(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path(service): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let lang = form.lang;
    let view = View::new(lang, visitor.signed_in(), Here::at("/mes-services"));
    let (signed_in, patient) = match patient(&view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = form.check(&state.web, signed_in, &headers) {
        return response;
    }
    let text = lang.text();
    let erase = form.get("erase") == "yes";
    if erase && form.get("confirm") != "yes" {
        return render_services(&state, &view, None, Some(text.erase_unconfirmed)).await;
    }
    let Ok(id) = ServiceId::new(&service) else {
        return layout::problem(&view, StatusCode::NOT_FOUND, text.no_such_service);
    };
    match consent::revoke(&state.db, &patient.subject, &id, erase, now_millis()).await {
        Ok(_) => {
            let done = if erase { "efface" } else { "retire" };
            super::see_other(&view.link(&format!("/mes-services?{done}={id}")))
        }
        Err(ConsentError::NoGrant { .. }) => {
            render_services(&state, &view, None, Some(text.no_grant)).await
        }
        Err(ConsentError::Db(error)) => super::unavailable(&error),
        Err(error) => {
            tracing::error!(%error, "revoking from the pages failed");
            layout::problem(&view, StatusCode::BAD_REQUEST, &error.to_string())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AccessesQuery {
    lang: String,
    service: String,
    /// First day, `YYYY-MM-DD`.
    du: String,
    /// Last day, included.
    au: String,
}

/// `GET /mes-acces`: who accessed the patient's data, newest first,
/// filtered by service and dates.
pub async fn accesses(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<AccessesQuery>,
) -> Response {
    let here = Here {
        path: "/mes-acces",
        query: vec![
            ("service", &query.service),
            ("du", &query.du),
            ("au", &query.au),
        ],
    };
    let view = match View::asked(&query.lang, visitor.signed_in(), here) {
        Ok(view) => view,
        Err(response) => return response,
    };
    let lang = view.lang;
    let (_, patient) = match patient(&view) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let text = lang.text();
    let day = |value: &str, end: bool| -> Result<Option<i64>, ()> {
        if value.is_empty() {
            return Ok(None);
        }
        let start = super::consent_form::start_of(value).ok_or(())?;
        Ok(Some(if end { start + 24 * 3600 * 1000 } else { start }))
    };
    let names = match service_names(&state).await {
        Ok(names) => names,
        Err(error) => return super::unavailable(&error),
    };
    let service_ok = query.service.is_empty() || names.contains_key(&query.service);
    let (since, until) = match (day(&query.du, false), day(&query.au, true)) {
        (Ok(since), Ok(until)) if service_ok => (since, until),
        _ => {
            let main = html! {
                h1 { (text.accesses) }
                p.error role="alert" { (text.bad_filter) }
                (accesses_form(&view, &query, &names))
            };
            return (
                StatusCode::BAD_REQUEST,
                layout::page(&view, Section::Accesses, text.accesses, main),
            )
                .into_response();
        }
    };
    let filter = PatientFilter {
        service: (!query.service.is_empty()).then_some(query.service.as_str()),
        since,
        until,
        limit: Some(view::MAX_EVENTS),
    };
    let found = match view::for_patient(&state.db, &patient.subject, &filter).await {
        Ok(found) => found,
        Err(error) => return super::unavailable(&error),
    };
    let main = html! {
        h1 { (text.accesses) }
        p { (text.accesses_intro) }
        (accesses_form(&view, &query, &names))
        p role="status" { ((text.events_found)(found.len())) }
        @if !found.is_empty() {
            (layout::table(&[text.when, text.who, text.what, text.how_many, text.outcome], html! {
                    @for recorded in &found {
                        (access_row(lang, &recorded.event, &names))
                    }
                }))
        }
    };
    layout::page(&view, Section::Accesses, text.accesses, main).into_response()
}

fn accesses_form(
    view: &View<'_>,
    query: &AccessesQuery,
    names: &BTreeMap<String, String>,
) -> Markup {
    let text = view.lang.text();
    html! {
        form.filters method="get" action="/mes-acces" {
            input type="hidden" name="lang" value=(view.lang.code());
            div {
                label for="service" { (text.service) }
                select id="service" name="service" {
                    option value="" { (text.any) }
                    @for (id, name) in names {
                        option value=(id) selected[query.service == *id] { (name) }
                    }
                }
            }
            div {
                label for="du" { (text.from_day) }
                input id="du" name="du" type="date" value=(query.du);
            }
            div {
                label for="au" { (text.to_day) }
                input id="au" name="au" type="date" value=(query.au);
            }
            button type="submit" { (text.filter) }
        }
    }
}

/// One access, in plain words; no health value is ever in an event.
fn access_row(lang: Lang, event: &Event, names: &BTreeMap<String, String>) -> Markup {
    let text = lang.text();
    let who = match &event.actor {
        Actor::Component { service, component } => {
            let name = names.get(service).map(String::as_str).unwrap_or(service);
            (text.by_component)(name, &component[..component.len().min(12)])
        }
        Actor::Patient { .. } => text.by_you.to_owned(),
        Actor::Professional { rpps } => (text.by_professional)(rpps),
        Actor::Regulator { .. } => text.by_regulator.to_owned(),
        Actor::Platform => text.by_platform.to_owned(),
    };
    let outcome = match &event.outcome {
        Outcome::Allowed => text.allowed.to_owned(),
        Outcome::Denied { reason } => format!("{}{}", text.denied, text::denial(lang, reason)),
        Outcome::Failed { reason } => format!("{}{reason}", text.failed),
    };
    html! {
        tr {
            td { (text::moment(lang, event.at)) }
            td { (who) }
            td { (text::operation(lang, &event.interface, &event.operation)) }
            td { (event.records) }
            td { (outcome) }
        }
    }
}
