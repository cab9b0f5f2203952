//! Per-service pseudonyms of patients.
//!
//! A component never sees a patient's internal id, let alone the national
//! health identifier (INS): it sees a pseudonym, a keyed hash of the
//! service id and the patient id under a platform secret. The pseudonym is
//! stable for a (service, patient) pair, so a service can keep its own
//! records about "this patient"; two services see unrelated pseudonyms, so
//! they cannot join what they know; and without the secret nobody can go
//! back from a pseudonym to the patient.

use std::path::Path;

use crate::model::{PatientId, ServiceId};

/// Separates the pseudonym key from any other use of the same secret.
const CONTEXT: &str = "officine 2026-11 patient pseudonym for a service";

/// The platform secret pseudonyms are derived from.
#[derive(Clone)]
pub struct PseudonymKey {
    key: [u8; 32],
}

impl PseudonymKey {
    /// A key from a 32-byte secret.
    pub fn from_secret(secret: &[u8; 32]) -> PseudonymKey {
        PseudonymKey {
            key: blake3::derive_key(CONTEXT, secret),
        }
    }

    /// A fresh random key: pseudonyms change with it, so only for throwaway
    /// runs (tests, the editor's harness).
    pub fn random() -> PseudonymKey {
        PseudonymKey::from_secret(&random_secret())
    }

    /// The key whose secret is `text`: 64 hex digits.
    pub fn from_hex(text: &str) -> Option<PseudonymKey> {
        parse_secret(text.trim()).map(|secret| PseudonymKey::from_secret(&secret))
    }

    /// The key whose secret is kept in `path` (64 hex digits), created
    /// readable by the owner only if absent.
    pub fn load_or_create(path: &Path) -> std::io::Result<PseudonymKey> {
        match std::fs::read_to_string(path) {
            Ok(text) => parse_secret(text.trim())
                .map(|secret| PseudonymKey::from_secret(&secret))
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} does not hold a 64-hex-digit secret", path.display()),
                    )
                }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let secret = random_secret();
                crate::files::create_private(
                    path,
                    format!("{}\n", hex::encode(secret)).as_bytes(),
                )?;
                Ok(PseudonymKey::from_secret(&secret))
            }
            Err(error) => Err(error),
        }
    }

    /// The pseudonym `service` sees for `patient`: 32 hex digits.
    pub fn pseudonym(&self, service: &ServiceId, patient: &PatientId) -> String {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        // Service ids never contain a NUL byte: the pair is unambiguous.
        hasher.update(service.as_str().as_bytes());
        hasher.update(&[0]);
        hasher.update(patient.as_str().as_bytes());
        hex::encode(&hasher.finalize().as_bytes()[..16])
    }
}

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

fn random_secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).expect("the operating system's random source is available");
    secret
}

fn parse_secret(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_per_service_and_unrelated_across_services() {
        let key = PseudonymKey::from_secret(&[1; 32]);
        let patient = PatientId::new("demo");
        let a = ServiceId::new("fr.example.a").unwrap();
        let b = ServiceId::new("fr.example.b").unwrap();
        let p = key.pseudonym(&a, &patient);
        assert_eq!(p, key.pseudonym(&a, &patient));
        assert_eq!(p.len(), 32);
        assert_ne!(p, key.pseudonym(&b, &patient));
        assert_ne!(p, key.pseudonym(&a, &PatientId::new("demo2")));
        assert!(!p.contains("demo"));
        let other = PseudonymKey::from_secret(&[2; 32]);
        assert_ne!(p, other.pseudonym(&a, &patient));
    }

    #[test]
    fn the_secret_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pseudonym.key");
        let first = PseudonymKey::load_or_create(&path).unwrap();
        let again = PseudonymKey::load_or_create(&path).unwrap();
        let (s, p) = (ServiceId::new("fr.example.a").unwrap(), PatientId::new("x"));
        assert_eq!(first.pseudonym(&s, &p), again.pseudonym(&s, &p));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        let error = PseudonymKey::load_or_create(&path).unwrap_err();
        assert!(error.to_string().contains("64-hex-digit secret"), "{error}");
    }
}
