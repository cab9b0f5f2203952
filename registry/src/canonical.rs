//! The manifest's canonical JSON form: what an editor signs and what the
//! registry stores.
//!
//! Canonical means one text per manifest, whatever order or layout the TOML
//! had: object keys sorted by their UTF-16 code units (as RFC 8785 asks), no
//! insignificant whitespace, strings escaped as `serde_json` writes them
//! (only `"`, `\` and control characters). A manifest holds no numbers, so
//! RFC 8785's number rules never apply.

use serde_json::Value;

use crate::error::{FieldError, ManifestError, Result};
use crate::manifest::Manifest;
use crate::validate;

impl Manifest {
    /// The canonical JSON text of the manifest.
    pub fn canonical_json(&self) -> String {
        to_canonical(&serde_json::to_value(self).expect("a manifest serializes to JSON"))
    }

    /// Parses and validates a manifest from its JSON form (canonical or
    /// not), with the same checks and error reports as the TOML form.
    pub fn from_json_str(text: &str) -> Result<Manifest> {
        Manifest::from_json_value(parse_json(text)?)
    }

    /// Validates a manifest from a parsed JSON value.
    pub(crate) fn from_json_value(value: Value) -> Result<Manifest> {
        let table = match to_toml(value) {
            Ok(toml::Value::Table(table)) => table,
            Ok(_) => return Err(json_error("expected a JSON object")),
            Err(problem) => return Err(json_error(problem)),
        };
        validate::manifest(table).map_err(ManifestError::Invalid)
    }
}

/// Parses JSON text, reporting a syntax error as a manifest error.
pub(crate) fn parse_json(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|error| json_error(format!("not valid JSON: {error}")))
}

pub(crate) fn json_error(problem: impl Into<String>) -> ManifestError {
    ManifestError::Invalid(vec![FieldError::new("(json)", problem)])
}

/// The canonical text of any JSON value (see the module's documentation).
pub(crate) fn to_canonical(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// JSON to the TOML value the validator reads. JSON `null` has no TOML
/// counterpart and no place in a manifest.
fn to_toml(value: Value) -> std::result::Result<toml::Value, String> {
    Ok(match value {
        Value::Null => return Err("null is not a manifest value".to_owned()),
        Value::Bool(b) => toml::Value::Boolean(b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => toml::Value::Integer(i),
            (None, Some(f)) => toml::Value::Float(f),
            _ => return Err(format!("number {n} is out of range")),
        },
        Value::String(s) => toml::Value::String(s),
        Value::Array(items) => {
            toml::Value::Array(items.into_iter().map(to_toml).collect::<Result<_, _>>()?)
        }
        Value::Object(map) => toml::Value::Table(
            map.into_iter()
                .map(|(k, v)| Ok((k, to_toml(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}
