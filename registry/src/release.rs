//! A release: a manifest bound to the exact component it describes.
//!
//! This is what an editor signs. Its canonical JSON is the manifest's, with
//! one more member, `component-sha256`, so that a single signature covers
//! the consent sheet, the requested scopes and every byte of the component:
//! change any of them after signing and the signature no longer verifies.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::canonical::{json_error, parse_json, to_canonical};
use crate::error::Result;
use crate::manifest::Manifest;

/// The member of the release JSON that carries the component's digest.
const COMPONENT_FIELD: &str = "component-sha256";

/// A SHA-256 digest, written as 64 lowercase hexadecimal digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Sha256Digest(Sha256::digest(bytes).into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, as stored (the same text as `Display`).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl From<[u8; 32]> for Sha256Digest {
    fn from(bytes: [u8; 32]) -> Self {
        Sha256Digest(bytes)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{self}")
    }
}

/// Why a text is not a SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a SHA-256 digest is 64 lowercase hexadecimal digits, not {0:?}")]
pub struct DigestError(String);

impl FromStr for Sha256Digest {
    type Err = DigestError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0; 32];
        let lowercase = !text.bytes().any(|b| b.is_ascii_uppercase());
        match hex::decode_to_slice(text, &mut bytes) {
            Ok(()) if lowercase => Ok(Sha256Digest(bytes)),
            _ => Err(DigestError(text.to_owned())),
        }
    }
}

/// A manifest and the digest of its component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    manifest: Manifest,
    component: Sha256Digest,
}

impl Release {
    /// Binds `manifest` to the component whose bytes are `component`.
    pub fn new(manifest: Manifest, component: &[u8]) -> Self {
        Release {
            manifest,
            component: Sha256Digest::of(component),
        }
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The SHA-256 of the component's bytes.
    pub fn component_sha256(&self) -> Sha256Digest {
        self.component
    }

    /// The canonical JSON text: the bytes an editor signs.
    pub fn canonical_json(&self) -> String {
        let mut value = serde_json::to_value(&self.manifest).expect("a manifest serializes");
        value
            .as_object_mut()
            .expect("a manifest is an object")
            .insert(COMPONENT_FIELD.into(), self.component.to_string().into());
        to_canonical(&value)
    }

    /// Reads a release from its canonical JSON, as signed.
    ///
    /// Only the canonical text is accepted, so that a release has exactly one
    /// signed form and what is stored is what was signed.
    pub fn from_canonical_json(text: &str) -> Result<Self> {
        let mut value = parse_json(text)?;
        let digest = match value.as_object_mut().map(|o| o.remove(COMPONENT_FIELD)) {
            Some(Some(Value::String(digest))) => digest
                .parse::<Sha256Digest>()
                .map_err(|e| json_error(format!("{COMPONENT_FIELD}: {e}")))?,
            Some(_) => return Err(json_error(format!("{COMPONENT_FIELD}: missing"))),
            None => return Err(json_error("expected a JSON object")),
        };
        let release = Release {
            manifest: Manifest::from_json_value(value)?,
            component: digest,
        };
        if release.canonical_json() != text {
            return Err(json_error(
                "not in canonical form (sorted keys, no whitespace)",
            ));
        }
        Ok(release)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::weight_tracker;

    #[test]
    fn a_release_round_trips_through_its_canonical_json() {
        let release = Release::new(weight_tracker(), b"\0asm component");
        let json = release.canonical_json();
        assert!(json.contains(&format!(
            "\"component-sha256\":\"{}\"",
            Sha256Digest::of(b"\0asm component")
        )));
        assert_eq!(Release::from_canonical_json(&json).unwrap(), release);
    }

    #[test]
    fn another_text_of_the_same_release_is_refused() {
        let release = Release::new(weight_tracker(), b"component");
        let json = release.canonical_json();
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(&json).unwrap()).unwrap();
        let error = Release::from_canonical_json(&pretty).unwrap_err();
        assert!(error.to_string().contains("canonical form"), "{error}");

        // The member sorts first.
        let member = format!("\"component-sha256\":\"{}\",", release.component_sha256());
        assert!(json.starts_with(&format!("{{{member}")), "{json}");
        let without = json.replace(&member, "");
        let error = Release::from_canonical_json(&without).unwrap_err();
        assert!(
            error.to_string().contains("component-sha256: missing"),
            "{error}"
        );

        let short = json.replace(&release.component_sha256().to_string(), "abcd");
        let error = Release::from_canonical_json(&short).unwrap_err();
        assert!(error.to_string().contains("64 lowercase"), "{error}");
    }

    #[test]
    fn digests_parse_only_in_lowercase_hex() {
        let digest = Sha256Digest::of(b"x");
        assert_eq!(digest.to_string().parse(), Ok(digest));
        assert!(
            digest
                .to_string()
                .to_uppercase()
                .parse::<Sha256Digest>()
                .is_err()
        );
        assert!("00".parse::<Sha256Digest>().is_err());
    }
}
