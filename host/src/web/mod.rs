//! The pages people read: rendered on the server, French first (English
//! with `?lang=en`), with no script and nothing loaded from elsewhere.
//!
//! Each page is a function from what it shows to [`maud::Markup`], inside
//! the shared [`layout`]; text is escaped by construction.

mod catalogue;
mod layout;
mod sheet;
mod text;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::api::ApiState;
use crate::listing::releases::{self, StoredRelease};

pub use text::Lang;

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
        .route("/static/officine.css", get(stylesheet))
        .layer(axum::middleware::map_response(guarded))
}

/// Every page's answer, with the headers that confine it.
async fn guarded(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_POLICY),
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

/// The releases served now, or the answer that storage is unavailable.
async fn listed(state: &ApiState) -> Result<Vec<StoredRelease>, axum::response::Response> {
    releases::serving(&state.db).await.map_err(|error| {
        tracing::error!(%error, "reading the catalogue failed");
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "storage unavailable",
        )
            .into_response()
    })
}
