//! Scopes: what a patient lets a service do, one permission each.
//!
//! A scope has two written forms that parse to the same value:
//!
//! - the **canonical** form, a subset of SMART App Launch v2 scopes, which
//!   standard tools understand:
//!   `patient/<Type>.<cruds>[?<param>=<system>|<code>[,…][&date=ge<YYYY-MM-DD>]]`
//!   for `Observation` (measures), `Appointment` (agenda),
//!   `DocumentReference` (DMP) and `Communication` (messaging);
//! - the **short aliases** used in manifests and on consent screens, each of
//!   which stands for exactly one canonical scope:
//!
//! | alias | canonical scope |
//! |---|---|
//! | `measures.read` | `patient/Observation.rs` |
//! | `measures.read:<kind>` | `patient/Observation.rs?code=http://loinc.org\|<loinc>` |
//! | `measures.write:<kind>` | `patient/Observation.c?code=http://loinc.org\|<loinc>` (never BMI) |
//! | `agenda.read` | `patient/Appointment.rs` |
//! | `agenda.write` | `patient/Appointment.cud` |
//! | `dmp.read` | `patient/DocumentReference.rs` |
//! | `dmp.read:<category>` | `patient/DocumentReference.rs?category=urn:officine:dmp-category\|<category>` |
//! | `dmp.write` | `patient/DocumentReference.c` |
//! | `messaging.read` | `patient/Communication.rs` |
//! | `messaging.send` | `patient/Communication.c` |
//! | `storage` | `storage` (Officine's own: a key-value space private to the service and patient, outside FHIR) |
//!
//! Canonical scopes say more than aliases: several codes at once, operation
//! sets such as `.crs`, and a time window (`date=ge2025-01-01`: only records
//! dated from that day, 00:00 UTC). Such a scope is written in canonical
//! form; [`Display`](fmt::Display) prints the alias when there is one.
//!
//! Every constraint of a scope binds every operation it allows: a write must
//! satisfy the codes and the window just as a read does. BMI is computed by
//! the platform: it is read under its own code and no scope can write it.
//!
//! ```
//! use officine_policy::{MeasureKind, Scope};
//!
//! let alias: Scope = "measures.read:weight".parse()?;
//! let canonical: Scope = "patient/Observation.rs?code=http://loinc.org|29463-7".parse()?;
//! assert_eq!(alias, canonical);
//! assert_eq!(alias, Scope::measures_read(Some(MeasureKind::Weight)));
//! assert_eq!(canonical.to_string(), "measures.read:weight");
//! assert_eq!(
//!     alias.canonical().to_string(),
//!     "patient/Observation.rs?code=http://loinc.org|29463-7"
//! );
//!
//! // A malformed scope says where and why.
//! let error = "patient/Observation.rx".parse::<Scope>().unwrap_err();
//! assert_eq!(error.column(), 22);
//! assert!(error.to_string().contains("'x' is not a SMART v2 permission"));
//! # Ok::<(), officine_policy::ScopeError>(())
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::Date;
use time::macros::format_description;

use crate::vocab::{
    ComputedMeasure, DMP_CATEGORY_SYSTEM, DocumentCategory, LOINC, MeasureKind,
    UnknownDocumentCategory, UnknownMeasureKind, WritableMeasureKind,
};

/// One operation, as a letter of a SMART v2 scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// `c`: add a record.
    Create,
    /// `r`: read a record by its id.
    Read,
    /// `u`: change a record (one this service wrote).
    Update,
    /// `d`: remove a record (one this service wrote).
    Delete,
    /// `s`: search, i.e. list records.
    Search,
}

impl Op {
    /// Every operation, in SMART's `cruds` order.
    pub const ALL: [Op; 5] = [Op::Create, Op::Read, Op::Update, Op::Delete, Op::Search];

    /// The scope letter.
    pub fn letter(self) -> char {
        match self {
            Op::Create => 'c',
            Op::Read => 'r',
            Op::Update => 'u',
            Op::Delete => 'd',
            Op::Search => 's',
        }
    }

    /// The operation in words, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Read => "read",
            Op::Update => "update",
            Op::Delete => "delete",
            Op::Search => "search",
        }
    }

    fn from_letter(letter: char) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.letter() == letter)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of operations; written as its letters in `cruds` order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Ops(u8);

