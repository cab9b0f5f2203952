//! Errors of the registry crate.
//!
//! Scope and id errors live beside their types, in `officine-policy`.

use std::fmt;
use std::path::PathBuf;

/// The result type of this crate.
pub type Result<T, E = ManifestError> = std::result::Result<T, E>;

/// Why a manifest could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The manifest file could not be read.
    #[error("cannot read manifest {}: {source}", path.display())]
    Io {
        /// The file that was being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid TOML.
    #[error("manifest is not valid TOML: {0}")]
    Syntax(SyntaxError),
    /// The TOML is well formed but fields are missing, unknown or invalid.
    /// Every problem found is listed, in the order of the manifest reference.
    #[error("invalid manifest:{}", Lines(.0))]
    Invalid(Vec<FieldError>),
}

impl ManifestError {
    /// The field errors, if the manifest was [`Invalid`](Self::Invalid); empty otherwise.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ManifestError::Invalid(errors) => errors,
            _ => &[],
        }
    }
}

/// Displays problems (field errors and the like) one per line, each on a new
/// line after the heading.
pub(crate) struct Lines<'a, T>(pub(crate) &'a [T]);

impl<T: fmt::Display> fmt::Display for Lines<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// One missing, unknown or invalid field of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// The path of the field, e.g. `consent.recourse` or `scopes[2].scope`
    /// (array indices count from 0).
    pub field: String,
    /// What is wrong with it, e.g. `missing`.
    pub problem: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// A TOML syntax error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", match position { Some(p) => format!("{p}: "), None => String::new() })]
pub struct SyntaxError {
    /// What the TOML parser reported.
    pub message: String,
    /// Where in the text, when the parser could tell.
    pub position: Option<TextPosition>,
}

/// A position in a text: line and column, both counted from 1 (columns in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPosition {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
}

impl TextPosition {
    /// The position of byte `offset` in `text` (clamped to the text's end).
    pub fn of_offset(text: &str, offset: usize) -> TextPosition {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        TextPosition {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl fmt::Display for TextPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A name outside a closed list, such as an unknown [`Purpose`](crate::Purpose).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{found:?} is not one of {}", expected.join(", "))]
pub struct UnknownValue {
    /// The name found.
    pub found: String,
    /// The names accepted.
    pub expected: Vec<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let text = "a = 1\nnamé = \"x\"\n";
        assert_eq!(
            TextPosition::of_offset(text, 0),
            TextPosition { line: 1, column: 1 }
        );
        let offset = text.find('=').unwrap();
        assert_eq!(
            TextPosition::of_offset(text, offset),
            TextPosition { line: 1, column: 3 }
        );
        // "namé" has a two-byte character: the column counts characters.
        let offset = text.rfind('=').unwrap();
        assert_eq!(
            TextPosition::of_offset(text, offset),
            TextPosition { line: 2, column: 6 }
        );
        assert_eq!(
            TextPosition::of_offset(text, 10_000),
            TextPosition { line: 3, column: 1 }
        );
    }

    #[test]
    fn invalid_lists_one_error_per_line() {
        let error = ManifestError::Invalid(vec![
            FieldError::new("consent.recourse", "missing"),
            FieldError::new("version", "not a semantic version"),
        ]);
        assert_eq!(
            error.to_string(),
            "invalid manifest:\n  consent.recourse: missing\n  version: not a semantic version"
        );
        assert_eq!(error.field_errors().len(), 2);
    }
}
