//! Officine's consent policy: scopes, grants, and the decisions they lead to.
//!
//! This crate is pure: no I/O, no storage, no WebAssembly. It says what a
//! patient's consent allows; the host enforces it, by linking only the
//! interfaces a grant covers and by turning its finer limits into the
//! conditions of every storage query.
//!
//! - [`Scope`]: a permission, in canonical SMART App Launch v2 form or as a
//!   short alias (see [`scope`] for the grammar);
//! - [`Grant`]: a patient's consent for a service — scopes within what the
//!   manifest requested, a period that ends, the version and consent sheet
//!   shown, a status;
//! - [`decide`]: `Allow` or `Deny(reason)` for one platform call.
//!
//! ```
//! use officine_policy::{
//!     Consent, Decision, DenyReason, Grant, GrantId, Item, MeasureKind, Op, PatientId,
//!     Period, Request, Scope, ServiceId, SheetHash, decide,
//! };
//!
//! let requested: Vec<Scope> = ["measures.read:weight", "measures.read:height", "storage"]
//!     .iter()
//!     .map(|s| s.parse())
//!     .collect::<Result<_, _>>()?;
//! let consent = Consent {
//!     patient: PatientId::new("p-1"),
//!     service: ServiceId::new("fr.example.weight").unwrap(),
//!     // The patient unticked the height.
//!     scopes: vec![requested[0], requested[2]],
//!     period: Period::new(0, 1_000_000).unwrap(),
//!     version: semver::Version::new(1, 0, 0),
//!     sheet: SheetHash([0; 32]),
//! };
//! let grant = Grant::new(GrantId::new("g-1"), consent, &requested).unwrap();
//!
//! let read = |kind| Request {
//!     op: Op::Search,
//!     item: Item::Measure(Some(kind)),
//!     date: None,
//!     written_by: None,
//!     at: 10,
//! };
//! assert_eq!(decide(&grant, &read(MeasureKind::Weight)), Decision::Allow);
//! assert!(matches!(
//!     decide(&grant, &read(MeasureKind::Height)),
//!     Decision::Deny(DenyReason::CodeNotGranted { .. })
//! ));
//! # Ok::<(), officine_policy::ScopeError>(())
//! ```

pub mod decide;
pub mod grant;
pub mod habilitation;
mod id;
pub mod scope;
mod vocab;

pub use decide::{Decision, DenyReason, Item, Request, covering_window, decide};
pub use grant::{
    Consent, Grant, GrantError, GrantId, GrantStatus, NotInForce, Period, SheetHash, covered,
    difference,
};
pub use id::{IdError, PatientId, ServiceId};
pub use scope::{Op, Ops, Reason, Resource, Scope, ScopeError};
pub use vocab::{
    ComputedMeasure, DMP_CATEGORY_SYSTEM, DocumentCategory, LOINC, MeasureKind,
    UnknownDocumentCategory, UnknownMeasureKind, WritableMeasureKind,
};
