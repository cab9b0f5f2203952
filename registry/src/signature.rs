//! Sigstore bundles: how editors sign releases and how anyone verifies them.
//!
//! An editor signs a release's canonical JSON and gets a bundle that carries
//! no log entry yet ([`sign`]). At submission the registry logs the signature
//! in its own transparency log, in the form a Sigstore Rekor v2 log uses
//! (a `hashedrekord` 0.0.2 entry, [`log_body`]), and completes the bundle
//! with the entry, its inclusion proof and a signed checkpoint
//! ([`with_log_entry`]). From then on the bundle verifies with any Sigstore
//! client given the registry's trusted root, offline.
//!
//! Verification ([`verify`]) is `sigstore-verify`'s, in full: signature,
//! log inclusion, checkpoint signature and, for certificate identities, the
//! certificate chain and its certificate-transparency proof.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sigstore_verify::types::bundle::{SignatureContent, VerificationMaterialContent};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy};

use crate::canonical::to_canonical;
use crate::keys::{KeyId, KeyPair, PublicKey};
use crate::release::Sha256Digest;

const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const TRUSTED_ROOT_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
const KEY_DETAILS: &str = "PKIX_ECDSA_P256_SHA_256";

/// Why a bundle was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("not a Sigstore bundle: {0}")]
    Malformed(String),
    #[error("the bundle signs a DSSE envelope; a release is signed as a message")]
    NotMessageSignature,
    #[error("the bundle names no key and carries no certificate")]
    NoSigner,
    #[error("the bundle's message digest is not the SHA-256 of the release")]
    DigestMismatch,
    #[error("the signature does not verify with the editor's key {0}")]
    BadSignature(KeyId),
    #[error("the signature does not verify: {0}")]
    Verification(#[from] sigstore_verify::Error),
    #[error("invalid trusted root: {0}")]
    TrustedRoot(String),
}

/// Who made a bundle's signature, as the bundle itself says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// A managed key, named by its hint (Officine writes the key id).
    Key { hint: String },
    /// A signing certificate, DER.
    Certificate(Vec<u8>),
}

/// Whom a verifier requires the signature to be from.
#[derive(Debug, Clone)]
pub enum Identity {
    /// An editor's registered key.
    Key(PublicKey),
    /// A certificate, from an authority in the trusted root, naming this
    /// subject (e-mail or URI) and issued on this OpenID issuer's word.
    Certificate { subject: String, issuer: String },
}

/// A Sigstore bundle holding a message signature.
#[derive(Debug, Clone)]
pub struct Bundle(sigstore_verify::types::Bundle);

impl Bundle {
    /// Reads a bundle from its JSON form.
    pub fn from_json(text: &str) -> Result<Self, SignatureError> {
        let bundle = sigstore_verify::types::Bundle::from_json(text)
            .map_err(|e| SignatureError::Malformed(e.to_string()))?;
        match bundle.content {
            SignatureContent::MessageSignature(_) => Ok(Bundle(bundle)),
            _ => Err(SignatureError::NotMessageSignature),
        }
    }

    pub fn to_json(&self) -> String {
        self.0.to_json().expect("a parsed bundle serializes")
    }

    /// The signature bytes.
    pub fn signature(&self) -> &[u8] {
        match &self.0.content {
            SignatureContent::MessageSignature(m) => m.signature.as_bytes(),
            _ => unreachable!("only message signatures are accepted"),
        }
    }

    /// The key hint or certificate the bundle carries.
    pub fn signer(&self) -> Result<Signer, SignatureError> {
        match &self.0.verification_material.content {
            VerificationMaterialContent::PublicKey(key) if !key.hint.is_empty() => {
                Ok(Signer::Key {
                    hint: key.hint.clone(),
                })
            }
            VerificationMaterialContent::PublicKey(_) => Err(SignatureError::NoSigner),
            _ => self
                .0
                .signing_certificate()
                .map(|der| Signer::Certificate(der.as_bytes().to_vec()))
                .ok_or(SignatureError::NoSigner),
        }
    }

    /// How many transparency-log entries the bundle carries.
    pub fn log_entries(&self) -> usize {
        self.0.verification_material.tlog_entries.len()
    }

    fn to_value(&self) -> Value {
        serde_json::to_value(&self.0).expect("a parsed bundle serializes")
    }
}

/// Signs a release's canonical JSON with an editor's key. The bundle has no
/// log entry: the registry adds it at submission.
pub fn sign(release_json: &str, key: &KeyPair) -> Bundle {
    let digest = Sha256Digest::of(release_json.as_bytes());
    let text = json!({
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "publicKey": { "hint": key.public_key().id().to_string() },
            "tlogEntries": [],
        },
        "messageSignature": {
            "messageDigest": { "algorithm": "SHA2_256", "digest": STANDARD.encode(digest.as_bytes()) },
            "signature": STANDARD.encode(key.sign(release_json.as_bytes())),
        },
    })
    .to_string();
    Bundle::from_json(&text).expect("a bundle this module writes parses")
}

