use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::exports::officine::platform::handler;
use crate::{Error, Result};

/// A request from the patient's browser, relayed by the platform.
///
/// Header names are lower-case. Platform cookies and credentials are never
/// forwarded. Path parameters captured by the [`Router`](crate::Router) are
/// available through [`Request::param`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    patient: String,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    params: Vec<(String, String)>,
}

impl Request {
    /// A request with no headers and an empty body, mostly for tests.
    ///
    /// `target` is a path, optionally followed by `?` and a query string:
    /// `Request::new("GET", "/api/items?limit=10")`.
    pub fn new(method: impl Into<String>, target: &str) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Request {
            patient: String::new(),
            method: method.into(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            params: Vec::new(),
        }
    }

    /// Adds a header (its name lower-cased).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Sets the patient's pseudonym (the platform sets it on real requests).
    pub fn with_patient(mut self, pseudonym: impl Into<String>) -> Self {
        self.patient = pseudonym.into();
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and its `content-type`.
    ///
    /// # Panics
    ///
    /// If `value` cannot be serialized to JSON.
    pub fn with_json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_json::to_vec(value).expect("value serializes to JSON");
        self.with_header("content-type", "application/json")
            .with_body(body)
    }

    /// Sets an `application/x-www-form-urlencoded` body, as an HTML form
    /// sends it, and its `content-type`.
    ///
    /// # Panics
    ///
    /// If `value` cannot be serialized as a form (it must be a struct, a map
    /// or a sequence of pairs of scalars).
    pub fn with_form<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_urlencoded::to_string(value).expect("value serializes as a form");
        self.with_header("content-type", "application/x-www-form-urlencoded")
            .with_body(body)
    }

    /// The patient the request is made for, as this service knows them: a
    /// pseudonym, stable for this service and patient, unrelated to what any
    /// other service sees. Key your own records on it, never on anything
    /// the patient types.
    pub fn patient(&self) -> &str {
        &self.patient
    }

    /// The method: `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path under the service's root, starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string, without the leading `?` (may be empty).
    pub fn query(&self) -> &str {
        &self.query
    }

    /// All headers, lower-case names, in the order received.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of a header, its name compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of the body, without parameters and lower-cased:
    /// `application/json` for `Application/JSON; charset=utf-8`.
    pub fn content_type(&self) -> Option<String> {
        let value = self.header("content-type")?;
        let media = value.split(';').next().unwrap_or("").trim();
        (!media.is_empty()).then(|| media.to_ascii_lowercase())
    }

    /// True when the body is declared as JSON (`application/json` or any
    /// `+json` type).
    pub fn is_json(&self) -> bool {
        self.content_type()
            .is_some_and(|t| t == "application/json" || t.ends_with("+json"))
    }

    /// True when the body is declared as an HTML form
    /// (`application/x-www-form-urlencoded`).
    pub fn is_form(&self) -> bool {
        self.content_type()
            .is_some_and(|t| t == "application/x-www-form-urlencoded")
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Takes the body out of the request.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// The body as UTF-8 text; [`Error::BadRequest`] when it is not UTF-8.
    pub fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.body)
            .map_err(|_| Error::BadRequest("the body is not UTF-8 text".into()))
    }

    /// Parses the body as JSON into `T`, whatever the `content-type`;
    /// [`Error::BadRequest`] with serde's message when it does not fit.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::BadRequest(format!("invalid JSON body: {e}")))
    }

    /// Parses the body as an `application/x-www-form-urlencoded` form into
    /// `T`, whatever the `content-type`; [`Error::BadRequest`] when a field is
    /// missing or does not parse.
    ///
    /// Form values are text: a field typed `f64` must hold a number written
    /// with a dot. To accept other spellings (`72,5`), take a `String` and
    /// parse it yourself.
    pub fn form<T: DeserializeOwned>(&self) -> Result<T> {
        serde_urlencoded::from_bytes(&self.body)
            .map_err(|e| Error::BadRequest(format!("invalid form: {e}")))
    }

    /// The first value of a query-string parameter, percent-decoded (`+`
    /// meaning a space). `None` when absent; `Some("")` for `?name` or
    /// `?name=`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_pairs(&self.query)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Parses the whole query string into `T`, as [`Request::form`] does for
    /// the body.
    pub fn query_as<T: DeserializeOwned>(&self) -> Result<T> {
        serde_urlencoded::from_str(&self.query)
            .map_err(|e| Error::BadRequest(format!("invalid query string: {e}")))
    }

    /// A path parameter captured by the router (`:id` in `/items/:id`),
    /// percent-decoded.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All path parameters captured by the router, in pattern order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    pub(crate) fn set_params(&mut self, params: Vec<(String, String)>) {
        self.params = params;
    }
}

