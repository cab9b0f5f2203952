//! A service that sends an HTTP request through `wasi:http/outgoing-handler`:
//! outside the platform's world, so the host refuses to load it. Test
//! component, never listed.

use officine_sdk::{Request, Response, Router, Service};

#[allow(missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: ["../../../wit", "wit"],
        world: "hostile:http/outgoing",
        generate_all,
    });
}

use bindings::wasi::http::outgoing_handler;
use bindings::wasi::http::types::{Fields, OutgoingRequest};

struct Http;

impl Service for Http {
    fn handle(req: Request) -> Response {
        Router::new().get("/", send).handle(req)
    }
}

officine_sdk::export!(Http);

fn send(_req: Request) -> Response {
    let request = OutgoingRequest::new(Fields::new());
    match outgoing_handler::handle(request, None) {
        Ok(_) => Response::text("sent"),
        Err(e) => Response::text(format!("{e:?}")).with_status(502),
    }
}
