//! Consenting from a service's sheet: each requested scope a box the
//! patient may untick, and the date the grant ends.
//!
//! The form goes through [`crate::consent::grant`], the rules of the API
//! and of `officine grant`: scopes among what the service requests, an end
//! after the start. A bad form is answered with the sheet and what to fix,
//! and changes nothing.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};
use officine_policy::Scope;
use officine_registry::Manifest;
use time::macros::format_description;

use super::form::Posted;
use super::layout::{self, Here, View};
use super::session::Visitor;
use super::{sheet, text};
use crate::api::ApiState;
use crate::consent::{self, ConsentError, DEFAULT_DURATION_MS};
use crate::db::grants;
use crate::model::now_millis;

const DAY_MS: i64 = 24 * 3600 * 1000;
/// The furthest end a patient may give a grant from the pages: about five
/// years, after which they are asked again.
const LONGEST_MS: i64 = 5 * 366 * DAY_MS;

const ISO_DAY: &[time::format_description::BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]");

/// A day as a date field holds it: `2027-11-25` (UTC).
fn iso_day(millis: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .ok()
        .and_then(|at| at.date().format(ISO_DAY).ok())
        .unwrap_or_default()
}

/// The first millisecond of a day given as `2026-11-25` (UTC).
pub fn start_of(day: &str) -> Option<i64> {
    let date = time::Date::parse(day, ISO_DAY).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

/// The end of a grant given as its last day: the next midnight (UTC).
fn end_of(day: &str) -> Option<i64> {
    Some(start_of(day)? + DAY_MS)
}

/// The consent part of `manifest`'s sheet for the view's visitor: the form
/// for a patient, the way to sign in for someone who is not.
pub async fn for_sheet(
    state: &ApiState,
    view: &View<'_>,
    manifest: &Manifest,
    problem: Option<&str>,
) -> Result<Markup, Response> {
    let lang = view.lang;
    let text = lang.text();
    let Some(signed_in) = view.visitor else {
        return Ok(html! {
            h2 { (text.consent_title) }
            p { a href=(layout::sign_in_link(lang, view.here.path)) { (text.sign_in_to_consent) } }
        });
    };
    let Some(patient) = signed_in.patient() else {
        return Ok(html! {});
    };
    let now = now_millis();
    let current = grants::current(&state.db, &patient.subject, manifest.id())
        .await
        .map_err(|e| super::unavailable(&e))?
        .filter(|stored| stored.grant.in_force(now).is_ok());
    let granted = |scope: &Scope| {
        current
            .as_ref()
            .is_none_or(|stored| stored.grant.scopes().contains(scope))
    };
    let until = current
        .as_ref()
        .map(|stored| stored.grant.period().end() - 1)
        .unwrap_or(now + DEFAULT_DURATION_MS);
    Ok(html! {
        section.consent aria-labelledby="consentir" {
            h2 id="consentir" { (text.consent_title) }
            @if current.is_some() {
                p { ((text.consent_current)(&text::day(lang, until))) }
            }
            @if let Some(problem) = problem {
                p.error role="alert" { (problem) }
            }
            form method="post" action=(format!("/catalogue/{}/consentement", manifest.id())) {
                input type="hidden" name="csrf" value=(signed_in.csrf);
                input type="hidden" name="lang" value=(lang.code());
                fieldset {
                    legend { (text.consent_scopes) }
                    @for (i, requested) in manifest.requested_scopes().iter().enumerate() {
                        @let scope = requested.scope();
                        div.choice {
                            input type="checkbox" id=(format!("scope-{i}")) name="scope"
                                  value=(scope.to_string()) checked[granted(&scope)];
                            label for=(format!("scope-{i}")) { (text::scope(lang, &scope)) }
                        }
                    }
                }
                div.field {
                    label for="until" { (text.consent_until) }
                    input type="date" id="until" name="until" required
                          value=(iso_day(until)) min=(iso_day(now)) max=(iso_day(now + LONGEST_MS));
                }
                button type="submit" { (text.consent_give) }
            }
        }
    })
}

/// What a consent form asks for, checked.
struct Asked {
    scopes: Vec<Scope>,
    until: i64,
}

/// Reads a consent form; the error is what the patient should fix.
fn asked(form: &Posted, now: i64) -> Result<Asked, &'static str> {
    let text = form.lang.text();
    let scopes = form
        .all("scope")
        .map(str::parse::<Scope>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| text.consent_bad_scope)?;
    if scopes.is_empty() {
        return Err(text.consent_no_scope);
    }
    let until = end_of(form.get("until"))
        .filter(|until| *until > now && *until <= now + LONGEST_MS + DAY_MS)
        .ok_or(text.consent_bad_until)?;
    Ok(Asked { scopes, until })
}

