//! Releases: submission, and each step of the listing workflow.

use std::path::Path;

use officine_registry::log::{Event, ReleaseRef};
use officine_registry::review::{self, Action, RequirementSet, State, VerdictFile};
use officine_registry::signature::{self, Bundle, Identity, LogEntry, Signer};
use officine_registry::{Manifest, Release, Sha256Digest};
use semver::Version;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::keys::{self, KeyState};
use super::{ListingError, Registry, bump_generation};
use crate::db::{Db, DbError, Result};
use crate::model::now_millis;
use crate::runtime::Runtime;
use crate::service::Service;

/// A submitted release, as the registry keeps it.
#[derive(Debug, Clone)]
pub struct StoredRelease {
    pub id: i64,
    pub release: Release,
    /// The canonical JSON the editor signed.
    pub release_json: String,
    /// The bundle, completed with the registry's log entry.
    pub bundle: String,
    /// `key:<key id>` or `certificate:<issuer> <subject>`.
    pub signer: String,
    pub state: State,
    pub requirement_set: Option<String>,
    /// The published decision, as JSON, once decided.
    pub decision: Option<String>,
    pub reasons: Vec<String>,
    pub submitted_at: i64,
    pub updated_at: i64,
}

impl StoredRelease {
    /// `service@version`, as commands name it.
    pub fn name(&self) -> String {
        let manifest = self.release.manifest();
        format!("{}@{}", manifest.id(), manifest.version())
    }

    fn reference(&self) -> ReleaseRef {
        reference(&self.release)
    }
}

fn reference(release: &Release) -> ReleaseRef {
    ReleaseRef {
        service: release.manifest().id().to_string(),
        version: release.manifest().version().to_string(),
        component_sha256: release.component_sha256().to_string(),
    }
}

const COLUMNS: &str = "id, release_json, bundle, signer, state, requirement_set, decision, \
                       reasons, submitted_at, updated_at";

fn from_row(row: &AnyRow) -> Result<StoredRelease> {
    let corrupt = |column: &'static str, value: String| DbError::Corrupt { column, value };
    let id: i64 = row.try_get(0)?;
    let release_json: String = row.try_get(1)?;
    let state: String = row.try_get(4)?;
    let reasons: Option<String> = row.try_get(7)?;
    Ok(StoredRelease {
        id,
        release: Release::from_canonical_json(&release_json)
            .map_err(|_| corrupt("releases.release_json", id.to_string()))?,
        release_json,
        bundle: row.try_get(2)?,
        signer: row.try_get(3)?,
        state: state
            .parse()
            .map_err(|_| corrupt("releases.state", state))?,
        requirement_set: row.try_get(5)?,
        decision: row.try_get(6)?,
        reasons: match reasons {
            Some(text) => serde_json::from_str(&text)
                .map_err(|_| corrupt("releases.reasons", text.clone()))?,
            None => Vec::new(),
        },
        submitted_at: row.try_get(8)?,
        updated_at: row.try_get(9)?,
    })
}

