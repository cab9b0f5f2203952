//! Interoperability with independent Sigstore clients, offline, on loopback.
//!
//! - Releases signed by sigstore-python (PyPI) and sigstore-js (npm), with
//!   certificates from `@sigstore/mock`'s certificate authority, are
//!   submitted and served under a certificate-identity policy.
//! - The registry's managed-key bundles verify with sigstore-js.
//!
//! The clients are installed by the test itself (`npm ci`, and a Python
//! virtual environment in the target directory), from pinned versions in
//! `host/tests/interop/`.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use officine_host::db::Db;
use officine_host::listing::releases::Submission;
use officine_host::listing::served::ListingCheck;
use officine_host::listing::{Registry, RegistryKeys};
use officine_registry::keys::KeyPair;
use officine_registry::signature::Bundle;
use officine_registry::{LegalId, Manifest, Release};

use crate::support::{python_venv, run, runtime, weight_tracker_bytes};

const MANIFEST: &str = include_str!("../../../plugins/weight-tracker/officine.toml");
const SUBJECT: &str = "https://editors.officine.test/alice";
const ISSUER: &str = "https://issuer.officine.test";

fn kit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// Installs the pinned clients once per test binary; returns the Python
/// interpreter of the virtual environment.
fn clients() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let kit = kit();
        if !kit.join("node_modules/.package-lock.json").is_file() {
            run(
                Command::new("npm")
                    .args([
                        "ci",
                        "--ignore-scripts",
                        "--no-audit",
                        "--no-fund",
                        "--loglevel=error",
                    ])
                    .current_dir(&kit),
                "installing sigstore-js (npm ci)",
            );
        }
        python_venv("interop", &kit.join("requirements.txt")).join("bin/python")
    })
}

/// The mock Sigstore instance; it stops when dropped (its stdin closes).
struct Mock {
    child: Child,
    trust_config: PathBuf,
    trusted_root: String,
}

