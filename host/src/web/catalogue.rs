//! The catalogue: every listed service, searchable, filtered by the data
//! it uses, its purpose and whether it is a medical device.

use std::collections::BTreeSet;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use officine_policy::{Resource, Scope};
use officine_registry::{Manifest, MedicalDevice, Purpose};
use serde::Deserialize;

use super::layout::{self, Here, Section, View};
use super::session::Visitor;
use super::text::{self, Lang};
use crate::api::ApiState;

/// The query, as the filters' form sends it. Every field is text here so
/// that a value out of the lists is answered with the page, not a bare
/// error.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CatalogueQuery {
    q: String,
    category: String,
    purpose: String,
    device: String,
    lang: String,
}

/// The filters, validated.
#[derive(Debug, Default)]
struct Filters {
    words: Vec<String>,
    category: Option<Resource>,
    purpose: Option<Purpose>,
    device: Option<bool>,
}

impl Filters {
    /// `None` if a filter names a value the lists do not offer.
    fn parse(query: &CatalogueQuery) -> Option<Filters> {
        let category = match query.category.as_str() {
            "" => None,
            code => Some(
                *Resource::ALL
                    .iter()
                    .find(|r| text::category_code(**r) == code)?,
            ),
        };
        let purpose = match query.purpose.as_str() {
            "" => None,
            code => Some(code.parse().ok()?),
        };
        let device = match query.device.as_str() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => return None,
        };
        Some(Filters {
            words: query.q.split_whitespace().map(str::to_lowercase).collect(),
            category,
            purpose,
            device,
        })
    }

    fn keep(&self, manifest: &Manifest) -> bool {
        let haystack = format!(
            "{} {} {}",
            manifest.name(),
            manifest.description(),
            manifest.editor()
        )
        .to_lowercase();
        self.words
            .iter()
            .all(|word| haystack.contains(word.as_str()))
            && self
                .category
                .is_none_or(|category| categories(manifest).contains(&category))
            && self
                .purpose
                .is_none_or(|purpose| manifest.purpose() == purpose)
            && self.device.is_none_or(|device| {
                manifest.consent().medical_device().is_medical_device() == device
            })
    }
}

/// The categories of the patient's data a service asks for.
fn categories(manifest: &Manifest) -> BTreeSet<Resource> {
    manifest
        .requested_scopes()
        .iter()
        .filter_map(|requested| match requested.scope() {
            Scope::Resource(scope) => Some(scope.target().resource()),
            Scope::Storage => None,
        })
        .collect()
}

/// `GET /catalogue`.
pub async fn page(
    State(state): State<ApiState>,
    visitor: Visitor,
    Query(query): Query<CatalogueQuery>,
) -> Response {
    let here = Here {
        path: "/catalogue",
        query: vec![
            ("q", &query.q),
            ("category", &query.category),
            ("purpose", &query.purpose),
            ("device", &query.device),
        ],
    };
    let view = match View::asked(&query.lang, visitor.signed_in(), here) {
        Ok(view) => view,
        Err(response) => return response,
    };
    let lang = view.lang;
    let text = lang.text();
    let Some(filters) = Filters::parse(&query) else {
        let main = html! {
            h1 { (text.catalogue_title) }
            p.error role="alert" { (text.bad_filter) }
            (form(lang, &query))
        };
        let markup = layout::page(&view, Section::Catalogue, text.catalogue_title, main);
        return (StatusCode::BAD_REQUEST, markup).into_response();
    };
    let serving = match super::listed(&state).await {
        Ok(serving) => serving,
        Err(response) => return response,
    };
    let shown: Vec<&Manifest> = serving
        .iter()
        .map(|stored| stored.release.manifest())
        .filter(|manifest| filters.keep(manifest))
        .collect();
    let main = html! {
        h1 { (text.catalogue_title) }
        p { (text.catalogue_intro) }
        (form(lang, &query))
        p role="status" { ((text.found)(shown.len())) }
        ul.services {
            @for manifest in &shown {
                li { (entry(lang, manifest)) }
            }
        }
    };
    layout::page(&view, Section::Catalogue, text.catalogue_title, main).into_response()
}

/// The search and the filters, showing what was asked.
fn form(lang: Lang, query: &CatalogueQuery) -> Markup {
    let text = lang.text();
    html! {
        form.filters method="get" action="/catalogue" role="search" {
            input type="hidden" name="lang" value=(lang.code());
            div {
                label for="q" { (text.search) }
                input id="q" name="q" type="search" value=(query.q);
            }
            div {
                label for="category" { (text.category) }
                select id="category" name="category" {
                    option value="" { (text.any) }
                    @for resource in Resource::ALL {
                        @let code = text::category_code(resource);
                        option value=(code) selected[query.category == code] {
                            (text::category(lang, resource))
                        }
                    }
                }
            }
            div {
                label for="purpose" { (text.purpose) }
                select id="purpose" name="purpose" {
                    option value="" { (text.any) }
                    @for purpose in Purpose::ALL {
                        option value=(purpose.as_str()) selected[query.purpose == purpose.as_str()] {
                            (text::purpose(lang, *purpose))
                        }
                    }
                }
            }
            div {
                label for="device" { (text.device) }
                select id="device" name="device" {
                    option value="" { (text.any) }
                    option value="yes" selected[query.device == "yes"] { (text.yes) }
                    option value="no" selected[query.device == "no"] { (text.no) }
                }
            }
            button type="submit" { (text.filter) }
        }
    }
}

/// One service, as the catalogue lists it.
fn entry(lang: Lang, manifest: &Manifest) -> Markup {
    let text = lang.text();
    let device: MedicalDevice = manifest.consent().medical_device();
    let categories = categories(manifest);
    html! {
        article {
            h2 {
                a href=(format!("/catalogue/{}?lang={}", manifest.id(), lang.code())) {
                    (manifest.name())
                }
            }
            p { (manifest.description()) }
            dl.facts {
                dt { (text.editor) }
                dd { (manifest.editor()) }
                dt { (text.purpose) }
                dd { (text::purpose(lang, manifest.purpose())) }
                dt { (text.device) }
                dd { (text::device(lang, device)) }
                dt { (text.data) }
                dd {
                    @if categories.is_empty() {
                        (text.no_data)
                    } @else {
                        @for (i, category) in categories.iter().enumerate() {
                            @if i > 0 { ", " }
                            (text::category(lang, *category))
                        }
                    }
                }
            }
        }
    }
}
