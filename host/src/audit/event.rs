//! What one audit event says, and its form in the log.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use crate::db::GrantGuard;
use crate::model::{ComponentDigest, PatientId, ServiceId, Writer, now_millis};

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Actor {
    /// A listed service's component, by service id and the digest of the
    /// exact binary that ran.
    Component { service: String, component: String },
    /// The patient, in their own space.
    Patient { id: String },
    /// A health professional, by RPPS number.
    Professional { rpps: String },
    /// A regulator, by the subject of their identity.
    Regulator { subject: String },
    /// The platform itself: a value it derives (a BMI), demonstration data.
    Platform,
}

impl Actor {
    pub fn component(service: &ServiceId, component: &ComponentDigest) -> Actor {
        Actor::Component {
            service: service.as_str().to_owned(),
            component: component.to_hex(),
        }
    }

    pub fn patient(patient: &PatientId) -> Actor {
        Actor::Patient {
            id: patient.as_str().to_owned(),
        }
    }

    /// The kind, as stored in its own column.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Component { .. } => "component",
            Actor::Patient { .. } => "patient",
            Actor::Professional { .. } => "professional",
            Actor::Regulator { .. } => "regulator",
            Actor::Platform => "platform",
        }
    }

    /// The service a component acts for.
    pub fn service(&self) -> Option<&str> {
        match self {
            Actor::Component { service, .. } => Some(service),
            _ => None,
        }
    }
}

/// How an access ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Outcome {
    Allowed,
    /// Refused: by consent, a listing decision, or the access rules.
    Denied {
        reason: String,
    },
    /// Not carried out for another reason: bad arguments, a limit, a fault.
    Failed {
        reason: String,
    },
}

impl Outcome {
    /// The outcome's name, as stored in its own column.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied { .. } => "denied",
            Outcome::Failed { .. } => "failed",
        }
    }
}

/// The grant an access was made under, at the revision that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRef {
    pub id: String,
    pub revision: i64,
}

impl GrantRef {
    pub fn of(guard: &GrantGuard) -> GrantRef {
        GrantRef {
            id: guard.grant.as_str().to_owned(),
            revision: guard.revision,
        }
    }
}

/// Names one invocation of a component, so that its events read together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InvocationId(uuid::Uuid);

impl InvocationId {
    /// A new id, unique across processes: a random per-process half and a
    /// counter, so that making one costs no system call.
    pub fn new() -> InvocationId {
        static PROCESS: OnceLock<u64> = OnceLock::new();
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let process = *PROCESS.get_or_init(|| {
            let mut bytes = [0; 8];
            getrandom::fill(&mut bytes).expect("the system's random source");
            u64::from_ne_bytes(bytes)
        });
        InvocationId(uuid::Uuid::from_u64_pair(
            process,
            NEXT.fetch_add(1, Ordering::Relaxed),
        ))
    }
}

impl Default for InvocationId {
    fn default() -> Self {
        InvocationId::new()
    }
}

impl fmt::Display for InvocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for InvocationId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for InvocationId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(d)?;
        text.parse()
            .map(InvocationId)
            .map_err(serde::de::Error::custom)
    }
}

/// One access to a patient's data, or one change: who, for whom, under
/// which grant, what, how many records, and how it ended. Never a health
/// value, never the national identifier or a name: the patient is the
/// platform's internal id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub actor: Actor,
    /// Whose data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<GrantRef>,
    /// The platform interface, e.g. `measures`.
    pub interface: Cow<'static, str>,
    /// The operation on it, e.g. `list`.
    pub operation: Cow<'static, str>,
    /// Records read, written or removed.
    pub records: u64,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation: Option<InvocationId>,
}

