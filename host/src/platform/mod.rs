//! The platform interfaces, as a component sees them.
//!
//! One module per WIT interface, all of the same shape: an `impl Host for
//! Platform` that validates the guest's arguments, calls storage for this
//! invocation's patient only, and converts the result. Guest-visible failures
//! (`denied`, `invalid`, …) are values of the WIT `error` variant, never
//! traps; storage faults are logged here and answered as `unavailable`.

mod agenda;
mod denied;
mod dmp;
pub(crate) mod log;
mod measures;
mod messaging;
mod storage;

use std::fmt;
use std::sync::Arc;

pub use denied::Denied;
use officine_policy::{self as policy, Decision, Item, Op, Resource, Scope};

use crate::audit::{Event, InvocationId, Outcome, Trail};
use crate::db::grants::{self, StoredGrant};
use crate::db::{Db, DbError, GrantGuard};
use crate::model::{ComponentDigest, Origin, PatientId, ServiceId, Writer, now_millis};
use crate::runtime::bindings::types::{self, Error};

/// A platform interface that consent can open to a service. (`log` needs
/// no permission and is always available.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interface {
    Measures,
    Agenda,
    Dmp,
    Messaging,
    Storage,
}

impl Interface {
    pub const ALL: [Interface; 5] = [
        Interface::Measures,
        Interface::Agenda,
        Interface::Dmp,
        Interface::Messaging,
        Interface::Storage,
    ];