fn form_pairs(s: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(s).unwrap_or_default()
}

impl From<handler::Request> for Request {
    fn from(req: handler::Request) -> Self {
        Request {
            patient: req.patient,
            method: req.method,
            path: req.path,
            query: req.query,
            headers: req
                .headers
                .into_iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v))
                .collect(),
            body: req.body,
            params: Vec::new(),
        }
    }
}

/// The service's answer to a request.
///
/// Build one with a constructor ([`Response::html`], [`Response::json`],
/// [`Response::redirect`], …) and adjust it with the `with_*` methods:
///
/// ```
/// use officine_sdk::Response;
///
/// let res = Response::text("créé")
///     .with_status(201)
///     .with_header("cache-control", "no-store");
/// assert_eq!(res.status_code(), 201);
/// assert_eq!(res.header("Cache-Control"), Some("no-store"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

const TEXT: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

impl Response {
    /// An empty response with this status code.
    pub fn status(code: u16) -> Self {
        Response {
            status: code,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// 200 with a plain-text UTF-8 body.
    pub fn text(body: impl Into<String>) -> Self {
        Response::status(200)
            .with_header("content-type", TEXT)
            .with_body(body.into())
    }

    /// 200 with an HTML page. Escape any text you put in it with
    /// [`html::escape`](crate::html::escape).
    pub fn html(body: impl Into<String>) -> Self {
        Response::status(200)
            .with_header("content-type", HTML)
            .with_body(body.into())
    }

    /// 200 with `value` as JSON; a 500 if `value` cannot be serialized
    /// (a map with non-string keys, for example).
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Response::status(200)
                .with_header("content-type", JSON)
                .with_body(body),
            Err(e) => Response::text(format!("could not encode the response as JSON: {e}"))
                .with_status(500),
        }
    }

    /// 303 See Other to `location`: after a form was handled, send the
    /// browser to a page it fetches with `GET`.
    pub fn redirect(location: impl Into<String>) -> Self {
        Response::status(303).with_header("location", location)
    }

    /// 404 with a short plain-text body.
    pub fn not_found() -> Self {
        Response::text("Not found").with_status(404)
    }

    /// 204, no body.
    pub fn no_content() -> Self {
        Response::status(204)
    }

    /// Changes the status code.
    pub fn with_status(mut self, code: u16) -> Self {
        self.status = code;
        self
    }

    /// Sets a header, replacing any header of the same name.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// Adds a header, keeping those of the same name (for `set-cookie`, say).
    pub fn append_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The status code.
    pub fn status_code(&self) -> u16 {
        self.status
    }

    /// All headers, lower-case names.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of a header, its name compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text, lossily decoded: handy in tests.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Takes the body out.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }
}

impl From<Response> for handler::Response {
    fn from(res: Response) -> Self {
        handler::Response {
            status: res.status,
            headers: res.headers,
            body: res.body,
        }
    }
}

/// What a route handler may return: a [`Response`], an [`Error`], text, or a
/// `Result` of those, so that handlers can use `?` on platform calls.
///
/// An `Err` becomes its own response: an [`Error`] answers with
/// [`Error::status`] and its message as plain text.
pub trait IntoResponse {
    /// Converts into a response.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        Response::text(self.to_string()).with_status(self.status())
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        Response::text(self)
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        Response::text(self)
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for std::result::Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(ok) => ok.into_response(),
            Err(err) => err.into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Weight {
        kg: f64,
        at: Option<i64>,
    }

