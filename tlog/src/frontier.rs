//! A log's right edge: enough to extend it and compute its head without
//! its leaves.
//!
//! A log of `n` leaves is a sequence of perfect subtrees, one per bit set in
//! `n`, largest first (RFC 6962 splits at the largest power of two). Their
//! roots — at most 64 hashes — are all a log needs to take more leaves and
//! to compute its tree head, so a log of every data access can be extended
//! in time proportional to what is appended, not to its size; and a
//! verifier can walk millions of entries in one pass, checking each signed
//! checkpoint as the walk reaches its size ([`Replay`]).

use crate::{Checkpoint, Hash, empty_root, node_hash};

/// The roots of the perfect subtrees a log of `size` leaves is made of.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    /// One root per bit set in `size`, the largest subtree first.
    roots: Vec<Hash>,
}

/// Why stored bytes are not a frontier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a frontier of {size} leaves is {expected} bytes, not {actual}")]
pub struct FrontierError {
    pub size: u64,
    pub expected: usize,
    pub actual: usize,
}

impl Frontier {
    /// The empty log's.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        // Like a binary counter: each trailing one bit of the old size is a
        // subtree of the new leaf's size, merged into one twice as large.
        let mut merged = leaf;
        let mut carries = self.size.trailing_ones();
        while carries > 0 {
            let left = self.roots.pop().expect("one root per bit set in the size");
            merged = node_hash(&left, &merged);
            carries -= 1;
        }
        self.roots.push(merged);
        self.size += 1;
    }

    /// The tree head (RFC 6962's MTH) of the log.
    pub fn root(&self) -> Hash {
        let mut roots = self.roots.iter().rev();
        let Some(&smallest) = roots.next() else {
            return empty_root();
        };
        roots.fold(smallest, |right, left| node_hash(left, &right))
    }

    /// The frontier as stored: its roots, concatenated.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.roots.concat()
    }

    /// A frontier stored by [`to_bytes`](Self::to_bytes) for a log of `size` leaves.
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Result<Frontier, FrontierError> {
        let count = size.count_ones() as usize;
        if bytes.len() != count * 32 {
            return Err(FrontierError {
                size,
                expected: count * 32,
                actual: bytes.len(),
            });
        }
        let roots = bytes
            .chunks_exact(32)
            .map(|chunk| chunk.try_into().expect("chunks of 32 bytes"))
            .collect();
        Ok(Frontier { size, roots })
    }
}

/// What a [`Replay`] found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The entries up to `size` no longer have the head the checkpoint of
    /// that size signed; the entries up to `from` still match theirs, so an
    /// entry from `from` to `size - 1` was changed, inserted or removed.
    #[error(
        "the checkpoint of size {size} no longer matches the entries: \
         one of entries {from} to {} was changed, inserted or removed", size - 1
    )]
    Mismatch { from: u64, size: u64 },
    /// A checkpoint covers more entries than the log holds.
    #[error("the log has {entries} entries, but a checkpoint of size {size} was signed")]
    Truncated { entries: u64, size: u64 },
    /// Two checkpoints of one size with different heads.
    #[error("two checkpoints of size {size} sign different tree heads")]
    Forked { size: u64 },
}

/// Walks a log's leaves in order and checks each checkpoint when the walk
/// reaches its size: one pass, memory independent of the log's size.
#[derive(Debug)]
pub struct Replay {
    frontier: Frontier,
    /// Checkpoints not reached yet, the smallest last.
    pending: Vec<Checkpoint>,
    /// The size of the last checkpoint that matched.
    good: u64,
    latest: Option<Checkpoint>,
}

impl Replay {
    /// A replay checking `checkpoints` (signatures already verified), in any order.
    pub fn new(mut checkpoints: Vec<Checkpoint>) -> Result<Replay, ReplayError> {
        checkpoints.sort_by_key(|c| std::cmp::Reverse(c.size()));
        checkpoints.dedup_by(|a, b| a.size() == b.size() && a.root() == b.root());
        if let Some(pair) = checkpoints.windows(2).find(|p| p[0].size() == p[1].size()) {
            return Err(ReplayError::Forked {
                size: pair[0].size(),
            });
        }
        let mut replay = Replay {
            frontier: Frontier::new(),
            pending: checkpoints,
            good: 0,
            latest: None,
        };
        replay.check()?;
        Ok(replay)
    }

    /// The next leaf hash.
    pub fn push(&mut self, leaf: Hash) -> Result<(), ReplayError> {
        self.frontier.push(leaf);
        self.check()
    }

