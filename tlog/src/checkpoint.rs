//! Checkpoints: a log's tree head, in the C2SP `tlog-checkpoint` text form.
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <tree head, base64>
//! ```
//!
//! each line ended by a newline. This is the body a log signs (as a C2SP
//! signed note) and that verifiers keep to prove later that the log only
//! grew. Extension lines are not used by Officine's logs and are refused.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::Hash;

/// A log's tree head at a given size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
}

/// Why a text is not a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the origin must be one non-empty line of printable characters")]
    Origin,
    #[error("expected three lines, each ended by a newline")]
    Lines,
    #[error("the tree size {0:?} is not a decimal number")]
    Size(String),
    #[error("the tree head {0:?} is not the base64 of 32 bytes")]
    Root(String),
}

impl Checkpoint {
    /// A checkpoint of the log named `origin` (by convention a URL without
    /// scheme, e.g. `registry.officine.example/log`).
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        let origin = origin.into();
        if origin.is_empty() || origin.chars().any(char::is_control) {
            return Err(CheckpointError::Origin);
        }
        Ok(Checkpoint { origin, size, root })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// Parses a checkpoint body, strictly: exactly the three lines.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::Lines)?;
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root] = lines[..] else {
            return Err(CheckpointError::Lines);
        };
        // Decimal without sign or leading zeros, as the format requires.
        let canonical = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size = canonical
            .then(|| size.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| CheckpointError::Size(size.to_owned()))?;
        let root = STANDARD
            .decode(root)
            .ok()
            .and_then(|bytes| Hash::try_from(bytes).ok())
            .ok_or_else(|| CheckpointError::Root(root.to_owned()))?;
        Checkpoint::new(origin, size, root)
    }
}

/// The body, as signed.
impl fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.origin)?;
        writeln!(f, "{}", self.size)?;
        writeln!(f, "{}", STANDARD.encode(self.root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{empty_root, leaf_hash, root};

    #[test]
    fn a_checkpoint_round_trips_through_its_text() {
        let leaves: Vec<Hash> = (0..5u8).map(|i| leaf_hash(&[i])).collect();
        let checkpoint =
            Checkpoint::new("registry.officine.example/log", 5, root(&leaves)).unwrap();
        let text = checkpoint.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[..2], ["registry.officine.example/log", "5"]);
        assert_eq!(text.matches('\n').count(), 3);
        assert_eq!(Checkpoint::parse(&text), Ok(checkpoint));
        let empty = Checkpoint::new("o", 0, empty_root()).unwrap();
        assert_eq!(
            empty.to_string(),
            "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
        );
        assert_eq!(Checkpoint::parse(&empty.to_string()), Ok(empty));
    }

    #[test]
    fn anything_else_is_refused() {
        let good = "o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
        assert!(Checkpoint::parse(good).is_ok());
        for (text, error) in [
            (good.trim_end(), CheckpointError::Lines),
            ("o\n5\n", CheckpointError::Lines),
            (&format!("{good}extension\n"), CheckpointError::Lines),
            (
                &good.replace("\n5\n", "\n05\n"),
                CheckpointError::Size("05".into()),
            ),
            (
                &good.replace("\n5\n", "\n-5\n"),
                CheckpointError::Size("-5".into()),
            ),
            (
                &good.replace("\n5\n", "\n\n"),
                CheckpointError::Size(String::new()),
            ),
            ("o\n5\nAAAA\n", CheckpointError::Root("AAAA".into())),
            (&good.replacen('o', "", 1), CheckpointError::Origin),
        ] {
            assert_eq!(Checkpoint::parse(text), Err(error), "{text:?}");
        }
        assert_eq!(
            Checkpoint::new("a\tb", 1, empty_root()),
            Err(CheckpointError::Origin)
        );
    }
}
