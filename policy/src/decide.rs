//! Decisions: may this service, under this grant, do this now?

use crate::grant::{Grant, NotInForce};
use crate::id::ServiceId;
use crate::scope::{Op, Resource, ResourceScope, Scope, Target};
use crate::vocab::{DocumentCategory, MeasureKind};

/// What a request touches. A code of `None` means "some record of this
/// type, whichever its code": a search before its results are filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Measure(Option<MeasureKind>),
    Appointment,
    Document(Option<DocumentCategory>),
    Message,
    /// The service's own key-value storage.
    Storage,
}

impl Item {
    /// The FHIR resource type, except for `storage`.
    pub fn resource(self) -> Option<Resource> {
        match self {
            Item::Measure(_) => Some(Resource::Observation),
            Item::Appointment => Some(Resource::Appointment),
            Item::Document(_) => Some(Resource::DocumentReference),
            Item::Message => Some(Resource::Communication),
            Item::Storage => None,
        }
    }

    /// The same item without its code.
    fn any_code(self) -> Item {
        match self {
            Item::Measure(_) => Item::Measure(None),
            Item::Document(_) => Item::Document(None),
            other => other,
        }
    }
}

/// One platform call, as the policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub op: Op,
    pub item: Item,
    /// The record's date (when a measure was taken, an event starts, a
    /// document was written, a message sent), when the call is about one record.
    pub date: Option<i64>,
    /// Which service wrote the record, for an update or a delete.
    pub written_by: Option<&'a ServiceId>,
    /// When the call is made, in ms since the Unix epoch.
    pub at: i64,
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(DenyReason),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Why a request was refused. For the platform's records: a component is
/// only ever told `denied`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DenyReason {
    #[error("{0}")]
    NotInForce(#[from] NotInForce),
    #[error("no granted scope allows {op} on {item}", item = describe(*.item))]
    NotGranted { item: Item, op: Op },
    #[error("the grant allows {op} on {item} of other codes only", item = describe(*.item))]
    CodeNotGranted { item: Item, op: Op },
    #[error("the record is dated before the grant's time window")]
    OutsideWindow,
    #[error("the body mass index is computed by the platform, never written by a service")]
    ComputedMeasure,
    #[error("a service may only change or remove records it wrote")]
    NotWrittenByService,
}

fn describe(item: Item) -> &'static str {
    match item {
        Item::Measure(_) => "measures",
        Item::Appointment => "agenda events",
        Item::Document(_) => "documents",
        Item::Message => "messages",
        Item::Storage => "storage",
    }
}

/// Decides `request` under `grant`.
///
/// Deny by default: the request is allowed only if the grant is in force
/// and one of its scopes allows the operation on the item's code, at the
/// record's date; a BMI is never written by a service; a service changes or
/// removes only what it wrote.
pub fn decide(grant: &Grant, request: &Request<'_>) -> Decision {
    if let Err(reason) = grant.in_force(request.at) {
        return Decision::Deny(reason.into());
    }
    let Request { op, item, date, .. } = *request;
    if op == Op::Create && matches!(item, Item::Measure(Some(kind)) if kind.is_computed()) {
        return Decision::Deny(DenyReason::ComputedMeasure);
    }
    if matches!(op, Op::Update | Op::Delete) && request.written_by != Some(grant.service()) {
        return Decision::Deny(DenyReason::NotWrittenByService);
    }
    let scopes = grant.scopes();
    if item == Item::Storage {
        return if scopes.contains(&Scope::Storage) {
            Decision::Allow
        } else {
            Decision::Deny(DenyReason::NotGranted { item, op })
        };
    }
    match covering_window(scopes, op, &item) {
        Some(earliest) if date.is_some_and(|d| d < earliest) => {
            Decision::Deny(DenyReason::OutsideWindow)
        }
        Some(_) => Decision::Allow,
        None if covering_window(scopes, op, &item.any_code()).is_some() => {
            Decision::Deny(DenyReason::CodeNotGranted { item, op })
        }
        None => Decision::Deny(DenyReason::NotGranted { item, op }),
    }
}

/// The earliest record date (ms) from which `scopes` allow `op` on `item`:
/// `None` if they do not allow it at all, `i64::MIN` if from any date.
///
/// Hosts use it to turn a grant into the conditions of a storage query, so
/// that hidden records are never read, rather than read and dropped.
pub fn covering_window(scopes: &[Scope], op: Op, item: &Item) -> Option<i64> {
    scopes
        .iter()
        .filter_map(|scope| match scope {
            Scope::Resource(scope) => window(scope, op, item),
            Scope::Storage => None,
        })
        .min()
}

/// The window start from which one scope allows `op` on `item`, if it does.
fn window(scope: &ResourceScope, op: Op, item: &Item) -> Option<i64> {
    if !scope.ops().contains(op) {
        return None;
    }
    let matches = match (scope.target(), *item) {
        (Target::Observation(codes), Item::Measure(kind)) => kind.is_none_or(|k| codes.allows(k)),
        (Target::DocumentReference(codes), Item::Document(category)) => {
            category.is_none_or(|c| codes.allows(c))
        }
        (Target::Appointment, Item::Appointment) | (Target::Communication, Item::Message) => true,
        _ => false,
    };
    matches.then(|| scope.since().map_or(i64::MIN, |s| s.millis()))
}

impl Grant {
    /// See [`covering_window`]; in force or not.
    pub fn window(&self, op: Op, item: Item) -> Option<i64> {
        covering_window(self.scopes(), op, &item)
    }
}

#[cfg(test)]
mod tests;