    /// Leaves seen so far.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The head of the leaves seen so far.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Ends the walk: every checkpoint must have been reached. Yields the
    /// latest checkpoint, which covers the first [`Checkpoint::size`] leaves.
    pub fn finish(self) -> Result<Option<Checkpoint>, ReplayError> {
        match self.pending.last() {
            Some(unreached) => Err(ReplayError::Truncated {
                entries: self.frontier.size(),
                size: unreached.size(),
            }),
            None => Ok(self.latest),
        }
    }

    fn check(&mut self) -> Result<(), ReplayError> {
        while let Some(next) = self.pending.last() {
            if next.size() != self.frontier.size() {
                return Ok(());
            }
            if *next.root() != self.frontier.root() {
                return Err(ReplayError::Mismatch {
                    from: self.good,
                    size: next.size(),
                });
            }
            self.good = next.size();
            self.latest = self.pending.pop();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{leaf_hash, root};

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn the_frontier_gives_the_head_of_every_size() {
        let leaves = leaves(70);
        let mut frontier = Frontier::new();
        assert_eq!(frontier.root(), empty_root());
        for (i, leaf) in leaves.iter().enumerate() {
            frontier.push(*leaf);
            assert_eq!(frontier.size(), i as u64 + 1);
            assert_eq!(frontier.root(), root(&leaves[..=i]), "size {}", i + 1);
            let stored = Frontier::from_bytes(frontier.size(), &frontier.to_bytes()).unwrap();
            assert_eq!(stored, frontier);
        }
    }

    #[test]
    fn stored_bytes_of_the_wrong_length_are_refused() {
        let mut frontier = Frontier::new();
        for leaf in leaves(5) {
            frontier.push(leaf);
        }
        let bytes = frontier.to_bytes();
        assert_eq!(bytes.len(), 64);
        assert_eq!(
            Frontier::from_bytes(6, &bytes),
            Ok(Frontier {
                size: 6,
                roots: frontier.roots.clone()
            })
        );
        assert_eq!(
            Frontier::from_bytes(7, &bytes),
            Err(FrontierError {
                size: 7,
                expected: 96,
                actual: 64
            })
        );
    }

    fn checkpoint(leaves: &[Hash]) -> Checkpoint {
        Checkpoint::new("log", leaves.len() as u64, root(leaves)).unwrap()
    }

    #[test]
    fn a_replay_checks_each_checkpoint_on_reaching_it() {
        let leaves = leaves(20);
        let checkpoints = vec![
            checkpoint(&leaves[..20]),
            checkpoint(&leaves[..5]),
            checkpoint(&leaves[..12]),
        ];
        let mut replay = Replay::new(checkpoints.clone()).unwrap();
        for leaf in &leaves {
            replay.push(*leaf).unwrap();
        }
        assert_eq!(replay.finish().unwrap(), Some(checkpoints[0].clone()));

        // Entry 8 changed: the checkpoints from 12 on no longer match, and
        // the one of size 5 still does.
        let mut changed = leaves.clone();
        changed[8] = leaf_hash(b"changed");
        let mut replay = Replay::new(checkpoints.clone()).unwrap();
        let error = changed.iter().find_map(|leaf| replay.push(*leaf).err());
        assert_eq!(error, Some(ReplayError::Mismatch { from: 5, size: 12 }));

        // Entries removed from the end: the last checkpoint is never reached.
        let mut replay = Replay::new(checkpoints.clone()).unwrap();
        for leaf in &leaves[..15] {
            replay.push(*leaf).unwrap();
        }
        assert_eq!(
            replay.finish(),
            Err(ReplayError::Truncated {
                entries: 15,
                size: 20
            })
        );
    }

    #[test]
    fn two_heads_for_one_size_are_a_fork() {
        let leaves = leaves(4);
        let mut other = leaves.clone();
        other[3] = leaf_hash(b"other");
        let forked = vec![checkpoint(&leaves), checkpoint(&other)];
        assert_eq!(
            Replay::new(forked).unwrap_err(),
            ReplayError::Forked { size: 4 }
        );
        // The same checkpoint twice is not.
        assert!(Replay::new(vec![checkpoint(&leaves), checkpoint(&leaves)]).is_ok());
    }

    #[test]
    fn the_empty_log_matches_its_checkpoint() {
        let replay = Replay::new(vec![checkpoint(&[])]).unwrap();
        assert_eq!(replay.finish().unwrap().map(|c| c.size()), Some(0));
    }
}