/// `POST /catalogue/{service}/consentement`: grants the ticked scopes
/// until the given day, then shows the patient's services.
pub async fn grant(
    State(state): State<ApiState>,
    visitor: Visitor,
    Path(service): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let lang = form.lang;
    let path = format!("/catalogue/{service}");
    let view = View::new(lang, visitor.signed_in(), Here::at(&path));
    let text = lang.text();
    let Some(signed_in) = visitor.signed_in() else {
        return super::see_other(&layout::sign_in_link(lang, &path));
    };
    if let Err(response) = form.check(&state.web, signed_in, &headers) {
        return response;
    }
    let Some(patient) = signed_in.patient() else {
        return layout::problem(&view, StatusCode::FORBIDDEN, text.patients_only);
    };
    // Only a service the catalogue lists now.
    let listed = match super::listed(&state).await {
        Ok(listed) => listed,
        Err(response) => return response,
    };
    let Some(id) = listed
        .iter()
        .map(|stored| stored.release.manifest().id())
        .find(|id| id.as_str() == service)
        .cloned()
    else {
        return layout::problem(&view, StatusCode::NOT_FOUND, text.no_such_service);
    };
    let now = now_millis();
    let asked = match asked(&form, now) {
        Ok(asked) => asked,
        Err(problem) => return sheet::render(&state, &view, &service, Some(problem)).await,
    };
    match consent::grant(
        &state.db,
        &patient.subject,
        &id,
        asked.scopes,
        now,
        asked.until,
    )
    .await
    {
        Ok(_) => super::see_other(&view.link(&format!("/mes-services?accorde={id}"))),
        Err(ConsentError::Grant(error)) => {
            let problem = format!("{}{error}", text.consent_refused);
            sheet::render(&state, &view, &service, Some(&problem)).await
        }
        Err(ConsentError::UnknownPatient(_) | ConsentError::SpaceClosed(_)) => {
            layout::problem(&view, StatusCode::FORBIDDEN, text.no_space)
        }
        Err(ConsentError::UnknownService(_) | ConsentError::NoGrant { .. }) => {
            layout::problem(&view, StatusCode::NOT_FOUND, text.no_such_service)
        }
        Err(ConsentError::Db(error)) => super::unavailable(&error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_ends_after_its_last_day() {
        let day = end_of("2026-11-25").unwrap();
        assert_eq!(iso_day(day - 1), "2026-11-25");
        assert_eq!(iso_day(day), "2026-11-26");
        for bad in ["", "25/11/2026", "2026-02-30", "2026-11-25T00:00"] {
            assert_eq!(end_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_form_without_a_scope_or_a_sound_date_is_refused() {
        let now = end_of("2026-11-24").unwrap();
        let form = |pairs: &[(&str, &str)]| {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            Posted::read(body.as_bytes())
        };
        let scope = "patient/Observation.rs";
        let ok = asked(&form(&[("scope", scope), ("until", "2027-01-31")]), now).unwrap();
        assert_eq!(ok.scopes.len(), 1);
        assert_eq!(ok.until, end_of("2027-01-31").unwrap());
        let text = super::super::Lang::Fr.text();
        for (pairs, problem) in [
            (vec![("until", "2027-01-31")], text.consent_no_scope),
            (
                vec![("scope", "nonsense"), ("until", "2027-01-31")],
                text.consent_bad_scope,
            ),
            (vec![("scope", scope)], text.consent_bad_until),
            (
                vec![("scope", scope), ("until", "2026-11-24")],
                text.consent_bad_until,
            ),
            (
                vec![("scope", scope), ("until", "2040-01-01")],
                text.consent_bad_until,
            ),
        ] {
            assert_eq!(asked(&form(&pairs), now).err(), Some(problem), "{pairs:?}");
        }
    }
}
