//! « Suivi du poids »: an Officine service that follows the patient's weight,
//! their BMI as the platform computes it, and a goal weight they set.
//!
//! Routes:
//!
//! | route              | what                                                    |
//! |--------------------|---------------------------------------------------------|
//! | `GET /`            | the page: current weight, height, BMI, goal, 90-day trend, forms |
//! | `GET /api/summary` | the same data as JSON                                   |
//! | `POST /weights`    | records a weight (form `kg=72,5`, or JSON `{"kg": 72.5}`) |
//! | `POST /goal`       | sets the goal (form `kg=70`, JSON `{"kg": 70}`), or clears it (form `clear=1`, JSON `{"kg": null}`) |
//! | `DELETE /goal`     | clears the goal                                         |
//!
//! The service never computes nor writes a BMI: it reads the `bmi` measures
//! the platform derives from each weight and the latest height.
//!
//! Scopes (see `officine.toml`): `measures.read:weight`,
//! `measures.read:height`, `measures.read:bmi`, `measures.write:weight`,
//! `storage`. A read the patient did not grant shows as "no data", like data
//! that does not exist; a write they did not grant answers 403.

mod input;
mod page;
mod summary;

use officine_sdk::{
    Error, MeasureKind, Request, Response, Router, Service, measures, now, storage,
};
use serde_json::json;

use input::{GoalInput, WeightInput};
use summary::{GOAL_KEY, Goal, Summary};

/// The service.
pub struct WeightTracker;

impl Service for WeightTracker {
    fn handle(req: Request) -> Response {
        router()
            .handle(req)
            // Pages and answers carry health data: never cache them.
            .with_header("cache-control", "no-store")
    }
}

officine_sdk::export!(WeightTracker);

fn router() -> Router {
    Router::new()
        .get("/", index)
        .get("/api/summary", api_summary)
        .post("/weights", add_weight)
        .post("/goal", set_goal)
        .delete("/goal", delete_goal)
        .fallback(|_req| page_failure(&Failure::new(404, "Cette page n'existe pas.")))
}

/// Whether a request's answer is JSON (the API) or HTML (the page's forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Json,
}

impl Format {
    fn of(req: &Request) -> Format {
        if req.is_json() {
            Format::Json
        } else {
            Format::Html
        }
    }

    fn failure(self, f: &Failure) -> Response {
        match self {
            Format::Html => page_failure(f),
            Format::Json => Response::json(&json!({ "error": f.message })).with_status(f.status),
        }
    }
}

/// Why a request failed, as shown to the patient.
#[derive(Debug, Clone, PartialEq)]
struct Failure {
    status: u16,
    message: String,
}

impl Failure {
    fn new(status: u16, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }

