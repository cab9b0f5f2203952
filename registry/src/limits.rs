//! `[limits]`: what one invocation of a service may use, where it needs
//! other than the platform's defaults. Every value has a platform cap; a
//! manifest may ask for less than the default, or more, up to the cap.

use serde::Serialize;
use toml::{Table, Value};

use crate::fields::{Fields, a};

/// A service's own limits; `None` leaves the platform's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Limits {
    /// Wall-clock time of one invocation, host calls included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u32>,
    /// Linear memory of one instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u32>,
    /// One response, body and headers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_kib: Option<u32>,
    /// Platform calls of one invocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_calls: Option<u32>,
    /// `storage` per patient, keys included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_kib: Option<u32>,
}

impl Limits {
    /// Whether the manifest asks for nothing of its own.
    pub fn is_empty(&self) -> bool {
        *self == Limits::default()
    }
}

/// The most a manifest may ask for, by `[limits]` key.
pub const CAPS: [(&str, u32); 5] = [
    ("deadline-ms", 10_000),
    ("memory-mib", 256),
    ("response-kib", 8 * 1024),
    ("platform-calls", 100_000),
    ("storage-kib", 16 * 1024),
];

/// The cap of `key`.
pub fn cap(key: &str) -> u32 {
    CAPS.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, max)| *max)
        .expect("a known limit")
}

/// The keys of `[limits]`.
pub(crate) const FIELDS: [&str; 5] = [CAPS[0].0, CAPS[1].0, CAPS[2].0, CAPS[3].0, CAPS[4].0];

/// `[limits]`: optional, every key optional, each a whole number from 1 to
/// its cap.
pub(crate) fn validate(c: &mut Fields, value: Option<Value>, top: &[&str]) -> Option<Limits> {
    let mut table = match value {
        None => return Some(Limits::default()),
        Some(Value::Table(table)) => table,
        Some(other) => {
            c.report(
                "limits",
                format!("expected a table ([limits]), found {}", a(&other)),
            );
            return None;
        }
    };
    let mut take = |key: &str, table: &mut Table| -> Result<Option<u32>, ()> {
        let field = format!("limits.{key}");
        let max = cap(key);
        match table.remove(key) {
            None => Ok(None),
            Some(Value::Integer(n)) if (1..=i64::from(max)).contains(&n) => {
                Ok(Some(u32::try_from(n).expect("within the cap")))
            }
            Some(Value::Integer(n)) => {
                c.report(&field, format!("is {n}; it must be from 1 to {max}"));
                Err(())
            }
            Some(other) => {
                c.report(
                    &field,
                    format!("expected a whole number, found {}", a(&other)),
                );
                Err(())
            }
        }
    };
    let limits = (
        take("deadline-ms", &mut table),
        take("memory-mib", &mut table),
        take("response-kib", &mut table),
        take("platform-calls", &mut table),
        take("storage-kib", &mut table),
    );
    c.unknown_fields("limits", table, &FIELDS, top);
    Some(Limits {
        deadline_ms: limits.0.ok()?,
        memory_mib: limits.1.ok()?,
        response_kib: limits.2.ok()?,
        platform_calls: limits.3.ok()?,
        storage_kib: limits.4.ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Manifest, ManifestError};

    const TRACKER: &str = include_str!("../../plugins/weight-tracker/officine.toml");

    fn with_limits(limits: &str) -> crate::Result<Manifest> {
        Manifest::from_toml_str(&format!("{TRACKER}\n[limits]\n{limits}"))
    }

    fn problems(limits: &str) -> Vec<String> {
        match with_limits(limits) {
            Err(ManifestError::Invalid(errors)) => errors.iter().map(ToString::to_string).collect(),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_manifest_asks_for_its_own_limits_within_the_caps() {
        let manifest =
            with_limits("deadline-ms = 250\nmemory-mib = 256\nstorage-kib = 64\n").unwrap();
        assert_eq!(
            *manifest.limits(),
            Limits {
                deadline_ms: Some(250),
                memory_mib: Some(256),
                storage_kib: Some(64),
                ..Limits::default()
            }
        );
        // They are part of what is signed, and come back from the JSON form.
        let json = manifest.canonical_json();
        assert!(
            json.contains(r#""limits":{"deadline-ms":250,"memory-mib":256,"storage-kib":64}"#),
            "{json}"
        );
        assert_eq!(Manifest::from_json_str(&json).unwrap(), manifest);
    }

    #[test]
    fn without_limits_the_canonical_form_is_unchanged() {
        let manifest = Manifest::from_toml_str(TRACKER).unwrap();
        assert!(manifest.limits().is_empty());
        assert!(!manifest.canonical_json().contains("limits"));
    }

    #[test]
    fn every_limit_out_of_its_range_or_of_the_wrong_type_is_named() {
        let found = problems(
            "deadline-ms = 10001\nmemory-mib = 0\nresponse-kib = \"1024\"\n\
             platform-calls = -5\nstorage = 3\n",
        );
        let expected = [
            "limits.deadline-ms: is 10001; it must be from 1 to 10000",
            "limits.memory-mib: is 0; it must be from 1 to 256",
            "limits.response-kib: expected a whole number, found a string",
            "limits.platform-calls: is -5; it must be from 1 to 100000",
            "limits.storage: unknown field (expected deadline-ms, memory-mib, response-kib, \
             platform-calls, storage-kib)",
        ];
        for problem in expected {
            assert!(found.iter().any(|f| f == problem), "{problem} in {found:?}");
        }
        assert_eq!(found.len(), expected.len(), "{found:?}");
    }

    #[test]
    fn limits_must_be_a_table() {
        let text = TRACKER.replacen("id = ", "limits = 5\nid = ", 1);
        match Manifest::from_toml_str(&text) {
            Err(ManifestError::Invalid(errors)) => {
                assert!(
                    errors.iter().any(|e| e.to_string()
                        == "limits: expected a table ([limits]), found an integer"),
                    "{errors:?}"
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