    /// The interface's name in the WIT package, e.g. `measures`.
    pub fn name(self) -> &'static str {
        match self {
            Interface::Measures => "measures",
            Interface::Agenda => "agenda",
            Interface::Dmp => "dmp",
            Interface::Messaging => "messaging",
            Interface::Storage => "storage",
        }
    }

    /// The scopes that open it, for messages.
    pub fn scopes_hint(self) -> &'static str {
        match self {
            Interface::Measures => "measures.read, measures.read:<kind> or measures.write:<kind>",
            Interface::Agenda => "agenda.read or agenda.write",
            Interface::Dmp => "dmp.read, dmp.read:<category> or dmp.write",
            Interface::Messaging => "messaging.read or messaging.send",
            Interface::Storage => "storage",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The platform interfaces an invocation may use. Consent decides it; an
/// interface outside the set is linked to [`Denied`], which answers every
/// call with `denied`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Interfaces(u8);

impl Interfaces {
    pub const fn none() -> Interfaces {
        Interfaces(0)
    }

    pub fn all() -> Interfaces {
        Interface::ALL.into_iter().collect()
    }

    pub fn with(self, interface: Interface) -> Interfaces {
        Interfaces(self.0 | interface.bit())
    }

    pub fn contains(self, interface: Interface) -> bool {
        self.0 & interface.bit() != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Interface> {
        Interface::ALL
            .into_iter()
            .filter(move |i| self.contains(*i))
    }
}

impl Interfaces {
    /// The interfaces a grant's scopes open: one for each resource type
    /// they name, and `storage` for the `storage` scope.
    pub fn granted(scopes: &[Scope]) -> Interfaces {
        let mut interfaces: Interfaces = policy::grant::resources(scopes)
            .map(|resource| match resource {
                Resource::Observation => Interface::Measures,
                Resource::Appointment => Interface::Agenda,
                Resource::DocumentReference => Interface::Dmp,
                Resource::Communication => Interface::Messaging,
            })
            .collect();
        if scopes.contains(&Scope::Storage) {
            interfaces = interfaces.with(Interface::Storage);
        }
        interfaces
    }
}

impl FromIterator<Interface> for Interfaces {
    fn from_iter<I: IntoIterator<Item = Interface>>(iter: I) -> Interfaces {
        iter.into_iter().fold(Interfaces::none(), Interfaces::with)
    }
}

impl fmt::Debug for Interfaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Platform limits that apply inside platform calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformLimits {
    /// Bytes of `storage` per (service, patient), keys included.
    pub storage_quota: u64,
    /// Platform calls one invocation may make; the next ones answer `limit`.
    pub calls: u32,
}

impl Default for PlatformLimits {
    fn default() -> Self {
        PlatformLimits {
            storage_quota: 1024 * 1024,
            calls: 10_000,
        }
    }
}

/// What one invocation's platform calls act on, for whom, and under which
/// grant.
pub struct Platform {
    db: Db,
    patient: PatientId,
    service_name: String,
    component: ComponentDigest,
    limits: PlatformLimits,
    /// The grant as last read. Each call is decided against it in memory,
    /// and the storage query made for the call checks that it still stands.
    grant: Arc<StoredGrant>,
    /// Platform calls made so far in this invocation.
    calls: u32,
    /// This invocation, and where its calls' audit events go.
    invocation: InvocationId,
    trail: Trail,
    /// Why the latest call was denied, for its audit event.
    denial: Option<String>,
}

impl Platform {
    pub fn new(
        db: Db,
        service_name: String,
        component: ComponentDigest,
        limits: PlatformLimits,
        grant: Arc<StoredGrant>,
        invocation: InvocationId,
        trail: Trail,
    ) -> Platform {
        Platform {
            db,
            patient: grant.grant.patient().clone(),
            service_name,
            component,
            limits,
            grant,
            calls: 0,
            invocation,
            trail,
            denial: None,
        }
    }

    /// Counts a platform call: past the invocation's allowance, it is
    /// answered `limit` without being made. Every platform call starts here.
    fn enter(&mut self, call: &'static str) -> Result<(), Error> {
        self.denial = None;
        self.calls = self.calls.saturating_add(1);
        if self.calls <= self.limits.calls {
            return Ok(());
        }
        let error = Error::Limit(format!(
            "more than {} platform calls in one invocation",
            self.limits.calls
        ));
        if self.calls == self.limits.calls + 1 {
            tracing::warn!(service = %self.service(), call, limit = self.limits.calls, "platform calls over the limit");
            // Recorded once: the calls after it are not made.
            self.audit_change(call, &Err::<(), _>(error.clone()));
        }
        Err(error)
    }

    /// Records a read's audit event: `records` counts what it returned.
    fn audit_read<T>(
        &mut self,
        call: &'static str,
        result: &Result<T, Error>,
        records: impl FnOnce(&T) -> u64,
    ) {
        match result {
            Ok(value) => self.record(call, records(value), Outcome::Allowed),
            Err(error) => self.audit_error(call, error),
        }
    }

    /// Records a change's audit event if it changed nothing: one that did
    /// committed its event with it.
    fn audit_change<T>(&mut self, call: &'static str, result: &Result<T, Error>) {
        if let Err(error) = result {
            self.audit_error(call, error);
        }
    }

    fn audit_error(&mut self, call: &'static str, error: &Error) {
        let outcome = match error {
            Error::NotFound => Outcome::Allowed,
            Error::Denied => {
                let reason = self.denial.take();
                let reason = reason.unwrap_or_else(|| "denied".to_owned());
                Outcome::Denied { reason }
            }
            Error::Invalid(reason) => failed("invalid", reason),
            Error::Limit(reason) => failed("limit", reason),
            Error::Unavailable => Outcome::Failed {
                reason: "unavailable".to_owned(),
            },
        };
        self.record(call, 0, outcome);
    }

    fn record(&mut self, call: &'static str, records: u64, outcome: Outcome) {
        self.trail.push(Event::by_component(
            self.service(),
            &self.component,
            &GrantGuard::of(&self.grant),
            self.invocation,
            call,
            records,
            outcome,
        ));
    }

    /// Answers a call to an interface the grant does not open: `denied`,
    /// recorded, and nothing else done.
    pub(crate) fn refuse<T>(&mut self, call: &'static str) -> Result<T, Error> {
        self.enter(call)?;
        self.denial = Some("no granted scope opens this interface".to_owned());
        let result = Err(Error::Denied);
        self.audit_change::<T>(call, &result);
        result
    }

    fn service(&self) -> &ServiceId {
        self.grant.grant.service()
    }

    /// Decides a call under the grant as last read. Allowed, it yields the
    /// guard that carries the decision into storage.
    fn authorize(
        &mut self,
        call: &'static str,
        op: Op,
        item: Item,
        date: Option<i64>,
    ) -> Result<GrantGuard, Error> {
        let now = now_millis();
        let service = self.service();
        // Storage queries for a change or removal only ever match what this
        // service wrote; the decision is about the operation itself.
        let written_by = matches!(op, Op::Update | Op::Delete).then_some(service);
        let request = policy::Request {
            op,
            item,
            date,
            written_by,
            at: now,
        };
        match policy::decide(&self.grant.grant, &request) {
            Decision::Allow => Ok(GrantGuard::of(&self.grant)),
            Decision::Deny(reason) => {
                tracing::info!(service = %service, call, %reason, "platform call denied");
                self.denial = Some(reason.to_string());
                Err(Error::Denied)
            }
        }
    }

    /// The earliest record date the grant lets this service reach with
    /// `op` on `item`, if it may at all.
    fn window(&self, op: Op, item: Item) -> Option<i64> {
        self.grant.grant.window(op, item)
    }

    /// Runs after a guarded statement found or changed nothing, which the
    /// grant may be the cause of: re-reads it. If it no longer stands, the
    /// call is denied, and so is every later one, without a query. Otherwise
    /// answers whether its terms changed: then they apply from now on, and
    /// the caller makes the call again under them.
    async fn grant_changed(&mut self, call: &'static str) -> Result<bool, Error> {
        let id = self.grant.grant.id().clone();
        let stored = grants::by_id(&self.db, self.grant.grant.patient(), &id)
            .await
            .map_err(|e| self.unavailable(call, e))?;
        let Some(stored) = stored else {
            tracing::error!(service = %self.service(), grant = %id, "grant vanished during an invocation");
            self.denial = Some("the grant no longer exists".to_owned());
            return Err(Error::Denied);
        };
        let changed = stored.revision != self.grant.revision;
        let in_force = stored.grant.in_force(now_millis());
        if changed {
            self.grant = Arc::new(stored);
        }
        match in_force {
            Ok(()) => Ok(changed),
            Err(reason) => {
                tracing::info!(service = %self.service(), call, %reason, "platform call denied");
                self.denial = Some(reason.to_string());
                Err(Error::Denied)
            }
        }
    }

    /// The provenance recorded with a write made under `guard`.
    fn writer(&self, guard: GrantGuard) -> Writer {
        Writer::Service {
            service: self.service().clone(),
            component: self.component,
            grant: guard,
            invocation: self.invocation,
        }
    }

    /// Whether a record was written by this service.
    fn is_mine(&self, written_by: Option<&str>) -> bool {
        written_by == Some(self.service().as_str())
    }

    /// Logs a storage fault with what the operator needs, and gives the
    /// component only `unavailable`.
    fn unavailable(&self, call: &'static str, error: DbError) -> Error {
        tracing::error!(service = %self.service(), call, %error, "platform call failed");
        Error::Unavailable
    }
}

fn failed(kind: &str, reason: &str) -> Outcome {
    Outcome::Failed {
        reason: format!("{kind}: {reason}"),
    }
}

/// How many times a call is made when the grant changes under it: once
/// under the grant as it was, once under its new terms. (Changing twice
/// within one call answers `unavailable`; the component may retry.)
const ATTEMPTS: usize = 2;

impl types::Host for Platform {}

impl From<Origin> for types::Origin {
    fn from(origin: Origin) -> Self {
        match origin {
            Origin::Patient => types::Origin::Patient,
            Origin::Professional => types::Origin::Professional,
            Origin::Service => types::Origin::Service,
            Origin::Platform => types::Origin::Platform,
        }
    }
}

/// Checks a short text field: length in characters and no control characters.
fn check_text(field: &str, value: &str, min: usize, max: usize) -> Result<(), Error> {
    let chars = value.chars().count();
    if chars < min || chars > max {
        return Err(Error::Invalid(if min > 0 {
            format!("{field} must be {min} to {max} characters long")
        } else {
            format!("{field} must be at most {max} characters long")
        }));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(())
}

/// Record ids are platform-made; anything longer cannot exist, so it is
/// answered without a query.
fn plausible_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64
}

/// Rejects timestamps far from any real date (before 1900 or after 2200).
fn check_timestamp(field: &str, at: i64) -> Result<(), Error> {
    const MIN: i64 = -2_208_988_800_000; // 1900-01-01
    const MAX: i64 = 7_258_118_400_000; // 2200-01-01
    if (MIN..MAX).contains(&at) {
        Ok(())
    } else {
        Err(Error::Invalid(format!("{field} is not a plausible date")))
    }
}

fn check_range(since: Option<i64>, until: Option<i64>) -> Result<(), Error> {
    match (since, until) {
        (Some(s), Some(u)) if s > u => Err(Error::Invalid("since is after until".to_owned())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_sets_hold_what_was_added() {
        let storage = Interfaces::none().with(Interface::Storage);
        assert!(storage.contains(Interface::Storage));
        assert!(!storage.contains(Interface::Measures));
        assert_eq!(storage.iter().collect::<Vec<_>>(), [Interface::Storage]);
        assert_eq!(Interfaces::all().iter().count(), Interface::ALL.len());
        assert_eq!(
            Interface::ALL.into_iter().collect::<Interfaces>(),
            Interfaces::all()
        );
        assert_eq!(Interfaces::none().iter().count(), 0);
    }

    #[test]
    fn text_fields_are_bounded_and_printable() {
        assert!(check_text("title", "Consultation", 1, 200).is_ok());
        assert!(
            matches!(check_text("title", "", 1, 200), Err(Error::Invalid(r)) if r.contains("1 to 200"))
        );
        assert!(
            matches!(check_text("title", "a\u{7}b", 1, 200), Err(Error::Invalid(r)) if r.contains("control"))
        );
        assert!(check_text("place", &"é".repeat(200), 0, 200).is_ok());
        assert!(check_text("place", &"é".repeat(201), 0, 200).is_err());
    }
}
