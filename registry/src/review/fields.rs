//! Reading the review's TOML files field by field, collecting every problem.
//!
//! The same approach as the manifest's: each known key is taken out of its
//! table and checked on its own, what is left is unknown, and nothing stops at
//! the first error.

use toml::{Table, Value};

use crate::error::{FieldError, SyntaxError, TextPosition};

/// Parses `text` as a TOML table.
pub(super) fn parse_table(text: &str) -> Result<Table, SyntaxError> {
    toml::from_str(text).map_err(|error| SyntaxError {
        message: error.message().to_owned(),
        position: error
            .span()
            .map(|span| TextPosition::of_offset(text, span.start)),
    })
}

/// Collects the problems found.
#[derive(Default)]
pub(super) struct Fields {
    pub(super) errors: Vec<FieldError>,
}

impl Fields {
    pub(super) fn report(&mut self, field: &str, problem: impl Into<String>) {
        self.errors.push(FieldError::new(field, problem));
    }

    /// A mandatory string.
    pub(super) fn string(&mut self, field: &str, value: Option<Value>) -> Option<String> {
        match value {
            None => {
                self.report(field, "missing");
                None
            }
            Some(Value::String(text)) => Some(text),
            Some(other) => {
                self.report(field, format!("expected a string, found {}", a(&other)));
                None
            }
        }
    }

    /// A mandatory string parsed by `parse`, whose error is the problem.
    pub(super) fn parsed<T, E: ToString>(
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
    pub(super) fn text(&mut self, field: &str, value: Option<Value>) -> Option<String> {
        self.parsed(field, value, |text| {
            if text.trim().is_empty() {
                Err("must not be empty")
            } else {
                Ok(text.to_owned())
            }
        })
    }

    /// An optional text that is not blank when present.
    pub(super) fn optional_text(&mut self, field: &str, value: Option<Value>) -> Option<String> {
        value.and_then(|value| self.text(field, Some(value)))
    }

    /// A mandatory boolean.
    pub(super) fn boolean(&mut self, field: &str, value: Option<Value>) -> Option<bool> {
        match value {
            None => {
                self.report(field, "missing");
                None
            }
            Some(Value::Boolean(value)) => Some(value),
            Some(other) => {
                self.report(
                    field,
                    format!("expected true or false, found {}", a(&other)),
                );
                None
            }
        }
    }

    /// An array, or `None` if absent or not an array (then reported).
    pub(super) fn array(
        &mut self,
        field: &str,
        value: Option<Value>,
        what: &str,
    ) -> Option<Vec<Value>> {
        match value? {
            Value::Array(items) => Some(items),
            other => {
                self.report(field, format!("expected {what}, found {}", a(&other)));
                None
            }
        }
    }

    /// An array of tables, such as `[[requirement]]`, each item with its
    /// field path; items that are not tables are reported and skipped.
    pub(super) fn tables(
        &mut self,
        field: &str,
        value: Option<Value>,
        what: &str,
    ) -> Vec<(String, Table)> {
        let items = self.array(field, value, what).unwrap_or_default();
        let mut tables = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let path = format!("{field}[{index}]");
            match item {
                Value::Table(table) => tables.push((path, table)),
                other => self.report(&path, format!("expected a table, found {}", a(&other))),
            }
        }
        tables
    }

    /// Reports every key left in `table` as unknown. A key of the top level
    /// found in a `[[…]]` table gets a hint: TOML put it there because it
    /// came after the header.
    pub(super) fn unknown_fields(
        &mut self,
        prefix: &str,
        table: Table,
        known: &[&str],
        top_level: &[&str],
    ) {
        for key in table.keys() {
            let problem = if !prefix.is_empty() && top_level.contains(&key.as_str()) {
                format!(
                    "unknown field ({key} is a top-level field: in TOML, keys after a \
                     [[table]] header belong to that table, so move it above the first header)"
                )
            } else {
                format!("unknown field (expected {})", known.join(", "))
            };
            let field = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            self.report(&field, problem);
        }
    }

    /// The value built, if no problem at all was found.
    pub(super) fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
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
pub(super) fn a(value: &Value) -> &'static str {
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
