//! The listing commands: keys, signing, submission, review, the log.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use officine_host::listing::releases::{self, Change, Submission};
use officine_host::listing::{Registry, RegistryKeys, keys};
use officine_host::runtime::{Runtime, RuntimeConfig};
use officine_registry::keys::{KeyId, KeyPair, PublicKey};
use officine_registry::log::{Event, LogVerifier};
use officine_registry::review::RequirementSet;
use officine_registry::signature::{self, Bundle, TrustedRoot};
use officine_registry::{LegalId, Manifest, Release};

use super::{
    KeysCommand, LogCommand, ReviewCommand, StateChange, database_from_env, day, open_data,
};

/// The registry of an existing data directory.
pub async fn registry(data: &Path) -> anyhow::Result<Registry> {
    let db = open_data(data).await?;
    let keys = RegistryKeys::load_or_create(data)?;
    Ok(Registry::new(db, keys))
}

/// Creates (or opens) a data directory's database and registry keys.
pub async fn init(data: &Path) -> anyhow::Result<()> {
    officine_host::files::create_private_dir(data)?;
    let database = match database_from_env() {
        Some(url) => {
            officine_host::db::Db::connect(&url)
                .await
                .context("opening the database named by OFFICINE_DATABASE")?;
            "the one OFFICINE_DATABASE names".to_owned()
        }
        None => {
            let path = data.join("officine.db");
            officine_host::db::Db::open_sqlite(&path)
                .await
                .with_context(|| format!("opening {}", path.display()))?;
            path.display().to_string()
        }
    };
    let keys = RegistryKeys::load_or_create(data)?;
    println!("database:     {database}");
    println!(
        "registry log: {} (key {})",
        officine_host::listing::config::DEFAULT_ORIGIN,
        keys.signer.key().public_key().id()
    );
    println!(
        "trusted root: {} (publish it: verifiers start from it)",
        RegistryKeys::trusted_root_path(data).display()
    );
    Ok(())
}

/// A manifest and its component, bound into a release.
pub fn read_release(manifest: &Path, component: &Path) -> anyhow::Result<(Release, Vec<u8>)> {
    let manifest = Manifest::load(manifest)?;
    let bytes =
        std::fs::read(component).with_context(|| format!("reading {}", component.display()))?;
    Ok((Release::new(manifest, &bytes), bytes))
}

fn bundle_path(component: &Path, given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let mut name = component.as_os_str().to_owned();
        name.push(".sigstore.json");
        PathBuf::from(name)
    })
}

fn parse_key_id(text: &str) -> anyhow::Result<KeyId> {
    Ok(text.parse()?)
}

fn parse_editor(text: &str) -> anyhow::Result<LegalId> {
    text.parse()
        .map_err(|e| anyhow::anyhow!("editor id {text:?}: {e}"))
}

pub async fn keys(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::New { out } => {
            let key = KeyPair::generate()?;
            officine_host::files::create_private(&out, key.to_pem().as_bytes())
                .with_context(|| format!("creating {} (it must not exist)", out.display()))?;
            let mut public = out.as_os_str().to_owned();
            public.push(".pub");
            std::fs::write(&public, key.public_key().to_pem())
                .with_context(|| format!("writing {}", Path::new(&public).display()))?;
            println!("key {}", key.public_key().id());
            println!("private key: {} (keep it secret)", out.display());
            println!(
                "public key:  {} (send it to the registry)",
                Path::new(&public).display()
            );
            Ok(())
        }
        KeysCommand::Add {
            editor,
            public_key,
            replaces,
            data,
        } => {
            let editor = parse_editor(&editor)?;
            let text = std::fs::read_to_string(&public_key)
                .with_context(|| format!("reading {}", public_key.display()))?;
            let public = PublicKey::from_pem(&text)
                .with_context(|| format!("reading {}", public_key.display()))?;
            let replaces = replaces.as_deref().map(parse_key_id).transpose()?;
            let added = registry(&data)
                .await?
                .add_key(&editor, &public, replaces.as_ref())
                .await?;
            println!("key {} registered to {}", added.id, added.editor);
            if let Some(old) = replaces {
                println!("key {old} revoked (rotated)");
            }
            Ok(())
        }
        KeysCommand::Revoke { key, reason, data } => {
            let id = parse_key_id(&key)?;
            registry(&data).await?.revoke_key(&id, &reason).await?;
            println!("key {id} revoked");
            Ok(())
        }
        KeysCommand::Identity {
            editor,
            subject,
            issuer,
            data,
        } => {
            let editor = parse_editor(&editor)?;
            registry(&data)
                .await?
                .add_identity(&editor, &subject, &issuer)
                .await?;
            println!("{subject} ({issuer}) may sign for {editor}");
            Ok(())
        }
        KeysCommand::Trust { trusted_root, data } => {
            let text = std::fs::read_to_string(&trusted_root)
                .with_context(|| format!("reading {}", trusted_root.display()))?;
            RegistryKeys::trust(&data, &text)?;
            println!(
                "{} now also trusts what {} lists",
                RegistryKeys::trusted_root_path(&data).display(),
                trusted_root.display()
            );
            Ok(())
        }
        KeysCommand::List { data } => {
            let db = open_data(&data).await?;
            for key in keys::all(&db).await? {
                let state = key.state.as_str();
                println!(
                    "{}  {}  {state}, added {}",
                    key.id,
                    key.editor,
                    day(key.added_at)
                );
            }
            Ok(())
        }
    }
}

