//! The smallest Officine service: `GET /` answers the patient's latest
//! weight as JSON (`null` when there is none). Needs `measures.read:weight`.

use officine_sdk::{Error, MeasureKind, Request, Response, Router, Service, measures};

struct Hello;

impl Service for Hello {
    fn handle(req: Request) -> Response {
        Router::new().get("/", latest_weight).handle(req)
    }
}

fn latest_weight(_req: Request) -> Result<Response, Error> {
    let weight = measures::latest(MeasureKind::Weight)?;
    Ok(Response::json(&weight))
}

officine_sdk::export!(Hello);
