//! Signing keys: editors' keys and the registry's log key.
//!
//! Every key is ECDSA P-256 with SHA-256: it is the one algorithm that
//! Sigstore's Rekor v2 log entries accept for a raw key, and the one every
//! Sigstore client verifies. Private keys are PKCS#8, public keys
//! SubjectPublicKeyInfo, both exchanged as PEM.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _,
    ParsedPublicKey,
};
use zeroize::Zeroizing;

use crate::Sha256Digest;

const PRIVATE_KEY_TAG: &str = "PRIVATE KEY";
const PUBLIC_KEY_TAG: &str = "PUBLIC KEY";

/// Why a key could not be read or made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM block: {0}")]
    Pem(String),
    #[error("expected a PEM block labelled {expected:?}, found {found:?}")]
    Label {
        expected: &'static str,
        found: String,
    },
    #[error("not an ECDSA P-256 {0} key")]
    NotP256(&'static str),
    #[error("the system's random number generator failed")]
    Random,
}

/// A signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the signature does not verify with this key")]
pub struct BadSignature;

/// A private signing key and its public half.
pub struct KeyPair {
    pair: EcdsaKeyPair,
    public: PublicKey,
}

impl KeyPair {
    /// A new random key.
    pub fn generate() -> Result<Self, KeyError> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
            .map_err(|_| KeyError::Random)?;
        Self::from_pair(pair)
    }

    /// Reads a PKCS#8 PEM private key.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let der = Zeroizing::new(pem_contents(text, PRIVATE_KEY_TAG)?);
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &der)
            .map_err(|_| KeyError::NotP256("private"))?;
        Self::from_pair(pair)
    }

    fn from_pair(pair: EcdsaKeyPair) -> Result<Self, KeyError> {
        let der = pair
            .public_key()
            .as_der()
            .map_err(|_| KeyError::NotP256("public"))?;
        let public = PublicKey::from_der(der.as_ref())?;
        Ok(KeyPair { pair, public })
    }

    /// The private key as PKCS#8 PEM, wiped from memory when dropped.
    pub fn to_pem(&self) -> Zeroizing<String> {
        let der = self
            .pair
            .to_pkcs8v1()
            .expect("a P-256 key pair always serialises");
        Zeroizing::new(pem::encode(&pem::Pem::new(
            PRIVATE_KEY_TAG,
            der.as_ref().to_vec(),
        )))
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `message` (hashed with SHA-256 here); the signature is ASN.1 DER.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .expect("ECDSA signing with a valid key does not fail")
            .as_ref()
            .to_vec()
    }
}

/// A private key is never printed.
impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public.id())
            .finish_non_exhaustive()
    }
}

/// A P-256 public key, validated, held in its SubjectPublicKeyInfo DER form.
#[derive(Clone)]
pub struct PublicKey {
    parsed: ParsedPublicKey,
    der: Vec<u8>,
}

impl PublicKey {
    /// Reads a SubjectPublicKeyInfo DER key; a bare curve point is refused,
    /// so that one key has one encoding and one id.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        let is_spki = der.first() == Some(&0x30);
        let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, der)
            .ok()
            .filter(|_| is_spki)
            .ok_or(KeyError::NotP256("public"))?;
        Ok(PublicKey {
            parsed,
            der: der.to_vec(),
        })
    }

    /// Reads a PEM `PUBLIC KEY` block.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        Self::from_der(&pem_contents(text, PUBLIC_KEY_TAG)?)
    }

    pub fn to_pem(&self) -> String {
        pem::encode(&pem::Pem::new(PUBLIC_KEY_TAG, self.der.clone()))
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The key's id: the SHA-256 of its DER form, as Sigstore names keys.
    pub fn id(&self) -> KeyId {
        KeyId(Sha256Digest::of(&self.der))
    }

    /// Checks an ASN.1 DER ECDSA signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        self.parsed
            .verify_sig(message, signature)
            .map_err(|_| BadSignature)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicKey").field(&self.id()).finish()
    }
}

/// The SHA-256 of a public key's DER form, written in lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(Sha256Digest);

impl KeyId {
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// The first four bytes: how a signed note names the key.
    pub fn hint(&self) -> [u8; 4] {
        let bytes = self.as_bytes();
        [bytes[0], bytes[1], bytes[2], bytes[3]]
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Why a text is not a key id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a key id is 64 lowercase hexadecimal digits, not {0:?}")]
pub struct KeyIdError(String);

impl FromStr for KeyId {
    type Err = KeyIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse()
            .map(KeyId)
            .map_err(|_| KeyIdError(text.to_owned()))
    }
}

fn pem_contents(text: &str, expected: &'static str) -> Result<Vec<u8>, KeyError> {
    let block = pem::parse(text).map_err(|e| KeyError::Pem(e.to_string()))?;
    if block.tag() != expected {
        return Err(KeyError::Label {
            expected,
            found: block.tag().to_owned(),
        });
    }
    Ok(block.into_contents())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_signs_and_its_public_half_verifies() {
        let key = KeyPair::generate().unwrap();
        let signature = key.sign(b"manifest");
        assert_eq!(key.public_key().verify(b"manifest", &signature), Ok(()));
        assert_eq!(
            key.public_key().verify(b"manifesT", &signature),
            Err(BadSignature)
        );
        let other = KeyPair::generate().unwrap();
        assert_eq!(
            other.public_key().verify(b"manifest", &signature),
            Err(BadSignature)
        );
    }

    #[test]
    fn keys_round_trip_through_pem_and_keep_their_id() {
        let key = KeyPair::generate().unwrap();
        let again = KeyPair::from_pem(&key.to_pem()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let public = PublicKey::from_pem(&key.public_key().to_pem()).unwrap();
        assert_eq!(public.id(), key.public_key().id());
        assert_eq!(public.id().to_string().parse::<KeyId>(), Ok(public.id()));
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[test]
    fn anything_but_a_p256_key_is_refused() {
        let key = KeyPair::generate().unwrap();
        assert!(matches!(
            PublicKey::from_pem(&key.to_pem()),
            Err(KeyError::Label {
                expected: "PUBLIC KEY",
                ..
            })
        ));
        assert!(matches!(
            KeyPair::from_pem("not a key"),
            Err(KeyError::Pem(_))
        ));
        // An Ed25519 SubjectPublicKeyInfo.
        let ed25519 = hex::decode(
            "302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        )
        .unwrap();
        assert_eq!(
            PublicKey::from_der(&ed25519).err(),
            Some(KeyError::NotP256("public"))
        );
        // The bare point of a valid key.
        let point = &key.public_key().der()[26..];
        assert_eq!(point.len(), 65);
        assert_eq!(
            PublicKey::from_der(point).err(),
            Some(KeyError::NotP256("public"))
        );
        assert!("ABCD".parse::<KeyId>().is_err());
        assert!(
            key.public_key()
                .id()
                .to_string()
                .to_uppercase()
                .parse::<KeyId>()
                .is_err()
        );
    }
}
