//! Listing, end to end, with the weight tracker built from `plugins/`:
//! keys, signed submissions, the workflow, what hosts serve, and every way
//! a submission is refused without changing anything.

use std::path::{Path, PathBuf};

use officine_host::db::{Backend, Db};
use officine_host::listing::releases::{self, Submission};
use officine_host::listing::served::{ListingCheck, NotServable};
use officine_host::listing::{ListingError, Registry, RegistryKeys};
use officine_registry::keys::KeyPair;
use officine_registry::review::{RequirementSet, State};
use officine_registry::signature::{self, Bundle};
use officine_registry::{LegalId, Manifest, Release, Sha256Digest};

use crate::support::{runtime, weight_tracker_bytes};

const MANIFEST: &str = include_str!("../../../plugins/weight-tracker/officine.toml");
const NAME: &str = "fr.officine.weight-tracker@0.1.0";

fn component() -> &'static [u8] {
    weight_tracker_bytes()
}

/// The service the releases here are of.
fn tracker() -> officine_host::model::ServiceId {
    officine_host::model::ServiceId::new("fr.officine.weight-tracker").unwrap()
}

fn manifest(version: &str) -> Manifest {
    let text = MANIFEST.replace("version = \"0.1.0\"", &format!("version = \"{version}\""));
    Manifest::from_toml_str(&text).unwrap()
}

fn editor() -> LegalId {
    "siret:00000000000018".parse().unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    data: PathBuf,
    url: String,
    registry: Registry,
    key: KeyPair,
}

