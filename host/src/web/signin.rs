//! Signing in and out of the pages.
//!
//! `GET /connexion` offers the configured providers (and, in `officine
//! dev`, the demonstration identities); posting its form begins OpenID
//! Connect's code flow with PKCE, bound to this browser by a cookie of its
//! own; the provider sends the browser back to [`CALLBACK`], where the code
//! is exchanged and the ID token verified before a session opens.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, html};
use serde::Deserialize;

use super::form::Posted;
use super::layout::{self, Here, Section, View};
use super::session::{self, Browser, Pending, Visitor};
use super::{Lang, Web};
use crate::api::ApiState;
use crate::auth::Population;
use crate::auth::oauth::pkce_challenge;
use crate::auth::sign_in::Authorization;
use crate::model::now_millis;

/// Where providers send the browser back.
pub const CALLBACK: &str = "/connexion/retour";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInQuery {
    lang: String,
    /// Where to land once signed in: a path of the platform.
    retour: String,
}

/// A path of the platform to land on, or `None`: never another site.
pub fn local_path(path: &str) -> Option<&str> {
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 512
        && !path.contains('\\')
        && !path.chars().any(char::is_control);
    local.then_some(path)
}

/// Where a population lands when it signed in from nowhere in particular.
fn home(population: Population) -> &'static str {
    match population {
        Population::Patient => "/mes-services",
        Population::Regulator => "/bureau",
        Population::Professional => "/pro",
        _ => "/catalogue",
    }
}

