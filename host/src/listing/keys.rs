//! Editors' keys and certificate identities.
//!
//! A key is registered to one editor (its legal id); a release is accepted
//! only if signed by an active key of the editor its manifest names.
//! Rotating a key retires the old one: it signs nothing new, but what it
//! signed stays served. Revoking a key (it leaked) stops everything it
//! signed being served; it stays on record, its signatures verifiable in
//! the log.

use officine_registry::keys::{KeyId, PublicKey};
use officine_registry::log::Event;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{ListingError, Registry, bump_generation};
use crate::db::{Db, DbError, Result};
use crate::model::now_millis;

/// A key's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Signs new releases.
    Active,
    /// Rotated out: signs nothing new; what it signed is still served.
    Retired,
    /// Compromised or withdrawn: nothing it signed is served.
    Revoked,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Retired => "retired",
            KeyState::Revoked => "revoked",
        }
    }
}

/// An editor's registered key.
#[derive(Debug, Clone)]
pub struct EditorKey {
    pub id: KeyId,
    /// The editor's legal id, e.g. `siret:…`.
    pub editor: String,
    pub public_key: PublicKey,
    pub state: KeyState,
    /// The key this one replaced, when it was registered by a rotation.
    pub replaces: Option<KeyId>,
    pub added_at: i64,
}

/// A certificate identity registered for an editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditorIdentity {
    pub editor: String,
    pub subject: String,
    pub issuer: String,
}

const KEY_COLUMNS: &str = "id, editor, public_key, state, replaces, added_at";

fn key_from_row(row: &AnyRow) -> Result<EditorKey> {
    let corrupt = |column: &'static str, value: String| DbError::Corrupt { column, value };
    let id: String = row.try_get(0)?;
    let pem: String = row.try_get(2)?;
    let state: String = row.try_get(3)?;
    let replaces: Option<String> = row.try_get(4)?;
    Ok(EditorKey {
        id: id
            .parse()
            .map_err(|_| corrupt("editor_keys.id", id.clone()))?,
        editor: row.try_get(1)?,
        public_key: PublicKey::from_pem(&pem)
            .map_err(|_| corrupt("editor_keys.public_key", id.clone()))?,
        state: match state.as_str() {
            "active" => KeyState::Active,
            "retired" => KeyState::Retired,
            "revoked" => KeyState::Revoked,
            _ => return Err(corrupt("editor_keys.state", state)),
        },
        replaces: replaces
            .map(|r| r.parse().map_err(|_| corrupt("editor_keys.replaces", r)))
            .transpose()?,
        added_at: row.try_get(5)?,
    })
}

/// A registered key, by id.
pub async fn key(db: &Db, id: &KeyId) -> Result<Option<EditorKey>> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM editor_keys WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(key_from_row).transpose()
}

/// Every registered key, oldest first.
pub async fn all(db: &Db) -> Result<Vec<EditorKey>> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM editor_keys ORDER BY added_at, id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(key_from_row).collect()
}

/// The certificate identities registered for `editor`.
pub async fn identities(db: &Db, editor: &str) -> Result<Vec<EditorIdentity>> {
    let rows = sqlx::query(
        "SELECT editor, subject, issuer FROM editor_identities WHERE editor = $1 \
         ORDER BY subject, issuer",
    )
    .bind(editor)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(EditorIdentity {
                editor: row.try_get(0)?,
                subject: row.try_get(1)?,
                issuer: row.try_get(2)?,
            })
        })
        .collect()
}

