//! Grants: what one patient consented to for one service.

use std::fmt;

use crate::decide::{Item, covering_window};
use crate::id::{PatientId, ServiceId};
use crate::scope::{Coded, Codes, Resource, Scope, Target};

/// A grant's id, chosen by the platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GrantId(String);

impl GrantId {
    pub fn new(id: impl Into<String>) -> GrantId {
        GrantId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SHA-256 of the consent sheet the patient was shown.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SheetHash(pub [u8; 32]);

impl SheetHash {
    /// Lower-case hex.
    pub fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<SheetHash> {
        if text.len() != 64 || !text.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(SheetHash(bytes))
    }
}

impl fmt::Debug for SheetHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SheetHash({})", self.to_hex())
    }
}

/// When a grant applies: from `start` (inclusive) to `end` (exclusive), in
/// milliseconds since the Unix epoch. A grant always ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    start: i64,
    end: i64,
}

impl Period {
    /// A period that ends after it starts.
    pub fn new(start: i64, end: i64) -> Result<Period, GrantError> {
        if end <= start {
            return Err(GrantError::EndNotAfterStart);
        }
        Ok(Period { start, end })
    }

    pub fn start(self) -> i64 {
        self.start
    }

    pub fn end(self) -> i64 {
        self.end
    }
}

/// Whether a grant still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantStatus {
    Active,
    /// Revoked by the patient at this time (ms). Final.
    Revoked {
        at: i64,
    },
}

/// Why a grant does not hold at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotInForce {
    #[error("the grant was revoked")]
    Revoked,
    #[error("the grant has expired")]
    Expired,
    #[error("the grant has not started yet")]
    NotStarted,
}

/// What a patient saw and agreed to, before the platform checks it.
#[derive(Debug, Clone)]
pub struct Consent {
    pub patient: PatientId,
    pub service: ServiceId,
    pub scopes: Vec<Scope>,
    pub period: Period,
    /// The service version the consent sheet described.
    pub version: semver::Version,
    pub sheet: SheetHash,
}

/// A patient's consent for a service: the scopes it may use, for a period,
/// as shown on a given consent sheet of a given version.
#[derive(Debug, Clone)]
pub struct Grant {
    id: GrantId,
    consent: Consent,
    status: GrantStatus,
}

impl Grant {
    /// A new grant. Its scopes must all be covered by what the service
    /// `requested` in its manifest: a patient can narrow a request, never
    /// widen it. (No scope at all is a grant too: the service may run, and
    /// reach no data.)
    pub fn new(id: GrantId, consent: Consent, requested: &[Scope]) -> Result<Grant, GrantError> {
        let beyond = difference(&consent.scopes, requested);
        if !beyond.is_empty() {
            return Err(GrantError::NotRequested(beyond));
        }
        Ok(Grant {
            id,
            consent,
            status: GrantStatus::Active,
        })
    }

    /// A grant as stored, already checked against its request when made.
    pub fn restore(id: GrantId, consent: Consent, status: GrantStatus) -> Grant {
        Grant {
            id,
            consent,
            status,
        }
    }

    pub fn id(&self) -> &GrantId {
        &self.id
    }

    pub fn patient(&self) -> &PatientId {
        &self.consent.patient
    }

    pub fn service(&self) -> &ServiceId {
        &self.consent.service
    }

    pub fn scopes(&self) -> &[Scope] {
        &self.consent.scopes
    }

    pub fn period(&self) -> Period {
        self.consent.period
    }

    pub fn version(&self) -> &semver::Version {
        &self.consent.version
    }

    pub fn sheet(&self) -> SheetHash {
        self.consent.sheet
    }

    pub fn status(&self) -> GrantStatus {
        self.status
    }

    /// Whether the grant holds at `now` (ms). An expired grant is treated
    /// exactly like a revoked one.
    pub fn in_force(&self, now: i64) -> Result<(), NotInForce> {
        match self.status {
            GrantStatus::Revoked { .. } => Err(NotInForce::Revoked),
            GrantStatus::Active if now >= self.consent.period.end => Err(NotInForce::Expired),
            GrantStatus::Active if now < self.consent.period.start => Err(NotInForce::NotStarted),
            GrantStatus::Active => Ok(()),
        }
    }

    /// Revokes the grant. Revoking twice keeps the first time.
    pub fn revoke(&mut self, at: i64) {
        if self.status == GrantStatus::Active {
            self.status = GrantStatus::Revoked { at };
        }
    }

    /// Narrows the grant to `scopes`, which must be covered by the current ones.
    pub fn narrow(&mut self, scopes: Vec<Scope>) -> Result<(), GrantError> {
        let beyond = difference(&scopes, &self.consent.scopes);
        if !beyond.is_empty() {
            return Err(GrantError::NotGranted(beyond));
        }
        self.consent.scopes = scopes;
        Ok(())
    }
}

/// Why a grant cannot be made or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("the grant must end after it starts")]
    EndNotAfterStart,
    #[error("the service did not request {}", list(.0))]
    NotRequested(Vec<Scope>),
    #[error("narrowing cannot add {}", list(.0))]
    NotGranted(Vec<Scope>),
}

fn list(scopes: &[Scope]) -> String {
    let texts: Vec<String> = scopes.iter().map(Scope::to_string).collect();
    texts.join(", ")
}

/// Whether everything `scope` allows is allowed by `scopes` together.
///
/// Exact, not approximate: a scope is split into what it allows (each
/// operation on each code) and each part must be allowed by some scope of
/// the set from a window start no later than its own.
pub fn covered(scope: &Scope, scopes: &[Scope]) -> bool {
    let scope = match scope {
        Scope::Storage => return scopes.contains(&Scope::Storage),
        Scope::Resource(scope) => scope,
    };
    let since = scope.since().map_or(i64::MIN, |s| s.millis());
    let items: Vec<Item> = match scope.target() {
        Target::Observation(codes) => every(codes).map(|k| Item::Measure(Some(k))).collect(),
        Target::DocumentReference(codes) => every(codes).map(|c| Item::Document(Some(c))).collect(),
        Target::Appointment => vec![Item::Appointment],
        Target::Communication => vec![Item::Message],
    };
    scope.ops().iter().all(|op| {
        items
            .iter()
            .all(|item| covering_window(scopes, op, item).is_some_and(|earliest| earliest <= since))
    })
}

fn every<T: Coded>(codes: Codes<T>) -> impl Iterator<Item = T> {
    codes.set().iter()
}

/// The scopes of `wanted` that `held` does not cover: what a patient would
/// be asked to consent to, e.g. when a new version requests more than the
/// grant holds. Each is returned whole, as the service asked for it.
pub fn difference(wanted: &[Scope], held: &[Scope]) -> Vec<Scope> {
    wanted
        .iter()
        .filter(|scope| !covered(scope, held))
        .copied()
        .collect()
}

/// The resource types a set of scopes opens, for linking interfaces.
pub fn resources(scopes: &[Scope]) -> impl Iterator<Item = Resource> + '_ {
    Resource::ALL.into_iter().filter(|resource| {
        scopes
            .iter()
            .any(|s| matches!(s, Scope::Resource(r) if r.resource() == *resource))
    })
}