    #[test]
    fn new_splits_path_and_query() {
        let req = Request::new("GET", "/api/items?limit=10&kind=weight");
        assert_eq!(req.method(), "GET");
        assert_eq!(req.path(), "/api/items");
        assert_eq!(req.query(), "limit=10&kind=weight");
        let req = Request::new("GET", "/");
        assert_eq!(req.query(), "");
    }

    #[test]
    fn headers_are_case_insensitive() {
        let req = Request::new("POST", "/")
            .with_header("Content-Type", "Application/JSON; charset=utf-8")
            .with_header("x-a", "1");
        assert_eq!(
            req.header("content-type"),
            Some("Application/JSON; charset=utf-8")
        );
        assert_eq!(req.header("X-A"), Some("1"));
        assert_eq!(req.header("x-b"), None);
        assert_eq!(req.content_type().as_deref(), Some("application/json"));
        assert!(req.is_json());
        assert!(!req.is_form());
        assert!(
            Request::new("POST", "/")
                .with_header("content-type", "application/fhir+json")
                .is_json()
        );
        assert!(!Request::new("POST", "/").is_json());
    }

    #[test]
    fn raw_request_headers_are_lower_cased() {
        let raw = handler::Request {
            patient: "4f1c".into(),
            method: "POST".into(),
            path: "/weights".into(),
            query: "a=1".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: b"{}".to_vec(),
        };
        let req = Request::from(raw);
        assert_eq!(req.patient(), "4f1c");
        assert_eq!(req.headers()[0].0, "content-type");
        assert_eq!(req.path(), "/weights");
        assert_eq!(req.query(), "a=1");
        assert_eq!(req.body(), b"{}");
        assert!(req.params().is_empty());
    }

