//! From a parsed TOML table to a [`Manifest`], collecting every problem.
//!
//! Each known key is taken out of its table and checked on its own; what is
//! left in a table afterwards is an unknown key. Nothing stops at the first
//! error: the editor gets the whole list at once.

use std::collections::HashMap;

use semver::Version;
use toml::{Table, Value};

use crate::Scope;
use crate::ServiceId;
use crate::error::FieldError;
use crate::legal::LegalId;
use crate::manifest::{
    Choice, ConsentSheet, Event, Manifest, MedicalDevice, Purpose, RequestedScope, parse_choice,
};

/// The keys of the top-level table, in reference order.
const MANIFEST_FIELDS: &[&str] = &[
    "id",
    "version",
    "name",
    "editor",
    "editor-id",
    "description",
    "purpose",
    "events",
    "consent",
    "scopes",
];
/// The keys of `[consent]`.
const CONSENT_FIELDS: &[&str] = &[
    "retention",
    "security",
    "recourse",
    "legal",
    "medical-device",
    "accessibility",
];
/// The keys of each `[[scopes]]`.
const SCOPE_FIELDS: &[&str] = &["scope", "reason"];

/// Limits on a free text.
#[derive(Clone, Copy)]
struct TextRule {
    /// The most characters allowed.
    max: usize,
    /// Whether line breaks and tabs are allowed.
    multiline: bool,
}

const NAME: TextRule = TextRule {
    max: 80,
    multiline: false,
};
const EDITOR: TextRule = TextRule {
    max: 120,
    multiline: false,
};
const DESCRIPTION: TextRule = TextRule {
    max: 2000,
    multiline: true,
};
/// `consent.retention`, `consent.security`, `consent.recourse`.
const CONSENT_TEXT: TextRule = TextRule {
    max: 2000,
    multiline: true,
};
const LEGAL_TEXT: TextRule = TextRule {
    max: 200,
    multiline: false,
};
const REASON: TextRule = TextRule {
    max: 500,
    multiline: true,
};

impl TextRule {
    fn check(self, text: &str) -> Result<(), String> {
        if text.trim().is_empty() {
            return Err("must not be empty".to_owned());
        }
        let len = text.chars().count();
        if len > self.max {
            return Err(format!(
                "is {len} characters long; the limit is {}",
                self.max
            ));
        }
        let allowed = |c: char| self.multiline && matches!(c, '\n' | '\r' | '\t');
        if let Some(c) = text.chars().find(|&c| c.is_control() && !allowed(c)) {
            return Err(if !self.multiline && matches!(c, '\n' | '\r') {
                "must fit on one line".to_owned()
            } else {
                format!("contains a control character (U+{:04X})", u32::from(c))
            });
        }
        Ok(())
    }
}

/// Collects the problems found.
#[derive(Default)]
struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn report(&mut self, field: &str, problem: impl Into<String>) {
        self.errors.push(FieldError::new(field, problem));
    }

    /// A mandatory string.
    fn string(&mut self, field: &str, value: Option<Value>) -> Option<String> {
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
    fn parsed<T>(
        &mut self,
        field: &str,
        value: Option<Value>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.string(field, value)?;
        parse(&text)
            .map_err(|problem| self.report(field, problem))
            .ok()
    }

    /// A mandatory free text.
    fn text(&mut self, field: &str, value: Option<Value>, rule: TextRule) -> Option<String> {
        self.parsed(field, value, |text| {
            rule.check(text).map(|()| text.to_owned())
        })
    }

    /// A mandatory name out of a closed list.
    fn choice<T: Choice>(&mut self, field: &str, value: Option<Value>) -> Option<T> {
        self.parsed(field, value, |text| {
            parse_choice(text).map_err(|error| error.to_string())
        })
    }

    /// An optional array; `None` if absent or not an array (then reported).
    fn array(&mut self, field: &str, value: Option<Value>, what: &str) -> Option<Vec<Value>> {
        match value? {
            Value::Array(items) => Some(items),
            other => {
                self.report(field, format!("expected {what}, found {}", a(&other)));
                None
            }
        }
    }

    /// Reports every key left in `table` as unknown.
    fn unknown_fields(&mut self, prefix: &str, table: Table, known: &[&str]) {
        for key in table.keys() {
            let top_level = !prefix.is_empty() && MANIFEST_FIELDS.contains(&key.as_str());
            let problem = if top_level {
                format!(
                    "unknown field ({key} is a top-level field: in TOML, keys after a \
                     [table] header belong to that table, so move it above the first header)"
                )
            } else if let Some(near) = closest(key, known) {
                format!("unknown field (did you mean {near}?)")
            } else {
                format!("unknown field (expected {})", known.join(", "))
            };
            self.report(&join(prefix, key), problem);
        }
    }
}

