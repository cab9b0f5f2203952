//! What the patient decides about health professionals, stored: the
//! professionals they block, the temporary delegations they hand out as
//! codes, and the closure of their space. What a professional may then read
//! is decided by [`officine_policy::habilitation`].
//!
//! A delegation code is twelve characters of Crockford's base 32 (60 bits),
//! shown once to the patient, stored only as its SHA-256, and bound to one
//! professional: the one the patient named, or the first who enters it.
//! Each professional may fail [`FAILURES_ALLOWED`] entries per
//! [`FAILURE_WINDOW`]; past that, entries are refused without being looked
//! up, so guessing a code is hopeless. Every entry is on the audit record.

use std::collections::BTreeSet;
use std::time::Duration;

use officine_policy::habilitation::{Delegation, Overrides, Section, Space};
use sqlx::Row as _;

use crate::audit::{Actor, Event, Outcome};
use crate::db::read::Select;
use crate::db::{Db, Result};
use crate::model::{PatientId, new_id};
use crate::sessions::hash;

/// Failed code entries a professional may make per [`FAILURE_WINDOW`].
pub const FAILURES_ALLOWED: i64 = 5;
/// The window failed entries are counted over.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The longest a delegation may last.
pub const LONGEST_DELEGATION: Duration = Duration::from_secs(30 * 24 * 3600);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A new code, `XXXX-XXXX-XXXX`.
fn new_code() -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("the system's random generator works");
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| CROCKFORD[usize::from(b % 32)] as char)
        .collect();
    chars
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as typed, in its canonical form: dashes and spaces dropped,
/// upper case, and the letters people confuse read as Crockford does
/// (`I`, `L` as 1; `O` as 0). `None` if it cannot be a code.
fn canonical(code: &str) -> Option<String> {
    let canonical: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            other => other,
        })
        .collect();
    (canonical.len() == 12 && canonical.bytes().all(|b| CROCKFORD.contains(&b)))
        .then_some(canonical)
}

/// A delegation, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDelegation {
    pub id: String,
    pub patient: PatientId,
    pub delegation: Delegation,
    pub created_at: i64,
}

