//! A service that reads a file with `std::fs`, which imports
//! `wasi:filesystem`: outside the platform's world, so the host refuses to
//! load it. Test component, never listed.

use officine_sdk::{Request, Response, Router, Service};

struct Filesystem;

impl Service for Filesystem {
    fn handle(req: Request) -> Response {
        Router::new().get("/", read).handle(req)
    }
}

officine_sdk::export!(Filesystem);

fn read(_req: Request) -> Response {
    match std::fs::read("/etc/passwd") {
        Ok(bytes) => Response::status(200).with_body(bytes),
        Err(e) => Response::text(e.to_string()).with_status(502),
    }
}
