//! Append-only Merkle logs, as Certificate Transparency defines them.
//!
//! Officine keeps two such logs: the registry's transparency log (every
//! listing decision) and the audit log (every data access). Both are lists
//! of entries whose tree head commits to every entry before it; anyone
//! holding a tree head can check that an entry is in the log (an
//! *inclusion proof*) and that a later tree head extends an earlier one
//! without rewriting it (a *consistency proof*).
//!
//! This crate holds the algorithms of RFC 6962 §2.1 (hashes, tree heads and
//! both proofs), the verifiers of RFC 9162 §2.1.3.2 and §2.1.4.2, and the
//! C2SP checkpoint text a log signs ([`Checkpoint`]). It works on leaf
//! hashes, so the entries themselves can stay in storage; the logs built on
//! it decide where hashes are kept. (General Merkle crates keep the whole
//! tree in memory; a log of every data access cannot.) A [`Frontier`]
//! extends a log from its right edge alone, and a [`Replay`] checks a log's
//! checkpoints in one pass over its leaves.
//!
//! ```
//! use officine_tlog::{inclusion_proof, leaf_hash, root, verify_inclusion};
//!
//! let leaves: Vec<_> = ["a", "b", "c"].iter().map(|e| leaf_hash(e.as_bytes())).collect();
//! let head = root(&leaves);
//! let proof = inclusion_proof(&leaves, 2).unwrap();
//! assert!(verify_inclusion(&leaf_hash(b"c"), 2, 3, &proof, &head).is_ok());
//! assert!(verify_inclusion(&leaf_hash(b"d"), 2, 3, &proof, &head).is_err());
//! ```

mod checkpoint;
mod frontier;
mod note;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use frontier::{Frontier, FrontierError, Replay, ReplayError};
pub use note::{NoteError, NoteSignature, NoteSigner, NoteVerifier, SignedCheckpoint};
use sha2::{Digest, Sha256};

/// A SHA-256 hash: of a leaf, an interior node, or a whole tree.
pub type Hash = [u8; 32];

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("a tree of {old} leaves cannot be a prefix of one of {new}")]
    SizesOutOfOrder { old: u64, new: u64 },
    #[error("the proof has the wrong number of hashes for these tree sizes")]
    WrongLength,
    #[error("the proof does not lead to the expected tree head")]
    Mismatch,
}

/// The hash of a leaf: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([0])
        .chain_update(entry)
        .finalize()
        .into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([1])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The tree head of the empty log: `SHA-256()` of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The tree head (RFC 6962's MTH) of the log whose leaf hashes are `leaves`.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The inclusion proof (RFC 6962's PATH) of leaf `index` in the log whose
/// leaf hashes are `leaves`.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    let size = leaves.len() as u64;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::new();
    path(index as usize, leaves, &mut proof);
    Ok(proof)
}

fn path(m: usize, leaves: &[Hash], proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, &leaves[..k], proof);
        proof.push(root(&leaves[k..]));
    } else {
        path(m - k, &leaves[k..], proof);
        proof.push(root(&leaves[..k]));
    }
}

/// The consistency proof (RFC 6962's PROOF) that the log's first
/// `old_size` leaves are the log of that size: that `leaves` only extends it.
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, ProofError> {
    let size = leaves.len() as u64;
    if old_size > size {
        return Err(ProofError::SizesOutOfOrder {
            old: old_size,
            new: size,
        });
    }
    let mut proof = Vec::new();
    if old_size > 0 && old_size < size {
        subproof(old_size as usize, leaves, true, &mut proof);
    }
    Ok(proof)
}

fn subproof(m: usize, leaves: &[Hash], whole: bool, proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !whole {
            proof.push(root(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], whole, proof);
        proof.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, proof);
        proof.push(root(&leaves[..k]));
    }
}

/// The largest power of two smaller than `n` (for `n > 1`): where RFC 6962
/// splits a tree into its left and right subtrees.
fn split(n: usize) -> usize {
    debug_assert!(n > 1);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// Checks that `leaf` (a leaf hash) is leaf `index` of the log of `size`
/// leaves whose tree head is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if &r != root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// Checks that the log of `new_size` leaves with tree head `new_root`
/// extends the log of `old_size` leaves with tree head `old_root`: the
/// first `old_size` entries were neither changed nor removed (RFC 9162
/// §2.1.4.2). The empty log is a prefix of every log.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        let same = old_size == 0 || old_root == new_root;
        return if same {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    let Some((&first, rest)) = proof.split_first() else {
        return Err(ProofError::WrongLength);
    };
    // When the old tree is a complete subtree, its head starts the path.
    let (start, path) = if old_size.is_power_of_two() {
        (*old_root, proof)
    } else {
        (first, rest)
    };
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (start, start);
    for c in path {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr != old_root || &sr != new_root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
