//! What every page shares: the document, a link past the header, the
//! header with its navigation and the switch of language, the footer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::Lang;

/// The pages the navigation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Catalogue,
}

/// A whole page: `title`, shown in `lang`, around `main`; `here` offers
/// the same page, with the same query, in the other language.
pub fn page(lang: Lang, section: Section, title: &str, here: &Here<'_>, main: Markup) -> Markup {
    let text = lang.text();
    let other = lang.other();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Officine" }
                link rel="stylesheet" href="/static/officine.css";
            }
            body {
                a.skip href="#contenu" { (text.skip) }
                header {
                    p.brand { a href=(format!("/catalogue?lang={}", lang.code())) { "Officine" } }
                    nav aria-label=(text.main_nav) {
                        ul {
                            li {
                                a href=(format!("/catalogue?lang={}", lang.code()))
                                  aria-current=[(section == Section::Catalogue).then_some("page")] {
                                    (text.catalogue)
                                }
                            }
                        }
                    }
                    p {
                        a href=(here.in_lang(other)) lang=(other.code()) hreflang=(other.code()) {
                            (other.text().name)
                        }
                    }
                }
                main id="contenu" tabindex="-1" { (main) }
                footer { p { (text.footer) } }
            }
        }
    }
}

/// Where a page is: its path and the query it was asked with, but for the
/// language.
pub struct Here<'a> {
    pub path: &'a str,
    pub query: Vec<(&'a str, &'a str)>,
}

impl Here<'_> {
    fn in_lang(&self, lang: Lang) -> String {
        let mut url = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.query {
            if *name != "lang" && !value.is_empty() {
                url.append_pair(name, value);
            }
        }
        url.append_pair("lang", lang.code());
        format!("{}?{}", self.path, url.finish())
    }
}

/// A page that says what went wrong with the request, with `status`.
pub fn problem(lang: Lang, here: &Here<'_>, status: StatusCode, message: &str) -> Response {
    let text = lang.text();
    let main = html! {
        h1 { (text.catalogue_title) }
        p.error role="alert" { (message) }
        p { a href=(format!("/catalogue?lang={}", lang.code())) { (text.back) } }
    };
    (
        status,
        page(lang, Section::Catalogue, text.catalogue_title, here, main),
    )
        .into_response()
}

/// The page's language from its `lang` parameter, or the page that says
/// the language is unknown.
#[expect(
    clippy::result_large_err,
    reason = "the error is the answer, built once and returned at once"
)]
pub fn lang(code: &str, here: &Here<'_>) -> Result<Lang, Response> {
    Lang::parse(Some(code)).ok_or_else(|| {
        problem(
            Lang::Fr,
            here,
            StatusCode::BAD_REQUEST,
            Lang::Fr.text().bad_lang,
        )
    })
}