impl Ops {
    /// `rs`: read and search, what every `.read` alias allows.
    pub const READ: Ops = Ops(Op::Read.bit() | Op::Search.bit());
    /// `c`.
    pub const CREATE: Ops = Ops(Op::Create.bit());
    /// `cud`: what `agenda.write` allows.
    pub const WRITE: Ops = Ops(Op::Create.bit() | Op::Update.bit() | Op::Delete.bit());

    /// The set of these operations.
    pub fn of(ops: &[Op]) -> Ops {
        Ops(ops.iter().fold(0, |bits, op| bits | op.bit()))
    }

    /// Whether `op` is in the set.
    pub const fn contains(self, op: Op) -> bool {
        self.0 & op.bit() != 0
    }

    /// Whether every operation of `other` is in the set.
    pub fn includes(self, other: Ops) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The operations, in `cruds` order.
    pub fn iter(self) -> impl Iterator<Item = Op> {
        Op::ALL.into_iter().filter(move |op| self.contains(*op))
    }
}

impl fmt::Display for Ops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.iter()
            .try_for_each(|op| fmt::Write::write_char(f, op.letter()))
    }
}

impl fmt::Debug for Ops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ops({self})")
    }
}

/// A FHIR resource type a scope can name, and the platform interface that
/// serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// Measures (`measures` interface).
    Observation,
    /// Agenda events (`agenda` interface).
    Appointment,
    /// DMP documents (`dmp` interface).
    DocumentReference,
    /// Messages (`messaging` interface).
    Communication,
}

impl Resource {
    /// Every resource, in a stable order.
    pub const ALL: [Resource; 4] = [
        Resource::Observation,
        Resource::Appointment,
        Resource::DocumentReference,
        Resource::Communication,
    ];

    /// The FHIR resource type name.
    pub fn fhir_name(self) -> &'static str {
        match self {
            Resource::Observation => "Observation",
            Resource::Appointment => "Appointment",
            Resource::DocumentReference => "DocumentReference",
            Resource::Communication => "Communication",
        }
    }

    /// The operations the platform offers on this resource. Measures,
    /// documents and messages are never changed or removed by a service.
    pub fn offered(self) -> Ops {
        match self {
            Resource::Appointment => Ops::of(&Op::ALL),
            _ => Ops::of(&[Op::Create, Op::Read, Op::Search]),
        }
    }

    fn from_fhir_name(name: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.fhir_name() == name)
    }

    /// The search parameter that filters it by code, if any.
    fn code_param(self) -> Option<&'static str> {
        match self {
            Resource::Observation => Some("code"),
            Resource::DocumentReference => Some("category"),
            _ => None,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.fhir_name())
    }
}

/// A closed vocabulary of codes a scope can be limited to.
pub trait Coded: Copy + Eq + Ord + fmt::Debug + 'static {
    /// Every value, in index order.
    const ALL: &'static [Self];
    /// The code system URI.
    const SYSTEM: &'static str;
    /// The value's position in [`ALL`](Self::ALL).
    fn index(self) -> usize;
    /// The value's code in [`SYSTEM`](Self::SYSTEM).
    fn code(self) -> &'static str;
    /// The value a code names.
    fn from_code(code: &str) -> Option<Self>;
}

impl Coded for MeasureKind {
    const ALL: &'static [Self] = &MeasureKind::ALL;
    const SYSTEM: &'static str = LOINC;

    fn index(self) -> usize {
        MeasureKind::index(self)
    }

    fn code(self) -> &'static str {
        self.loinc()
    }

    fn from_code(code: &str) -> Option<Self> {
        MeasureKind::from_loinc(code)
    }
}

impl Coded for DocumentCategory {
    const ALL: &'static [Self] = &DocumentCategory::ALL;
    const SYSTEM: &'static str = DMP_CATEGORY_SYSTEM;

    fn index(self) -> usize {
        DocumentCategory::index(self)
    }

    fn code(self) -> &'static str {
        self.as_str()
    }

    fn from_code(code: &str) -> Option<Self> {
        code.parse().ok()
    }
}

/// A set of codes of one vocabulary.
#[derive(PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeSet<T> {
    bits: u16,
    vocabulary: PhantomData<fn() -> T>,
}

impl<T> Clone for CodeSet<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for CodeSet<T> {}