/// Validates a whole manifest.
pub(crate) fn manifest(mut table: Table) -> Result<Manifest, Vec<FieldError>> {
    let mut c = Checker::default();

    let id = c.parsed("id", table.remove("id"), |text| {
        ServiceId::new(text).map_err(|error| error.to_string())
    });
    let version = c.parsed("version", table.remove("version"), |text| {
        Version::parse(text).map_err(|error| {
            format!("not a semantic version ({error}); expected MAJOR.MINOR.PATCH, e.g. 1.0.0")
        })
    });
    let name = c.text("name", table.remove("name"), NAME);
    let editor = c.text("editor", table.remove("editor"), EDITOR);
    let editor_id = c.parsed(
        "editor-id",
        table.remove("editor-id"),
        str::parse::<LegalId>,
    );
    let description = c.text("description", table.remove("description"), DESCRIPTION);
    let purpose = c.choice::<Purpose>("purpose", table.remove("purpose"));
    let events = events(&mut c, table.remove("events"));
    let consent = match table.remove("consent") {
        None => {
            c.report(
                "consent",
                format!(
                    "missing (the [consent] table: {})",
                    CONSENT_FIELDS.join(", ")
                ),
            );
            None
        }
        Some(Value::Table(consent)) => consent_sheet(&mut c, consent),
        Some(other) => {
            c.report(
                "consent",
                format!("expected a table ([consent]), found {}", a(&other)),
            );
            None
        }
    };
    let requested_scopes = scopes(&mut c, table.remove("scopes"));
    c.unknown_fields("", table, MANIFEST_FIELDS);

    match (
        id,
        version,
        name,
        editor,
        editor_id,
        description,
        purpose,
        events,
        consent,
        requested_scopes,
    ) {
        (
            Some(id),
            Some(version),
            Some(name),
            Some(editor),
            Some(editor_id),
            Some(description),
            Some(purpose),
            Some(events),
            Some(consent),
            Some(requested_scopes),
        ) if c.errors.is_empty() => Ok(Manifest {
            id,
            version,
            name,
            editor,
            editor_id,
            description,
            purpose,
            events,
            consent,
            requested_scopes,
        }),
        _ => {
            debug_assert!(!c.errors.is_empty(), "a field was refused without a reason");
            Err(c.errors)
        }
    }
}

/// `events`: optional, each a known event, each once.
fn events(c: &mut Checker, value: Option<Value>) -> Option<Vec<Event>> {
    let Some(value) = value else {
        return Some(Vec::new());
    };
    let items = c.array("events", Some(value), "an array of event names")?;
    let mut events = Vec::with_capacity(items.len());
    let mut valid = true;
    for (index, item) in items.into_iter().enumerate() {
        let field = format!("events[{index}]");
        match c.choice::<Event>(&field, Some(item)) {
            Some(event) if events.contains(&event) => {
                c.report(&field, format!("{event} is listed twice"));
                valid = false;
            }
            Some(event) => events.push(event),
            None => valid = false,
        }
    }
    valid.then_some(events)
}

/// `[consent]`: every field mandatory.
fn consent_sheet(c: &mut Checker, mut table: Table) -> Option<ConsentSheet> {
    let retention = c.text("consent.retention", table.remove("retention"), CONSENT_TEXT);
    let security = c.text("consent.security", table.remove("security"), CONSENT_TEXT);
    let recourse = c.text("consent.recourse", table.remove("recourse"), CONSENT_TEXT);
    let legal = legal_texts(c, table.remove("legal"));
    let medical_device =
        c.choice::<MedicalDevice>("consent.medical-device", table.remove("medical-device"));
    let accessibility = c.text(
        "consent.accessibility",
        table.remove("accessibility"),
        CONSENT_TEXT,
    );
    c.unknown_fields("consent", table, CONSENT_FIELDS);
    Some(ConsentSheet {
        retention: retention?,
        security: security?,
        recourse: recourse?,
        legal: legal?,
        medical_device: medical_device?,
        accessibility: accessibility?,
    })
}

