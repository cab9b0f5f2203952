//! A bare `wasi:http` hello world: answers every request with 200 and a
//! 100-byte text body. No state, no host calls beyond the response itself.

use wasi::exports::http::incoming_handler::Guest;
use wasi::http::types::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};

/// 100 bytes, as in the anchors' figures.
const BODY: &[u8; 100] = b"Hello from a bare wasi:http component: one fresh instance per request, nothing else at all.........\n";

struct Hello;

impl Guest for Hello {
    fn handle(_request: IncomingRequest, out: ResponseOutparam) {
        let headers = Fields::from_list(&[(
            "content-type".to_owned(),
            b"text/plain".to_vec(),
        )])
        .expect("valid header");
        let response = OutgoingResponse::new(headers);
        let body = response.body().expect("body taken once");
        ResponseOutparam::set(out, Ok(response));
        let stream = body.write().expect("stream taken once");
        stream.blocking_write_and_flush(BODY).expect("write");
        drop(stream);
        OutgoingBody::finish(body, None).expect("finish");
    }
}

wasi::http::proxy::export!(Hello);