impl<T: Coded> CodeSet<T> {
    /// The empty set.
    pub const fn empty() -> Self {
        CodeSet {
            bits: 0,
            vocabulary: PhantomData,
        }
    }

    /// The set of the given codes.
    pub fn of(codes: &[T]) -> Self {
        codes
            .iter()
            .fold(Self::empty(), |set, code| set.with(*code))
    }

    /// The set plus `code`.
    pub fn with(self, code: T) -> Self {
        CodeSet {
            bits: self.bits | 1 << code.index(),
            vocabulary: PhantomData,
        }
    }

    /// Whether `code` is in the set.
    pub fn contains(self, code: T) -> bool {
        self.bits & 1 << code.index() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// The codes, in vocabulary order.
    pub fn iter(self) -> impl Iterator<Item = T> {
        T::ALL.iter().copied().filter(move |c| self.contains(*c))
    }

    /// The only code of a one-code set.
    fn single(self) -> Option<T> {
        let mut codes = self.iter();
        match (codes.next(), codes.next()) {
            (Some(code), None) => Some(code),
            _ => None,
        }
    }
}

impl<T: Coded> fmt::Debug for CodeSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Which codes of a vocabulary a scope covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Codes<T: Coded> {
    /// Every code, present and future.
    Any,
    /// These codes only; never empty.
    Only(CodeSet<T>),
}

impl<T: Coded> Codes<T> {
    /// Whether `code` is covered.
    pub fn allows(self, code: T) -> bool {
        match self {
            Codes::Any => true,
            Codes::Only(set) => set.contains(code),
        }
    }

    /// The codes covered, as a set.
    pub fn set(self) -> CodeSet<T> {
        match self {
            Codes::Any => CodeSet::of(T::ALL),
            Codes::Only(set) => set,
        }
    }
}

/// What a FHIR scope is about: a resource type and, where the resource has
/// codes, which of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Observation(Codes<MeasureKind>),
    Appointment,
    DocumentReference(Codes<DocumentCategory>),
    Communication,
}

impl Target {
    /// The resource type.
    pub fn resource(self) -> Resource {
        match self {
            Target::Observation(_) => Resource::Observation,
            Target::Appointment => Resource::Appointment,
            Target::DocumentReference(_) => Resource::DocumentReference,
            Target::Communication => Resource::Communication,
        }
    }
}

/// The first day of a scope's time window: records dated from 00:00 UTC
/// that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Since {
    date: Date,
    millis: i64,
}

impl Since {
    /// The window starting on `date`.
    pub fn new(date: Date) -> Since {
        let millis = date.midnight().assume_utc().unix_timestamp() * 1000;
        Since { date, millis }
    }

    /// The day.
    pub fn date(self) -> Date {
        self.date
    }

    /// Its first instant, in milliseconds since the Unix epoch (the
    /// platform's timestamps).
    pub fn millis(self) -> i64 {
        self.millis
    }
}

impl fmt::Display for Since {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self
            .date
            .format(format_description!("[year]-[month]-[day]"))
            .map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

/// A scope on one FHIR resource type: operations, codes and time window.
/// Only a valid one can be built (see [`ResourceScope::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceScope {
    target: Target,
    ops: Ops,
    since: Option<Since>,
}

impl ResourceScope {
    /// Checks the combination: at least one operation, each offered on the
    /// resource; a scope that creates measures names its kinds, and none of
    /// them is computed by the platform.
    pub fn new(target: Target, ops: Ops, since: Option<Since>) -> Result<Self, Reason> {
        let resource = target.resource();
        if ops.is_empty() {
            return Err(Reason::MissingOps);
        }
        if let Some(op) = ops.iter().find(|op| !resource.offered().contains(*op)) {
            return Err(Reason::OpNotOffered { resource, op });
        }
        if let Target::Observation(kinds) = target
            && ops.contains(Op::Create)
        {
            match kinds {
                Codes::Any => return Err(Reason::MissingMeasureKind),
                Codes::Only(set) => {
                    if let Some(kind) = set.iter().find(|k| k.is_computed()) {
                        return Err(Reason::ComputedMeasure(ComputedMeasure(kind)));
                    }
                }
            }
        }
        Ok(ResourceScope { target, ops, since })
    }

    pub fn target(self) -> Target {
        self.target
    }

    pub fn resource(self) -> Resource {
        self.target.resource()
    }

