//! The registry's transparency log: its key, and what it records.
//!
//! Every registry event — a signature submitted, a decision, a suspension, a
//! key added or revoked — is one entry of an append-only Merkle log
//! (`officine-tlog`). Signatures are logged as Sigstore Rekor v2 entries
//! (see [`crate::signature`]), events as [`Event`]s in canonical JSON. The
//! log's checkpoints are signed notes made with the registry's log key.

use officine_tlog::{NoteSigner, NoteVerifier};

use crate::keys::{KeyPair, PublicKey};

/// The registry's log key, with the log's name (its origin).
#[derive(Debug)]
pub struct LogSigner {
    origin: String,
    key: KeyPair,
}

impl LogSigner {
    pub fn new(origin: impl Into<String>, key: KeyPair) -> Self {
        LogSigner {
            origin: origin.into(),
            key,
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn key(&self) -> &KeyPair {
        &self.key
    }

    /// The public half, to verify the log's checkpoints.
    pub fn verifier(&self) -> LogVerifier {
        LogVerifier::new(self.origin.clone(), self.key.public_key().clone())
    }
}

impl NoteSigner for LogSigner {
    fn name(&self) -> &str {
        &self.origin
    }

    fn key_hint(&self) -> [u8; 4] {
        self.key.public_key().id().hint()
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message)
    }
}

/// The registry's log public key, with the log's origin.
#[derive(Debug, Clone)]
pub struct LogVerifier {
    origin: String,
    key: PublicKey,
}

impl LogVerifier {
    pub fn new(origin: impl Into<String>, key: PublicKey) -> Self {
        LogVerifier {
            origin: origin.into(),
            key,
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn key(&self) -> &PublicKey {
        &self.key
    }
}

impl NoteVerifier for LogVerifier {
    fn name(&self) -> &str {
        &self.origin
    }

    fn key_hint(&self) -> [u8; 4] {
        self.key.id().hint()
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify(message, signature).is_ok()
    }
}

/// A component version, as events name it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReleaseRef {
    pub service: String,
    pub version: String,
    pub component_sha256: String,
}

/// A registry event, as logged.
///
/// The log entry is the event's canonical JSON ([`Event::to_entry`]); its
/// `event` member tells events from signatures, whose entries are Rekor
/// `hashedrekord` bodies with a `kind` member instead.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// An editor's key was registered (`replaces`: the key it rotates out).
    #[serde(rename_all = "kebab-case")]
    KeyAdded {
        editor: String,
        key: String,
        public_key: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        replaces: Option<String>,
    },
    /// An editor's key was revoked: nothing it signed is served any more.
    KeyRevoked {
        editor: String,
        key: String,
        reason: String,
    },
    /// A certificate identity was registered for an editor.
    IdentityAdded {
        editor: String,
        subject: String,
        issuer: String,
    },
    /// A component version was submitted; its signature is entry `signature`.
    #[serde(rename_all = "kebab-case")]
    Submitted {
        release: ReleaseRef,
        release_sha256: String,
        signer: String,
        signature: u64,
    },
    Admitted {
        release: ReleaseRef,
    },
    Rejected {
        release: ReleaseRef,
        reasons: Vec<String>,
    },
    ReviewStarted {
        release: ReleaseRef,
    },
    /// The published decision, with every requirement's verdict.
    #[serde(rename_all = "kebab-case")]
    Decided {
        release: ReleaseRef,
        outcome: String,
        requirement_set: String,
        decision: serde_json::Value,
    },
    Suspended {
        release: ReleaseRef,
        reason: String,
    },
    Reinstated {
        release: ReleaseRef,
        reason: String,
    },
    Withdrawn {
        release: ReleaseRef,
        reason: String,
    },
}

impl Event {
    /// The log entry: the event's canonical JSON.
    pub fn to_entry(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).expect("an event serializes");
        crate::canonical::to_canonical(&value).into_bytes()
    }

    /// Reads an event entry back; `None` for a signature entry or anything else.
    pub fn from_entry(entry: &[u8]) -> Option<Event> {
        serde_json::from_slice(entry).ok()
    }
}

/// What is wrong with a log, found by [`verify_log`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogFault {
    #[error(
        "entry {index}: its content does not match the leaf hash recorded when it was appended"
    )]
    EntryAltered { index: u64 },
    #[error(
        "entry {index}: the log's signed checkpoint of size {size} no longer matches its entries \
         (entry {index} was changed)"
    )]
    CheckpointMismatch { index: u64, size: u64 },
    #[error("checkpoint of size {size}: {problem}")]
    BadCheckpoint { size: u64, problem: String },
    #[error("entries from {from} on are not covered by any signed checkpoint")]
    Unsealed { from: u64 },
    #[error(
        "the log has {entries} entries, but a checkpoint of size {size} was signed: it was truncated"
    )]
    Truncated { entries: u64, size: u64 },
    #[error("the log does not extend the checkpoint of size {size}: {problem}")]
    NotAnExtension { size: u64, problem: String },
    #[error("entry {index} is not in the log (it has {entries} entries)")]
    NoSuchEntry { index: u64, entries: u64 },
}

/// What [`verify_log`] established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReport {
    /// The number of entries, all covered by the latest checkpoint.
    pub size: u64,
    /// The latest signed checkpoint, to keep and pass as `since` later.
    pub checkpoint: String,
    /// For `since`: the consistency proof from it to `checkpoint`.
    pub consistency: Option<Vec<officine_tlog::Hash>>,
}

