//! Reading and checking what the patient sends: a weight, a goal.
//!
//! Errors are French sentences meant for the patient; they may quote what
//! was typed, so pages must escape them.

use officine_sdk::time::{Date, MINUTE};
use officine_sdk::{Request, Timestamp};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The plausible range of a weight, the platform's own: it refuses values
/// outside it with `invalid`. Checked here first for a clearer message, and
/// applied to the goal as well.
pub const MIN_KG: f64 = 0.5;
/// See [`MIN_KG`].
pub const MAX_KG: f64 = 500.0;

/// Clock skew tolerated between the patient's device and the platform.
const FUTURE_TOLERANCE: Timestamp = 5 * MINUTE;

/// A weight to record.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightInput {
    pub kg: f64,
    pub at: Timestamp,
}

#[derive(Deserialize)]
struct WeightForm {
    kg: Option<String>,
    /// `yyyy-mm-dd`, from `<input type="date">`.
    date: Option<String>,
    /// Milliseconds since the epoch, for scripts posting the form.
    at: Option<String>,
}

impl WeightInput {
    /// From an HTML form: `kg` (`72,5` or `72.5`), optional `date`
    /// (`yyyy-mm-dd`) or `at` (ms); now by default.
    pub fn from_form(req: &Request, now: Timestamp) -> Result<Self, String> {
        let form: WeightForm = req
            .form()
            .map_err(|_| "Le formulaire envoyé est illisible.".to_owned())?;
        let kg = parse_kg(form.kg.as_deref().unwrap_or(""))?;
        let at = match (non_empty(&form.at), non_empty(&form.date)) {
            (Some(at), _) => at
                .parse::<Timestamp>()
                .map_err(|_| format!("« {at} » n'est pas un horodatage valide."))?,
            (None, Some(date)) => date_to_timestamp(date, now)?,
            (None, None) => now,
        };
        check_not_future(at, now)?;
        Ok(WeightInput { kg, at })
    }

    /// From JSON: `{"kg": 72.5}` with an optional `"at"` (ms); now by default.
    pub fn from_json(req: &Request, now: Timestamp) -> Result<Self, String> {
        let object = json_object(req, r#"{"kg": 72.5}"#)?;
        let kg = match object.get("kg") {
            None | Some(Value::Null) => return Err("Le champ « kg » est obligatoire.".into()),
            Some(value) => json_kg(value)?,
        };
        let at = match object.get("at") {
            None | Some(Value::Null) => now,
            Some(value) => value.as_i64().ok_or_else(|| {
                "« at » doit être un entier : des millisecondes depuis le 1er janvier 1970 (UTC)."
                    .to_owned()
            })?,
        };
        check_not_future(at, now)?;
        Ok(WeightInput { kg, at })
    }
}

/// What to do with the goal.
#[derive(Debug, Clone, PartialEq)]
pub enum GoalInput {
    Set(f64),
    Clear,
}

#[derive(Deserialize)]
struct GoalForm {
    kg: Option<String>,
    clear: Option<String>,
}

impl GoalInput {
    /// From an HTML form: `kg=70` sets, `clear` (any value) clears.
    pub fn from_form(req: &Request) -> Result<Self, String> {
        let form: GoalForm = req
            .form()
            .map_err(|_| "Le formulaire envoyé est illisible.".to_owned())?;
        if form.clear.is_some() {
            return Ok(GoalInput::Clear);
        }
        Ok(GoalInput::Set(parse_kg(form.kg.as_deref().unwrap_or(""))?))
    }

