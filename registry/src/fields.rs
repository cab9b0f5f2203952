//! Reading a TOML file field by field, collecting every problem.
//!
//! Each known key is taken out of its table and checked on its own; what is
//! left in a table afterwards is an unknown key. Nothing stops at the first
//! error: whoever wrote the file gets the whole list at once.

use std::fmt;
use std::str::FromStr;

use toml::{Table, Value};

use crate::error::{FieldError, SyntaxError, TextPosition};

/// Parses `text` as a TOML table.
pub(crate) fn parse_table(text: &str) -> Result<Table, SyntaxError> {
    toml::from_str(text).map_err(|error| SyntaxError {
        message: error.message().to_owned(),
        position: error
            .span()
            .map(|span| TextPosition::of_offset(text, span.start)),
    })
}

/// How a kind of file words its reports of unknown keys.
#[derive(Clone, Copy)]
pub(crate) struct Style {
    /// How the file's nested tables open, `[table]` or `[[table]]`: named in
    /// the hint for a top-level key found in one.
    pub(crate) header: &'static str,
    /// Whether an unknown key close to a known one is reported as a likely
    /// typo of it.
    pub(crate) suggest: bool,
    /// Whether keys that are not bare TOML keys are quoted in field paths.
    pub(crate) quote: bool,
}

/// Collects the problems found.
pub(crate) struct Fields {
    pub(crate) errors: Vec<FieldError>,
    style: Style,
}

impl Fields {
    /// A checker with no problem found yet.
    pub(crate) fn new(style: Style) -> Self {
        Fields {
            errors: Vec::new(),
            style,
        }
    }

    pub(crate) fn report(&mut self, field: &str, problem: impl Into<String>) {
        self.errors.push(FieldError::new(field, problem));
    }

    /// A mandatory value of one TOML type, taken out by `take`, which hands
    /// any other back; `expected` names the type wanted, with its article.
    fn typed<T>(
        &mut self,
        field: &str,
        value: Option<Value>,
        expected: &str,
        take: impl FnOnce(Value) -> Result<T, Value>,
    ) -> Option<T> {
        let Some(value) = value else {
            self.report(field, "missing");
            return None;
        };
        take(value)
            .map_err(|other| {
                self.report(field, format!("expected {expected}, found {}", a(&other)))
            })
            .ok()
    }

    /// A mandatory string.
    pub(crate) fn string(&mut self, field: &str, value: Option<Value>) -> Option<String> {
        self.typed(field, value, "a string", |value| match value {
            Value::String(text) => Ok(text),
            other => Err(other),
        })
    }

    /// A mandatory string parsed by `parse`, whose error is the problem.
    pub(crate) fn parsed<T, E: ToString>(
        &mut self,
        field: &str,
        value: Option<Value>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let text = self.string(field, value)?;
        parse(&text)
            .map_err(|error| self.report(field, error.to_string()))
            .ok()
    }

    /// A mandatory text that is not blank.
    pub(crate) fn text(&mut self, field: &str, value: Option<Value>) -> Option<String> {
        self.parsed(field, value, |text| {
            if text.trim().is_empty() {
                Err("must not be empty")
            } else {
                Ok(text.to_owned())
            }
        })
    }

    /// An optional text that is not blank when present.
    pub(crate) fn optional_text(&mut self, field: &str, value: Option<Value>) -> Option<String> {
        value.and_then(|value| self.text(field, Some(value)))
    }

    /// A mandatory boolean.
    pub(crate) fn boolean(&mut self, field: &str, value: Option<Value>) -> Option<bool> {
        self.typed(field, value, "true or false", |value| match value {
            Value::Boolean(value) => Ok(value),
            other => Err(other),
        })
    }

    /// An array, or `None` if absent or not an array (then reported).
    pub(crate) fn array(
        &mut self,
        field: &str,
        value: Option<Value>,
        what: &str,
    ) -> Option<Vec<Value>> {
        self.typed(field, Some(value?), what, |value| match value {
            Value::Array(items) => Ok(items),
            other => Err(other),
        })
    }