    pub fn ops(self) -> Ops {
        self.ops
    }

    pub fn since(self) -> Option<Since> {
        self.since
    }

    /// The alias this scope is written as, if it has one.
    fn alias(self) -> Option<String> {
        if self.since.is_some() {
            return None;
        }
        let read = self.ops == Ops::READ;
        let create = self.ops == Ops::CREATE;
        let text = match self.target {
            Target::Observation(Codes::Any) if read => "measures.read".to_owned(),
            Target::Observation(Codes::Only(set)) if read => {
                format!("measures.read:{}", set.single()?)
            }
            Target::Observation(Codes::Only(set)) if create => {
                format!("measures.write:{}", set.single()?)
            }
            Target::Appointment if read => "agenda.read".to_owned(),
            Target::Appointment if self.ops == Ops::WRITE => "agenda.write".to_owned(),
            Target::DocumentReference(Codes::Any) if read => "dmp.read".to_owned(),
            Target::DocumentReference(Codes::Only(set)) if read => {
                format!("dmp.read:{}", set.single()?)
            }
            Target::DocumentReference(Codes::Any) if create => "dmp.write".to_owned(),
            Target::Communication if read => "messaging.read".to_owned(),
            Target::Communication if create => "messaging.send".to_owned(),
            _ => return None,
        };
        Some(text)
    }
}

/// A permission: on one FHIR resource type, or Officine's own `storage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// A SMART v2 scope on a FHIR resource type.
    Resource(ResourceScope),
    /// `storage`: a small key-value space private to (service, patient).
    Storage,
}

impl Scope {
    /// `measures.read` (`None`: every kind) or `measures.read:<kind>`.
    pub fn measures_read(kind: Option<MeasureKind>) -> Scope {
        let codes = kind.map_or(Codes::Any, |k| Codes::Only(CodeSet::of(&[k])));
        Scope::known(Target::Observation(codes), Ops::READ)
    }

    /// `measures.write:<kind>`.
    pub fn measures_write(kind: WritableMeasureKind) -> Scope {
        let codes = Codes::Only(CodeSet::of(&[kind.kind()]));
        Scope::known(Target::Observation(codes), Ops::CREATE)
    }

    /// `agenda.read`.
    pub fn agenda_read() -> Scope {
        Scope::known(Target::Appointment, Ops::READ)
    }

    /// `agenda.write`: add events, and change or remove the ones this service wrote.
    pub fn agenda_write() -> Scope {
        Scope::known(Target::Appointment, Ops::WRITE)
    }

    /// `dmp.read` (`None`: every category) or `dmp.read:<category>`.
    pub fn dmp_read(category: Option<DocumentCategory>) -> Scope {
        let codes = category.map_or(Codes::Any, |c| Codes::Only(CodeSet::of(&[c])));
        Scope::known(Target::DocumentReference(codes), Ops::READ)
    }

    /// `dmp.write`: add documents.
    pub fn dmp_write() -> Scope {
        Scope::known(Target::DocumentReference(Codes::Any), Ops::CREATE)
    }

    /// `messaging.read`.
    pub fn messaging_read() -> Scope {
        Scope::known(Target::Communication, Ops::READ)
    }

    /// `messaging.send`.
    pub fn messaging_send() -> Scope {
        Scope::known(Target::Communication, Ops::CREATE)
    }

    fn known(target: Target, ops: Ops) -> Scope {
        Scope::Resource(ResourceScope {
            target,
            ops,
            since: None,
        })
    }

    /// Every scope that has an alias, each once, in a stable order.
    pub fn aliases() -> impl Iterator<Item = Scope> {
        let reads = std::iter::once(Scope::measures_read(None))
            .chain(MeasureKind::ALL.map(|kind| Scope::measures_read(Some(kind))));
        let writes = MeasureKind::ALL
            .into_iter()
            .filter_map(|kind| WritableMeasureKind::new(kind).ok())
            .map(Scope::measures_write);
        let documents = std::iter::once(Scope::dmp_read(None))
            .chain(DocumentCategory::ALL.map(|c| Scope::dmp_read(Some(c))));
        reads
            .chain(writes)
            .chain([Scope::agenda_read(), Scope::agenda_write()])
            .chain(documents)
            .chain([
                Scope::dmp_write(),
                Scope::messaging_read(),
                Scope::messaging_send(),
                Scope::Storage,
            ])
    }

