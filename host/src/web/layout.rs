//! What every page shares: the document, a link past the header, the
//! header with its navigation and the switch of language, the footer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::Lang;
use super::session::SignedIn;
use crate::auth::Identity;

/// The pages the navigation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Catalogue,
    MyServices,
    Accesses,
    SignIn,
    Desk,
    MyData,
    Pro,
    Delegations,
}

/// What every page is shown with: its language, who reads it, where it is.
pub struct View<'a> {
    pub lang: Lang,
    pub visitor: Option<&'a SignedIn>,
    pub here: Here<'a>,
}

impl<'a> View<'a> {
    pub fn new(lang: Lang, visitor: Option<&'a SignedIn>, here: Here<'a>) -> View<'a> {
        View {
            lang,
            visitor,
            here,
        }
    }

    /// The view of a page asked in the language `code`, or the page that
    /// says the language is unknown.
    #[expect(
        clippy::result_large_err,
        reason = "the error is the answer, built once and returned at once"
    )]
    pub fn asked(
        code: &str,
        visitor: Option<&'a SignedIn>,
        here: Here<'a>,
    ) -> Result<View<'a>, Response> {
        let lang = lang(code, &here)?;
        Ok(View::new(lang, visitor, here))
    }

    /// A link to `path` of the platform, in this page's language.
    pub fn link(&self, path: &str) -> String {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!("{path}{separator}lang={}", self.lang.code())
    }
}

/// Who is signed in, as the header names them.
pub fn who(lang: Lang, signed_in: &SignedIn) -> String {
    let text = lang.text();
    match &signed_in.identity {
        Identity::Patient(patient) => format!("{} {}", text.patient, patient.subject),
        Identity::Professional(professional) => {
            format!("{} {}", text.professional, professional.rpps)
        }
        Identity::Editor(editor) => format!("{} {}", text.editor, editor.organisation),
        Identity::Regulator(regulator) => format!("{} {}", text.regulator, regulator.subject),
    }
}

/// A whole page: `title`, in the view's language, around `main`; the
/// header offers the same page, with the same query, in the other language.
pub fn page(view: &View<'_>, section: Section, title: &str, main: Markup) -> Markup {
    let lang = view.lang;
    let text = lang.text();
    let other = lang.other();
    let current = |s: Section| (s == section).then_some("page");
    let patient = view.visitor.and_then(SignedIn::patient).is_some();
    let regulator = view.visitor.is_some_and(SignedIn::is_regulator);
    let professional = view
        .visitor
        .is_some_and(|v| matches!(v.identity, Identity::Professional(_)));
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
                    p.brand { a href=(view.link("/catalogue")) { "Officine" } }
                    nav aria-label=(text.main_nav) {
                        ul {
                            li {
                                a href=(view.link("/catalogue"))
                                  aria-current=[current(Section::Catalogue)] { (text.catalogue) }
                            }
                            @if patient {
                                li {
                                    a href=(view.link("/mes-services"))
                                      aria-current=[current(Section::MyServices)] { (text.my_services) }
                                }
                                li {
                                    a href=(view.link("/mes-donnees/mesures"))
                                      aria-current=[current(Section::MyData)] { (text.my_data) }
                                }
                                li {
                                    a href=(view.link("/mes-acces"))
                                      aria-current=[current(Section::Accesses)] { (text.accesses) }
                                }
                                li {
                                    a href=(view.link("/mes-delegations"))
                                      aria-current=[current(Section::Delegations)] { (text.delegations) }
                                }
                            }
                            @if professional {
                                li {
                                    a href=(view.link("/pro"))
                                      aria-current=[current(Section::Pro)] { (text.pro_title) }
                                }
                            }
                            @if regulator {
                                li {
                                    a href=(view.link("/bureau"))
                                      aria-current=[current(Section::Desk)] { (text.desk) }
                                }
                            }
                        }
                    }
                    div.account {
                        @if let Some(signed_in) = view.visitor {
                            p { (who(lang, signed_in)) }
                            form method="post" action="/deconnexion" {
                                input type="hidden" name="csrf" value=(signed_in.csrf);
                                input type="hidden" name="lang" value=(lang.code());
                                button.quiet type="submit" { (text.sign_out) }
                            }
                        } @else {
                            p {
                                a href=(sign_in_link(lang, view.here.path))
                                  aria-current=[current(Section::SignIn)] { (text.sign_in) }
                            }
                        }
                        p {
                            a href=(view.here.in_lang(other)) lang=(other.code()) hreflang=(other.code()) {
                                (other.text().name)
                            }
                        }
                    }
                }
                main id="contenu" tabindex="-1" { (main) }
                footer { p { (text.footer) } }
            }
        }
    }
}

/// A table: a header row of `columns`, then `rows` (`tr`s).
pub fn table(columns: &[&str], rows: Markup) -> Markup {
    html! {
        table {
            thead { tr { @for column in columns { th scope="col" { (column) } } } }
            tbody { (rows) }
        }
    }
}

/// The sign-in page, to come back to `path` once signed in.
pub fn sign_in_link(lang: Lang, path: &str) -> String {
    let mut url = form_urlencoded::Serializer::new(String::new());
    url.append_pair("lang", lang.code());
    if path != "/connexion" {
        url.append_pair("retour", path);
    }
    format!("/connexion?{}", url.finish())
}

/// Where a page is: its path and the query it was asked with, but for the
/// language.
#[derive(Debug, Clone)]
pub struct Here<'a> {
    pub path: &'a str,
    pub query: Vec<(&'a str, &'a str)>,
}

impl<'a> Here<'a> {
    /// `path`, asked without a query.
    pub fn at(path: &'a str) -> Here<'a> {
        Here {
            path,
            query: Vec::new(),
        }
    }

    pub fn in_lang(&self, lang: Lang) -> String {
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
pub fn problem(view: &View<'_>, status: StatusCode, message: &str) -> Response {
    let text = view.lang.text();
    let main = html! {
        h1 { (text.problem_title) }
        p.error role="alert" { (message) }
        p { a href=(view.link("/catalogue")) { (text.back) } }
    };
    (
        status,
        page(view, Section::Catalogue, text.problem_title, main),
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
        let view = View::new(Lang::Fr, None, here.clone());
        problem(&view, StatusCode::BAD_REQUEST, Lang::Fr.text().bad_lang)
    })
}