impl Mock {
    fn start(dir: &Path) -> Mock {
        let root = dir.join("mock/trusted_root.json");
        let mut child = Command::new("node")
            .arg(kit().join("mock-sigstore.mjs"))
            .arg(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the mock did not start ({e}): {line:?}"));
        assert!(
            ready["url"]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.1:")
        );
        Mock {
            child,
            trust_config: ready["trustConfig"].as_str().unwrap().into(),
            trusted_root: std::fs::read_to_string(&root).unwrap(),
        }
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn component() -> Vec<u8> {
    weight_tracker_bytes().to_vec()
}

fn manifest(version: &str) -> Manifest {
    Manifest::from_toml_str(
        &MANIFEST.replace("version = \"0.1.0\"", &format!("version = \"{version}\"")),
    )
    .unwrap()
}

fn editor() -> LegalId {
    "siret:00000000000018".parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn releases_signed_by_sigstore_python_and_sigstore_js_are_accepted_under_a_certificate_identity()
 {
    let python = clients();
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::start(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let db = Db::connect(&crate::support::database_url(&data))
        .await
        .unwrap();
    // The deployment trusts the mock's authority and logs beside its own log.
    let keys = RegistryKeys::trust(&data, &mock.trusted_root).unwrap();
    let registry = Registry::new(db.clone(), keys.clone());
    registry
        .add_identity(&editor(), SUBJECT, ISSUER)
        .await
        .unwrap();
    let bytes = component();

    let signers: [(&str, Command); 2] = [
        ("0.1.0", {
            let mut c = Command::new("node");
            c.arg(kit().join("sign-js.mjs"));
            c
        }),
        ("0.2.0", {
            let mut c = Command::new(python);
            c.arg(kit().join("sign_python.py"));
            c
        }),
    ];
    for (version, mut signer) in signers {
        let manifest = manifest(version);
        let release = dir.path().join(format!("release-{version}.json"));
        std::fs::write(
            &release,
            Release::new(manifest.clone(), &bytes).canonical_json(),
        )
        .unwrap();
        let bundle_path = dir.path().join(format!("bundle-{version}.json"));
        run(
            signer
                .arg(&mock.trust_config)
                .arg(&release)
                .arg(&bundle_path),
            "signing with an independent Sigstore client",
        );
        let bundle = Bundle::from_json(&std::fs::read_to_string(&bundle_path).unwrap()).unwrap();
        let stored = registry
            .submit(
                runtime(),
                Submission {
                    manifest: manifest.clone(),
                    component: &bytes,
                    bundle: bundle.clone(),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(stored.signer, format!("certificate:{ISSUER} {SUBJECT}"));
        // The client's own log entry, and the registry's.
        assert_eq!(Bundle::from_json(&stored.bundle).unwrap().log_entries(), 2);
    }

    // Listed, then served: the host verifies the certificate bundle.
    let name = "fr.officine.weight-tracker@0.2.0";
    registry.admit(name).await.unwrap();
    registry.start_review(name).await.unwrap();
    let set = officine_registry::review::RequirementSet::builtin();
    let stored = officine_host::listing::releases::by_name(&db, name)
        .await
        .unwrap()
        .unwrap();
    let verdicts =
        officine_host::listing::dev::development_verdicts(set, stored.release.manifest());
    registry.decide(name, set, &verdicts).await.unwrap();
    let check = ListingCheck::new(db.clone(), keys.root.clone());
    check
        .check(
            stored.release.manifest().id(),
            &stored.release.component_sha256(),
        )
        .await
        .unwrap();

    // Another identity of the same authority does not sign for this editor.
    let manifest = manifest("0.3.0");
    let release = dir.path().join("release-0.3.0.json");
    std::fs::write(
        &release,
        Release::new(manifest.clone(), &bytes).canonical_json(),
    )
    .unwrap();
    let bundle_path = dir.path().join("bundle-0.3.0.json");
    run(
        Command::new("node")
            .arg(kit().join("sign-js.mjs"))
            .arg(&mock.trust_config)
            .arg(&release)
            .arg(&bundle_path)
            .arg("https://editors.officine.test/mallory"),
        "signing as another identity",
    );
    let bundle = Bundle::from_json(&std::fs::read_to_string(&bundle_path).unwrap()).unwrap();
    let error = registry
        .submit(
            runtime(),
            Submission {
                manifest,
                component: &bytes,
                bundle,
            },
        )
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not one registered"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_registrys_managed_key_bundles_verify_in_sigstore_js() {
    clients();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let db = Db::connect(&crate::support::database_url(&data))
        .await
        .unwrap();
    let registry = Registry::new(db, RegistryKeys::load_or_create(&data).unwrap());
    let key = KeyPair::generate().unwrap();
    registry
        .add_key(&editor(), key.public_key(), None)
        .await
        .unwrap();
    let bytes = component();
    let manifest = manifest("0.1.0");
    let release = Release::new(manifest.clone(), &bytes).canonical_json();
    let stored = registry
        .submit(
            runtime(),
            Submission {
                manifest,
                component: &bytes,
                bundle: officine_registry::signature::sign(&release, &key),
            },
        )
        .await
        .unwrap();

    let files = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let artifact = files("release.json", &stored.release_json);
    let bundle = files("bundle.json", &stored.bundle);
    let root = RegistryKeys::trusted_root_path(&data);
    let public = files("editor.pub", &key.public_key().to_pem());
    let verify = |artifact: &Path, public: &Path| {
        Command::new("node")
            .arg(kit().join("verify-js.mjs"))
            .args([artifact, &bundle, &root, public])
            .output()
            .unwrap()
    };
    let out = verify(&artifact, &public);
    assert!(
        out.status.success(),
        "sigstore-js refused the bundle: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And it is a real check: another artifact or another key fails.
    let other = files("other.json", &stored.release_json.replace("Suivi", "Suivj"));
    assert!(!verify(&other, &public).status.success());
    let stranger = files(
        "stranger.pub",
        &KeyPair::generate().unwrap().public_key().to_pem(),
    );
    assert!(!verify(&artifact, &stranger).status.success());
}