    /// The scope in canonical (SMART v2) form.
    pub fn canonical(&self) -> Canonical<'_> {
        Canonical(self)
    }

    /// The scope's short alias, if it has one.
    pub fn alias(&self) -> Option<String> {
        match self {
            Scope::Resource(scope) => scope.alias(),
            Scope::Storage => Some("storage".to_owned()),
        }
    }
}

/// Writes the alias when the scope has one, its canonical form otherwise.
impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.alias() {
            Some(alias) => f.write_str(&alias),
            None => self.canonical().fmt(f),
        }
    }
}

/// A scope's canonical form; see [`Scope::canonical`].
pub struct Canonical<'a>(&'a Scope);

impl fmt::Display for Canonical<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = match self.0 {
            Scope::Storage => return f.write_str("storage"),
            Scope::Resource(scope) => scope,
        };
        write!(f, "patient/{}.{}", scope.resource(), scope.ops)?;
        let mut separator = '?';
        fn codes<T: Coded>(
            f: &mut fmt::Formatter<'_>,
            param: &str,
            set: CodeSet<T>,
        ) -> fmt::Result {
            write!(f, "?{param}=")?;
            for (i, code) in set.iter().enumerate() {
                let comma = if i == 0 { "" } else { "," };
                write!(f, "{comma}{}|{}", T::SYSTEM, code.code())?;
            }
            Ok(())
        }
        match scope.target {
            Target::Observation(Codes::Only(set)) => {
                codes(f, "code", set)?;
                separator = '&';
            }
            Target::DocumentReference(Codes::Only(set)) => {
                codes(f, "category", set)?;
                separator = '&';
            }
            _ => {}
        }
        if let Some(since) = scope.since {
            write!(f, "{separator}date=ge{since}")?;
        }
        Ok(())
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(text: &str) -> Result<Self, ScopeError> {
        if text.is_empty() {
            return Err(ScopeError::new(text, 0, Reason::Empty));
        }
        if let Some(slash) = text.find('/')
            && !text[..slash].contains('.')
        {
            return canonical::parse(text, slash);
        }
        alias::parse(text)
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a text is not a scope, and where: [`column`](Self::column) is the
/// 1-based position, in characters, where the problem starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scope {text:?} at column {column}: {reason}")]
pub struct ScopeError {
    text: String,
    column: usize,
    reason: Reason,
}

impl ScopeError {
    fn new(text: &str, byte: usize, reason: Reason) -> ScopeError {
        let byte = byte.min(text.len());
        let column = text.char_indices().take_while(|(i, _)| *i < byte).count() + 1;
        ScopeError {
            text: text.to_owned(),
            column,
            reason,
        }
    }

    /// Where the problem starts: 1-based, in characters.
    pub fn column(&self) -> usize {
        self.column
    }

    /// What the problem is.
    pub fn reason(&self) -> &Reason {
        &self.reason
    }
}

/// What is wrong with a scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("empty scope")]
    Empty,
    #[error("unknown scope area {0:?} (expected measures, agenda, dmp, messaging or storage)")]
    UnknownArea(String),
    #[error("{area} needs an action: {}", forms(area))]
    MissingAction { area: &'static str },
    #[error("unknown action {action:?} for {area} (expected {})", forms(area))]
    UnknownAction { area: &'static str, action: String },
    #[error("{area} takes no action (found \"{area}.{action}\")")]
    UnexpectedAction { area: &'static str, action: String },
    #[error("{scope} takes no qualifier (found \":{qualifier}\")")]
    UnexpectedQualifier { scope: String, qualifier: String },
    #[error("nothing after ':' (remove it, or name what to read)")]
    EmptyQualifier,
    #[error(
        "writing measures needs the kinds to write (measures.write:<kind>, or a code \
         list); there is no scope to write every kind"
    )]
    MissingMeasureKind,
    #[error(transparent)]
    UnknownMeasureKind(#[from] UnknownMeasureKind),
    #[error(transparent)]
    UnknownDocumentCategory(#[from] UnknownDocumentCategory),
    #[error(transparent)]
    ComputedMeasure(#[from] ComputedMeasure),
    #[error("only patient-level scopes exist here (found {0:?}; expected \"patient/\")")]
    NotPatientLevel(String),
    #[error(
        "unknown resource type {0:?} (expected Observation, Appointment, \
         DocumentReference or Communication)"
    )]
    UnknownResource(String),
    #[error("missing permissions after the resource type (e.g. \".rs\")")]
    MissingOps,
    #[error("{0:?} is a SMART v1 permission; write the v2 letters (c, r, u, d, s) instead")]
    SmartV1(String),
    #[error("'{0}' is not a SMART v2 permission (expected letters among c, r, u, d, s)")]
    UnknownOp(char),
    #[error(
        "'{0}' is repeated or out of order (permissions are written in the order c, r, u, d, s)"
    )]
    OpOrder(char),
    #[error("{resource} does not offer {op} ({op} is not something a service can do on it)")]
    OpNotOffered { resource: Resource, op: Op },
    #[error("parameter {0:?} has no '=' value")]
    MissingValue(String),
    #[error("{resource} takes no parameter {name:?} (expected {})", params(*resource))]
    UnknownParameter { resource: Resource, name: String },
    #[error("parameter {0:?} is given twice")]
    DuplicateParameter(String),
    #[error("empty value")]
    EmptyValue,
    #[error("{0:?} is not a coding (expected <system>|<code>)")]
    NotACoding(String),
    #[error("code system {found:?} is not the one of this parameter (expected {expected})")]
    WrongSystem {
        expected: &'static str,
        found: String,
    },
    #[error("unknown code {code:?} in {system}")]
    UnknownCode { system: &'static str, code: String },
    #[error("code {0:?} is listed twice")]
    DuplicateCode(String),
    #[error("date must be a lower bound, written ge<YYYY-MM-DD> (found {0:?})")]
    DateComparator(String),
    #[error("{0:?} is not a date written YYYY-MM-DD")]
    BadDate(String),
}

/// The valid forms of the scopes of an area, for error messages.
fn forms(area: &str) -> &'static str {
    match area {
        "measures" => "measures.read, measures.read:<kind> or measures.write:<kind>",
        "agenda" => "agenda.read or agenda.write",
        "dmp" => "dmp.read, dmp.read:<category> or dmp.write",
        "messaging" => "messaging.read or messaging.send",
        _ => "storage",
    }
}