/// Why a delegation was not made.
#[derive(Debug, thiserror::Error)]
pub enum DelegationError {
    #[error("a delegation opens at least one section")]
    NoSection,
    #[error("a delegation ends in the future, within 30 days")]
    BadExpiry,
    #[error("the space is closed")]
    Closed,
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// Why a code entry opened nothing.
#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    #[error("too many wrong codes: try again in a quarter of an hour")]
    TooManyFailures,
    #[error("no delegation has this code")]
    Unknown,
    #[error(transparent)]
    Refused(officine_policy::habilitation::Refusal),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// The entry could not be put on record: nothing opens unrecorded.
    #[error(transparent)]
    Record(#[from] crate::audit::RecordError),
}

fn sections_text(sections: &BTreeSet<Section>) -> String {
    sections
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

const COLUMNS: &str = "id, patient_id, professional, sections, created_at, expires_at, revoked_at";

fn from_row(row: &dyn crate::db::read::Row) -> Result<StoredDelegation> {
    let sections = row.text(3)?;
    Ok(StoredDelegation {
        id: row.text(0)?,
        patient: PatientId::new(row.text(1)?),
        delegation: Delegation {
            sections: sections.split(' ').filter_map(Section::parse).collect(),
            professional: row.text_or_null(2)?,
            expires_at: row.int(5)?,
            revoked: row.int_or_null(6)?.is_some(),
        },
        created_at: row.int(4)?,
    })
}

/// Makes a delegation: `sections` of `patient`'s space, for `professional`
/// (an RPPS number) or whoever enters the code first, until `expires_at`.
/// Returns it with its code, the only time the code exists in clear.
pub async fn delegate(
    db: &Db,
    patient: &PatientId,
    sections: BTreeSet<Section>,
    professional: Option<&str>,
    expires_at: i64,
    now: i64,
) -> std::result::Result<(StoredDelegation, String), DelegationError> {
    if sections.is_empty() {
        return Err(DelegationError::NoSection);
    }
    if expires_at <= now || expires_at > now + millis(LONGEST_DELEGATION) {
        return Err(DelegationError::BadExpiry);
    }
    if is_closed(db, patient).await? {
        return Err(DelegationError::Closed);
    }
    let code = new_code();
    let id = new_id();
    sqlx::query(
        "INSERT INTO delegations (id, patient_id, code_hash, professional, sections, created_at, \
         expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
    )
    .bind(&id)
    .bind(patient.as_str())
    .bind(hash(
        &canonical(&code).expect("a code made here is canonical"),
    ))
    .bind(professional)
    .bind(sections_text(&sections))
    .bind(now)
    .bind(expires_at)
    .execute(db.pool())
    .await
    .map_err(crate::db::DbError::from)?;
    let stored = StoredDelegation {
        id,
        patient: patient.clone(),
        delegation: Delegation {
            sections,
            professional: professional.map(str::to_owned),
            expires_at,
            revoked: false,
        },
        created_at: now,
    };
    Ok((stored, code))
}

/// A professional enters a code: the delegation it names, if it holds for
/// them, bound to them from now on. Every entry is recorded.
pub async fn redeem(
    db: &Db,
    code: &str,
    rpps: &str,
    now: i64,
) -> std::result::Result<StoredDelegation, RedeemError> {
    let (failures,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM delegation_failures WHERE rpps = $1 AND at > $2")
            .bind(rpps)
            .bind(now - millis(FAILURE_WINDOW))
            .fetch_one(db.pool())
            .await
            .map_err(crate::db::DbError::from)?;
    let actor = Actor::Professional {
        rpps: rpps.to_owned(),
    };
    let denied = |patient: Option<&PatientId>, reason: &str| {
        Event::new(
            actor.clone(),
            patient,
            "delegation.use",
            0,
            Outcome::Denied {
                reason: reason.to_owned(),
            },
        )
    };
    if failures >= FAILURES_ALLOWED {
        db.audit()
            .record(vec![denied(None, "too many wrong codes")])
            .await?;
        return Err(RedeemError::TooManyFailures);
    }
    let found = match canonical(code) {
        Some(code) => {
            Select::new(format!(
                "SELECT {COLUMNS} FROM delegations WHERE code_hash = $1"
            ))
            .bind(hash(&code))
            .fetch_optional(db, from_row)
            .await?
        }
        None => None,
    };
    let Some(mut stored) = found else {
        sqlx::query("INSERT INTO delegation_failures (rpps, at) VALUES ($1, $2)")
            .bind(rpps)
            .bind(now)
            .execute(db.pool())
            .await
            .map_err(crate::db::DbError::from)?;
        db.audit()
            .record(vec![denied(None, "unknown code")])
            .await?;
        return Err(RedeemError::Unknown);
    };
    let (space, overrides) = rules(db, &stored.patient).await?;
    let checked = officine_policy::habilitation::delegation_holds(
        space,
        &overrides,
        rpps,
        &stored.delegation,
        now,
    );
    if let Err(refusal) = checked {
        db.audit()
            .record(vec![denied(Some(&stored.patient), &refusal.to_string())])
            .await?;
        return Err(RedeemError::Refused(refusal));
    }
    if stored.delegation.professional.is_none() {
        // Bound to the first who enters it, once: a concurrent entry by
        // another professional finds it bound.
        let bound = sqlx::query(
            "UPDATE delegations SET professional = $1 WHERE id = $2 AND professional IS NULL",
        )
        .bind(rpps)
        .bind(&stored.id)
        .execute(db.pool())
        .await
        .map_err(crate::db::DbError::from)?
        .rows_affected();
        if bound == 0 {
            return Err(RedeemError::Refused(
                officine_policy::habilitation::Refusal::DelegationForAnother,
            ));
        }
        stored.delegation.professional = Some(rpps.to_owned());
    }
    db.audit()
        .record(vec![Event::new(
            actor,
            Some(&stored.patient),
            "delegation.use",
            0,
            Outcome::Allowed,
        )])
        .await?;
    Ok(stored)
}

/// The delegation `id`, if it is bound to `rpps`.
pub async fn delegation_for(db: &Db, id: &str, rpps: &str) -> Result<Option<StoredDelegation>> {
    Select::new(format!(
        "SELECT {COLUMNS} FROM delegations WHERE id = $1 AND professional = $2"
    ))
    .bind(id)
    .bind(rpps)
    .fetch_optional(db, from_row)
    .await
}

/// The delegations bound to `rpps` that are in force at `now`, newest
/// first.
pub async fn held_by(db: &Db, rpps: &str, now: i64) -> Result<Vec<StoredDelegation>> {
    Select::new(format!(
        "SELECT {COLUMNS} FROM delegations WHERE professional = $1 AND revoked_at IS NULL \
         AND expires_at > $2 ORDER BY created_at DESC, id"
    ))
    .bind(rpps)
    .bind(now)
    .fetch_all(db, from_row)
    .await
}

/// The patient's delegations, newest first.
pub async fn delegations(db: &Db, patient: &PatientId) -> Result<Vec<StoredDelegation>> {
    Select::new(format!(
        "SELECT {COLUMNS} FROM delegations WHERE patient_id = $1 ORDER BY created_at DESC, id"
    ))
    .bind(patient.as_str())
    .fetch_all(db, from_row)
    .await
}

/// Revokes one of the patient's delegations; `false` if there was none in
/// force with this id.
pub async fn revoke(db: &Db, patient: &PatientId, id: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE delegations SET revoked_at = $1 \
         WHERE id = $2 AND patient_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(patient.as_str())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Blocks a professional: they read nothing of this patient's any more.
pub async fn block(db: &Db, patient: &PatientId, rpps: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO professional_blocks (patient_id, rpps, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (patient_id, rpps) DO NOTHING",
    )
    .bind(patient.as_str())
    .bind(rpps)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Lifts a block; `false` if there was none.
pub async fn unblock(db: &Db, patient: &PatientId, rpps: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM professional_blocks WHERE patient_id = $1 AND rpps = $2")
        .bind(patient.as_str())
        .bind(rpps)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The professionals the patient blocks, by RPPS number.
pub async fn blocked(db: &Db, patient: &PatientId) -> Result<Vec<String>> {
    Select::new("SELECT rpps FROM professional_blocks WHERE patient_id = $1 ORDER BY rpps")
        .bind(patient.as_str())
        .fetch_all(db, |row| row.text(0))
        .await
}

/// The patient's overrides, for the habilitation decision. Hidden
/// documents are never selected for anyone but the patient (see
/// [`crate::db::documents`]), so only blocks are needed here.
pub async fn overrides(db: &Db, patient: &PatientId) -> Result<Overrides> {
    let mut overrides = Overrides::default();
    for rpps in blocked(db, patient).await? {
        overrides.block(rpps);
    }
    Ok(overrides)
}

/// Closes the patient's space (their opposition): every grant and every
/// delegation ends, and from now on no service or professional reaches
/// their data. What the law keeps (the audit record) is kept. Closing a
/// closed space changes nothing.
pub async fn close_space(db: &Db, patient: &PatientId, now: i64) -> Result<()> {
    for stored in crate::db::grants::for_patient(db, patient).await? {
        if matches!(stored.grant.status(), officine_policy::GrantStatus::Active) {
            // Revoked without erasing: what services kept is the patient's
            // to export or erase, not lost by closing.
            crate::db::grants::revoke(db, patient, stored.grant.service(), false, now).await?;
        }
    }
    sqlx::query(
        "UPDATE delegations SET revoked_at = $1 WHERE patient_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(patient.as_str())
    .execute(db.pool())
    .await?;
    sqlx::query(
        "INSERT INTO space_closures (patient_id, closed_at) VALUES ($1, $2) \
         ON CONFLICT (patient_id) DO NOTHING",
    )
    .bind(patient.as_str())
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// What the patient decided about professionals, for the habilitation
/// decision: whether their space is open, and their overrides.
pub async fn rules(db: &Db, patient: &PatientId) -> Result<(Space, Overrides)> {
    let (closed, overrides) = tokio::try_join!(is_closed(db, patient), overrides(db, patient))?;
    let space = if closed { Space::Closed } else { Space::Open };
    Ok((space, overrides))
}

/// Whether the patient closed their space.
pub async fn is_closed(db: &Db, patient: &PatientId) -> Result<bool> {
    let row = sqlx::query("SELECT closed_at FROM space_closures WHERE patient_id = $1")
        .bind(patient.as_str())
        .fetch_optional(db.pool())
        .await?;
    Ok(row
        .map(|row| row.try_get::<i64, _>(0))
        .transpose()?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use officine_policy::habilitation::Refusal;

    const NURSE: &str = "10000000002";
    const OTHER: &str = "10000000003";
    const DAY: i64 = 24 * 3600 * 1000;

    fn sections(list: &[Section]) -> BTreeSet<Section> {
        list.iter().copied().collect()
    }

    #[tokio::test]
    async fn a_code_opens_its_sections_to_one_professional_until_it_ends() {
        let (_dir, dbs) = crate::db::testing::both().await;
        for db in dbs {
            codes(db).await;
        }
    }

    async fn codes(db: Db) {
        let patient = PatientId::new("demo");
        let now = 1_000_000;
        // Bad requests make nothing.
        assert!(matches!(
            delegate(&db, &patient, BTreeSet::new(), None, now + DAY, now).await,
            Err(DelegationError::NoSection)
        ));
        for expiry in [now, now - 1, now + millis(LONGEST_DELEGATION) + 1] {
            assert!(matches!(
                delegate(
                    &db,
                    &patient,
                    sections(&[Section::Measures]),
                    None,
                    expiry,
                    now
                )
                .await,
                Err(DelegationError::BadExpiry)
            ));
        }
        assert!(delegations(&db, &patient).await.unwrap().is_empty());

        // For whoever enters it first: bound to them, refused to others.
        let (made, code) = delegate(
            &db,
            &patient,
            sections(&[Section::Measures, Section::Agenda]),
            None,
            now + DAY,
            now,
        )
        .await
        .unwrap();
        let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM delegations")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert!(!stored.iter().any(|h| h.contains(&code.replace('-', ""))));
        let used = redeem(&db, &code.to_lowercase(), NURSE, now + 1)
            .await
            .unwrap();
        assert_eq!(used.id, made.id);
        assert_eq!(used.delegation.professional.as_deref(), Some(NURSE));
        assert!(matches!(
            redeem(&db, &code, OTHER, now + 2).await,
            Err(RedeemError::Refused(Refusal::DelegationForAnother))
        ));
        assert!(
            delegation_for(&db, &made.id, NURSE)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            delegation_for(&db, &made.id, OTHER)
                .await
                .unwrap()
                .is_none()
        );
        // Until it ends.
        assert!(matches!(
            redeem(&db, &code, NURSE, now + DAY).await,
            Err(RedeemError::Refused(Refusal::DelegationExpired))
        ));

        // Bound from the start; revoked; a blocked professional.
        let (bound, code) = delegate(
            &db,
            &patient,
            sections(&[Section::Documents]),
            Some(NURSE),
            now + DAY,
            now,
        )
        .await
        .unwrap();
        assert!(matches!(
            redeem(&db, &code, OTHER, now + 1).await,
            Err(RedeemError::Refused(Refusal::DelegationForAnother))
        ));
        block(&db, &patient, NURSE, now).await.unwrap();
        assert!(matches!(
            redeem(&db, &code, NURSE, now + 1).await,
            Err(RedeemError::Refused(Refusal::Blocked))
        ));
        assert!(unblock(&db, &patient, NURSE).await.unwrap());
        redeem(&db, &code, NURSE, now + 1).await.unwrap();
        assert!(revoke(&db, &patient, &bound.id, now + 2).await.unwrap());
        assert!(!revoke(&db, &patient, &bound.id, now + 3).await.unwrap());
        assert!(
            !revoke(&db, &PatientId::new("someone-else"), &made.id, now)
                .await
                .unwrap()
        );
        assert!(matches!(
            redeem(&db, &code, NURSE, now + 3).await,
            Err(RedeemError::Refused(Refusal::DelegationRevoked))
        ));

        // A closed space: every delegation ends, no new one is made.
        let (_, code) = delegate(
            &db,
            &patient,
            sections(&[Section::Messages]),
            None,
            now + DAY,
            now,
        )
        .await
        .unwrap();
        close_space(&db, &patient, now + 4).await.unwrap();
        assert!(is_closed(&db, &patient).await.unwrap());
        assert!(matches!(
            redeem(&db, &code, NURSE, now + 5).await,
            Err(RedeemError::Refused(
                Refusal::SpaceClosed | Refusal::DelegationRevoked
            ))
        ));
        assert!(matches!(
            delegate(
                &db,
                &patient,
                sections(&[Section::Messages]),
                None,
                now + DAY,
                now + 5
            )
            .await,
            Err(DelegationError::Closed)
        ));
    }

    #[tokio::test]
    async fn guessing_codes_is_cut_short() {
        let (_dir, dbs) = crate::db::testing::both().await;
        for db in dbs {
            guessing(db).await;
        }
    }

    async fn guessing(db: Db) {
        let patient = PatientId::new("demo");
        let now = 1_000_000;
        let (_, code) = delegate(
            &db,
            &patient,
            sections(&[Section::Measures]),
            None,
            now + DAY,
            now,
        )
        .await
        .unwrap();
        for i in 0..FAILURES_ALLOWED {
            assert!(matches!(
                redeem(&db, "AAAA-AAAA-AAAA", OTHER, now + i).await,
                Err(RedeemError::Unknown)
            ));
        }
        // Past the allowance even the right code is refused, unlooked-up,
        // until the window passes; another professional is not affected.
        assert!(matches!(
            redeem(&db, &code, OTHER, now + 10).await,
            Err(RedeemError::TooManyFailures)
        ));
        let later = now + millis(FAILURE_WINDOW) + 10;
        redeem(&db, &code, OTHER, later).await.unwrap();
        // Every entry is on the record.
        db.audit().flush().await.unwrap();
        let uses: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE interface = 'delegation' AND operation = 'use'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap();
        assert_eq!(uses, FAILURES_ALLOWED + 2);
    }

    #[test]
    fn codes_read_back_whatever_their_case_and_dashes() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        let canonical_form = canonical(&code).unwrap();
        assert_eq!(
            canonical(&code.to_lowercase()),
            Some(canonical_form.clone())
        );
        assert_eq!(
            canonical(&code.replace('-', " ")),
            Some(canonical_form.clone())
        );
        assert_eq!(canonical("IIII-OOOO-LLLL").as_deref(), Some("111100001111"));
        for bad in [
            "",
            "ABCD-EFGH",
            "ABCD-EFGH-JKMNP",
            "ABCD-EFGH-JKM!",
            "UUUU-UUUU-UUUU",
        ] {
            assert_eq!(canonical(bad), None, "{bad}");
        }
        assert_ne!(new_code(), new_code());
    }
}
