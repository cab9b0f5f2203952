//! A browser for the pages, over HTTP: it keeps the cookies each host
//! sets, sends forms from the platform's own origin, and follows redirects
//! on the platform.

use std::collections::BTreeMap;

use crate::server::{Server, header};

/// A browser: the cookies each host set, sent back to that host.
pub struct Browser<'a> {
    server: &'a Server,
    pub cookies: BTreeMap<(String, String), String>,
}

/// An answer: status, headers (lowercase names), body.
pub type Answer = (u16, Vec<(String, String)>, String);

impl<'a> Browser<'a> {
    pub fn new(server: &'a Server) -> Browser<'a> {
        Browser {
            server,
            cookies: BTreeMap::new(),
        }
    }

    pub fn platform(&self) -> String {
        format!("127.0.0.1:{}", self.server.addr.port())
    }

    pub fn cookie_header(&self, host: &str) -> Vec<(String, String)> {
        let cookies: Vec<String> = self
            .cookies
            .iter()
            .filter(|((h, _), _)| h == host)
            .map(|((_, name), value)| format!("{name}={value}"))
            .collect();
        if cookies.is_empty() {
            Vec::new()
        } else {
            vec![("Cookie".to_owned(), cookies.join("; "))]
        }
    }

    pub fn keep_cookies(&mut self, host: &str, headers: &[(String, String)]) {
        for (name, value) in headers {
            if name != "set-cookie" {
                continue;
            }
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (cookie, content) = pair.split_once('=').unwrap();
            let key = (host.to_owned(), cookie.to_owned());
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(&key);
            } else {
                self.cookies.insert(key, content.to_owned());
            }
        }
    }

    pub async fn send(
        &mut self,
        method: &str,
        host: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let mut lines: Vec<(String, String)> = self.cookie_header(host);
        lines.extend(
            extra
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        if method == "POST" {
            lines.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
        }
        let head: String = lines.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{head}Content-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let answer = self.server.raw_request(&request).await;
        self.keep_cookies(host, &answer.1);
        answer
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let host = self.platform();
        self.send("GET", &host, path, &[], "").await
    }

    /// A form posted from the platform's own page.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let host = self.platform();
        let origin = format!("http://{host}");
        let body = encode(form);
        self.send("POST", &host, path, &[("Origin", &origin)], &body)
            .await
    }

    /// Follows a `Location` on the platform (an absolute URL of it, or a path).
    pub async fn follow(&mut self, answer: &Answer) -> Answer {
        let location = header(&answer.1, "location").expect("a redirect");
        let origin = format!("http://{}", self.platform());
        let path = location
            .strip_prefix(&origin)
            .unwrap_or(location)
            .to_owned();
        assert!(path.starts_with('/'), "stays on the platform: {location}");
        self.get(&path).await
    }

    /// Signs in as `who` (a demonstration identity) through the whole flow.
    pub async fn sign_in(&mut self, who: &str) -> Answer {
        let (_, _, page) = self.get("/connexion").await;
        let csrf = hidden(&page, "csrf");
        let to_issuer = self
            .post(
                "/connexion",
                &[
                    ("csrf", &csrf),
                    ("lang", "fr"),
                    ("retour", ""),
                    ("who", who),
                ],
            )
            .await;
        assert_eq!(to_issuer.0, 303, "{}", to_issuer.2);
        let back = self.follow(&to_issuer).await;
        assert_eq!(back.0, 303, "the issuer answers with a code: {}", back.2);
        self.follow(&back).await
    }
}

pub fn encode(form: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

/// The value of the first hidden field `name` of a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name}: {page}"))
        + marker.len();
    page[start..][..page[start..].find('"').unwrap()].to_owned()
}

pub fn set_cookie<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .find(|v| v.starts_with(&format!("{name}=")))
}