impl Registry {
    /// Registers `public_key` for `editor` (a legal id). With `replaces`,
    /// this is a rotation: the old key, which must be the same editor's and
    /// active, is retired in the same step.
    pub async fn add_key(
        &self,
        editor: &officine_registry::LegalId,
        public_key: &PublicKey,
        replaces: Option<&KeyId>,
    ) -> Result<EditorKey, ListingError> {
        let id = public_key.id();
        if let Some(existing) = key(&self.db, &id).await? {
            return Err(ListingError::KeyExists {
                key: id,
                editor: existing.editor,
            });
        }
        if let Some(old) = replaces {
            let old_key = key(&self.db, old)
                .await?
                .ok_or(ListingError::UnknownKey(*old))?;
            if old_key.editor != editor.to_string() {
                return Err(ListingError::NotEditorsKey {
                    key: *old,
                    editor: editor.to_string(),
                });
            }
            if old_key.state != KeyState::Active {
                return Err(ListingError::KeyNotActive {
                    key: *old,
                    state: old_key.state,
                });
            }
        }
        let event = Event::KeyAdded {
            editor: editor.to_string(),
            key: id.to_string(),
            public_key: public_key.to_pem(),
            replaces: replaces.map(KeyId::to_string),
        };
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        let sealed = super::log::append(&mut tx, &self.keys.signer, &event.to_entry()).await?;
        sqlx::query(
            "INSERT INTO editor_keys (id, editor, public_key, state, replaces, added_at, log_index) \
             VALUES ($1, $2, $3, 'active', $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(editor.to_string())
        .bind(public_key.to_pem())
        .bind(replaces.map(KeyId::to_string))
        .bind(now_millis())
        .bind(sealed.index as i64)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        if let Some(old) = replaces {
            let updated = sqlx::query(
                "UPDATE editor_keys SET state = $1, revoked_at = $2 WHERE id = $3 AND state = $4",
            )
            .bind(KeyState::Retired.as_str())
            .bind(now_millis())
            .bind(old.to_string())
            .bind(KeyState::Active.as_str())
            .execute(&mut *tx)
            .await
            .map_err(DbError::from)?;
            if updated.rows_affected() == 0 {
                return Err(ListingError::Workflow(format!(
                    "key {old} changed while being rotated; look again"
                )));
            }
        }
        tx.commit().await.map_err(DbError::from)?;
        Ok(key(&self.db, &id).await?.expect("the key was just added"))
    }

    /// Revokes a key: releases it signed stop being served at once, on
    /// every host sharing the database.
    pub async fn revoke_key(&self, id: &KeyId, reason: &str) -> Result<(), ListingError> {
        let existing = key(&self.db, id)
            .await?
            .ok_or(ListingError::UnknownKey(*id))?;
        if existing.state == KeyState::Revoked {
            return Err(ListingError::KeyRevoked(*id));
        }
        require_reason(reason)?;
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        revoke_in(&mut tx, self, id, &existing.editor, reason).await?;
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }

    /// Lets a certificate identity sign for `editor`: certificates from an
    /// authority in the trusted root, naming `subject`, issued on `issuer`'s
    /// word (an OpenID issuer URL).
    pub async fn add_identity(
        &self,
        editor: &officine_registry::LegalId,
        subject: &str,
        issuer: &str,
    ) -> Result<(), ListingError> {
        if subject.trim().is_empty() || issuer.trim().is_empty() {
            return Err(ListingError::Invalid(
                "a certificate identity needs a subject and an issuer".into(),
            ));
        }
        let event = Event::IdentityAdded {
            editor: editor.to_string(),
            subject: subject.to_owned(),
            issuer: issuer.to_owned(),
        };
        let mut tx = self.db.pool().begin().await.map_err(DbError::from)?;
        let sealed = super::log::append(&mut tx, &self.keys.signer, &event.to_entry()).await?;
        let inserted = sqlx::query(
            "INSERT INTO editor_identities (editor, subject, issuer, added_at, log_index) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(editor.to_string())
        .bind(subject)
        .bind(issuer)
        .bind(now_millis())
        .bind(sealed.index as i64)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from)?;
        if inserted.rows_affected() == 0 {
            return Err(ListingError::Invalid(format!(
                "{subject} ({issuer}) is already registered for {editor}"
            )));
        }
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }
}

async fn revoke_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    registry: &Registry,
    id: &KeyId,
    editor: &str,
    reason: &str,
) -> Result<(), ListingError> {
    let event = Event::KeyRevoked {
        editor: editor.to_owned(),
        key: id.to_string(),
        reason: reason.to_owned(),
    };
    super::log::append(tx, &registry.keys.signer, &event.to_entry()).await?;
    let updated = sqlx::query(
        "UPDATE editor_keys SET state = $1, revoked_at = $2 WHERE id = $3 AND state <> $1",
    )
    .bind(KeyState::Revoked.as_str())
    .bind(now_millis())
    .bind(id.to_string())
    .execute(&mut **tx)
    .await
    .map_err(DbError::from)?;
    if updated.rows_affected() == 0 {
        return Err(ListingError::KeyRevoked(*id));
    }
    bump_generation(tx).await?;
    Ok(())
}

pub(super) fn require_reason(reason: &str) -> Result<(), ListingError> {
    if reason.trim().is_empty() {
        return Err(ListingError::Invalid("a reason is required".into()));
    }
    Ok(())
}
