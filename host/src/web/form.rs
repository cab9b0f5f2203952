//! Forms the pages post: their fields, and the check that this session's
//! own pages sent them.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::layout::{self, Here, View};
use super::session::{self, SignedIn};
use super::{Lang, Web};

/// A posted form (`application/x-www-form-urlencoded`): its fields in
/// order, repeated names kept, and the language of the page that sent it.
#[derive(Debug, Clone, Default)]
pub struct Posted {
    fields: Vec<(String, String)>,
    pub lang: Lang,
}

impl Posted {
    pub fn read(body: &[u8]) -> Posted {
        let fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        let mut posted = Posted {
            fields,
            lang: Lang::Fr,
        };
        posted.lang = Lang::parse(Some(posted.get("lang"))).unwrap_or_default();
        posted
    }

    /// The first value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(found, _)| found == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.fields
            .iter()
            .filter(move |(found, _)| found == name)
            .map(|(_, value)| value.as_str())
    }

    /// Lets the form through only if this session's pages sent it: its
    /// token is the session's, and the browser says it comes from the
    /// platform's origin. Otherwise the answer is a 403 page.
    #[expect(
        clippy::result_large_err,
        reason = "the error is the answer, built once and returned at once"
    )]
    pub fn check(
        &self,
        web: &Web,
        signed_in: &SignedIn,
        headers: &HeaderMap,
    ) -> Result<(), Response> {
        if signed_in.sent(self.get("csrf")) && session::from_origin(headers, &web.origin) {
            return Ok(());
        }
        let view = View::new(self.lang, Some(signed_in), Here::at("/catalogue"));
        Err(layout::problem(
            &view,
            StatusCode::FORBIDDEN,
            self.lang.text().form_expired,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_keeps_repeated_fields_and_its_language() {
        let posted = Posted::read(b"scope=a&lang=en&scope=b%20c&until=");
        assert_eq!(posted.all("scope").collect::<Vec<_>>(), ["a", "b c"]);
        assert_eq!(posted.get("until"), "");
        assert_eq!(posted.get("missing"), "");
        assert_eq!(posted.lang, Lang::En);
        assert_eq!(Posted::read(b"lang=xx").lang, Lang::Fr);
    }
}