pub fn sign(
    key: &Path,
    manifest: &Path,
    component: &Path,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(key).with_context(|| format!("reading {}", key.display()))?;
    let key = KeyPair::from_pem(&text).with_context(|| format!("reading {}", key.display()))?;
    let (release, _) = read_release(manifest, component)?;
    let bundle = signature::sign(&release.canonical_json(), &key);
    let out = bundle_path(component, out);
    std::fs::write(&out, bundle.to_json()).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "signed {}@{} (component sha256 {}) with key {}",
        release.manifest().id(),
        release.manifest().version(),
        release.component_sha256(),
        key.public_key().id()
    );
    println!("bundle: {}", out.display());
    Ok(())
}

pub async fn submit(
    manifest: &Path,
    component: &Path,
    bundle: Option<PathBuf>,
    data: &Path,
) -> anyhow::Result<()> {
    let manifest = Manifest::load(manifest)?;
    let bytes =
        std::fs::read(component).with_context(|| format!("reading {}", component.display()))?;
    let path = bundle_path(component, bundle);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let bundle = Bundle::from_json(&text).with_context(|| format!("reading {}", path.display()))?;
    let registry = registry(data).await?;
    let runtime = Runtime::new(RuntimeConfig::default(), Some(&data.join("components")))?;
    let stored = registry
        .submit(
            &runtime,
            Submission {
                manifest,
                component: &bytes,
                bundle,
            },
        )
        .await?;
    println!("{} submitted, signed by {}", stored.name(), stored.signer);
    Ok(())
}

pub async fn review(command: ReviewCommand) -> anyhow::Result<()> {
    let print = |stored: releases::StoredRelease| println!("{} is {}", stored.name(), stored.state);
    match command {
        ReviewCommand::List { data } => {
            let db = open_data(&data).await?;
            for stored in releases::all(&db).await? {
                println!(
                    "{:<40} {:<12} submitted {}",
                    stored.name(),
                    stored.state.to_string(),
                    day(stored.submitted_at)
                );
            }
        }
        ReviewCommand::Show { release, data } => {
            let db = open_data(&data).await?;
            let stored = releases::by_name(&db, &release)
                .await?
                .with_context(|| format!("no release {release}"))?;
            let manifest = stored.release.manifest();
            println!("{}  ({})", stored.name(), stored.state);
            println!("  name:      {}", manifest.name());
            println!(
                "  editor:    {} ({})",
                manifest.editor(),
                manifest.editor_id()
            );
            println!("  purpose:   {}", manifest.purpose());
            println!("  component: sha256 {}", stored.release.component_sha256());
            println!("  signed by: {}", stored.signer);
            println!("  submitted: {}", day(stored.submitted_at));
            for scope in manifest.requested_scopes() {
                println!("  requests:  {} ({})", scope.scope(), scope.reason());
            }
            if let Some(set) = &stored.requirement_set {
                println!("  reviewed against: {set}");
            }
            for reason in &stored.reasons {
                println!("  reason:    {reason}");
            }
            if let Some(decision) = &stored.decision {
                let value: serde_json::Value = serde_json::from_str(decision)?;
                println!("  decision:\n{}", serde_json::to_string_pretty(&value)?);
            }
        }
        ReviewCommand::Admit { release, data } => {
            print(registry(&data).await?.admit(&release).await?)
        }
        ReviewCommand::Reject {
            release,
            reasons,
            data,
        } => print(registry(&data).await?.reject(&release, reasons).await?),
        ReviewCommand::Start { release, data } => {
            print(registry(&data).await?.start_review(&release).await?)
        }
        ReviewCommand::Decide {
            release,
            verdicts,
            data,
        } => {
            let text = std::fs::read_to_string(&verdicts)
                .with_context(|| format!("reading {}", verdicts.display()))?;
            let set = RequirementSet::builtin();
            print(registry(&data).await?.decide(&release, set, &text).await?)
        }
        ReviewCommand::Template { release, data } => {
            let db = open_data(&data).await?;
            let stored = releases::by_name(&db, &release)
                .await?
                .with_context(|| format!("no release {release}"))?;
            print!(
                "{}",
                verdict_template(RequirementSet::builtin(), stored.release.manifest())
            );
        }
        ReviewCommand::Requirements => {
            let set = RequirementSet::builtin();
            println!(
                "{} ({}), published {}",
                set.reference(),
                set.title(),
                set.published()
            );
            println!("digest {}", set.digest());
            for requirement in set.requirements() {
                let condition = requirement
                    .condition()
                    .map(|c| format!(", if {c}"))
                    .unwrap_or_default();
                let proofs: Vec<&str> = requirement.proofs().iter().map(|p| p.as_str()).collect();
                println!(
                    "\n{} ({}{condition})\n  {}",
                    requirement.id(),
                    requirement.level().as_str(),
                    requirement.text().replace('\n', "\n  ")
                );
                if !proofs.is_empty() {
                    println!("  proofs: {}", proofs.join(", "));
                }
            }
        }
    }
    Ok(())
}