fn params(resource: Resource) -> &'static str {
    match resource.code_param() {
        Some("code") => "code or date",
        Some(_) => "category or date",
        None => "date",
    }
}

/// The short alias form.
mod alias {
    use super::*;

    pub(super) fn parse(text: &str) -> Result<Scope, ScopeError> {
        let error = |byte: usize, reason: Reason| ScopeError::new(text, byte, reason);
        let (base, qualifier) = match text.split_once(':') {
            Some((base, qualifier)) => (base, Some(qualifier)),
            None => (text, None),
        };
        let qualifier_at = base.len() + 1;
        let (area, action) = match base.split_once('.') {
            Some((area, action)) => (area, Some(action)),
            None => (base, None),
        };
        let action_at = area.len() + 1;
        let area =
            Area::from_name(area).ok_or_else(|| error(0, Reason::UnknownArea(area.into())))?;

        let no_qualifier = |scope: Scope| match qualifier {
            None => Ok(scope),
            Some(qualifier) => Err(error(
                qualifier_at,
                Reason::UnexpectedQualifier {
                    scope: scope.to_string(),
                    qualifier: qualifier.to_owned(),
                },
            )),
        };
        let Some(action) = action else {
            return match area {
                Area::Storage => no_qualifier(Scope::Storage),
                _ => Err(error(
                    base.len(),
                    Reason::MissingAction { area: area.name() },
                )),
            };
        };
        let kind = |q: &str| {
            q.parse::<MeasureKind>()
                .map_err(|e| error(qualifier_at, e.into()))
        };
        let category = |q: &str| {
            q.parse::<DocumentCategory>()
                .map_err(|e| error(qualifier_at, e.into()))
        };
        match (area, action, qualifier) {
            (Area::Storage, _, _) => Err(error(
                action_at,
                Reason::UnexpectedAction {
                    area: area.name(),
                    action: action.to_owned(),
                },
            )),
            (Area::Measures | Area::Dmp, "read", Some("")) => {
                Err(error(qualifier_at, Reason::EmptyQualifier))
            }
            (Area::Measures, "read", None) => Ok(Scope::measures_read(None)),
            (Area::Measures, "read", Some(q)) => Ok(Scope::measures_read(Some(kind(q)?))),
            (Area::Measures, "write", None | Some("")) => {
                Err(error(base.len(), Reason::MissingMeasureKind))
            }
            (Area::Measures, "write", Some(q)) => WritableMeasureKind::new(kind(q)?)
                .map(Scope::measures_write)
                .map_err(|e| error(qualifier_at, e.into())),
            (Area::Agenda, "read", _) => no_qualifier(Scope::agenda_read()),
            (Area::Agenda, "write", _) => no_qualifier(Scope::agenda_write()),
            (Area::Dmp, "read", None) => Ok(Scope::dmp_read(None)),
            (Area::Dmp, "read", Some(q)) => Ok(Scope::dmp_read(Some(category(q)?))),
            (Area::Dmp, "write", _) => no_qualifier(Scope::dmp_write()),
            (Area::Messaging, "read", _) => no_qualifier(Scope::messaging_read()),
            (Area::Messaging, "send", _) => no_qualifier(Scope::messaging_send()),
            (area, action, _) => Err(error(
                action_at,
                Reason::UnknownAction {
                    area: area.name(),
                    action: action.to_owned(),
                },
            )),
        }
    }