/// The transparency-log entry body for a bundle's signature over
/// `release_json`: a Rekor v2 `hashedrekord` 0.0.2 entry, in canonical JSON.
///
/// For a managed-key bundle the caller passes the editor's registered key
/// (the bundle only names it); a certificate bundle carries its own. The
/// signature is checked here first, so a bad signature never enters the log.
pub fn log_body(
    release_json: &str,
    bundle: &Bundle,
    key: Option<&PublicKey>,
) -> Result<Vec<u8>, SignatureError> {
    let digest = Sha256Digest::of(release_json.as_bytes());
    if let SignatureContent::MessageSignature(m) = &bundle.0.content
        && let Some(claimed) = &m.message_digest
        && claimed.digest.as_bytes() != digest.as_bytes()
    {
        return Err(SignatureError::DigestMismatch);
    }
    let verifier = match (bundle.signer()?, key) {
        (Signer::Key { .. }, Some(key)) => {
            key.verify(release_json.as_bytes(), bundle.signature())
                .map_err(|_| SignatureError::BadSignature(key.id()))?;
            json!({ "keyDetails": KEY_DETAILS, "publicKey": { "rawBytes": STANDARD.encode(key.der()) } })
        }
        (Signer::Key { .. }, None) => return Err(SignatureError::NoSigner),
        (Signer::Certificate(der), _) => {
            json!({ "keyDetails": KEY_DETAILS, "x509Certificate": { "rawBytes": STANDARD.encode(der) } })
        }
    };
    let body = json!({
        "apiVersion": "0.0.2",
        "kind": "hashedrekord",
        "spec": { "hashedRekordV002": {
            "data": { "algorithm": "SHA2_256", "digest": STANDARD.encode(digest.as_bytes()) },
            "signature": { "content": STANDARD.encode(bundle.signature()), "verifier": verifier },
        } },
    });
    Ok(to_canonical(&body).into_bytes())
}

/// Where a signature sits in the registry's log, and the proof of it.
#[derive(Debug, Clone)]
pub struct LogEntry<'a> {
    /// The entry's index in the log.
    pub index: u64,
    /// The log's key id.
    pub log_id: KeyId,
    /// The logged body, from [`log_body`].
    pub body: &'a [u8],
    /// The inclusion proof's hashes, leaf to root.
    pub proof: &'a [officine_tlog::Hash],
    /// The signed checkpoint the proof leads to.
    pub checkpoint: &'a str,
}

/// The bundle, completed with its entry in the registry's log.
pub fn with_log_entry(bundle: &Bundle, entry: &LogEntry<'_>) -> Result<Bundle, SignatureError> {
    let size = officine_tlog::SignedCheckpoint::parse(entry.checkpoint)
        .map_err(|e| SignatureError::Malformed(e.to_string()))?
        .checkpoint()
        .clone();
    let mut value = bundle.to_value();
    let logged = json!({
        "logIndex": entry.index.to_string(),
        "logId": { "keyId": STANDARD.encode(entry.log_id.as_bytes()) },
        "kindVersion": { "kind": "hashedrekord", "version": "0.0.2" },
        "inclusionProof": {
            "logIndex": entry.index.to_string(),
            "rootHash": STANDARD.encode(size.root()),
            "treeSize": size.size().to_string(),
            "hashes": entry.proof.iter().map(|h| STANDARD.encode(h)).collect::<Vec<_>>(),
            "checkpoint": { "envelope": entry.checkpoint },
        },
        "canonicalizedBody": STANDARD.encode(entry.body),
    });
    // Kept beside any entry the bundle had: a certificate bundle arrives
    // logged by the editor's Sigstore instance already.
    match &mut value["verificationMaterial"]["tlogEntries"] {
        Value::Array(entries) => entries.push(logged),
        other => *other = json!([logged]),
    }
    Bundle::from_json(&value.to_string())
}

/// The trust a verifier starts from: the registry's log key and, in
/// deployments that accept certificate identities, the certificate
/// authorities and logs of a Sigstore instance.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    root: sigstore_verify::trust_root::TrustedRoot,
    json: String,
}

