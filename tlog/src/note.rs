//! Signed checkpoints, in the C2SP `signed-note` form.
//!
//! ```text
//! <checkpoint body: origin, size, tree head>
//!
//! — <key name> <base64(key hint ‖ signature)>
//! ```
//!
//! A note may carry several signatures (a log's and its witnesses'); a
//! verifier looks for one made by the key it trusts, known by its name and
//! its four-byte hint, and ignores the others. How the hint is derived and
//! what the signature bytes are is the signer's business: Officine's logs,
//! like Sigstore's, sign with ECDSA P-256 and hint with the first four bytes
//! of the SHA-256 of the key's DER form.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::{Checkpoint, CheckpointError};

/// The separator between a signature line's dash and the key name.
const DASH: &str = "— ";

/// Makes a note's signatures.
pub trait NoteSigner {
    /// The key's name: for a log, its origin.
    fn name(&self) -> &str;
    /// The four bytes a verifier uses to pick the key.
    fn key_hint(&self) -> [u8; 4];
    /// Signs the note's body.
    fn sign(&self, message: &[u8]) -> Vec<u8>;
}

/// Checks a note's signatures.
pub trait NoteVerifier {
    /// The name the key signs under.
    fn name(&self) -> &str;
    /// The key's four-byte hint.
    fn key_hint(&self) -> [u8; 4];
    /// Whether `signature` is this key's over `message`.
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool;
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    name: String,
    key_hint: [u8; 4],
    signature: Vec<u8>,
}

impl NoteSignature {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_hint(&self) -> [u8; 4] {
        self.key_hint
    }

    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

/// A checkpoint and its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    signatures: Vec<NoteSignature>,
}

/// Why a text is not a signed checkpoint, or not one signed by the expected key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("a signed note is its body, a blank line, then signature lines")]
    Layout,
    #[error("the note's body is not a checkpoint: {0}")]
    Body(#[from] CheckpointError),
    #[error("signature line {0} is not `— <name> <base64>`")]
    SignatureLine(usize),
    #[error("the note carries no valid signature by {0}")]
    NotSignedBy(String),
    #[error("the checkpoint is for log {found:?}, not {expected:?}")]
    Origin { expected: String, found: String },
}