    #[test]
    fn parses_json_body() {
        let req = Request::new("POST", "/weights").with_body(r#"{"kg": 72.5}"#);
        assert_eq!(req.json::<Weight>().unwrap(), Weight { kg: 72.5, at: None });
        let req = Request::new("POST", "/").with_json(&serde_json::json!({"kg": 70, "at": 5}));
        assert!(req.is_json());
        assert_eq!(
            req.json::<Weight>().unwrap(),
            Weight {
                kg: 70.0,
                at: Some(5)
            }
        );
    }

    #[test]
    fn bad_json_is_a_bad_request() {
        let err = Request::new("POST", "/")
            .with_body("{kg: 1}")
            .json::<Weight>()
            .unwrap_err();
        assert!(matches!(err, Error::BadRequest(ref m) if m.starts_with("invalid JSON body")));
        assert_eq!(err.status(), 400);
        let err = Request::new("POST", "/")
            .with_body(r#"{"kg": "heavy"}"#)
            .json::<Weight>()
            .unwrap_err();
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn parses_form_body() {
        let req = Request::new("POST", "/weights")
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_body("kg=72.5&at=1700000000000");
        assert!(req.is_form());
        assert_eq!(
            req.form::<Weight>().unwrap(),
            Weight {
                kg: 72.5,
                at: Some(1_700_000_000_000)
            }
        );
        let req = Request::new("POST", "/").with_form(&[("kg", "61")]);
        assert!(req.is_form());
        assert_eq!(req.form::<Weight>().unwrap().kg, 61.0);
    }

    #[test]
    fn bad_form_is_a_bad_request() {
        for body in ["", "kg=", "kg=abc", "weight=70"] {
            let err = Request::new("POST", "/")
                .with_body(body)
                .form::<Weight>()
                .unwrap_err();
            assert!(matches!(err, Error::BadRequest(_)), "{body}: {err:?}");
        }
    }

    #[test]
    fn form_decodes_text() {
        #[derive(Deserialize)]
        struct Note {
            title: String,
        }
        let req = Request::new("POST", "/").with_body("title=Rendez-vous+%C3%A0+9h%20%26+plus");
        assert_eq!(req.form::<Note>().unwrap().title, "Rendez-vous à 9h & plus");
    }

    #[test]
    fn query_params() {
        let req = Request::new("GET", "/?days=90&q=caf%C3%A9+cr%C3%A8me&flag&days=7");
        assert_eq!(req.query_param("days").as_deref(), Some("90"));
        assert_eq!(req.query_param("q").as_deref(), Some("café crème"));
        assert_eq!(req.query_param("flag").as_deref(), Some(""));
        assert_eq!(req.query_param("missing"), None);

        #[derive(Deserialize)]
        struct Q {
            days: Option<u32>,
        }
        let req = Request::new("GET", "/?days=30");
        assert_eq!(req.query_as::<Q>().unwrap().days, Some(30));
        let req = Request::new("GET", "/?days=many");
        assert!(matches!(req.query_as::<Q>(), Err(Error::BadRequest(_))));
    }

    #[test]
    fn text_body() {
        assert_eq!(
            Request::new("POST", "/").with_body("héllo").text().unwrap(),
            "héllo"
        );
        assert!(matches!(
            Request::new("POST", "/").with_body(vec![0xff, 0xfe]).text(),
            Err(Error::BadRequest(_))
        ));
    }

    #[test]
    fn response_constructors() {
        let res = Response::html("<p>ok</p>");
        assert_eq!(res.status_code(), 200);
        assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(res.body(), b"<p>ok</p>");

        let res = Response::text("ok");
        assert_eq!(
            res.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(res.body_text(), "ok");

        let res = Response::json(&serde_json::json!({"weight": 72.4, "goal": null}));
        assert_eq!(res.status_code(), 200);
        assert_eq!(res.header("content-type"), Some("application/json"));
        let v: serde_json::Value = serde_json::from_slice(res.body()).unwrap();
        assert_eq!(v["weight"], 72.4);
        assert!(v["goal"].is_null());

        let res = Response::redirect("/");
        assert_eq!(res.status_code(), 303);
        assert_eq!(res.header("location"), Some("/"));
        assert!(res.body().is_empty());

        assert_eq!(Response::not_found().status_code(), 404);
        assert_eq!(Response::no_content().status_code(), 204);
        assert_eq!(Response::status(418).status_code(), 418);
        assert!(Response::status(418).headers().is_empty());
    }

    #[test]
    fn json_that_cannot_encode_is_a_500() {
        let mut map = std::collections::HashMap::new();
        map.insert((1, 2), 3);
        assert_eq!(Response::json(&map).status_code(), 500);
    }

    #[test]
    fn header_builder_replaces_or_appends() {
        let res = Response::text("x")
            .with_header("Content-Type", "text/csv")
            .with_header("set-cookie", "a=1")
            .append_header("Set-Cookie", "b=2")
            .with_status(201);
        assert_eq!(res.status_code(), 201);
        assert_eq!(res.header("content-type"), Some("text/csv"));
        let types: Vec<_> = res
            .headers()
            .iter()
            .filter(|(n, _)| n == "content-type")
            .collect();
        assert_eq!(types.len(), 1);
        let cookies: Vec<_> = res
            .headers()
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(cookies, ["a=1", "b=2"]);

        let raw = handler::Response::from(res);
        assert_eq!(raw.status, 201);
        assert_eq!(raw.body, b"x");
    }

    #[test]
    fn into_response() {
        let ok: Result<Response> = Ok(Response::text("fine"));
        assert_eq!(ok.into_response().status_code(), 200);
        let err: Result<Response> = Err(Error::Denied);
        let res = err.into_response();
        assert_eq!(res.status_code(), 403);
        assert_eq!(
            res.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(Error::Unavailable.into_response().status_code(), 503);
        assert_eq!("hi".into_response().body_text(), "hi");
        assert_eq!(String::from("hi").into_response().status_code(), 200);
        let nested: std::result::Result<Response, Response> = Err(Response::status(409));
        assert_eq!(nested.into_response().status_code(), 409);
    }
}
