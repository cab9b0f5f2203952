use crate::{IntoResponse, Request, Response};

type Handler = Box<dyn Fn(Request) -> Response>;

/// A small path router.
///
/// Patterns are paths whose segments are literal text, `:name` (one segment,
/// captured as a parameter) or, last only, `*name` (the rest of the path,
/// possibly empty). Routes are tried in the order they were added; the first
/// whose pattern and method match handles the request. Trailing slashes and
/// empty segments are ignored, so `/weights/` matches `/weights`.
///
/// An unknown path answers 404 (or the [`Router::fallback`]); a known path
/// with another method answers 405 with an `allow` header.
///
/// A handler is any `Fn(Request) -> R` where `R:` [`IntoResponse`], so it may
/// return `Result<Response, Error>` and use `?` on platform calls.
///
/// ```
/// use officine_sdk::{Request, Response, Router};
///
/// fn item(req: Request) -> Response {
///     Response::text(format!("item {}", req.param("id").unwrap_or_default()))
/// }
///
/// let router = Router::new()
///     .get("/", |_req| Response::html("<h1>Accueil</h1>"))
///     .get("/api/items/:id", item);
///
/// let res = router.handle(Request::new("GET", "/api/items/42"));
/// assert_eq!(res.body_text(), "item 42");
/// assert_eq!(router.handle(Request::new("GET", "/nope")).status_code(), 404);
/// assert_eq!(router.handle(Request::new("POST", "/")).status_code(), 405);
/// ```
#[derive(Default)]
pub struct Router {
    routes: Vec<Route>,
    fallback: Option<Handler>,
}

struct Route {
    method: String,
    pattern: Vec<Segment>,
    handler: Handler,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Rest(String),
}

impl Router {
    /// An empty router: every path answers 404.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route for `method` (compared without regard to case) and
    /// `pattern`.
    ///
    /// # Panics
    ///
    /// If `pattern` does not start with `/`, has an unnamed `:` or `*`
    /// segment, or a `*` segment that is not the last one. These are
    /// programming errors, caught the first time the router is built.
    pub fn route<H, R>(mut self, method: &str, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.routes.push(Route {
            method: method.to_ascii_uppercase(),
            pattern: parse_pattern(pattern),
            handler: Box::new(move |req| handler(req).into_response()),
        });
        self
    }

    /// Adds a `GET` route.
    pub fn get<H, R>(self, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.route("GET", pattern, handler)
    }

    /// Adds a `POST` route.
    pub fn post<H, R>(self, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.route("POST", pattern, handler)
    }

    /// Adds a `PUT` route.
    pub fn put<H, R>(self, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.route("PUT", pattern, handler)
    }

    /// Adds a `PATCH` route.
    pub fn patch<H, R>(self, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.route("PATCH", pattern, handler)
    }

    /// Adds a `DELETE` route.
    pub fn delete<H, R>(self, pattern: &str, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.route("DELETE", pattern, handler)
    }

    /// Handles requests whose path matches no route, instead of the default
    /// 404.
    pub fn fallback<H, R>(mut self, handler: H) -> Self
    where
        H: Fn(Request) -> R + 'static,
        R: IntoResponse,
    {
        self.fallback = Some(Box::new(move |req| handler(req).into_response()));
        self
    }

    /// Routes a request to its handler and returns the response.
    pub fn handle(&self, mut req: Request) -> Response {
        let segments: Vec<&str> = split_path(req.path());
        let mut allowed: Vec<&str> = Vec::new();
        let mut found = None;
        for route in &self.routes {
            let Some(params) = match_pattern(&route.pattern, &segments) else {
                continue;
            };
            if route.method.eq_ignore_ascii_case(req.method()) {
                found = Some((route, params));
                break;
            }
            if !allowed.contains(&route.method.as_str()) {
                allowed.push(&route.method);
            }
        }
        if let Some((route, params)) = found {
            req.set_params(params);
            return (route.handler)(req);
        }
        if !allowed.is_empty() {
            return Response::text("Method not allowed")
                .with_status(405)
                .with_header("allow", allowed.join(", "));
        }
        match &self.fallback {
            Some(fallback) => fallback(req),
            None => Response::not_found(),
        }
    }
}

fn split_path(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

fn parse_pattern(pattern: &str) -> Vec<Segment> {
    assert!(
        pattern.starts_with('/'),
        "route pattern {pattern:?} must start with '/'"
    );
    let parts = split_path(pattern);
    let last = parts.len().saturating_sub(1);
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if let Some(name) = part.strip_prefix(':') {
                assert!(!name.is_empty(), "unnamed parameter in {pattern:?}");
                Segment::Param(name.to_owned())
            } else if let Some(name) = part.strip_prefix('*') {
                assert!(!name.is_empty(), "unnamed wildcard in {pattern:?}");
                assert!(
                    i == last,
                    "wildcard must be the last segment of {pattern:?}"
                );
                Segment::Rest(name.to_owned())
            } else {
                Segment::Literal((*part).to_owned())
            }
        })
        .collect()
}

