//! Signing a release, logging it, and verifying the completed bundle with
//! `sigstore-verify`, as the host and any regulator do.

use officine_registry::keys::KeyPair;
use officine_registry::log::LogSigner;
use officine_registry::signature::{
    self, Bundle, Identity, LogEntry, SignatureError, Signer, TrustedRoot,
};
use officine_registry::{Manifest, Release};
use officine_tlog::{Checkpoint, Hash, SignedCheckpoint, inclusion_proof, leaf_hash, root};

const ORIGIN: &str = "registry.officine.localhost/log";

fn release() -> String {
    let manifest =
        Manifest::from_toml_str(include_str!("../../plugins/weight-tracker/officine.toml"))
            .unwrap();
    Release::new(manifest, b"\0asm\x0d\0\x01\0 a component").canonical_json()
}

/// A registry log in memory: earlier entries, then the signature.
struct Log {
    signer: LogSigner,
    leaves: Vec<Hash>,
    bodies: Vec<Vec<u8>>,
}

impl Log {
    fn new() -> Self {
        let mut log = Log {
            signer: LogSigner::new(ORIGIN, KeyPair::generate().unwrap()),
            leaves: Vec::new(),
            bodies: Vec::new(),
        };
        for i in 0..5u8 {
            log.append(vec![b'e', i]);
        }
        log
    }

    fn append(&mut self, body: Vec<u8>) -> u64 {
        self.leaves.push(leaf_hash(&body));
        self.bodies.push(body);
        self.leaves.len() as u64 - 1
    }

    /// Logs the signature and completes the bundle, as submission does.
    fn complete(&mut self, release: &str, bundle: &Bundle, key: &KeyPair) -> Bundle {
        let body = signature::log_body(release, bundle, Some(key.public_key())).unwrap();
        let index = self.append(body.clone());
        let proof = inclusion_proof(&self.leaves, index).unwrap();
        let checkpoint =
            Checkpoint::new(ORIGIN, self.leaves.len() as u64, root(&self.leaves)).unwrap();
        let note = SignedCheckpoint::sign(checkpoint, &self.signer).to_string();
        signature::with_log_entry(
            bundle,
            &LogEntry {
                index,
                log_id: self.signer.key().public_key().id(),
                body: &body,
                proof: &proof,
                checkpoint: &note,
            },
        )
        .unwrap()
    }

    fn trusted_root(&self) -> TrustedRoot {
        TrustedRoot::for_registry(
            ORIGIN,
            self.signer.key().public_key(),
            "2020-01-01T00:00:00Z",
            None,
        )
        .unwrap()
    }
}

#[test]
fn a_logged_bundle_verifies_with_the_editor_key() {
    let editor = KeyPair::generate().unwrap();
    let release = release();
    let bundle = signature::sign(&release, &editor);
    assert_eq!(
        bundle.signer().unwrap(),
        Signer::Key {
            hint: editor.public_key().id().to_string()
        }
    );
    let mut log = Log::new();
    let root = log.trusted_root();
    let error = signature::verify(
        &release,
        &bundle,
        &Identity::Key(editor.public_key().clone()),
        &root,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("no transparency-log entry"),
        "{error}"
    );

    let logged = log.complete(&release, &bundle, &editor);
    assert_eq!(logged.log_entries(), 1);
    // Through its JSON form, as stored and as shipped to clients.
    let logged = Bundle::from_json(&logged.to_json()).unwrap();
    signature::verify(
        &release,
        &logged,
        &Identity::Key(editor.public_key().clone()),
        &root,
    )
    .unwrap();
}

#[test]
fn a_changed_release_another_key_or_another_log_is_refused() {
    let editor = KeyPair::generate().unwrap();
    let release = release();
    let mut log = Log::new();
    let logged = log.complete(&release, &signature::sign(&release, &editor), &editor);
    let root = log.trusted_root();
    let identity = Identity::Key(editor.public_key().clone());

    let changed = release.replace("Suivi", "Suivj");
    assert_ne!(changed, release);
    let error = signature::verify(&changed, &logged, &identity, &root).unwrap_err();
    assert!(error.to_string().contains("artifact mismatch"), "{error}");

    let other = Identity::Key(KeyPair::generate().unwrap().public_key().clone());
    let error = signature::verify(&release, &logged, &other, &root).unwrap_err();
    assert!(error.to_string().contains("invalid signature"), "{error}");

    let elsewhere = Log::new().trusted_root();
    let error = signature::verify(&release, &logged, &identity, &elsewhere).unwrap_err();
    assert!(error.to_string().contains("checkpoint"), "{error}");
}

#[test]
fn a_bad_signature_never_reaches_the_log() {
    let editor = KeyPair::generate().unwrap();
    let thief = KeyPair::generate().unwrap();
    let release = release();
    let bundle = signature::sign(&release, &thief);
    let error = signature::log_body(&release, &bundle, Some(editor.public_key())).unwrap_err();
    assert!(matches!(error, SignatureError::BadSignature(id) if id == editor.public_key().id()));
    // Signed over something else than the release submitted with it.
    let bundle = signature::sign(&release.replace("poids", "pouls"), &editor);
    assert!(matches!(
        signature::log_body(&release, &bundle, Some(editor.public_key())),
        Err(SignatureError::DigestMismatch)
    ));
}
