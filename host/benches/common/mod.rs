//! What the benchmarks share.

use officine_host::runtime::bindings::handler::Request;

/// A `GET` of `path`, as a service's site passes it on.
pub fn get(path: &str) -> Request {
    Request {
        patient: String::new(),
        method: "GET".to_owned(),
        path: path.to_owned(),
        query: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}
