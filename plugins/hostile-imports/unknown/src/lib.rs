//! A service that imports `example:unknown/thing`, an interface no platform
//! offers, so the host refuses to load it. Test component, never listed.

use officine_sdk::{Request, Response, Router, Service};

#[allow(missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "example:unknown/hostile",
    });
}

use bindings::example::unknown::thing;

struct Unknown;

impl Service for Unknown {
    fn handle(req: Request) -> Response {
        Router::new().get("/", poke).handle(req)
    }
}

officine_sdk::export!(Unknown);

fn poke(_req: Request) -> Response {
    Response::text(thing::poke().to_string())
}
