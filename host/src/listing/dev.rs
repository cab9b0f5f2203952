//! Development listing: how `officine dev` lists the services it serves.
//!
//! The same path as for real: a key registered to the editor the manifest
//! names, a signed release, submission, admission, review and a decision
//! from a verdict file — except that the key is a development key kept in
//! the data directory and the verdicts say plainly that nobody reviewed
//! anything. None of this is fit for real patients.

use std::path::Path;

use officine_registry::keys::KeyPair;
use officine_registry::review::{Level, RequirementSet, State};
use officine_registry::signature;
use officine_registry::{LegalId, Manifest, Release};

use super::releases::{StoredRelease, Submission};
use super::{ListingError, Registry, keys};
use crate::runtime::Runtime;

/// The note every development verdict carries.
pub const DEV_NOTE: &str = "Development listing by `officine dev`: not reviewed.";

impl Registry {
    /// Lists `manifest`'s release of `component` if it is not already,
    /// signed with the development key of its editor (created in `data` and
    /// registered on first use). Returns the listed release.
    pub async fn list_for_development(
        &self,
        runtime: &Runtime,
        data: &Path,
        manifest: Manifest,
        component: &[u8],
    ) -> Result<StoredRelease, ListingError> {
        let release = Release::new(manifest, component);
        let name = format!(
            "{}@{}",
            release.manifest().id(),
            release.manifest().version()
        );
        if let Some(existing) = super::releases::by_name(&self.db, &name).await? {
            if existing.release.component_sha256() != release.component_sha256() {
                return Err(ListingError::Invalid(format!(
                    "{name} is already listed with another component: bump the version in \
                     its officine.toml, or start from a new --data directory"
                )));
            }
            if existing.state == State::Listed {
                return Ok(existing);
            }
        }
        let key = self
            .development_key(data, release.manifest().editor_id())
            .await?;
        let bundle = signature::sign(&release.canonical_json(), &key);
        let manifest = release.manifest().clone();
        let existing = super::releases::by_name(&self.db, &name).await?;
        if existing.is_none() {
            self.submit(
                runtime,
                Submission {
                    manifest: manifest.clone(),
                    component,
                    bundle,
                },
            )
            .await?;
        }
        let mut stored = super::releases::by_name(&self.db, &name)
            .await?
            .expect("submitted");
        let set = RequirementSet::builtin();
        loop {
            stored = match stored.state {
                State::Submitted => self.admit(&name).await?,
                State::Admissible => self.start_review(&name).await?,
                State::InReview => {
                    let verdicts = development_verdicts(set, &manifest);
                    self.decide(&name, set, &verdicts).await?
                }
                State::Suspended => self.reinstate(&name, "development restart").await?,
                State::Listed => return Ok(stored),
                state => {
                    return Err(ListingError::Workflow(format!(
                        "{name} is {state}: it cannot be listed again; bump its version"
                    )));
                }
            };
        }
    }

    /// The development key of `editor`, registered to it.
    async fn development_key(
        &self,
        data: &Path,
        editor: &LegalId,
    ) -> Result<KeyPair, ListingError> {
        let file = data.join(format!(
            "dev-editor-{}.key",
            editor.to_string().replace(':', "-")
        ));
        let key = match std::fs::read_to_string(&file) {
            Ok(text) => KeyPair::from_pem(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = KeyPair::generate()?;
                crate::files::create_private(&file, key.to_pem().as_bytes()).map_err(|e| {
                    ListingError::File {
                        path: file.clone(),
                        problem: e.to_string(),
                    }
                })?;
                key
            }
            Err(e) => {
                return Err(ListingError::File {
                    path: file,
                    problem: e.to_string(),
                });
            }
        };
        if keys::key(&self.db, &key.public_key().id()).await?.is_none() {
            self.add_key(editor, key.public_key(), None).await?;
        }
        Ok(key)
    }
}

/// A verdict file meeting every applicable binding requirement, each with a
/// proof of the first kind it accepts pointing at the development note.
pub fn development_verdicts(set: &RequirementSet, manifest: &Manifest) -> String {
    let mut text = format!(
        "requirement-set = \"{}\"\nreasons = [\"{DEV_NOTE}\"]\n",
        set.reference()
    );
    for requirement in set.requirements() {
        let binding = matches!(requirement.level(), Level::Must | Level::MustNot);
        if !binding || !requirement.applies_to(manifest) {
            continue;
        }
        let kind = requirement.proofs()[0].as_str();
        text.push_str(&format!(
            "\n[[verdict]]\nrequirement = \"{}\"\nmet = true\nnote = \"{DEV_NOTE}\"\n\
             proofs = [{{ kind = \"{kind}\", ref = \"https://officine.localhost/dev-listing\" }}]\n",
            requirement.id()
        ));
    }
    text
}