impl Event {
    /// A change `writer` made to `patient`'s data: `call` (e.g.
    /// `measures.add`) changed `records` records.
    pub fn change(writer: &Writer, patient: &PatientId, call: &'static str, records: u64) -> Event {
        let (actor, grant, invocation) = match writer {
            Writer::Patient => (Actor::patient(patient), None, None),
            Writer::Professional { rpps, .. } => {
                (Actor::Professional { rpps: rpps.clone() }, None, None)
            }
            Writer::Service {
                service,
                component,
                grant,
                invocation,
            } => {
                return Event::by_component(
                    service,
                    component,
                    grant,
                    *invocation,
                    call,
                    records,
                    Outcome::Allowed,
                );
            }
            Writer::Platform => (Actor::Platform, None, None),
        };
        Event::new(actor, Some(patient), call, records, Outcome::Allowed)
            .under(grant)
            .in_invocation(invocation)
    }

    /// A call a component made in `invocation`, under `grant`.
    pub fn by_component(
        service: &ServiceId,
        component: &ComponentDigest,
        grant: &GrantGuard,
        invocation: InvocationId,
        call: &'static str,
        records: u64,
        outcome: Outcome,
    ) -> Event {
        let actor = Actor::component(service, component);
        Event::new(actor, Some(&grant.patient), call, records, outcome)
            .under(Some(GrantRef::of(grant)))
            .in_invocation(Some(invocation))
    }

    /// An event at the current time, without grant or invocation.
    pub fn new(
        actor: Actor,
        patient: Option<&PatientId>,
        call: &'static str,
        records: u64,
        outcome: Outcome,
    ) -> Event {
        let (interface, operation) = call.split_once('.').unwrap_or((call, ""));
        Event {
            at: now_millis(),
            actor,
            patient: patient.map(|p| p.as_str().to_owned()),
            grant: None,
            interface: Cow::Borrowed(interface),
            operation: Cow::Borrowed(operation),
            records,
            outcome,
            invocation: None,
        }
    }

    /// The same event, under `grant`.
    pub fn under(mut self, grant: Option<GrantRef>) -> Event {
        self.grant = grant;
        self
    }

    /// The same event, as part of `invocation`.
    pub fn in_invocation(mut self, invocation: Option<InvocationId>) -> Event {
        self.invocation = invocation;
        self
    }

    /// The entry as logged: the event's JSON, fields in a fixed order.
    pub fn to_entry(&self) -> String {
        serde_json::to_string(self).expect("an audit event serializes")
    }

    /// An entry read back.
    pub fn from_entry(entry: &str) -> Option<Event> {
        serde_json::from_str(entry).ok()
    }
}

/// The events of one invocation, kept where both the platform calls and
/// the invocation's end reach them: an invocation stopped midway (a
/// deadline, a revocation) still has its accesses recorded.
#[derive(Debug, Clone, Default)]
pub struct Trail(Arc<Mutex<Vec<Event>>>);

impl Trail {
    pub fn push(&self, event: Event) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }

    /// The events so far, leaving none.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event {
            at: 1_700_000_000_000,
            actor: Actor::Component {
                service: "fr.example.tracker".into(),
                component: "ab".repeat(32),
            },
            patient: Some("p-1".into()),
            grant: Some(GrantRef {
                id: "g-1".into(),
                revision: 3,
            }),
            interface: "measures".into(),
            operation: "list".into(),
            records: 60,
            outcome: Outcome::Allowed,
            invocation: Some(InvocationId::new()),
        }
    }

    #[test]
    fn an_entry_reads_back_as_the_same_event() {
        let event = event();
        let entry = event.to_entry();
        assert!(entry.starts_with(r#"{"at":1700000000000,"actor":{"kind":"component","#));
        assert_eq!(Event::from_entry(&entry), Some(event));
        let denied = Event {
            outcome: Outcome::Denied {
                reason: "no granted scope".into(),
            },
            grant: None,
            invocation: None,
            ..self::event()
        };
        let entry = denied.to_entry();
        assert!(!entry.contains(r#""grant":"#) && !entry.contains(r#""invocation":"#));
        assert!(entry.contains(r#""outcome":{"result":"denied","reason":"no granted scope"}"#));
        assert_eq!(Event::from_entry(&entry), Some(denied));
    }

    #[test]
    fn invocation_ids_differ() {
        let ids: std::collections::HashSet<_> = (0..1000).map(|_| InvocationId::new()).collect();
        assert_eq!(ids.len(), 1000);
    }
}