    /// The first part of an alias, before the dot.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Area {
        Measures,
        Agenda,
        Dmp,
        Messaging,
        Storage,
    }

    impl Area {
        const ALL: [Area; 5] = [
            Area::Measures,
            Area::Agenda,
            Area::Dmp,
            Area::Messaging,
            Area::Storage,
        ];

        fn name(self) -> &'static str {
            match self {
                Area::Measures => "measures",
                Area::Agenda => "agenda",
                Area::Dmp => "dmp",
                Area::Messaging => "messaging",
                Area::Storage => "storage",
            }
        }

        fn from_name(name: &str) -> Option<Area> {
            Area::ALL.into_iter().find(|area| area.name() == name)
        }
    }
}

/// The canonical SMART v2 form.
mod canonical {
    use super::*;

    const PREFIX: &str = "patient/";

    /// Parses `text`, whose first `/` is at byte `slash`.
    pub(super) fn parse(text: &str, slash: usize) -> Result<Scope, ScopeError> {
        let error = |byte: usize, reason: Reason| ScopeError::new(text, byte, reason);
        if !text.starts_with(PREFIX) {
            return Err(error(0, Reason::NotPatientLevel(text[..=slash].to_owned())));
        }
        let (head, query) = match text.split_once('?') {
            Some((head, query)) => (head, Some(query)),
            None => (text, None),
        };
        let Some((name, letters)) = head[PREFIX.len()..].split_once('.') else {
            return resource(text, &head[PREFIX.len()..])
                .and_then(|_| Err(error(head.len(), Reason::MissingOps)));
        };
        let resource = resource(text, name)?;
        let ops_at = PREFIX.len() + name.len() + 1;
        let ops = ops(letters).map_err(|(offset, reason)| error(ops_at + offset, reason))?;
        if let Some(op) = ops.iter().find(|op| !resource.offered().contains(*op)) {
            let offset = letters.find(op.letter()).unwrap_or(0);
            return Err(error(
                ops_at + offset,
                Reason::OpNotOffered { resource, op },
            ));
        }

        let mut query_params = Params::default();
        if let Some(query) = query {
            let query_at = head.len() + 1;
            query_params = params(resource, query).map_err(|(o, r)| error(query_at + o, r))?;
        }
        let creates_measures = resource == Resource::Observation && ops.contains(Op::Create);
        let target = match resource {
            Resource::Observation => {
                let kinds = match query_params.codes {
                    None if creates_measures => {
                        return Err(error(ops_at, Reason::MissingMeasureKind));
                    }
                    None => Codes::<MeasureKind>::Any,
                    Some((at, list)) => Codes::Only(
                        codings(list).map_err(|(o, r)| error(head.len() + 1 + at + o, r))?,
                    ),
                };
                if creates_measures
                    && let Codes::Only(set) = kinds
                    && let Some(kind) = set.iter().find(|k| k.is_computed())
                {
                    let at = text.find(kind.loinc()).unwrap_or(ops_at);
                    return Err(error(at, ComputedMeasure(kind).into()));
                }
                Target::Observation(kinds)
            }
            Resource::DocumentReference => match query_params.codes {
                None => Target::DocumentReference(Codes::Any),
                Some((at, list)) => Target::DocumentReference(Codes::Only(
                    codings(list).map_err(|(o, r)| error(head.len() + 1 + at + o, r))?,
                )),
            },
            Resource::Appointment => Target::Appointment,
            Resource::Communication => Target::Communication,
        };
        let scope = ResourceScope::new(target, ops, query_params.since)
            .map_err(|reason| error(ops_at, reason))?;
        Ok(Scope::Resource(scope))
    }

