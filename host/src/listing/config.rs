//! The registry's keys and trust: its log key and the trusted root that
//! verifiers (hosts, regulators, Sigstore clients) start from.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use officine_registry::keys::KeyPair;
use officine_registry::log::{LogSigner, LogVerifier};
use officine_registry::signature::TrustedRoot;

use super::ListingError;

/// The log's name: the origin line of its checkpoints, and the host of the
/// `baseUrl` under which the trusted root lists it.
pub const DEFAULT_ORIGIN: &str = "registry.officine.localhost";

/// File names in a data directory.
const LOG_KEY_FILE: &str = "registry-log.key";
const TRUSTED_ROOT_FILE: &str = "trusted_root.json";

/// The registry's signing key and the trusted root that lists it.
#[derive(Debug, Clone)]
pub struct RegistryKeys {
    pub signer: Arc<LogSigner>,
    pub root: Arc<TrustedRoot>,
}

impl RegistryKeys {
    /// The keys kept in `data`: `registry-log.key` (PKCS#8 PEM, owner-only)
    /// and `trusted_root.json`. Both are created on first use; an existing
    /// trusted root must list the key, so a key swapped on disk is noticed.
    pub fn load_or_create(data: &Path) -> Result<Self, ListingError> {
        let key_path = data.join(LOG_KEY_FILE);
        let root_path = data.join(TRUSTED_ROOT_FILE);
        let key = match std::fs::read_to_string(&key_path) {
            Ok(text) => KeyPair::from_pem(&text).map_err(|e| ListingError::File {
                path: key_path.clone(),
                problem: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = KeyPair::generate()?;
                crate::files::create_private(&key_path, key.to_pem().as_bytes())
                    .map_err(|e| io_error(&key_path, e))?;
                let root = TrustedRoot::for_registry(
                    DEFAULT_ORIGIN,
                    key.public_key(),
                    &now_rfc3339(),
                    None,
                )?;
                std::fs::write(&root_path, root.to_json()).map_err(|e| io_error(&root_path, e))?;
                key
            }
            Err(e) => return Err(io_error(&key_path, e)),
        };
        let text = std::fs::read_to_string(&root_path).map_err(|e| io_error(&root_path, e))?;
        let root = TrustedRoot::from_json(&text)?;
        if !root.lists_log(key.public_key()) {
            return Err(ListingError::File {
                path: root_path,
                problem: format!(
                    "does not list the registry's log key {}",
                    key.public_key().id()
                ),
            });
        }
        Ok(RegistryKeys {
            signer: Arc::new(LogSigner::new(DEFAULT_ORIGIN, key)),
            root: Arc::new(root),
        })
    }

    /// Adds what a Sigstore trusted root lists (a deployment's certificate
    /// authority, its logs) to the trusted root kept in `data`, so that
    /// editors can sign with certificates from that authority.
    pub fn trust(data: &Path, sigstore_root: &str) -> Result<Self, ListingError> {
        let keys = Self::load_or_create(data)?;
        let merged = keys.root.merged_with(sigstore_root)?;
        let path = data.join(TRUSTED_ROOT_FILE);
        std::fs::write(&path, merged.to_json()).map_err(|e| io_error(&path, e))?;
        Self::load_or_create(data)
    }

    /// The verifier of this registry's checkpoints.
    pub fn verifier(&self) -> LogVerifier {
        self.signer.verifier()
    }

    /// Where the trusted root of the registry in `data` is kept.
    pub fn trusted_root_path(data: &Path) -> PathBuf {
        data.join(TRUSTED_ROOT_FILE)
    }
}

fn io_error(path: &Path, error: std::io::Error) -> ListingError {
    ListingError::File {
        path: path.to_owned(),
        problem: error.to_string(),
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("zero nanoseconds is valid")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a current time formats")
}