/// Every release, by service and submission order.
pub async fn all(db: &Db) -> Result<Vec<StoredRelease>> {
    let sql = format!("SELECT {COLUMNS} FROM releases ORDER BY service, id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// What hosts serve: each service's latest listed release.
pub async fn serving(db: &Db) -> Result<Vec<StoredRelease>> {
    let mut latest: std::collections::BTreeMap<String, StoredRelease> = Default::default();
    for stored in all(db).await? {
        if stored.state != State::Listed {
            continue;
        }
        let id = stored.release.manifest().id().to_string();
        let newer = latest
            .get(&id)
            .is_none_or(|s| s.release.manifest().version() < stored.release.manifest().version());
        if newer {
            latest.insert(id, stored);
        }
    }
    Ok(latest.into_values().collect())
}

/// A release by `service@version`.
pub async fn by_name(db: &Db, name: &str) -> Result<Option<StoredRelease>, ListingError> {
    let (service, version) = name.split_once('@').ok_or_else(|| {
        ListingError::Invalid(format!("{name:?}: name a release as SERVICE@VERSION"))
    })?;
    let sql = format!("SELECT {COLUMNS} FROM releases WHERE service = $1 AND version = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(service)
        .bind(version)
        .fetch_optional(db.pool())
        .await
        .map_err(DbError::from)?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The component bytes of a release.
pub async fn component(db: &Db, digest: &Sha256Digest) -> Result<Option<Vec<u8>>> {
    let row = sqlx::query("SELECT bytes FROM components WHERE sha256 = $1")
        .bind(digest.to_string())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// What a regulator does to a listed (or suspended) release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Listed → suspended: hosts refuse new invocations at once.
    Suspend,
    /// Suspended → listed.
    Reinstate,
    /// Listed or suspended → withdrawn, for good.
    Withdraw,
}

impl Change {
    /// The step's name, as commands and logs say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Suspend => "suspend",
            Change::Reinstate => "reinstate",
            Change::Withdraw => "withdraw",
        }
    }
}

/// What an editor submits.
pub struct Submission<'a> {
    pub manifest: Manifest,
    pub component: &'a [u8],
    pub bundle: Bundle,
}

impl Registry {
    /// Checks and records a submission: a release signed by a key (or
    /// certificate identity) of the editor the manifest names, of a
    /// component the platform can run and whose imports its manifest
    /// requests, newer than any release of the service. The signature is
    /// logged and the bundle completed with its log entry.
    pub async fn submit(
        &self,
        runtime: &Runtime,
        submission: Submission<'_>,
    ) -> Result<StoredRelease, ListingError> {
        let Submission {
            manifest,
            component,
            bundle,
        } = submission;
        let release = Release::new(manifest, component);
        let json = release.canonical_json();
        let manifest = release.manifest();
        let editor = manifest.editor_id().to_string();
        let (identity, signer, key) = match bundle.signer()? {
            Signer::Key { hint } => {
                let id = hint
                    .parse()
                    .map_err(|_| ListingError::Invalid(format!("unknown key hint {hint:?}")))?;
                let key = keys::key(&self.db, &id)
                    .await?
                    .ok_or(ListingError::UnknownKey(id))?;
                match key.state {
                    KeyState::Active => {}
                    KeyState::Revoked => return Err(ListingError::KeyRevoked(id)),
                    state => return Err(ListingError::KeyNotActive { key: id, state }),
                }
                if key.editor != editor {
                    return Err(ListingError::NotEditorsKey { key: id, editor });
                }
                let public = key.public_key.clone();
                (
                    Identity::Key(public.clone()),
                    format!("key:{id}"),
                    Some(public),
                )
            }
            Signer::Certificate(_) => {
                let identity = self.certificate_identity(&editor, &json, &bundle).await?;
                let Identity::Certificate { subject, issuer } = &identity else {
                    unreachable!("a certificate identity was found");
                };
                let signer = format!("certificate:{issuer} {subject}");
                (identity, signer, None)
            }
        };
        let body = signature::log_body(&json, &bundle, key.as_ref())?;
        // Only signed bytes reach the compiler. The component must load and
        // import nothing its manifest does not request.
        let origin = Path::new(manifest.id().as_str());
        blocking(|| Service::from_parts(runtime, manifest.clone(), component, origin))?;
        // Checked now for a clear early answer, and again in the
        // transaction, where no concurrent submission can slip in between.
        check_newer(
            &mut *self.db.pool().acquire().await.map_err(DbError::from)?,
            &release,
        )
        .await?;

        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        let sealed = super::log::append(&mut tx, &self.keys.signer, &body).await?;
        check_newer(&mut tx, &release).await?;
        let completed = signature::with_log_entry(
            &bundle,
            &LogEntry {
                index: sealed.index,
                log_id: self.keys.signer.key().public_key().id(),
                body: &body,
                proof: &sealed.proof,
                checkpoint: &sealed.checkpoint,
            },
        )?;
        // The check every host makes, made once before anything is kept.
        signature::verify(&json, &completed, &identity, &self.keys.root)?;
        let event = Event::Submitted {
            release: reference(&release),
            release_sha256: Sha256Digest::of(json.as_bytes()).to_string(),
            signer: signer.clone(),
            signature: sealed.index,
        };
        super::log::append(&mut tx, &self.keys.signer, &event.to_entry()).await?;
        let digest = release.component_sha256().to_string();
        sqlx::query(
            "INSERT INTO components (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&digest)
        .bind(component.to_vec())
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        let now = now_millis();
        let inserted = sqlx::query(
            "INSERT INTO releases (service, version, component_sha256, release_json, bundle, \
             signer, signer_key, state, submitted_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT DO NOTHING",
        )
        .bind(manifest.id().as_str())
        .bind(manifest.version().to_string())
        .bind(&digest)
        .bind(&json)
        .bind(completed.to_json())
        .bind(&signer)
        .bind(key.as_ref().map(|k| k.id().to_string()))
        .bind(State::Submitted.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        if inserted.rows_affected() == 0 {
            return Err(ListingError::Duplicate {
                service: manifest.id().to_string(),
                version: manifest.version().to_string(),
            });
        }
        tx.commit().await.map_err(DbError::from)?;
        let name = format!("{}@{}", manifest.id(), manifest.version());
        Ok(by_name(&self.db, &name).await?.expect("just submitted"))
    }

    /// The registered certificate identity of `editor` the bundle verifies
    /// under, if any.
    async fn certificate_identity(
        &self,
        editor: &str,
        json: &str,
        bundle: &Bundle,
    ) -> Result<Identity, ListingError> {
        let registered = keys::identities(&self.db, editor).await?;
        let mut last = String::from("no certificate identity is registered for this editor");
        for candidate in registered {
            let identity = Identity::Certificate {
                subject: candidate.subject,
                issuer: candidate.issuer,
            };
            match signature::verify(json, bundle, &identity, &self.keys.root) {
                Ok(()) => return Ok(identity),
                Err(error) => last = error.to_string(),
            }
        }
        Err(ListingError::UnknownIdentity {
            editor: editor.to_owned(),
            problem: last,
        })
    }

    /// Admits a submitted release: its file is complete.
    pub async fn admit(&self, name: &str) -> Result<StoredRelease, ListingError> {
        self.apply(name, Action::Admit, None).await
    }

    /// Declares a submitted release inadmissible.
    pub async fn reject(
        &self,
        name: &str,
        reasons: Vec<String>,
    ) -> Result<StoredRelease, ListingError> {
        self.apply(name, Action::Reject { reasons }, None).await
    }

    /// Starts the review of an admissible release.
    pub async fn start_review(&self, name: &str) -> Result<StoredRelease, ListingError> {
        self.apply(name, Action::StartReview, None).await
    }

    /// Decides a release in review from a verdict file, against `set`:
    /// listed if every applicable requirement is met, refused otherwise.
    pub async fn decide(
        &self,
        name: &str,
        set: &RequirementSet,
        verdicts: &str,
    ) -> Result<StoredRelease, ListingError> {
        let stored = by_name(&self.db, name)
            .await?
            .ok_or_else(|| ListingError::NoRelease(name.to_owned()))?;
        let verdicts = VerdictFile::from_toml_str(verdicts, set)
            .map_err(|e| ListingError::Invalid(format!("verdict file: {e}")))?;
        let decision = review::evaluate(set, stored.release.manifest(), &verdicts)
            .map_err(|e| ListingError::Invalid(format!("verdict file: {e}")))?;
        self.apply(name, Action::Decide(decision), Some(set)).await
    }

    /// Suspends, reinstates or withdraws a release, with its reason.
    pub async fn change(
        &self,
        change: Change,
        name: &str,
        reason: &str,
    ) -> Result<StoredRelease, ListingError> {
        let reason = reason.to_owned();
        let action = match change {
            Change::Suspend => Action::Suspend { reason },
            Change::Reinstate => Action::Reinstate { reason },
            Change::Withdraw => Action::Withdraw { reason },
        };
        self.apply(name, action, None).await
    }

    /// Suspends a listed release: hosts refuse new invocations at once.
    pub async fn suspend(&self, name: &str, reason: &str) -> Result<StoredRelease, ListingError> {
        self.change(Change::Suspend, name, reason).await
    }

    /// Lists a suspended release again.
    pub async fn reinstate(&self, name: &str, reason: &str) -> Result<StoredRelease, ListingError> {
        self.change(Change::Reinstate, name, reason).await
    }

    /// Withdraws a listed or suspended release, for good.
    pub async fn withdraw(&self, name: &str, reason: &str) -> Result<StoredRelease, ListingError> {
        self.change(Change::Withdraw, name, reason).await
    }

    /// One workflow step: the state change, its log entry and checkpoint,
    /// and the generation bump, in one transaction. The update names the
    /// state the step was decided from, so two regulators acting at once
    /// cannot both succeed.
    async fn apply(
        &self,
        name: &str,
        action: Action,
        set: Option<&RequirementSet>,
    ) -> Result<StoredRelease, ListingError> {
        let stored = by_name(&self.db, name)
            .await?
            .ok_or_else(|| ListingError::NoRelease(name.to_owned()))?;
        let next = review::next(stored.state, &action)
            .map_err(|e| ListingError::Workflow(format!("{name}: {e}")))?;
        let release = stored.reference();
        let (event, reasons, decision) = match &action {
            Action::Admit => (Event::Admitted { release }, None, None),
            Action::Reject { reasons } => (
                Event::Rejected {
                    release,
                    reasons: reasons.clone(),
                },
                Some(reasons.clone()),
                None,
            ),
            Action::StartReview => (Event::ReviewStarted { release }, None, None),
            Action::Decide(decision) => {
                let json = serde_json::to_value(decision).expect("a decision serializes");
                let set = set.expect("a decision is made against a set");
                let reasons = match decision.outcome() {
                    review::Outcome::Refused { reasons } => Some(reasons.clone()),
                    review::Outcome::Listed => None,
                };
                (
                    Event::Decided {
                        release,
                        outcome: next.to_string(),
                        requirement_set: set.reference().to_string(),
                        decision: json.clone(),
                    },
                    reasons,
                    Some(json),
                )
            }
            Action::Suspend { reason } => (
                Event::Suspended {
                    release,
                    reason: reason.clone(),
                },
                Some(vec![reason.clone()]),
                None,
            ),
            Action::Reinstate { reason } => (
                Event::Reinstated {
                    release,
                    reason: reason.clone(),
                },
                Some(vec![reason.clone()]),
                None,
            ),
            Action::Withdraw { reason } => (
                Event::Withdrawn {
                    release,
                    reason: reason.clone(),
                },
                Some(vec![reason.clone()]),
                None,
            ),
        };
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        let updated = sqlx::query(
            "UPDATE releases SET state = $1, updated_at = $2, \
             reasons = COALESCE($3, reasons), decision = COALESCE($4, decision), \
             requirement_set = COALESCE($5, requirement_set) \
             WHERE id = $6 AND state = $7",
        )
        .bind(next.to_string())
        .bind(now_millis())
        .bind(reasons.map(|r| serde_json::to_string(&r).expect("strings serialize")))
        .bind(decision.map(|d| d.to_string()))
        .bind(set.map(|s| s.reference().to_string()))
        .bind(stored.id)
        .bind(stored.state.to_string())
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        if updated.rows_affected() == 0 {
            return Err(ListingError::Workflow(format!(
                "{name} changed while this step was being made; look again"
            )));
        }
        super::log::append(&mut tx, &self.keys.signer, &event.to_entry()).await?;
        bump_generation(&mut tx).await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(by_name(&self.db, name).await?.expect("the release exists"))
    }
}

/// Refuses a version not newer than every release of the service: an
/// older release replayed must not come back.
async fn check_newer(
    conn: &mut sqlx::AnyConnection,
    release: &Release,
) -> Result<(), ListingError> {
    let manifest = release.manifest();
    let rows = sqlx::query("SELECT version FROM releases WHERE service = $1")
        .bind(manifest.id().as_str())
        .fetch_all(conn)
        .await
        .map_err(DbError::from)?;
    let mut latest: Option<Version> = None;
    for row in rows {
        let text: String = row.try_get(0).map_err(DbError::from)?;
        let version = Version::parse(&text).map_err(|_| DbError::Corrupt {
            column: "releases.version",
            value: text,
        })?;
        latest = latest.max(Some(version));
    }
    match latest {
        Some(latest) if &latest == manifest.version() => Err(ListingError::Duplicate {
            service: manifest.id().to_string(),
            version: latest.to_string(),
        }),
        Some(latest) if &latest > manifest.version() => Err(ListingError::OlderVersion {
            service: manifest.id().to_string(),
            version: manifest.version().to_string(),
            latest: latest.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Runs `work` (a compilation: a fraction of a second of CPU) so that the
/// server's other requests move to another worker thread meanwhile.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}
