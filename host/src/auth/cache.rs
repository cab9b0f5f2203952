//! Verified tokens, remembered until they expire so that a client sending
//! the same token again skips the signature check.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

use super::identity::Identity;

/// The SHA-256 of a token: what the cache (and any log line) keys on, so
/// that the token itself is never kept or printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// Hashes `token`.
    pub fn of(token: &str) -> TokenHash {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    /// A short hex prefix, enough to correlate log lines.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..6])
    }
}

/// A bounded map from token hash to identity, each entry valid strictly
/// before its token's `exp` (the leeway is not applied here: a token in
/// its grace period is verified afresh each time).
pub struct TokenCache {
    capacity: usize,
    entries: Mutex<HashMap<TokenHash, (Identity, u64)>>,
}

impl TokenCache {
    /// A cache holding at most `capacity` tokens (none when 0).
    pub fn new(capacity: usize) -> TokenCache {
        TokenCache {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenHash, (Identity, u64)>> {
        // A panic elsewhere while holding the lock leaves a usable map.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The identity of a token verified before, if it has not expired at
    /// `now` (unix seconds).
    pub fn get(&self, hash: &TokenHash, now: u64) -> Option<Identity> {
        let mut entries = self.lock();
        match entries.get(hash) {
            Some((identity, exp)) if now < *exp => Some(identity.clone()),
            Some(_) => {
                entries.remove(hash);
                None
            }
            None => None,
        }
    }

    /// Remembers a verified token until `exp`. When full, expired entries
    /// go first, then the one expiring soonest.
    pub fn insert(&self, hash: TokenHash, identity: Identity, exp: u64, now: u64) {
        if self.capacity == 0 || exp <= now {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(&hash) {
            entries.retain(|_, (_, e)| now < *e);
            if entries.len() >= self.capacity
                && let Some(soonest) = entries.iter().min_by_key(|(_, (_, e))| *e).map(|(h, _)| *h)
            {
                entries.remove(&soonest);
            }
        }
        entries.insert(hash, (identity, exp));
    }

    /// Forgets every token (after a key set changed).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many tokens are remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no token is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::identity::Regulator;

    fn who(n: u32) -> Identity {
        Identity::Regulator(Regulator {
            subject: format!("r{n}"),
        })
    }

    #[test]
    fn an_entry_is_served_strictly_before_exp_only() {
        let cache = TokenCache::new(4);
        let h = TokenHash::of("t");
        cache.insert(h, who(1), 100, 50);
        assert_eq!(cache.get(&h, 99), Some(who(1)));
        assert_eq!(cache.get(&h, 100), None);
        assert!(cache.is_empty(), "an expired entry is dropped when met");
        assert_eq!(cache.get(&h, 50), None);
    }

    #[test]
    fn an_already_expired_token_is_not_stored() {
        let cache = TokenCache::new(4);
        cache.insert(TokenHash::of("t"), who(1), 100, 100);
        assert!(cache.is_empty());
    }

    #[test]
    fn it_stays_bounded_dropping_expired_then_soonest() {
        let cache = TokenCache::new(3);
        cache.insert(TokenHash::of("a"), who(1), 20, 0);
        cache.insert(TokenHash::of("b"), who(2), 300, 0);
        cache.insert(TokenHash::of("c"), who(3), 200, 0);
        // At 30, "a" has expired: it goes first.
        cache.insert(TokenHash::of("d"), who(4), 400, 30);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&TokenHash::of("b"), 30), Some(who(2)));
        // Full of live entries: the soonest to expire ("c") makes room.
        cache.insert(TokenHash::of("e"), who(5), 500, 30);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&TokenHash::of("c"), 30), None);
        assert_eq!(cache.get(&TokenHash::of("e"), 30), Some(who(5)));
    }

    #[test]
    fn the_hash_prefix_does_not_contain_the_token() {
        let h = TokenHash::of("secret-token");
        assert_eq!(h.short().len(), 12);
        assert!(!h.short().contains("secret"));
    }
}