fn match_pattern(pattern: &[Segment], path: &[&str]) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    for (i, segment) in pattern.iter().enumerate() {
        match segment {
            Segment::Rest(name) => {
                let rest: Vec<String> = path
                    .get(i..)
                    .unwrap_or(&[])
                    .iter()
                    .map(|s| percent_decode(s))
                    .collect();
                params.push((name.clone(), rest.join("/")));
                return Some(params);
            }
            Segment::Literal(text) => {
                if path.get(i)? != text {
                    return None;
                }
            }
            Segment::Param(name) => {
                params.push((name.clone(), percent_decode(path.get(i)?)));
            }
        }
    }
    (path.len() == pattern.len()).then_some(params)
}

/// Decodes `%XX` escapes (a `+` stays a `+` in a path); invalid UTF-8 is
/// replaced, malformed escapes are kept as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16)),
                bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn app() -> Router {
        Router::new()
            .get("/", |_req| Response::html("index"))
            .post("/weights", |req: Request| {
                Response::text(format!("added {}", req.text().unwrap_or_default()))
            })
            .get("/api/items/:id", |req: Request| {
                Response::text(format!("item {}", req.param("id").unwrap()))
            })
            .delete("/api/items/:id", |req: Request| {
                Response::text(format!("deleted {}", req.param("id").unwrap()))
            })
            .get("/api/:kind/:id/history", |req: Request| {
                let p: Vec<_> = req
                    .params()
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                Response::text(p.join("&"))
            })
            .get("/files/*rest", |req: Request| {
                Response::text(format!("rest [{}]", req.param("rest").unwrap()))
            })
            .get("/denied", |_req| -> Result<Response, Error> {
                Err(Error::Denied)
            })
    }

    fn call(router: &Router, method: &str, target: &str) -> (u16, String) {
        let res = router.handle(Request::new(method, target));
        (res.status_code(), res.body_text())
    }

    #[test]
    fn routes_static_paths() {
        let app = app();
        assert_eq!(call(&app, "GET", "/"), (200, "index".into()));
        let res = app.handle(Request::new("POST", "/weights").with_body("kg=70"));
        assert_eq!(res.body_text(), "added kg=70");
        assert_eq!(call(&app, "GET", "/?x=1"), (200, "index".into()));
    }

    #[test]
    fn captures_params() {
        let app = app();
        assert_eq!(call(&app, "GET", "/api/items/42"), (200, "item 42".into()));
        assert_eq!(
            call(&app, "GET", "/api/items/a%20b%2Fc+d"),
            (200, "item a b/c+d".into())
        );
        assert_eq!(
            call(&app, "GET", "/api/weight/7/history"),
            (200, "kind=weight&id=7".into())
        );
        assert_eq!(
            call(&app, "DELETE", "/api/items/9"),
            (200, "deleted 9".into())
        );
    }

    #[test]
    fn wildcard_takes_the_rest() {
        let app = app();
        assert_eq!(
            call(&app, "GET", "/files/a/b/c"),
            (200, "rest [a/b/c]".into())
        );
        assert_eq!(call(&app, "GET", "/files"), (200, "rest []".into()));
    }

    #[test]
    fn ignores_trailing_slash_and_method_case() {
        let app = app();
        assert_eq!(call(&app, "GET", "/api/items/42/").0, 200);
        assert_eq!(call(&app, "get", "/api/items/42").0, 200);
    }

    #[test]
    fn unknown_path_is_404() {
        let app = app();
        assert_eq!(call(&app, "GET", "/nope").0, 404);
        assert_eq!(call(&app, "GET", "/api/items").0, 404);
        assert_eq!(call(&app, "GET", "/api/items/1/2").0, 404);
        assert_eq!(call(&app, "GET", "/weightsx").0, 404);
        assert_eq!(call(&Router::new(), "GET", "/").0, 404);
    }

    #[test]
    fn known_path_with_wrong_method_is_405() {
        let app = app();
        let res = app.handle(Request::new("GET", "/weights"));
        assert_eq!(res.status_code(), 405);
        assert_eq!(res.header("allow"), Some("POST"));
        let res = app.handle(Request::new("PUT", "/api/items/1"));
        assert_eq!(res.status_code(), 405);
        assert_eq!(res.header("allow"), Some("GET, DELETE"));
        assert_eq!(call(&app, "DELETE", "/").0, 405);
    }

    #[test]
    fn first_matching_route_wins() {
        let app = Router::new()
            .get("/items/new", |_req| "form")
            .get("/items/:id", |_req| "item");
        assert_eq!(call(&app, "GET", "/items/new").1, "form");
        assert_eq!(call(&app, "GET", "/items/3").1, "item");
    }

    #[test]
    fn handler_errors_become_responses() {
        assert_eq!(call(&app(), "GET", "/denied").0, 403);
    }

    #[test]
    fn fallback_replaces_404_only() {
        let app = app()
            .fallback(|req: Request| Response::text(format!("no {}", req.path())).with_status(404));
        assert_eq!(call(&app, "GET", "/nope"), (404, "no /nope".into()));
        assert_eq!(call(&app, "GET", "/weights").0, 405);
    }

    #[test]
    #[should_panic(expected = "must start with '/'")]
    fn pattern_must_be_absolute() {
        let _ = Router::new().get("weights", |_req| "x");
    }

    #[test]
    #[should_panic(expected = "wildcard must be the last segment")]
    fn wildcard_must_be_last() {
        let _ = Router::new().get("/a/*rest/b", |_req| "x");
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("caf%C3%A9"), "café");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("a+b"), "a+b");
    }
}