pub async fn change(change: Change, args: StateChange) -> anyhow::Result<()> {
    let StateChange {
        release,
        reason,
        data,
    } = args;
    let registry = registry(&data).await?;
    let stored = registry.change(change, &release, &reason).await?;
    println!("{} is {}", stored.name(), stored.state);
    Ok(())
}

pub async fn log(command: LogCommand) -> anyhow::Result<()> {
    match command {
        LogCommand::Verify {
            inclusion,
            since,
            trusted_root,
            data,
        } => {
            let db = open_data(&data).await?;
            let root_path = trusted_root.unwrap_or_else(|| RegistryKeys::trusted_root_path(&data));
            let text = std::fs::read_to_string(&root_path)
                .with_context(|| format!("reading {}", root_path.display()))?;
            let root = TrustedRoot::from_json(&text)?;
            let origin = officine_host::listing::config::DEFAULT_ORIGIN;
            let key = root
                .log_key(origin)
                .with_context(|| format!("{} lists no log for {origin}", root_path.display()))?;
            let verifier = LogVerifier::new(origin, key);
            let since = since
                .map(|path| {
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))
                })
                .transpose()?;
            let report = officine_host::listing::log::verify(&db, &verifier, since.as_deref())
                .await
                .context("the log does not verify")?;
            println!(
                "the log verifies: {} entries, every checkpoint signed by {}",
                report.size,
                verifier.key().id()
            );
            if let Some(proof) = &report.consistency {
                println!(
                    "it extends the kept checkpoint (consistency proof of {} hashes)",
                    proof.len()
                );
            }
            if let Some(index) = inclusion {
                let entries = officine_host::listing::log::entries(&db).await?;
                let bodies: Vec<Vec<u8>> = entries.into_iter().map(|(body, _)| body).collect();
                let proof = officine_registry::log::prove_inclusion(
                    &bodies,
                    index,
                    &report.checkpoint,
                    &verifier,
                )?;
                println!(
                    "entry {index} is included (inclusion proof of {} hashes)",
                    proof.len()
                );
            }
            println!("latest checkpoint (keep it to check later with --since):");
            print!("{}", report.checkpoint);
            Ok(())
        }
        LogCommand::Show { index, data } => {
            let db = open_data(&data).await?;
            let entries = officine_host::listing::log::entries(&db).await?;
            let (body, _) = entries
                .get(index as usize)
                .with_context(|| format!("the log has {} entries", entries.len()))?;
            // Events, and signatures (Rekor hashedrekord bodies), are JSON.
            let value: serde_json::Value = match Event::from_entry(body) {
                Some(event) => serde_json::to_value(event)?,
                None => serde_json::from_slice(body).context("the entry is not JSON")?,
            };
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(())
        }
    }
}

/// A verdict file to fill in: one entry per requirement that applies to the
/// release, each unmet and without a note, so that nothing is decided until
/// a regulator writes every verdict.
fn verdict_template(set: &RequirementSet, manifest: &Manifest) -> String {
    let mut text = format!(
        "# Verdicts on {}@{}, against {} ({}).\n\
         # For each requirement: met = true with at least one proof of an accepted\n\
         # kind (ref = \"sha256:<hex of the file>\" or an https:// URL), or\n\
         # met = false with a note saying why.\n\
         requirement-set = \"{}\"\n\
         # reasons = [\"overall comments, published with the decision\"]\n",
        manifest.id(),
        manifest.version(),
        set.reference(),
        set.digest(),
        set.reference()
    );
    for requirement in set.applicable(manifest) {
        let proofs: Vec<&str> = requirement.proofs().iter().map(|p| p.as_str()).collect();
        let first_line = requirement.text().lines().next().unwrap_or_default();
        text.push_str(&format!(
            "\n# {} ({}): {first_line}\n# accepted proofs: {}\n\
             [[verdict]]\nrequirement = \"{}\"\nmet = false\nnote = \"\"\nproofs = []\n",
            requirement.id(),
            requirement.level().as_str(),
            if proofs.is_empty() {
                "none needed".to_owned()
            } else {
                proofs.join(", ")
            },
            requirement.id(),
        ));
    }
    text
}
