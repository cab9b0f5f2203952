//! A small key-value space private to this service and this patient.
//!
//! No other service and no other patient's invocation can see it; it is
//! erased when the patient revokes the service with erasure. Keys are 1 to
//! 128 bytes of printable ASCII; the space holds at most 1 MiB per (service,
//! patient), going over answers [`Error::Limit`].
//!
//! Every call needs the `storage` scope.
//!
//! ```no_run
//! use officine_sdk::storage;
//!
//! # fn main() -> officine_sdk::Result<()> {
//! storage::set_json("goal-weight", &70.0)?;
//! let goal: Option<f64> = storage::get_json("goal-weight")?;
//! storage::delete("goal-weight")?;
//! # Ok(())
//! # }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::officine::platform::storage as raw;
use crate::{Error, Result};

/// The value stored under `key`, if any.
pub fn get(key: &str) -> Result<Option<Vec<u8>>> {
    Ok(raw::get(key)?)
}

/// Stores `value` under `key`, replacing any previous value.
pub fn set(key: &str, value: &[u8]) -> Result<()> {
    Ok(raw::set(key, value)?)
}

/// Removes `key`; removing an absent key is not an error.
pub fn delete(key: &str) -> Result<()> {
    Ok(raw::delete(key)?)
}

/// The keys stored, in byte order.
pub fn keys() -> Result<Vec<String>> {
    Ok(raw::keys()?)
}

/// The JSON value stored under `key`, decoded into `T`;
/// [`Error::Decode`] when the stored bytes do not decode as a `T`.
pub fn get_json<T: DeserializeOwned>(key: &str) -> Result<Option<T>> {
    get(key)?.map(|bytes| decode_json(key, &bytes)).transpose()
}

/// Stores `value` under `key` as JSON.
pub fn set_json<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<()> {
    set(key, &encode_json(key, value)?)
}

fn decode_json<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Decode(format!("stored value {key:?}: {e}")))
}

fn encode_json<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Error::Decode(format!("value for {key:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Goal {
            kg: f64,
        }
        let bytes = encode_json("goal", &Goal { kg: 70.5 }).unwrap();
        assert_eq!(bytes, br#"{"kg":70.5}"#);
        assert_eq!(
            decode_json::<Goal>("goal", &bytes).unwrap(),
            Goal { kg: 70.5 }
        );
        let err = decode_json::<Goal>("goal", b"70").unwrap_err();
        assert!(matches!(err, Error::Decode(ref m) if m.contains("\"goal\"")));
    }
}
