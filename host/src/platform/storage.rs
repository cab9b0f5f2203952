//! `officine:platform/storage`.

use super::Platform;
use crate::db::storage::{self as db, SetOutcome};
use crate::runtime::bindings::storage::Host;
use crate::runtime::bindings::types::Error;

pub const MAX_KEY: usize = 128;

impl Host for Platform {
    async fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, Error> {
        check_key(&key)?;
        db::get(&self.db, &self.service, &self.patient, &key)
            .await
            .map_err(|e| self.unavailable("storage.get", e))
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), Error> {
        check_key(&key)?;
        let outcome = db::set(
            &self.db,
            &self.service,
            &self.patient,
            &key,
            &value,
            self.limits.storage_quota,
        )
        .await
        .map_err(|e| self.unavailable("storage.set", e))?;
        match outcome {
            SetOutcome::Stored => Ok(()),
            SetOutcome::OverQuota { would_use, quota } => Err(Error::Limit(format!(
                "storage quota: this would use {would_use} bytes of {quota}"
            ))),
        }
    }

    async fn delete(&mut self, key: String) -> Result<(), Error> {
        check_key(&key)?;
        db::delete(&self.db, &self.service, &self.patient, &key)
            .await
            .map_err(|e| self.unavailable("storage.delete", e))
    }

    async fn keys(&mut self) -> Result<Vec<String>, Error> {
        db::keys(&self.db, &self.service, &self.patient)
            .await
            .map_err(|e| self.unavailable("storage.keys", e))
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