/// `consent.legal`: at least one text, each non-empty.
fn legal_texts(c: &mut Checker, value: Option<Value>) -> Option<Vec<String>> {
    const FIELD: &str = "consent.legal";
    let Some(value) = value else {
        c.report(FIELD, "missing");
        return None;
    };
    let items = c.array(FIELD, Some(value), "an array of strings")?;
    if items.is_empty() {
        c.report(FIELD, "must list at least one applicable legal text");
        return None;
    }
    let count = items.len();
    let texts: Vec<String> = items
        .into_iter()
        .enumerate()
        .filter_map(|(index, item)| c.text(&format!("{FIELD}[{index}]"), Some(item), LEGAL_TEXT))
        .collect();
    (texts.len() == count).then_some(texts)
}

/// `[[scopes]]`: optional (a service may need nothing); each valid, each once.
fn scopes(c: &mut Checker, value: Option<Value>) -> Option<Vec<RequestedScope>> {
    let Some(value) = value else {
        return Some(Vec::new());
    };
    let items = c.array("scopes", Some(value), "an array of tables ([[scopes]])")?;
    let mut requested = Vec::with_capacity(items.len());
    let mut first_index: HashMap<Scope, usize> = HashMap::new();
    let mut valid = true;
    for (index, item) in items.into_iter().enumerate() {
        let prefix = format!("scopes[{index}]");
        let mut table = match item {
            Value::Table(table) => table,
            other => {
                c.report(
                    &prefix,
                    format!(
                        "expected a table with scope and reason, found {}",
                        a(&other)
                    ),
                );
                valid = false;
                continue;
            }
        };
        let scope_field = join(&prefix, "scope");
        let scope = c.parsed(&scope_field, table.remove("scope"), |text| {
            text.parse::<Scope>().map_err(|error| error.to_string())
        });
        let scope = scope.and_then(|scope| match first_index.get(&scope) {
            Some(first) => {
                c.report(
                    &scope_field,
                    format!("{scope} is already requested by scopes[{first}]"),
                );
                None
            }
            None => {
                first_index.insert(scope, index);
                Some(scope)
            }
        });
        let reason = c.text(&join(&prefix, "reason"), table.remove("reason"), REASON);
        c.unknown_fields(&prefix, table, SCOPE_FIELDS);
        match (scope, reason) {
            (Some(scope), Some(reason)) => requested.push(RequestedScope { scope, reason }),
            _ => valid = false,
        }
    }
    valid.then_some(requested)
}

/// `prefix.key`, quoting `key` when it is not a bare TOML key.
fn join(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let key = if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

/// A TOML value's type with its article, for "found …".
fn a(value: &Value) -> &'static str {
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

    #[test]
    fn text_rules() {
        assert_eq!(NAME.check("Suivi du poids"), Ok(()));
        assert_eq!(NAME.check(""), Err("must not be empty".to_owned()));
        assert_eq!(NAME.check("  \t"), Err("must not be empty".to_owned()));
        assert_eq!(NAME.check(&"é".repeat(80)), Ok(()));
        assert_eq!(
            NAME.check(&"é".repeat(81)),
            Err("is 81 characters long; the limit is 80".to_owned())
        );
        assert_eq!(
            NAME.check("Suivi\ndu poids"),
            Err("must fit on one line".to_owned())
        );
        assert_eq!(
            NAME.check("Suivi\u{7}"),
            Err("contains a control character (U+0007)".to_owned())
        );
        assert_eq!(DESCRIPTION.check("Ligne 1\r\nLigne 2\tfin"), Ok(()));
        assert_eq!(
            DESCRIPTION.check("a\u{0}b"),
            Err("contains a control character (U+0000)".to_owned())
        );
    }

    #[test]
    fn typo_suggestions() {
        assert_eq!(closest("purpse", MANIFEST_FIELDS), Some("purpose"));
        assert_eq!(closest("scope", MANIFEST_FIELDS), Some("scopes"));
        assert_eq!(
            closest("medical_device", CONSENT_FIELDS),
            Some("medical-device")
        );
        assert_eq!(closest("retension", CONSENT_FIELDS), Some("retention"));
        assert_eq!(closest("Reason", SCOPE_FIELDS), Some("reason"));
        assert_eq!(closest("homepage", MANIFEST_FIELDS), None);
        // Short keys are not "close" to everything.
        assert_eq!(closest("x", MANIFEST_FIELDS), None);
        assert_eq!(closest("ids", MANIFEST_FIELDS), None);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("légal", "legal"), 1);
    }

    #[test]
    fn field_paths_quote_odd_keys() {
        assert_eq!(join("", "purpose"), "purpose");
        assert_eq!(join("scopes[0]", "why"), "scopes[0].why");
        assert_eq!(join("consent", "a b"), "consent.\"a b\"");
        assert_eq!(join("", ""), "\"\"");
    }
}