impl Fixture {
    /// A registry with the editor's key registered.
    async fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_owned();
        let url = crate::support::database_url(&data);
        let db = Db::connect(&url).await.unwrap();
        let registry = Registry::new(db, RegistryKeys::load_or_create(&data).unwrap());
        let key = KeyPair::generate().unwrap();
        registry
            .add_key(&editor(), key.public_key(), None)
            .await
            .unwrap();
        Fixture {
            _dir: dir,
            data,
            url,
            registry,
            key,
        }
    }

    fn db(&self) -> &Db {
        self.registry.db()
    }

    fn signed(&self, manifest: &Manifest, bytes: &[u8], key: &KeyPair) -> Bundle {
        let release = Release::new(manifest.clone(), bytes);
        signature::sign(&release.canonical_json(), key)
    }

    async fn submit(
        &self,
        manifest: Manifest,
        bytes: &[u8],
        bundle: Bundle,
    ) -> Result<releases::StoredRelease, ListingError> {
        self.registry
            .submit(
                runtime(),
                Submission {
                    manifest,
                    component: bytes,
                    bundle,
                },
            )
            .await
    }

    async fn submit_version(&self, version: &str) -> releases::StoredRelease {
        let manifest = manifest(version);
        let bundle = self.signed(&manifest, component(), &self.key);
        self.submit(manifest, component(), bundle).await.unwrap()
    }

    /// Submitted, admitted, reviewed and decided with every requirement met.
    async fn listed(&self, version: &str) -> releases::StoredRelease {
        let stored = self.submit_version(version).await;
        let name = stored.name();
        self.registry.admit(&name).await.unwrap();
        self.registry.start_review(&name).await.unwrap();
        let set = RequirementSet::builtin();
        let verdicts =
            officine_host::listing::dev::development_verdicts(set, stored.release.manifest());
        let listed = self.registry.decide(&name, set, &verdicts).await.unwrap();
        assert_eq!(listed.state, State::Listed);
        listed
    }

    /// Removes the log's last entry and the checkpoint that sealed it, as
    /// someone with write access to the database could.
    async fn drop_last_entry(&self) {
        for sql in [
            "DELETE FROM registry_log WHERE idx = (SELECT MAX(idx) FROM registry_log)",
            "DELETE FROM registry_checkpoints \
             WHERE size = (SELECT MAX(size) FROM registry_checkpoints)",
        ] {
            sqlx::query(sql).execute(self.db().pool()).await.unwrap();
        }
    }

    fn check(&self) -> ListingCheck {
        ListingCheck::new(self.db().clone(), self.registry.keys().root.clone())
    }

    /// Rows of every registry table, to show that a refusal changed nothing.
    async fn state(&self) -> Vec<i64> {
        let mut counts = Vec::new();
        for table in [
            "registry_log",
            "registry_checkpoints",
            "releases",
            "components",
            "editor_keys",
            "registry_generation WHERE generation > 0",
        ] {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_one(self.db().pool())
                .await
                .unwrap();
            counts.push(n);
        }
        counts
    }

    /// Submits and expects a refusal that leaves every table as it was.
    async fn refused(&self, manifest: Manifest, bytes: &[u8], bundle: Bundle) -> String {
        let before = self.state().await;
        let error = self
            .submit(manifest, bytes, bundle)
            .await
            .expect_err("the submission is refused");
        assert_eq!(self.state().await, before, "a refusal changed something");
        error.to_string()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_release_goes_through_review_and_is_served_until_suspended() {
    let fixture = Fixture::new().await;
    let stored = fixture.submit_version("0.1.0").await;
    assert_eq!(stored.state, State::Submitted);
    assert_eq!(stored.name(), NAME);
    assert_eq!(
        stored.signer,
        format!("key:{}", fixture.key.public_key().id())
    );
    // The stored bundle now carries the registry's log entry and verifies
    // on its own, as any client would check it.
    let bundle = Bundle::from_json(&stored.bundle).unwrap();
    assert_eq!(bundle.log_entries(), 1);
    signature::verify(
        &stored.release_json,
        &bundle,
        &signature::Identity::Key(fixture.key.public_key().clone()),
        &fixture.registry.keys().root,
    )
    .unwrap();

    let digest = Sha256Digest::of(component());
    let check = fixture.check();
    assert!(matches!(
        check.check(&tracker(), &digest).await,
        Err(NotServable::NotListed {
            state: State::Submitted,
            ..
        })
    ));
    // Steps out of order are refused.
    let error = fixture.registry.start_review(NAME).await.unwrap_err();
    assert!(error.to_string().contains("submitted"), "{error}");

    fixture.registry.admit(NAME).await.unwrap();
    fixture.registry.start_review(NAME).await.unwrap();
    let set = RequirementSet::builtin();
    let verdicts =
        officine_host::listing::dev::development_verdicts(set, stored.release.manifest());
    let listed = fixture.registry.decide(NAME, set, &verdicts).await.unwrap();
    assert_eq!(listed.state, State::Listed);
    assert_eq!(
        listed.requirement_set.as_deref(),
        Some("officine-listing@2026.1")
    );
    assert!(listed.decision.as_deref().unwrap().contains("SEC-01"));
    check.check(&tracker(), &digest).await.unwrap();
    // The same binary is judged for each service by that service's own
    // release: for a service that never submitted it, it is unknown.
    let copy = officine_host::model::ServiceId::new("fr.example.copy").unwrap();
    assert!(matches!(
        check.check(&copy, &digest).await,
        Err(NotServable::Unknown(_))
    ));

    // A second host process, sharing the database, with a warm cache.
    let other_db = Db::connect(&fixture.url).await.unwrap();
    let other = ListingCheck::new(other_db, fixture.registry.keys().root.clone());
    other.check(&tracker(), &digest).await.unwrap();

    fixture
        .registry
        .suspend(NAME, "security incident under investigation")
        .await
        .unwrap();
    for host in [&check, &other] {
        assert!(matches!(
            host.check(&tracker(), &digest).await,
            Err(NotServable::NotListed {
                state: State::Suspended,
                ..
            })
        ));
    }
    fixture
        .registry
        .reinstate(NAME, "fixed in place")
        .await
        .unwrap();
    other.check(&tracker(), &digest).await.unwrap();
    let error = fixture.registry.suspend(NAME, " ").await.unwrap_err();
    assert!(error.to_string().contains("reason"), "{error}");
    fixture
        .registry
        .withdraw(NAME, "editor stops the service")
        .await
        .unwrap();
    assert!(check.check(&tracker(), &digest).await.is_err());
    let error = fixture.registry.reinstate(NAME, "again").await.unwrap_err();
    assert!(error.to_string().contains("withdrawn"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unmet_requirement_refuses_with_its_reason() {
    let fixture = Fixture::new().await;
    let stored = fixture.submit_version("0.1.0").await;
    fixture.registry.admit(NAME).await.unwrap();
    fixture.registry.start_review(NAME).await.unwrap();
    let set = RequirementSet::builtin();
    let verdicts =
        officine_host::listing::dev::development_verdicts(set, stored.release.manifest());
    let failed = verdicts.replacen(
        "requirement = \"SEC-01\"\nmet = true",
        "requirement = \"SEC-01\"\nmet = false",
        1,
    );
    assert_ne!(failed, verdicts);
    let failed = failed.replacen(
        "met = false\nnote = \"Development",
        "met = false\nnote = \"No entry audit report. Development",
        1,
    );
    let refused = fixture.registry.decide(NAME, set, &failed).await.unwrap();
    assert_eq!(refused.state, State::Refused);
    assert!(
        refused
            .reasons
            .iter()
            .any(|r| r.starts_with("SEC-01") && r.contains("No entry audit")),
        "{:?}",
        refused.reasons
    );
    assert!(
        fixture
            .check()
            .check(&tracker(), &Sha256Digest::of(component()))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flipped_byte_is_refused_and_changes_nothing() {
    let fixture = Fixture::new().await;
    let manifest = manifest("0.1.0");
    let bundle = fixture.signed(&manifest, component(), &fixture.key);
    let mut flipped = component().to_vec();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let error = fixture.refused(manifest, &flipped, bundle).await;
    // Refused on its signature, before the bytes are even compiled.
    assert!(
        error.contains("message digest is not the SHA-256 of the release"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_changed_after_signing_is_refused() {
    let fixture = Fixture::new().await;
    let signed = manifest("0.1.0");
    let bundle = fixture.signed(&signed, component(), &fixture.key);
    // Same scopes, a friendlier retention promise.
    let changed = Manifest::from_toml_str(&MANIFEST.replace(
        "et y restent après l'arrêt du service",
        "et sont effacées à l'arrêt du service",
    ))
    .unwrap();
    let error = fixture.refused(changed, component(), bundle).await;
    assert!(error.contains("digest"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wrong_key_an_unknown_key_or_a_revoked_key_is_refused() {
    let fixture = Fixture::new().await;
    let manifest = manifest("0.1.0");

    // A key nobody registered.
    let stranger = KeyPair::generate().unwrap();
    let bundle = fixture.signed(&manifest, component(), &stranger);
    let error = fixture.refused(manifest.clone(), component(), bundle).await;
    assert!(error.contains("is not registered"), "{error}");

    // Another editor's registered key.
    let other_editor: LegalId = "finess:750000000".parse().unwrap();
    let theirs = KeyPair::generate().unwrap();
    fixture
        .registry
        .add_key(&other_editor, theirs.public_key(), None)
        .await
        .unwrap();
    let bundle = fixture.signed(&manifest, component(), &theirs);
    let error = fixture.refused(manifest.clone(), component(), bundle).await;
    assert!(
        error.contains("not registered to siret:00000000000018"),
        "{error}"
    );

    // The editor's key named, another key's signature.
    let bundle = fixture.signed(&manifest, component(), &stranger);
    let forged = bundle.to_json().replace(
        &stranger.public_key().id().to_string(),
        &fixture.key.public_key().id().to_string(),
    );
    let error = fixture
        .refused(
            manifest.clone(),
            component(),
            Bundle::from_json(&forged).unwrap(),
        )
        .await;
    assert!(
        error.contains("does not verify with the editor's key"),
        "{error}"
    );

    // A revoked key.
    fixture
        .registry
        .revoke_key(&fixture.key.public_key().id(), "laptop stolen")
        .await
        .unwrap();
    let bundle = fixture.signed(&manifest, component(), &fixture.key);
    let error = fixture.refused(manifest, component(), bundle).await;
    assert!(error.contains("is revoked"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_signature_is_refused() {
    let fixture = Fixture::new().await;
    let manifest = manifest("0.1.0");
    let bundle = fixture.signed(&manifest, component(), &fixture.key);
    let mut value: serde_json::Value = serde_json::from_str(&bundle.to_json()).unwrap();
    value["messageSignature"]["signature"] = "".into();
    let empty = Bundle::from_json(&value.to_string()).unwrap();
    let error = fixture.refused(manifest, component(), empty).await;
    assert!(error.contains("does not verify"), "{error}");
    value.as_object_mut().unwrap().remove("messageSignature");
    assert!(Bundle::from_json(&value.to_string()).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_older_version_replayed_is_refused() {
    let fixture = Fixture::new().await;
    let old = manifest("0.1.0");
    let old_bundle = fixture.signed(&old, component(), &fixture.key);
    fixture
        .submit(old.clone(), component(), old_bundle.clone())
        .await
        .unwrap();
    fixture.submit_version("0.2.0").await;
    let error = fixture.refused(old, component(), old_bundle).await;
    assert!(error.contains("already submitted"), "{error}");
    let older = manifest("0.1.5");
    let bundle = fixture.signed(&older, component(), &fixture.key);
    let error = fixture.refused(older, component(), bundle).await;
    assert!(error.contains("older than version 0.2.0"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_outside_the_requested_scopes_is_refused() {
    let fixture = Fixture::new().await;
    // The component uses storage; this manifest no longer requests it.
    let text = MANIFEST.replace(
        "[[scopes]]\nscope = \"storage\"\nreason = \"Conserver votre objectif de poids d'une visite à l'autre.\"\n",
        "",
    );
    assert_ne!(text, MANIFEST);
    let manifest = Manifest::from_toml_str(&text).unwrap();
    let bundle = fixture.signed(&manifest, component(), &fixture.key);
    let error = fixture.refused(manifest, component(), bundle).await;
    assert!(
        error.contains("imports officine:platform/storage"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_consent_sheet_field_is_named() {
    let text = MANIFEST.replace(
        "recourse = \"Pour toute question ou pour exercer vos droits : dpo@officine.example. \
         Vous pouvez aussi adresser une réclamation à la CNIL (www.cnil.fr).\"\n",
        "",
    );
    assert_ne!(text, MANIFEST);
    let error = Manifest::from_toml_str(&text).unwrap_err();
    assert!(
        error.to_string().contains("consent.recourse: missing"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_key_keeps_its_releases_served_and_a_revoked_one_does_not() {
    let fixture = Fixture::new().await;
    fixture.listed("0.1.0").await;
    let digest = Sha256Digest::of(component());
    let check = fixture.check();
    check.check(&tracker(), &digest).await.unwrap();

    let new = KeyPair::generate().unwrap();
    let old_id = fixture.key.public_key().id();
    fixture
        .registry
        .add_key(&editor(), new.public_key(), Some(&old_id))
        .await
        .unwrap();
    check.check(&tracker(), &digest).await.unwrap();
    // The retired key signs nothing new.
    let next = manifest("0.2.0");
    let bundle = fixture.signed(&next, component(), &fixture.key);
    let error = fixture.refused(next.clone(), component(), bundle).await;
    assert!(error.contains("retired"), "{error}");
    let bundle = fixture.signed(&next, component(), &new);
    fixture.submit(next, component(), bundle).await.unwrap();

    // Revoked (it leaked): what it signed stops being served at once.
    fixture
        .registry
        .revoke_key(&old_id, "key found in a public repository")
        .await
        .unwrap();
    // The component is now judged by its latest release, 0.2.0, not listed yet.
    assert!(check.check(&tracker(), &digest).await.is_err());
}

impl Fixture {
    /// Runs the `officine` binary on the fixture's database: its data
    /// directory's file, or the PostgreSQL schema it was given.
    fn officine(&self, args: &[&str]) -> std::process::Output {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_officine"));
        if self.db().backend() == Backend::Postgres {
            command.env("OFFICINE_DATABASE", &self.url);
        }
        command.args(args).output().unwrap()
    }
}

fn data_arg(path: &Path) -> String {
    path.display().to_string()
}

/// Two hosts sharing the database add keys at once: every append lands,
/// and the registry's log verifies as one log, with one sequence.
#[tokio::test(flavor = "multi_thread")]
async fn two_hosts_append_at_once_and_the_log_stays_one() {
    let fixture = Fixture::new().await;
    let other = Registry::new(
        Db::connect(&fixture.url).await.unwrap(),
        fixture.registry.keys().clone(),
    );
    let appends: Vec<_> = (0..12)
        .map(|i| {
            let registry = [&fixture.registry, &other][i % 2].clone();
            tokio::spawn(async move {
                let key = KeyPair::generate().unwrap();
                registry.add_key(&editor(), key.public_key(), None).await
            })
        })
        .collect();
    for append in appends {
        append
            .await
            .unwrap()
            .expect("every concurrent append lands");
    }
    let out = fixture.officine(&["log", "verify", "--data", &data_arg(&fixture.data)]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The fixture's own key, then the twelve.
    assert!(stdout.contains("the log verifies: 13 entries"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn log_verify_finds_a_modified_row_and_a_truncation() {
    let fixture = Fixture::new().await;
    fixture.listed("0.1.0").await;
    let data = data_arg(&fixture.data);
    let out = fixture.officine(&["log", "verify", "--inclusion", "1", "--data", &data]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Key added, signature, submitted, admitted, review started, decided.
    assert!(stdout.contains("the log verifies: 6 entries"), "{stdout}");
    assert!(stdout.contains("entry 1 is included"), "{stdout}");
    let kept = stdout
        .split_once("with --since):\n")
        .map(|(_, note)| note.to_owned())
        .unwrap();
    let kept_path = fixture.data.join("kept-checkpoint");
    std::fs::write(&kept_path, &kept).unwrap();

    // More events, then the kept checkpoint proves the log only grew.
    fixture.registry.suspend(NAME, "audit").await.unwrap();
    let kept_arg = data_arg(&kept_path);
    let out = fixture.officine(&["log", "verify", "--since", &kept_arg, "--data", &data]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("extends the kept checkpoint"), "{stdout}");

    // A row rewritten, leaf hash and all: found, with its index.
    let (body,): (String,) = sqlx::query_as("SELECT body FROM registry_log WHERE idx = 3")
        .fetch_one(fixture.db().pool())
        .await
        .unwrap();
    assert!(body.contains("\"event\":\"admitted\""), "{body}");
    let forged = body.replace("0.1.0", "0.1.1");
    assert_ne!(forged, body);
    let leaf = hex::encode(officine_tlog::leaf_hash(forged.as_bytes()));
    let original_leaf: (String,) = sqlx::query_as("SELECT leaf FROM registry_log WHERE idx = 3")
        .fetch_one(fixture.db().pool())
        .await
        .unwrap();
    for (new_body, new_leaf) in [(&forged, &original_leaf.0), (&forged, &leaf)] {
        sqlx::query("UPDATE registry_log SET body = $1, leaf = $2 WHERE idx = 3")
            .bind(new_body)
            .bind(new_leaf)
            .execute(fixture.db().pool())
            .await
            .unwrap();
        let out = fixture.officine(&["log", "verify", "--data", &data]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains("entry 3"), "{stderr}");
    }
    sqlx::query("UPDATE registry_log SET body = $1, leaf = $2 WHERE idx = 3")
        .bind(&body)
        .bind(&original_leaf.0)
        .execute(fixture.db().pool())
        .await
        .unwrap();

    // Truncated: the last entry and its checkpoint removed. The log is
    // self-consistent again; only the checkpoint kept elsewhere shows it.
    fixture.drop_last_entry().await;
    let out = fixture.officine(&["log", "verify", "--data", &data]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = fixture.officine(&["log", "verify", "--since", &kept_arg, "--data", &data]);
    assert!(
        out.status.success(),
        "only the entry after the kept checkpoint is gone"
    );
    // A checkpoint kept after the suspension is of a longer log than what is left.
    fixture.drop_last_entry().await;
    let out = fixture.officine(&["log", "verify", "--since", &kept_arg, "--data", &data]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("truncated"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_importing_outside_the_platform_is_refused() {
    let fixture = Fixture::new().await;
    let sockets = crate::support::component_from_wat_with_wit(
        &crate::loading::service_importing("evil:net/sockets@0.1.0", "connect"),
        "package evil:net@0.1.0;
         interface sockets { connect: func(); }
         world service { import sockets; export officine:platform/handler@0.1.0; }",
        "service",
    );
    let manifest = manifest("0.1.0");
    let bundle = fixture.signed(&manifest, &sockets, &fixture.key);
    let error = fixture.refused(manifest, &sockets, bundle).await;
    assert!(
        error.contains("imports `evil:net/sockets@0.1.0`") && error.contains("does not offer"),
        "{error}"
    );
}
