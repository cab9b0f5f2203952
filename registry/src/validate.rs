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
use crate::fields::{Fields, Style, a};
use crate::legal::LegalId;
use crate::limits;
use crate::manifest::{ConsentSheet, Event, Manifest, MedicalDevice, Purpose, RequestedScope};

/// Editors write manifests by hand, often new to TOML: a likely typo gets a
/// suggestion, and an odd key is quoted so that it shows.
const STYLE: Style = Style {
    header: "[table]",
    suggest: true,
    quote: true,
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
    "limits",
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

impl Fields {
    /// A mandatory free text within `rule`.
    fn text_within(&mut self, field: &str, value: Option<Value>, rule: TextRule) -> Option<String> {
        self.parsed(field, value, |text| {
            rule.check(text).map(|()| text.to_owned())
        })
    }
}

/// Validates a whole manifest.
pub(crate) fn manifest(mut table: Table) -> Result<Manifest, Vec<FieldError>> {
    let mut c = Fields::new(STYLE);

    let id = c.parsed("id", table.remove("id"), |text| {
        ServiceId::new(text).map_err(|error| error.to_string())
    });
    let version = c.parsed("version", table.remove("version"), |text| {
        Version::parse(text).map_err(|error| {
            format!("not a semantic version ({error}); expected MAJOR.MINOR.PATCH, e.g. 1.0.0")
        })
    });
    let name = c.text_within("name", table.remove("name"), NAME);
    let editor = c.text_within("editor", table.remove("editor"), EDITOR);
    let editor_id = c.parsed(
        "editor-id",
        table.remove("editor-id"),
        str::parse::<LegalId>,
    );
    let description = c.text_within("description", table.remove("description"), DESCRIPTION);
    let purpose = c.parsed("purpose", table.remove("purpose"), str::parse::<Purpose>);
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
    let limits = limits::validate(&mut c, table.remove("limits"), MANIFEST_FIELDS);
    c.unknown_fields("", table, MANIFEST_FIELDS, MANIFEST_FIELDS);

    let manifest = (|| {
        Some(Manifest {
            id: id?,
            version: version?,
            name: name?,
            editor: editor?,
            editor_id: editor_id?,
            description: description?,
            purpose: purpose?,
            events: events?,
            consent: consent?,
            requested_scopes: requested_scopes?,
            limits: limits?,
        })
    })();
    c.finish(manifest)
}

/// `events`: optional, each a known event, each once.
fn events(c: &mut Fields, value: Option<Value>) -> Option<Vec<Event>> {
    let Some(value) = value else {
        return Some(Vec::new());
    };
    let items = c.array("events", Some(value), "an array of event names")?;
    c.distinct("events", items)
}

/// `[consent]`: every field mandatory.
fn consent_sheet(c: &mut Fields, mut table: Table) -> Option<ConsentSheet> {
    let retention = c.text_within("consent.retention", table.remove("retention"), CONSENT_TEXT);
    let security = c.text_within("consent.security", table.remove("security"), CONSENT_TEXT);
    let recourse = c.text_within("consent.recourse", table.remove("recourse"), CONSENT_TEXT);
    let legal = legal_texts(c, table.remove("legal"));
    let medical_device = c.parsed(
        "consent.medical-device",
        table.remove("medical-device"),
        str::parse::<MedicalDevice>,
    );
    let accessibility = c.text_within(
        "consent.accessibility",
        table.remove("accessibility"),
        CONSENT_TEXT,
    );
    c.unknown_fields("consent", table, CONSENT_FIELDS, MANIFEST_FIELDS);
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
fn legal_texts(c: &mut Fields, value: Option<Value>) -> Option<Vec<String>> {
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
        .filter_map(|(index, item)| {
            c.text_within(&format!("{FIELD}[{index}]"), Some(item), LEGAL_TEXT)
        })
        .collect();
    (texts.len() == count).then_some(texts)
}

/// `[[scopes]]`: optional (a service may need nothing); each valid, each once.
fn scopes(c: &mut Fields, value: Option<Value>) -> Option<Vec<RequestedScope>> {
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
        let scope_field = format!("{prefix}.scope");
        let scope = c.parsed(&scope_field, table.remove("scope"), str::parse::<Scope>);
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
        let reason = c.text_within(&format!("{prefix}.reason"), table.remove("reason"), REASON);
        c.unknown_fields(&prefix, table, SCOPE_FIELDS, MANIFEST_FIELDS);
        match (scope, reason) {
            (Some(scope), Some(reason)) => requested.push(RequestedScope { scope, reason }),
            _ => valid = false,
        }
    }
    valid.then_some(requested)
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
}