/// Checks a log offline: its entries (`(body, leaf hash as recorded)`, in
/// index order), the signed checkpoints it issued (`(size, note)`), and
/// optionally a checkpoint kept earlier elsewhere, which the log must extend.
///
/// Every entry's leaf is recomputed from its content; every checkpoint's
/// signature is checked with `verifier` and its root recomputed from the
/// entries it covers. The registry signs a checkpoint after each append, so
/// the first checkpoint that fails names the entry that was changed.
pub fn verify_log(
    entries: &[(Vec<u8>, officine_tlog::Hash)],
    checkpoints: &[(u64, String)],
    verifier: &LogVerifier,
    since: Option<&str>,
) -> Result<LogReport, LogFault> {
    use officine_tlog::{
        Replay, ReplayError, SignedCheckpoint, consistency_proof, leaf_hash, root,
        verify_consistency,
    };

    let leaves: Vec<_> = entries.iter().map(|(body, _)| leaf_hash(body)).collect();
    for (index, ((_, recorded), leaf)) in entries.iter().zip(&leaves).enumerate() {
        if recorded != leaf {
            return Err(LogFault::EntryAltered {
                index: index as u64,
            });
        }
    }
    let count = leaves.len() as u64;
    let mut signed = Vec::with_capacity(checkpoints.len());
    for (size, note) in checkpoints {
        let checkpoint =
            SignedCheckpoint::verify(note, verifier).map_err(|e| LogFault::BadCheckpoint {
                size: *size,
                problem: e.to_string(),
            })?;
        if checkpoint.size() != *size {
            return Err(LogFault::BadCheckpoint {
                size: *size,
                problem: format!(
                    "it is stored as size {size} but signs size {}",
                    checkpoint.size()
                ),
            });
        }
        signed.push(checkpoint);
    }
    // One pass over the leaves, each checkpoint checked on reaching its size.
    let replay_fault = |fault: ReplayError| match fault {
        ReplayError::Mismatch { from, size } => LogFault::CheckpointMismatch { index: from, size },
        ReplayError::Truncated { entries, size } => LogFault::Truncated { entries, size },
        ReplayError::Forked { size } => LogFault::BadCheckpoint {
            size,
            problem: "another checkpoint of this size signs a different tree head".into(),
        },
    };
    let mut replay = Replay::new(signed).map_err(replay_fault)?;
    for leaf in &leaves {
        replay.push(*leaf).map_err(replay_fault)?;
    }
    let latest = replay.finish().map_err(replay_fault)?;
    let latest = latest.map(|checkpoint| {
        let note = checkpoints
            .iter()
            .find(|(size, _)| *size == checkpoint.size())
            .map(|(_, note)| note.as_str())
            .expect("the checkpoint came from this list");
        (checkpoint.size(), note)
    });
    let (size, note) = latest.unwrap_or((0, ""));
    if size < count {
        return Err(LogFault::Unsealed { from: size });
    }
    let consistency = match since {
        None => None,
        Some(kept) => {
            let old =
                SignedCheckpoint::verify(kept, verifier).map_err(|e| LogFault::BadCheckpoint {
                    size: 0,
                    problem: format!("the checkpoint kept earlier: {e}"),
                })?;
            if old.size() > count {
                return Err(LogFault::Truncated {
                    entries: count,
                    size: old.size(),
                });
            }
            // The proof a remote verifier would be sent, checked as it would.
            let proof =
                consistency_proof(&leaves, old.size()).map_err(|e| LogFault::NotAnExtension {
                    size: old.size(),
                    problem: e.to_string(),
                })?;
            verify_consistency(old.size(), count, old.root(), &root(&leaves), &proof).map_err(
                |e| LogFault::NotAnExtension {
                    size: old.size(),
                    problem: e.to_string(),
                },
            )?;
            Some(proof)
        }
    };
    Ok(LogReport {
        size: count,
        checkpoint: note.to_owned(),
        consistency,
    })
}

/// The inclusion proof of entry `index` in a log of these entries, checked
/// against `checkpoint` (a note `verifier` signed).
pub fn prove_inclusion(
    entries: &[Vec<u8>],
    index: u64,
    checkpoint: &str,
    verifier: &LogVerifier,
) -> Result<Vec<officine_tlog::Hash>, LogFault> {
    use officine_tlog::{SignedCheckpoint, inclusion_proof, leaf_hash, verify_inclusion};

    let checkpoint =
        SignedCheckpoint::verify(checkpoint, verifier).map_err(|e| LogFault::BadCheckpoint {
            size: 0,
            problem: e.to_string(),
        })?;
    let size = checkpoint.size();
    if index >= size || size > entries.len() as u64 {
        return Err(LogFault::NoSuchEntry {
            index,
            entries: size.min(entries.len() as u64),
        });
    }
    let leaves: Vec<_> = entries[..size as usize]
        .iter()
        .map(|body| leaf_hash(body))
        .collect();
    let proof = inclusion_proof(&leaves, index).map_err(|e| LogFault::BadCheckpoint {
        size,
        problem: e.to_string(),
    })?;
    verify_inclusion(
        &leaves[index as usize],
        index,
        size,
        &proof,
        checkpoint.root(),
    )
    .map_err(|_| LogFault::CheckpointMismatch { index, size })?;
    Ok(proof)
}