impl TrustedRoot {
    /// A trusted root listing one log: the registry's, under `origin`,
    /// trusted for entries from `valid_from` (RFC 3339) on. `extra`, a
    /// Sigstore trusted root JSON, adds its authorities and logs.
    pub fn for_registry(
        origin: &str,
        log_key: &PublicKey,
        valid_from: &str,
        extra: Option<&str>,
    ) -> Result<Self, SignatureError> {
        let mut root = match extra {
            Some(text) => serde_json::from_str::<Value>(text)
                .map_err(|e| SignatureError::TrustedRoot(e.to_string()))?,
            None => json!({ "mediaType": TRUSTED_ROOT_MEDIA_TYPE }),
        };
        let log = json!({
            "baseUrl": format!("https://{origin}"),
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": STANDARD.encode(log_key.der()),
                "keyDetails": KEY_DETAILS,
                "validFor": { "start": valid_from },
            },
            "logId": { "keyId": STANDARD.encode(log_key.id().as_bytes()) },
        });
        let object = root
            .as_object_mut()
            .ok_or_else(|| SignatureError::TrustedRoot("expected a JSON object".into()))?;
        match object.entry("tlogs").or_insert_with(|| json!([])) {
            Value::Array(logs) => logs.push(log),
            _ => {
                return Err(SignatureError::TrustedRoot(
                    "tlogs: expected an array".into(),
                ));
            }
        }
        Self::from_json(&serde_json::to_string_pretty(&root).expect("JSON serializes"))
    }

    /// This root, also trusting what `other` (a Sigstore trusted root)
    /// lists: its certificate authorities, certificate-transparency logs,
    /// transparency logs and timestamp authorities.
    pub fn merged_with(&self, other: &str) -> Result<Self, SignatureError> {
        let parse = |text: &str| {
            serde_json::from_str::<Value>(text)
                .map_err(|e| SignatureError::TrustedRoot(e.to_string()))
        };
        let mut root = parse(&self.json)?;
        let other = parse(other)?;
        for list in [
            "certificateAuthorities",
            "ctlogs",
            "tlogs",
            "timestampAuthorities",
        ] {
            let Some(Value::Array(added)) = other.get(list) else {
                continue;
            };
            let entries = root
                .as_object_mut()
                .ok_or_else(|| SignatureError::TrustedRoot("expected a JSON object".into()))?
                .entry(list)
                .or_insert_with(|| json!([]));
            let Value::Array(entries) = entries else {
                return Err(SignatureError::TrustedRoot(format!(
                    "{list}: expected an array"
                )));
            };
            for entry in added {
                if !entries.contains(entry) {
                    entries.push(entry.clone());
                }
            }
        }
        Self::from_json(&serde_json::to_string_pretty(&root).expect("JSON serializes"))
    }

    /// Reads a Sigstore trusted root.
    pub fn from_json(text: &str) -> Result<Self, SignatureError> {
        let root = sigstore_verify::trust_root::TrustedRoot::from_json(text)
            .map_err(|e| SignatureError::TrustedRoot(e.to_string()))?;
        // Fail now, not at the first verification, if its keys are unusable.
        sigstore_verify::Verifier::new(&root)?;
        Ok(TrustedRoot {
            root,
            json: text.to_owned(),
        })
    }

    /// The key of the log the root lists under `origin` (its `baseUrl` is
    /// `https://<origin>`), if any.
    pub fn log_key(&self, origin: &str) -> Option<PublicKey> {
        let url = format!("https://{origin}");
        self.root
            .tlogs
            .iter()
            .filter(|log| log.base_url.trim_end_matches('/') == url)
            .find_map(|log| PublicKey::from_der(log.public_key.raw_bytes.as_bytes()).ok())
    }

    /// Whether the root lists a transparency log with this key.
    pub fn lists_log(&self, key: &PublicKey) -> bool {
        self.root
            .tlogs
            .iter()
            .any(|log| log.public_key.raw_bytes.as_bytes() == key.der())
    }

    /// The JSON text, for clients and for the regulator's offline checks.
    pub fn to_json(&self) -> &str {
        &self.json
    }
}

/// Verifies `bundle` as a signature by `identity` over `release_json`,
/// logged in a log the trusted root lists.
pub fn verify(
    release_json: &str,
    bundle: &Bundle,
    identity: &Identity,
    root: &TrustedRoot,
) -> Result<(), SignatureError> {
    if bundle.log_entries() == 0 {
        // sigstore-verify refuses it too; this says why in our words.
        return Err(SignatureError::Malformed(
            "the bundle carries no transparency-log entry: submit it to the registry".into(),
        ));
    }
    let verifier = sigstore_verify::Verifier::new(&root.root)?;
    let artifact = release_json.as_bytes();
    match identity {
        Identity::Key(key) => {
            let der = sigstore_verify::types::DerPublicKey::new(key.der().to_vec());
            verifier.verify(artifact, &bundle.0, &PublicKeyVerificationPolicy::new(der))?;
        }
        Identity::Certificate { subject, issuer } => {
            let policy = VerificationPolicy::new(subject.as_str(), issuer.as_str());
            verifier.verify(artifact, &bundle.0, &policy)?;
        }
    }
    Ok(())
}