impl SignedCheckpoint {
    /// Signs `checkpoint` with `signer`.
    pub fn sign(checkpoint: Checkpoint, signer: &dyn NoteSigner) -> Self {
        let signature = signer.sign(checkpoint.to_string().as_bytes());
        SignedCheckpoint {
            checkpoint,
            signatures: vec![NoteSignature {
                name: signer.name().to_owned(),
                key_hint: signer.key_hint(),
                signature,
            }],
        }
    }

    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Parses a signed note, strictly, without checking any signature.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let (body, signatures) = text.split_once("\n\n").ok_or(NoteError::Layout)?;
        let checkpoint = Checkpoint::parse(&format!("{body}\n"))?;
        let lines = signatures.strip_suffix('\n').ok_or(NoteError::Layout)?;
        let signatures = lines
            .split('\n')
            .enumerate()
            .map(|(n, line)| parse_signature(line).ok_or(NoteError::SignatureLine(n + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SignedCheckpoint {
            checkpoint,
            signatures,
        })
    }

    /// Parses `text` and returns its checkpoint if `verifier`'s key signed it
    /// and it is the checkpoint of the log the key signs for.
    pub fn verify(text: &str, verifier: &dyn NoteVerifier) -> Result<Checkpoint, NoteError> {
        let note = SignedCheckpoint::parse(text)?;
        let body = note.checkpoint.to_string();
        let signed = note.signatures.iter().any(|s| {
            s.name == verifier.name()
                && s.key_hint == verifier.key_hint()
                && verifier.verify(body.as_bytes(), &s.signature)
        });
        if !signed {
            return Err(NoteError::NotSignedBy(verifier.name().to_owned()));
        }
        // The origin is part of what is signed, but a key could sign for
        // several logs: the checkpoint must be of the log asked about.
        if note.checkpoint.origin() != verifier.name() {
            return Err(NoteError::Origin {
                expected: verifier.name().to_owned(),
                found: note.checkpoint.origin().to_owned(),
            });
        }
        Ok(note.checkpoint)
    }
}

fn parse_signature(line: &str) -> Option<NoteSignature> {
    let rest = line.strip_prefix(DASH)?;
    let (name, encoded) = rest.rsplit_once(' ')?;
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains('+') {
        return None;
    }
    let bytes = STANDARD.decode(encoded).ok()?;
    if bytes.len() <= 4 {
        return None;
    }
    let (hint, signature) = bytes.split_at(4);
    Some(NoteSignature {
        name: name.to_owned(),
        key_hint: hint.try_into().ok()?,
        signature: signature.to_vec(),
    })
}

/// The note, as exchanged: body, blank line, one line per signature.
impl fmt::Display for SignedCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.checkpoint)?;
        writeln!(f)?;
        for s in &self.signatures {
            let mut bytes = s.key_hint.to_vec();
            bytes.extend_from_slice(&s.signature);
            writeln!(f, "{DASH}{} {}", s.name, STANDARD.encode(bytes))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{leaf_hash, root};

    /// A toy key for the format's tests: the "signature" is a keyed sum, so
    /// a wrong key or a changed body fails as a real one would.
    struct Toy {
        name: &'static str,
        secret: u8,
    }

    impl Toy {
        fn mac(&self, message: &[u8]) -> Vec<u8> {
            let sum = message
                .iter()
                .fold(self.secret, |acc, b| acc.wrapping_mul(31).wrapping_add(*b));
            vec![sum, self.secret]
        }
    }

    impl NoteSigner for Toy {
        fn name(&self) -> &str {
            self.name
        }
        fn key_hint(&self) -> [u8; 4] {
            [self.secret; 4]
        }
        fn sign(&self, message: &[u8]) -> Vec<u8> {
            self.mac(message)
        }
    }

    impl NoteVerifier for Toy {
        fn name(&self) -> &str {
            self.name
        }
        fn key_hint(&self) -> [u8; 4] {
            [self.secret; 4]
        }
        fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
            self.mac(message) == signature
        }
    }

    fn checkpoint(origin: &str) -> Checkpoint {
        let leaves: Vec<_> = (0..3u8).map(|i| leaf_hash(&[i])).collect();
        Checkpoint::new(origin, 3, root(&leaves)).unwrap()
    }

    #[test]
    fn a_signed_checkpoint_round_trips_and_verifies() {
        let key = Toy {
            name: "registry.example/log",
            secret: 7,
        };
        let note = SignedCheckpoint::sign(checkpoint("registry.example/log"), &key);
        let text = note.to_string();
        assert!(text.contains("\n\n— registry.example/log "), "{text}");
        assert!(text.ends_with('\n'));
        assert_eq!(SignedCheckpoint::parse(&text), Ok(note.clone()));
        assert_eq!(
            SignedCheckpoint::verify(&text, &key),
            Ok(note.checkpoint().clone())
        );
    }

    #[test]
    fn another_key_a_changed_body_or_another_log_is_refused() {
        let key = Toy {
            name: "registry.example/log",
            secret: 7,
        };
        let text = SignedCheckpoint::sign(checkpoint("registry.example/log"), &key).to_string();
        let other = Toy {
            name: "registry.example/log",
            secret: 8,
        };
        assert_eq!(
            SignedCheckpoint::verify(&text, &other),
            Err(NoteError::NotSignedBy("registry.example/log".into()))
        );
        let grown = text.replacen("\n3\n", "\n4\n", 1);
        assert!(matches!(
            SignedCheckpoint::verify(&grown, &key),
            Err(NoteError::NotSignedBy(_))
        ));
        let renamed = Toy {
            name: "registry.example/other",
            secret: 7,
        };
        let signed_for_other =
            SignedCheckpoint::sign(checkpoint("registry.example/log"), &renamed).to_string();
        assert_eq!(
            SignedCheckpoint::verify(&signed_for_other, &renamed),
            Err(NoteError::Origin {
                expected: "registry.example/other".into(),
                found: "registry.example/log".into()
            })
        );
    }

    #[test]
    fn malformed_notes_are_refused() {
        let key = Toy {
            name: "o",
            secret: 1,
        };
        let text = SignedCheckpoint::sign(checkpoint("o"), &key).to_string();
        let body = checkpoint("o").to_string();
        for (bad, error) in [
            (body.clone(), NoteError::Layout),
            (format!("{body}\n"), NoteError::Layout),
            (text.trim_end().to_owned(), NoteError::Layout),
            (
                format!("{body}\n- o AAAAAAA=\n"),
                NoteError::SignatureLine(1),
            ),
            (format!("{body}\n— o AAAA\n"), NoteError::SignatureLine(1)),
            (format!("{text}— o !!\n"), NoteError::SignatureLine(2)),
        ] {
            assert_eq!(SignedCheckpoint::parse(&bad), Err(error), "{bad:?}");
        }
    }
}