    /// An array of tables, such as `[[requirement]]`, each item with its
    /// field path; items that are not tables are reported and skipped.
    pub(crate) fn tables(
        &mut self,
        field: &str,
        value: Option<Value>,
        what: &str,
    ) -> Vec<(String, Table)> {
        let items = self.array(field, value, what).unwrap_or_default();
        let mut tables = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let path = format!("{field}[{index}]");
            let table = self.typed(&path, Some(item), "a table", |value| match value {
                Value::Table(table) => Ok(table),
                other => Err(other),
            });
            tables.extend(table.map(|table| (path, table)));
        }
        tables
    }

    /// The items of an array, each a name read by `FromStr` and listed once;
    /// `None` if any is not (then reported).
    pub(crate) fn distinct<T>(&mut self, field: &str, items: Vec<Value>) -> Option<Vec<T>>
    where
        T: FromStr + PartialEq + fmt::Display,
        T::Err: ToString,
    {
        let mut values = Vec::with_capacity(items.len());
        let mut valid = true;
        for (index, item) in items.into_iter().enumerate() {
            let field = format!("{field}[{index}]");
            match self.parsed(&field, Some(item), str::parse::<T>) {
                Some(value) if values.contains(&value) => {
                    self.report(&field, format!("{value} is listed twice"));
                    valid = false;
                }
                Some(value) => values.push(value),
                None => valid = false,
            }
        }
        valid.then_some(values)
    }

    /// Reports every key left in `table` as unknown. A key of the top level
    /// found in a nested table gets a hint: TOML put it there because it came
    /// after the table's header.
    pub(crate) fn unknown_fields(
        &mut self,
        prefix: &str,
        table: Table,
        known: &[&str],
        top_level: &[&str],
    ) {
        for key in table.keys() {
            let problem = if !prefix.is_empty() && top_level.contains(&key.as_str()) {
                format!(
                    "unknown field ({key} is a top-level field: in TOML, keys after a {} \
                     header belong to that table, so move it above the first header)",
                    self.style.header
                )
            } else if self.style.suggest
                && let Some(near) = closest(key, known)
            {
                format!("unknown field (did you mean {near}?)")
            } else {
                format!("unknown field (expected {})", known.join(", "))
            };
            let key = if self.style.quote && !is_bare(key) {
                format!("{key:?}")
            } else {
                key.clone()
            };
            let field = if prefix.is_empty() {
                key
            } else {
                format!("{prefix}.{key}")
            };
            self.report(&field, problem);
        }
    }

    /// The value built, if no problem at all was found.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => {
                debug_assert!(
                    !self.errors.is_empty(),
                    "a field was refused without a reason"
                );
                Err(self.errors)
            }
        }
    }
}

/// A TOML value's type with its article, for "found …".
pub(crate) fn a(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// Whether `key` can be written unquoted in TOML.
fn is_bare(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The known key nearest to `key`, if it looks like a typo of it.
fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let key = key.to_lowercase();
    known
        .iter()
        .map(|&candidate| (edit_distance(&key, candidate), candidate))
        .filter(|&(distance, candidate)| distance <= 2 && distance < candidate.len() / 2)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOP: &[&str] = &["id", "purpose", "consent", "scopes"];
    const CONSENT: &[&str] = &["retention", "medical-device"];

    #[test]
    fn typo_suggestions() {
        assert_eq!(closest("purpse", TOP), Some("purpose"));
        assert_eq!(closest("scope", TOP), Some("scopes"));
        assert_eq!(closest("medical_device", CONSENT), Some("medical-device"));
        assert_eq!(closest("retension", CONSENT), Some("retention"));
        assert_eq!(closest("Reason", &["scope", "reason"]), Some("reason"));
        assert_eq!(closest("homepage", TOP), None);
        // Short keys are not "close" to everything.
        assert_eq!(closest("x", TOP), None);
        assert_eq!(closest("ids", TOP), None);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("légal", "legal"), 1);
    }

    /// The paths of the unknown keys of `text` under `style`.
    fn unknown_paths(style: Style, text: &str) -> Vec<String> {
        let mut table = parse_table(text).unwrap();
        let mut fields = Fields::new(style);
        if let Some(Value::Table(nested)) = table.remove("consent") {
            fields.unknown_fields("consent", nested, CONSENT, TOP);
        }
        fields.unknown_fields("", table, TOP, TOP);
        fields.errors.into_iter().map(|error| error.field).collect()
    }

    #[test]
    fn field_paths_quote_odd_keys_when_asked() {
        let text = "\"a b\" = 1\n\"\" = 2\nwhy = 3\n[consent]\n\"a b\" = 4\n";
        let quoted = Style {
            header: "[table]",
            suggest: true,
            quote: true,
        };
        assert_eq!(
            unknown_paths(quoted, text),
            ["consent.\"a b\"", "\"\"", "\"a b\"", "why"]
        );
        let plain = Style {
            quote: false,
            ..quoted
        };
        assert_eq!(
            unknown_paths(plain, text),
            ["consent.a b", "", "a b", "why"]
        );
    }
}
