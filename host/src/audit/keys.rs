//! The audit log's signing key.
//!
//! One key per deployment, kept in the data directory next to the
//! registry's: `audit-log.key` (PKCS#8 PEM, owner-only) and its public half
//! `audit-log.pub`, which regulators keep elsewhere and verify with. Both
//! are created on first use.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use officine_registry::keys::{KeyPair, PublicKey};
use officine_registry::log::{LogSigner, LogVerifier};

use super::seal::ORIGIN;

const KEY_FILE: &str = "audit-log.key";
const PUBLIC_KEY_FILE: &str = "audit-log.pub";

#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct KeyFileError {
    pub path: PathBuf,
    pub problem: String,
}

fn fault(path: &Path, problem: impl ToString) -> KeyFileError {
    KeyFileError {
        path: path.to_owned(),
        problem: problem.to_string(),
    }
}

/// The signer of the audit log kept in `data`, created if missing. An
/// existing public key file must be the key's: a key swapped on disk is
/// noticed.
pub fn load_or_create(data: &Path) -> Result<Arc<LogSigner>, KeyFileError> {
    let key_path = data.join(KEY_FILE);
    let public_path = public_key_path(data);
    let key = match std::fs::read_to_string(&key_path) {
        Ok(text) => KeyPair::from_pem(&text).map_err(|e| fault(&key_path, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = KeyPair::generate().map_err(|e| fault(&key_path, e))?;
            crate::files::create_private(&key_path, key.to_pem().as_bytes())
                .map_err(|e| fault(&key_path, e))?;
            std::fs::write(&public_path, key.public_key().to_pem())
                .map_err(|e| fault(&public_path, e))?;
            key
        }
        Err(e) => return Err(fault(&key_path, e)),
    };
    let public = read_public_key(&public_path)?;
    if &public != key.public_key() {
        return Err(fault(
            &public_path,
            format!("is not the public half of {}", key_path.display()),
        ));
    }
    Ok(Arc::new(LogSigner::new(ORIGIN, key)))
}

/// Where the public key of the audit log kept in `data` is.
pub fn public_key_path(data: &Path) -> PathBuf {
    data.join(PUBLIC_KEY_FILE)
}

/// The verifier of checkpoints signed by the key whose public half is at `path`.
pub fn verifier(path: &Path) -> Result<LogVerifier, KeyFileError> {
    Ok(LogVerifier::new(ORIGIN, read_public_key(path)?))
}

fn read_public_key(path: &Path) -> Result<PublicKey, KeyFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| fault(path, e))?;
    PublicKey::from_pem(&text).map_err(|e| fault(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_and_checked_against_its_public_half() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path()).unwrap();
        let again = load_or_create(dir.path()).unwrap();
        assert_eq!(first.key().public_key(), again.key().public_key());
        let verifier = verifier(&public_key_path(dir.path())).unwrap();
        assert_eq!(verifier.key(), first.key().public_key());

        let other = KeyPair::generate().unwrap();
        std::fs::write(public_key_path(dir.path()), other.public_key().to_pem()).unwrap();
        let error = load_or_create(dir.path()).unwrap_err();
        assert!(
            error.to_string().contains("is not the public half"),
            "{error}"
        );
    }
}
