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

/// The pages' routes, on the platform's host.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/catalogue", get(catalogue::page))
        .route("/catalogue/{service}", get(sheet::page))
        .route("/static/officine.css", get(stylesheet))
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
