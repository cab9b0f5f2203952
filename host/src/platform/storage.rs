//! `officine:platform/storage`.

use officine_policy::{Item, Op};

use super::{ATTEMPTS, Platform};
use crate::db::GrantGuard;
use crate::db::storage::{self as db, Lookup, SetOutcome, Space};
use crate::runtime::bindings::storage::Host;
use crate::runtime::bindings::types::Error;

pub const MAX_KEY: usize = 128;

impl Host for Platform {
    async fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, Error> {
        self.enter("storage.get")?;
        let result = self.storage_get(key).await;
        self.audit_read("storage.get", &result, |v| u64::from(v.is_some()));
        result
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.enter("storage.set")?;
        let result = self.storage_set(key, value).await;
        self.audit_change("storage.set", &result);
        result
    }

    async fn delete(&mut self, key: String) -> Result<(), Error> {
        self.enter("storage.delete")?;
        let result = self.storage_delete(key).await;
        self.audit_change("storage.delete", &result);
        result
    }

    async fn keys(&mut self) -> Result<Vec<String>, Error> {
        self.enter("storage.keys")?;
        let result = self.storage_keys().await;
        self.audit_read("storage.keys", &result, |r| r.len() as u64);
        result
    }
}

impl Platform {
    async fn storage_get(&mut self, key: String) -> Result<Option<Vec<u8>>, Error> {
        self.authorize("storage.get", Op::Read, Item::Storage, None)?;
        check_key(&key)?;
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("storage.get", Op::Read, Item::Storage, None)?;
            let found = db::get(&self.db, self.space(&guard), &key)
                .await
                .map_err(|e| self.unavailable("storage.get", e))?;
            match found {
                Lookup::Found(value) => return Ok(value),
                Lookup::GrantGone => {
                    self.grant_changed("storage.get").await?;
                }
            }
        }
        Err(Error::Unavailable)
    }

    async fn storage_set(&mut self, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.authorize("storage.set", Op::Create, Item::Storage, None)?;
        check_key(&key)?;
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("storage.set", Op::Create, Item::Storage, None)?;
            let quota = self.limits.storage_quota;
            let outcome = db::set(&self.db, self.space(&guard), &key, &value, quota)
                .await
                .map_err(|e| self.unavailable("storage.set", e))?;
            match outcome {
                SetOutcome::Stored => return Ok(()),
                SetOutcome::GrantGone => {
                    self.grant_changed("storage.set").await?;
                }
                SetOutcome::OverQuota { would_use, quota } => {
                    return Err(Error::Limit(format!(
                        "storage quota: this would use {would_use} bytes of {quota}"
                    )));
                }
            }
        }
        Err(Error::Unavailable)
    }

    async fn storage_delete(&mut self, key: String) -> Result<(), Error> {
        self.authorize("storage.delete", Op::Delete, Item::Storage, None)?;
        check_key(&key)?;
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("storage.delete", Op::Delete, Item::Storage, None)?;
            let deleted = db::delete(&self.db, self.space(&guard), &key)
                .await
                .map_err(|e| self.unavailable("storage.delete", e))?;
            // Nothing deleted: no such key (fine), or no grant.
            if !deleted && self.grant_changed("storage.delete").await? {
                continue;
            }
            return Ok(());
        }
        Err(Error::Unavailable)
    }

    async fn storage_keys(&mut self) -> Result<Vec<String>, Error> {
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("storage.keys", Op::Search, Item::Storage, None)?;
            let keys = db::keys(&self.db, self.space(&guard))
                .await
                .map_err(|e| self.unavailable("storage.keys", e))?;
            if keys.is_empty() && self.grant_changed("storage.keys").await? {
                continue;
            }
            return Ok(keys);
        }
        Err(Error::Unavailable)
    }
}

impl Platform {
    fn space<'a>(&'a self, guard: &'a GrantGuard) -> Space<'a> {
        Space {
            service: self.service(),
            patient: &self.patient,
            guard,
            component: self.component,
            invocation: self.invocation,
        }
    }
}

/// Keys are 1 to 128 bytes of printable ASCII.
fn check_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_KEY {
        return Err(Error::Invalid(format!(
            "key must be 1 to {MAX_KEY} bytes long"
        )));
    }
    if !key.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(Error::Invalid("key must be printable ASCII".to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_printable_ascii() {
        assert!(check_key("goal-weight").is_ok());
        assert!(check_key(&"k".repeat(MAX_KEY)).is_ok());
        for bad in ["", "tab\there", "clé", &"k".repeat(MAX_KEY + 1)] {
            assert!(
                matches!(check_key(bad), Err(Error::Invalid(_))),
                "{bad:?} accepted"
            );
        }
    }
}