    fn bad_input(message: impl Into<String>) -> Self {
        Failure::new(400, message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let message = match &e {
            Error::Denied => "Vous n'avez pas autorisé ce service à faire cela. \
                Vous pouvez modifier votre consentement depuis votre espace santé."
                .to_owned(),
            Error::NotFound => "Donnée introuvable.".to_owned(),
            Error::Invalid(reason) => format!("Valeur refusée par la plateforme : {reason}"),
            Error::Limit(reason) => format!("Limite atteinte : {reason}"),
            Error::Unavailable => {
                "Le service est momentanément indisponible. Réessayez plus tard.".to_owned()
            }
            Error::BadRequest(reason) => format!("Requête incorrecte : {reason}"),
            _ => "Une erreur inattendue s'est produite.".to_owned(),
        };
        Failure::new(e.status(), message)
    }
}

fn page_failure(f: &Failure) -> Response {
    Response::html(page::error_page(f.status, &f.message)).with_status(f.status)
}

fn index(_req: Request) -> Response {
    let now = now();
    match Summary::load(now) {
        Ok(summary) => Response::html(page::render(&summary, now)),
        Err(e) => page_failure(&e.into()),
    }
}

fn api_summary(_req: Request) -> Response {
    match Summary::load(now()) {
        Ok(summary) => Response::json(&summary),
        Err(e) => Format::Json.failure(&e.into()),
    }
}

fn add_weight(req: Request) -> Response {
    let format = Format::of(&req);
    let now = now();
    let parsed = match format {
        Format::Json => WeightInput::from_json(&req, now),
        Format::Html => WeightInput::from_form(&req, now),
    };
    let input = match parsed {
        Ok(input) => input,
        Err(message) => return format.failure(&Failure::bad_input(message)),
    };
    match measures::add(MeasureKind::Weight, input.kg, input.at) {
        Ok(m) if format == Format::Json => Response::json(&json!({
            "id": m.id,
            "kind": m.kind,
            "value": m.value,
            "unit": m.unit,
            "at": m.effective_at,
        }))
        .with_status(201),
        Ok(_) => Response::redirect("/"),
        Err(e) => format.failure(&e.into()),
    }
}

fn set_goal(req: Request) -> Response {
    let format = Format::of(&req);
    let parsed = match format {
        Format::Json => GoalInput::from_json(&req),
        Format::Html => GoalInput::from_form(&req),
    };
    let input = match parsed {
        Ok(input) => input,
        Err(message) => return format.failure(&Failure::bad_input(message)),
    };
    let saved = match input {
        GoalInput::Set(kg) => storage::set_json(GOAL_KEY, &Goal { kg }).map(|()| Some(kg)),
        GoalInput::Clear => storage::delete(GOAL_KEY).map(|()| None),
    };
    match saved {
        Ok(goal) if format == Format::Json => Response::json(&json!({ "goal": goal })),
        Ok(_) => Response::redirect("/"),
        Err(e) => format.failure(&e.into()),
    }
}

fn delete_goal(req: Request) -> Response {
    match storage::delete(GOAL_KEY) {
        Ok(()) => Response::no_content(),
        Err(e) => Format::of(&req).failure(&e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(req: Request) -> Response {
        WeightTracker::handle(req)
    }

    fn json_body(res: &Response) -> serde_json::Value {
        serde_json::from_slice(res.body()).expect("JSON body")
    }

    #[test]
    fn unknown_paths_and_methods() {
        let res = call(Request::new("GET", "/nope"));
        assert_eq!(res.status_code(), 404);
        assert!(res.body_text().contains("lang=\"fr\""));
        let res = call(Request::new("GET", "/weights"));
        assert_eq!(res.status_code(), 405);
        assert_eq!(res.header("allow"), Some("POST"));
        let res = call(Request::new("PUT", "/goal"));
        assert_eq!(res.header("allow"), Some("POST, DELETE"));
        assert_eq!(res.header("cache-control"), Some("no-store"));
    }

    #[test]
    fn bad_weight_form_is_a_400_page() {
        for body in ["", "kg=", "kg=lourd", "kg=0", "kg=-3", "kg=9000", "kg=NaN"] {
            let res = call(
                Request::new("POST", "/weights")
                    .with_header("content-type", "application/x-www-form-urlencoded")
                    .with_body(body),
            );
            assert_eq!(res.status_code(), 400, "{body}");
            assert_eq!(
                res.header("content-type"),
                Some("text/html; charset=utf-8"),
                "{body}"
            );
            assert!(res.body_text().contains("<a href=\"/\">"), "{body}");
        }
    }

    #[test]
    fn bad_weight_json_is_a_400_json() {
        for body in [
            "",
            "[]",
            "{}",
            r#"{"kg": "72"}"#,
            r#"{"kg": null}"#,
            r#"{"kg": 0}"#,
            r#"{"kg": 70, "at": "hier"}"#,
            r#"{"kg": 70, "at": 99999999999999999}"#,
        ] {
            let res = call(
                Request::new("POST", "/weights")
                    .with_header("content-type", "application/json")
                    .with_body(body),
            );
            assert_eq!(res.status_code(), 400, "{body}");
            assert_eq!(res.header("content-type"), Some("application/json"));
            assert!(json_body(&res)["error"].is_string(), "{body}");
        }
    }

    #[test]
    fn bad_goal_is_a_400() {
        let res = call(Request::new("POST", "/goal").with_body("kg=beaucoup"));
        assert_eq!(res.status_code(), 400);
        let res = call(
            Request::new("POST", "/goal")
                .with_header("content-type", "application/json")
                .with_body(r#"{"kg": 1000}"#),
        );
        assert_eq!(res.status_code(), 400);
        assert!(json_body(&res)["error"].as_str().unwrap().contains("500"));
    }

    #[test]
    fn platform_errors_map_to_statuses() {
        let f = Failure::from(Error::Denied);
        assert_eq!(f.status, 403);
        let f = Failure::from(Error::Invalid("weight out of range".into()));
        assert_eq!(f.status, 400);
        assert!(f.message.contains("weight out of range"));
        assert_eq!(Failure::from(Error::Unavailable).status, 503);

        let res = Format::Json.failure(&Failure::from(Error::Denied));
        assert_eq!(res.status_code(), 403);
        assert!(
            json_body(&res)["error"]
                .as_str()
                .unwrap()
                .contains("autorisé")
        );
        let res = Format::Html.failure(&Failure::from(Error::Invalid("<b>".into())));
        assert_eq!(res.status_code(), 400);
        assert!(res.body_text().contains("&lt;b&gt;"));
    }
}