    fn resource(text: &str, name: &str) -> Result<Resource, ScopeError> {
        Resource::from_fhir_name(name).ok_or_else(|| {
            ScopeError::new(text, PREFIX.len(), Reason::UnknownResource(name.to_owned()))
        })
    }

    /// Permission letters, in `cruds` order, each once.
    fn ops(letters: &str) -> Result<Ops, (usize, Reason)> {
        if letters.is_empty() {
            return Err((0, Reason::MissingOps));
        }
        if matches!(letters, "read" | "write" | "*") {
            return Err((0, Reason::SmartV1(letters.to_owned())));
        }
        let mut ops = Ops::default();
        let mut last: Option<Op> = None;
        for (at, letter) in letters.char_indices() {
            let op = Op::from_letter(letter).ok_or((at, Reason::UnknownOp(letter)))?;
            if last.is_some_and(|last| last >= op) {
                return Err((at, Reason::OpOrder(letter)));
            }
            last = Some(op);
            ops = Ops(ops.0 | op.bit());
        }
        Ok(ops)
    }

    #[derive(Default)]
    struct Params<'a> {
        /// The code list and its offset in the query.
        codes: Option<(usize, &'a str)>,
        since: Option<Since>,
    }

    fn params(resource: Resource, query: &str) -> Result<Params<'_>, (usize, Reason)> {
        let mut params = Params::default();
        let mut seen_date = false;
        let mut at = 0;
        for param in query.split('&') {
            let (name, value) = param
                .split_once('=')
                .ok_or((at, Reason::MissingValue(param.to_owned())))?;
            let value_at = at + name.len() + 1;
            if value.is_empty() {
                return Err((value_at, Reason::EmptyValue));
            }
            if name == "date" {
                if seen_date {
                    return Err((at, Reason::DuplicateParameter(name.to_owned())));
                }
                seen_date = true;
                params.since = Some(since(value).map_err(|r| (value_at, r))?);
            } else if Some(name) == resource.code_param() {
                if params.codes.is_some() {
                    return Err((at, Reason::DuplicateParameter(name.to_owned())));
                }
                params.codes = Some((value_at, value));
            } else {
                return Err((
                    at,
                    Reason::UnknownParameter {
                        resource,
                        name: name.to_owned(),
                    },
                ));
            }
            at += param.len() + 1;
        }
        Ok(params)
    }

    /// A comma-separated list of `system|code`, each once.
    fn codings<T: Coded>(list: &str) -> Result<CodeSet<T>, (usize, Reason)> {
        let mut set = CodeSet::empty();
        let mut at = 0;
        for coding in list.split(',') {
            let (system, code) = coding
                .split_once('|')
                .ok_or((at, Reason::NotACoding(coding.to_owned())))?;
            if system != T::SYSTEM {
                return Err((
                    at,
                    Reason::WrongSystem {
                        expected: T::SYSTEM,
                        found: system.to_owned(),
                    },
                ));
            }
            let code_at = at + system.len() + 1;
            let value = T::from_code(code).ok_or((
                code_at,
                Reason::UnknownCode {
                    system: T::SYSTEM,
                    code: code.to_owned(),
                },
            ))?;
            if set.contains(value) {
                return Err((code_at, Reason::DuplicateCode(code.to_owned())));
            }
            set = set.with(value);
            at += coding.len() + 1;
        }
        Ok(set)
    }

    fn since(value: &str) -> Result<Since, Reason> {
        let date = value
            .strip_prefix("ge")
            .ok_or_else(|| Reason::DateComparator(value.to_owned()))?;
        Date::parse(date, format_description!("[year]-[month]-[day]"))
            .map(Since::new)
            .map_err(|_| Reason::BadDate(date.to_owned()))
    }
}

#[cfg(test)]
mod tests;