    /// From JSON: `{"kg": 70}` sets, `{"kg": null}` clears.
    pub fn from_json(req: &Request) -> Result<Self, String> {
        let object = json_object(req, r#"{"kg": 70}"#)?;
        match object.get("kg") {
            None => {
                Err("Le champ « kg » est obligatoire (null pour supprimer l'objectif).".to_owned())
            }
            Some(Value::Null) => Ok(GoalInput::Clear),
            Some(value) => Ok(GoalInput::Set(json_kg(value)?)),
        }
    }
}

/// Parses a weight as typed: `72,5`, `72.5`, ` 72,5 kg `.
pub fn parse_kg(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("Indiquez un poids en kilogrammes, par exemple 72,5.".into());
    }
    let number = trimmed
        .strip_suffix("kg")
        .or_else(|| trimmed.strip_suffix("KG"))
        .or_else(|| trimmed.strip_suffix("Kg"))
        .unwrap_or(trimmed)
        .trim()
        .replace(',', ".");
    let kg = number
        .parse::<f64>()
        .ok()
        .filter(|kg| kg.is_finite())
        .ok_or_else(|| {
            format!(
                "« {trimmed} » n'est pas un poids. Écrivez-le en kilogrammes, par exemple 72,5."
            )
        })?;
    check_kg(kg)
}

fn check_kg(kg: f64) -> Result<f64, String> {
    if (MIN_KG..=MAX_KG).contains(&kg) {
        Ok(kg)
    } else {
        Err("Le poids doit être compris entre 0,5 et 500 kg.".into())
    }
}

fn json_kg(value: &Value) -> Result<f64, String> {
    let kg = value
        .as_f64()
        .ok_or_else(|| "« kg » doit être un nombre de kilogrammes, par exemple 72.5.".to_owned())?;
    check_kg(kg)
}

fn json_object(req: &Request, example: &str) -> Result<Map<String, Value>, String> {
    match req.json::<Value>() {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(format!(
            "Le corps de la requête doit être un objet JSON, par exemple {example}."
        )),
    }
}

fn non_empty(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A weighing date: now if it is today, noon (UTC) for an earlier day.
fn date_to_timestamp(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let date: Date = text
        .parse()
        .map_err(|_| format!("« {text} » n'est pas une date valide (aaaa-mm-jj)."))?;
    let today = Date::from_timestamp(now);
    if date == today {
        Ok(now)
    } else if date > today {
        Err("La date de la pesée ne peut pas être dans le futur.".into())
    } else {
        Ok(date.to_timestamp() + 12 * 60 * MINUTE)
    }
}

fn check_not_future(at: Timestamp, now: Timestamp) -> Result<(), String> {
    if at > now.saturating_add(FUTURE_TOLERANCE) {
        Err("La date de la pesée ne peut pas être dans le futur.".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use officine_sdk::time::DAY;

    // 2025-03-12T09:30:00Z
    const NOW: Timestamp = 1_741_771_800_000;

    fn form(body: &str) -> Request {
        Request::new("POST", "/").with_body(body.to_owned())
    }

    fn json(body: &str) -> Request {
        Request::new("POST", "/")
            .with_header("content-type", "application/json")
            .with_body(body.to_owned())
    }

    #[test]
    fn parses_typed_weights() {
        assert_eq!(parse_kg("72,5"), Ok(72.5));
        assert_eq!(parse_kg("72.5"), Ok(72.5));
        assert_eq!(parse_kg(" 80 kg "), Ok(80.0));
        assert_eq!(parse_kg("0,5"), Ok(0.5));
        assert_eq!(parse_kg("500"), Ok(500.0));
        for bad in [
            "", "  ", "abc", "72,5,1", "inf", "NaN", "0", "0,4", "500,1", "-70",
        ] {
            assert!(parse_kg(bad).is_err(), "{bad:?}");
        }
        assert!(parse_kg("lourd").unwrap_err().contains("« lourd »"));
    }

    #[test]
    fn weight_from_form() {
        assert_eq!(
            WeightInput::from_form(&form("kg=72%2C5"), NOW),
            Ok(WeightInput { kg: 72.5, at: NOW })
        );
        assert_eq!(
            WeightInput::from_form(&form("kg=72.5&date="), NOW),
            Ok(WeightInput { kg: 72.5, at: NOW })
        );
        // Today's date means now; an earlier day means noon UTC that day.
        assert_eq!(
            WeightInput::from_form(&form("kg=70&date=2025-03-12"), NOW)
                .unwrap()
                .at,
            NOW
        );
        assert_eq!(
            WeightInput::from_form(&form("kg=70&date=2025-03-10"), NOW)
                .unwrap()
                .at,
            1_741_608_000_000
        );
        assert_eq!(
            WeightInput::from_form(&form("kg=70&at=1741600000000"), NOW)
                .unwrap()
                .at,
            1_741_600_000_000
        );
        for bad in [
            "",
            "kg=",
            "kg=x",
            "kg=70&date=2025-03-13",
            "kg=70&date=12/03/2025",
            "kg=70&at=hier",
        ] {
            assert!(WeightInput::from_form(&form(bad), NOW).is_err(), "{bad}");
        }
        let err = WeightInput::from_form(&form(&format!("kg=70&at={}", NOW + DAY)), NOW);
        assert!(err.unwrap_err().contains("futur"));
    }

    #[test]
    fn weight_from_json() {
        assert_eq!(
            WeightInput::from_json(&json(r#"{"kg": 72.5}"#), NOW),
            Ok(WeightInput { kg: 72.5, at: NOW })
        );
        assert_eq!(
            WeightInput::from_json(&json(r#"{"kg": 71, "at": 1741600000000}"#), NOW),
            Ok(WeightInput {
                kg: 71.0,
                at: 1_741_600_000_000
            })
        );
        assert!(
            WeightInput::from_json(&json("{}"), NOW)
                .unwrap_err()
                .contains("obligatoire")
        );
        assert!(
            WeightInput::from_json(&json(r#"{"kg": "72"}"#), NOW)
                .unwrap_err()
                .contains("nombre")
        );
        assert!(WeightInput::from_json(&json("72.5"), NOW).is_err());
        assert!(WeightInput::from_json(&json("not json"), NOW).is_err());
        assert!(WeightInput::from_json(&json(r#"{"kg": 70, "at": 1.5}"#), NOW).is_err());
    }

    #[test]
    fn goal_inputs() {
        assert_eq!(
            GoalInput::from_form(&form("kg=70")),
            Ok(GoalInput::Set(70.0))
        );
        assert_eq!(
            GoalInput::from_form(&form("kg=68,5")),
            Ok(GoalInput::Set(68.5))
        );
        assert_eq!(GoalInput::from_form(&form("clear=1")), Ok(GoalInput::Clear));
        assert_eq!(
            GoalInput::from_form(&form("kg=&clear=")),
            Ok(GoalInput::Clear)
        );
        assert!(GoalInput::from_form(&form("")).is_err());
        assert!(GoalInput::from_form(&form("kg=abc")).is_err());

        assert_eq!(
            GoalInput::from_json(&json(r#"{"kg": 70}"#)),
            Ok(GoalInput::Set(70.0))
        );
        assert_eq!(
            GoalInput::from_json(&json(r#"{"kg": null}"#)),
            Ok(GoalInput::Clear)
        );
        assert!(GoalInput::from_json(&json("{}")).is_err());
        assert!(GoalInput::from_json(&json(r#"{"kg": 0.1}"#)).is_err());
        assert!(GoalInput::from_json(&json(r#"{"kg": true}"#)).is_err());
    }
}
