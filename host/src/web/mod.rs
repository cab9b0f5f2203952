//! The pages people read: rendered on the server, French first (English
//! with `?lang=en`), with no script and nothing loaded from elsewhere.
//!
//! Each page is a function from what it shows to [`maud::Markup`], inside
//! the shared [`layout`]; text is escaped by construction.

mod catalogue;
mod consent_form;
mod delegations;
mod desk;
mod form;
mod layout;
mod patient;
mod pro;
mod records;
pub mod session;
mod sheet;
mod signin;
mod text;

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::api::ApiState;
use crate::auth::sign_in::Provider;
use crate::auth::{Population, Verifier};
use crate::listing::releases::{self, StoredRelease};

pub use text::Lang;

/// What the pages need beyond the API's state: where browsers reach them,
/// and whom people sign in with.
#[derive(Debug)]
pub struct Web {
    /// The platform's origin as browsers reach it, e.g.
    /// `https://officine.example.fr`: sign-ins come back there, and forms
    /// must come from there.
    pub origin: String,
    /// Cookies only over HTTPS: everywhere but `officine dev`.
    pub secure_cookies: bool,
    /// The providers people sign in with.
    pub providers: Vec<Provider>,
    /// In `officine dev` only: identities offered on the sign-in page.
    pub demo: Vec<Demo>,
    /// Verifies the providers' ID tokens (their audience: our client ids),
    /// apart from the API's bearer tokens.
    pub id_tokens: Arc<Verifier>,
    /// Reaches the providers' token endpoints.
    pub http: reqwest::Client,
}

/// A development identity the sign-in page offers.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The development issuer's login hint, e.g. `patient:demo`.
    pub login_hint: String,
    /// Who it is, on the button.
    pub label: String,
    pub population: Population,
}

impl Web {
    /// The provider named `name`.
    fn provider(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.name == name)
    }

    /// Where providers send browsers back.
    fn redirect_uri(&self) -> String {
        format!("{}{}", self.origin, signin::CALLBACK)
    }
}

/// What a browser may do on the pages: use their own stylesheet and
/// images, run no script at all, send forms only to the platform, and show
/// them in no frame.
const CONTENT_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                              form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages' routes, on the platform's host.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/catalogue", get(catalogue::page))
        .route("/catalogue/{service}", get(sheet::page))
        .route("/connexion", get(signin::page).post(signin::begin))
        .route(signin::CALLBACK, get(signin::finish))
        .route("/deconnexion", post(signin::sign_out))
        .route(
            "/catalogue/{service}/consentement",
            post(consent_form::grant),
        )
        .route("/mes-services", get(patient::services))
        .route("/mes-services/{service}/ouvrir", get(patient::open))
        .route("/mes-services/{service}/retirer", post(patient::revoke))
        .route("/mes-acces", get(patient::accesses))
        .route("/mes-donnees/mesures", get(records::measures))
        .route("/mes-donnees/export", get(records::export))
        .route("/mes-donnees/documents/{id}", get(records::document))
        .route("/mes-donnees/agenda", get(records::agenda))
        .route("/mes-donnees/documents", get(records::documents))
        .route("/mes-donnees/messages", get(records::messages))
        .route(
            "/mes-delegations",
            get(delegations::page).post(delegations::create),
        )
        .route("/mes-delegations/{id}/retirer", post(delegations::revoke))
        .route(
            "/mon-espace/fermer",
            get(delegations::closing).post(delegations::close),
        )
        .route("/mes-delegations/blocages", post(delegations::block))
        .route(
            "/mes-delegations/blocages/{rpps}/lever",
            post(delegations::unblock),
        )
        .route("/pro", get(pro::home))
        .route("/pro/code", post(pro::enter_code))
        .route(
            "/pro/acces/{delegation}/{section}",
            get(pro::section).post(pro::write),
        )
        .route(
            "/mes-donnees/messages/{thread}/repondre",
            post(records::reply),
        )
        .route("/bureau", get(desk::queue))
        .route("/bureau/versions/{name}", get(desk::release))
        .route("/bureau/versions/{name}/{step}", post(desk::step))
        .route("/bureau/rapport/{service}", get(desk::report))
        .route("/bureau/signalements/{id}/classer", post(desk::close_alert))
        .route("/bureau/journaux", get(desk::logs))
        .route("/static/officine.css", get(stylesheet))
        .layer(axum::middleware::map_response(guarded))
}

/// Every page's answer, with the headers that confine it.
async fn guarded(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    let headers = response.headers_mut();
    // A page that set a stricter policy of its own (a document's content)
    // keeps it.
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_POLICY));
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("officine.css"),
    )
}

/// A redirect to `location`, after a form or to another page.
fn see_other(location: &str) -> axum::response::Response {
    (
        axum::http::StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store"),
        ],
    )
        .into_response()
}

/// The answer when storage fails; the error stays in the logs.
fn unavailable(error: &dyn std::fmt::Display) -> axum::response::Response {
    tracing::error!(%error, "storage failed");
    (
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "storage unavailable",
    )
        .into_response()
}

/// The releases served now, or the answer that storage is unavailable.
async fn listed(state: &ApiState) -> Result<Vec<StoredRelease>, axum::response::Response> {
    releases::serving(&state.db)
        .await
        .map_err(|error| unavailable(&error))
}