fn cookie(name: &str, value: &str, path: &str, attributes: &str, web: &Web) -> String {
    let secure = if web.secure_cookies { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; HttpOnly{attributes}{secure}")
}

/// The cookie that ties a sign-in to this browser. `Lax`, unlike the
/// session's: the provider's answer is a navigation from its own site.
fn browser_cookie(browser: &Browser, web: &Web) -> String {
    cookie(
        session::BROWSER_COOKIE,
        browser.cookie_value(),
        "/connexion",
        &format!(
            "; SameSite=Lax; Max-Age={}",
            session::SIGN_IN_LIFETIME.as_secs()
        ),
        web,
    )
}

/// `GET /connexion`.
pub async fn page(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<SignInQuery>,
    headers: HeaderMap,
) -> Response {
    let here = Here {
        path: "/connexion",
        query: vec![("retour", query.retour.as_str())],
    };
    let view = match View::asked(&query.lang, visitor.signed_in(), here) {
        Ok(view) => view,
        Err(response) => return response,
    };
    let lang = view.lang;
    // A sign-in comes back to the platform's origin: begin it there, so
    // that its cookie is there too.
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let canonical = state.web.origin.split_once("://").map(|(_, host)| host);
    if host.is_some() && host != canonical {
        let mut to = format!("{}/connexion?lang={}", state.web.origin, lang.code());
        if let Some(path) = local_path(&query.retour) {
            to.push_str("&retour=");
            to.extend(form_urlencoded::byte_serialize(path.as_bytes()));
        }
        return super::see_other(&to);
    }
    let browser = Browser::of(&headers).unwrap_or_default();
    let mut response = form_page(&state.web, &view, &browser, &query.retour, StatusCode::OK);
    if let Ok(value) = browser_cookie(&browser, &state.web).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The sign-in page: a button per provider, and per demonstration identity.
fn form_page(
    web: &Web,
    view: &View<'_>,
    browser: &Browser,
    retour: &str,
    status: StatusCode,
) -> Response {
    let text = view.lang.text();
    let csrf = browser.csrf();
    let retour = local_path(retour).unwrap_or("");
    let button = |field: &str, value: &str, label: &str| {
        html! {
            form method="post" action="/connexion" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="lang" value=(view.lang.code());
                input type="hidden" name="retour" value=(retour);
                button type="submit" name=(field) value=(value) { (label) }
            }
        }
    };
    let main = html! {
        h1 { (text.sign_in_title) }
        @if let Some(signed_in) = view.visitor {
            p role="status" { ((text.signed_in_as)(&layout::who(view.lang, signed_in))) }
        }
        @if web.providers.is_empty() {
            p { (text.no_provider) }
        }
        @if !web.demo.is_empty() {
            h2 { (text.demo_title) }
            p { (text.demo_intro) }
            ul.choices {
                @for demo in &web.demo {
                    li { (button("who", &demo.login_hint, &demo.label)) }
                }
            }
        } @else if !web.providers.is_empty() {
            p { (text.providers_intro) }
            ul.choices {
                @for provider in &web.providers {
                    li { (button("provider", &provider.name, &provider.label)) }
                }
            }
        }
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        layout::page(view, Section::SignIn, text.sign_in_title, main),
    )
        .into_response()
}

/// `POST /connexion`: sends the browser to the provider.
pub async fn begin(State(state): State<ApiState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Posted::read(&body);
    let lang = form.lang;
    let retour = form.get("retour");
    let here = Here {
        path: "/connexion",
        query: vec![("retour", retour)],
    };
    let view = View::new(lang, None, here);
    let web = &state.web;
    let text = lang.text();
    let Some(browser) = Browser::of(&headers)
        .filter(|b| b.sent(form.get("csrf")) && session::from_origin(&headers, &web.origin))
    else {
        return layout::problem(&view, StatusCode::FORBIDDEN, text.form_expired);
    };
    // In development, an identity from the list; otherwise a provider.
    let who = form.get("who");
    let (provider, login_hint) = match web.demo.iter().find(|d| d.login_hint == who) {
        Some(demo) => (
            web.providers
                .iter()
                .find(|p| p.population == demo.population),
            Some(demo.login_hint.as_str()),
        ),
        None => (web.provider(form.get("provider")), None),
    };
    let Some(provider) = provider else {
        return form_page(web, &view, &browser, retour, StatusCode::BAD_REQUEST);
    };
    let mut return_to = local_path(retour)
        .unwrap_or(home(provider.population))
        .to_owned();
    if !return_to.contains("lang=") {
        return_to.push(if return_to.contains('?') { '&' } else { '?' });
        return_to.push_str("lang=");
        return_to.push_str(lang.code());
    }
    let pending = Pending {
        provider: provider.name.clone(),
        return_to,
    };
    let state_token =
        match session::begin_sign_in(&state.db, &browser, &pending, now_millis()).await {
            Ok(token) => token,
            Err(error) => return super::unavailable(&error),
        };
    let challenge = pkce_challenge(&browser.pkce_verifier(&state_token));
    let nonce = browser.nonce(&state_token);
    let redirect_uri = web.redirect_uri();
    let to = provider.authorization_url(&Authorization {
        redirect_uri: &redirect_uri,
        state: &state_token,
        nonce: &nonce,
        code_challenge: &challenge,
        login_hint,
        ui_locales: lang.code(),
    });
    super::see_other(&to)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Callback {
    code: String,
    state: String,
    error: String,
    error_description: String,
}

/// `GET /connexion/retour`: the provider's answer.
pub async fn finish(
    State(state): State<ApiState>,
    Query(answer): Query<Callback>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::Fr;
    let text = lang.text();
    let view = View::new(lang, None, Here::at("/connexion"));
    let web = &state.web;
    let failed = |status: StatusCode, why: &str| {
        let message = format!("{}{why}", text.sign_in_failed);
        layout::problem(&view, status, &message)
    };
    if !answer.error.is_empty() {
        // The provider's words, shown as text: never markup.
        let why = if answer.error_description.is_empty() {
            &answer.error
        } else {
            &answer.error_description
        };
        return failed(StatusCode::BAD_REQUEST, why);
    }
    let Some(browser) = Browser::of(&headers) else {
        return failed(StatusCode::BAD_REQUEST, text.sign_in_expired);
    };
    let pending =
        match session::finish_sign_in(&state.db, &answer.state, &browser, now_millis()).await {
            Ok(Some(pending)) => pending,
            Ok(None) => return failed(StatusCode::BAD_REQUEST, text.sign_in_expired),
            Err(error) => return super::unavailable(&error),
        };
    let Some(provider) = web.provider(&pending.provider) else {
        return failed(StatusCode::BAD_REQUEST, text.sign_in_expired);
    };
    let verifier = browser.pkce_verifier(&answer.state);
    let id_token = match provider
        .exchange(&web.http, &answer.code, &verifier, &web.redirect_uri())
        .await
    {
        Ok(token) => token,
        Err(error) => {
            tracing::warn!(provider = %provider.name, %error, "a sign-in failed at the token endpoint");
            return failed(StatusCode::BAD_GATEWAY, &error.to_string());
        }
    };
    let identity = match web
        .id_tokens
        .verify_id_token(&id_token, &browser.nonce(&answer.state))
    {
        Ok(identity) if identity.population() == provider.population => identity,
        Ok(_) => return failed(StatusCode::FORBIDDEN, text.wrong_population),
        Err(error) => {
            tracing::warn!(provider = %provider.name, reason = error.code(), "an ID token was refused");
            return failed(StatusCode::FORBIDDEN, &error.to_string());
        }
    };
    let token = match session::open(&state.db, &identity, &provider.name, now_millis()).await {
        Ok(token) => token,
        Err(error) => return super::unavailable(&error),
    };
    let session_cookie = cookie(
        session::COOKIE,
        &token,
        "/",
        &format!("; SameSite=Strict; Max-Age={}", session::LONGEST.as_secs()),
        web,
    );
    let forget_browser = cookie(
        session::BROWSER_COOKIE,
        "",
        "/connexion",
        "; SameSite=Lax; Max-Age=0",
        web,
    );
    // A page, not a redirect: the browser arrived from the provider's
    // site, and a `SameSite=Strict` cookie travels only once it goes on
    // from a page of ours.
    let to = pending.return_to;
    let lang = if to.contains("lang=en") {
        Lang::En
    } else {
        lang
    };
    let text = lang.text();
    let page = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta http-equiv="refresh" content=(format!("0; url={to}"));
                title { (text.signed_in) " — Officine" }
                link rel="stylesheet" href="/static/officine.css";
            }
            body {
                main id="contenu" {
                    h1 { (text.signed_in) }
                    p { a href=(to) { (text.go_on) } }
                }
            }
        }
    };
    let mut response =
        (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], page).into_response();
    for value in [session_cookie, forget_browser] {
        if let Ok(value) = value.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// `POST /deconnexion`.
pub async fn sign_out(
    State(state): State<ApiState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Posted::read(&body);
    let to = format!("/catalogue?lang={}", form.lang.code());
    let Some(signed_in) = visitor.signed_in() else {
        return super::see_other(&to);
    };
    if let Err(response) = form.check(&state.web, signed_in, &headers) {
        return response;
    }
    if let Err(error) = session::close(&state.db, signed_in).await {
        return super::unavailable(&error);
    }
    // The session at the provider ends too, where it offers it; the
    // browser comes back to the catalogue.
    let back = format!("{}{to}", state.web.origin);
    let to = signed_in
        .provider
        .as_deref()
        .and_then(|name| state.web.provider(name))
        .and_then(|provider| provider.logout_url(&back))
        .unwrap_or(to);
    let mut response = super::see_other(&to);
    let forget = cookie(
        session::COOKIE,
        "",
        "/",
        "; SameSite=Strict; Max-Age=0",
        &state.web,
    );
    if let Ok(value) = forget.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_platforms_own_paths_are_landings() {
        assert_eq!(local_path("/mes-services"), Some("/mes-services"));
        assert_eq!(local_path("/catalogue?lang=en"), Some("/catalogue?lang=en"));
        for refused in [
            "",
            "mes-services",
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example/",
            "/a\nb",
        ] {
            assert_eq!(local_path(refused), None, "{refused:?}");
        }
    }
}
