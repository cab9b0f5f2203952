//! The listing review: requirement sets, regulators' verdicts, the decision
//! they lead to, and the life cycle of a submitted component version.
//!
//! Everything here is pure: texts in, values out. Storing, signing and
//! publishing are the caller's business.
//!
//! - [`RequirementSet`]: a published, versioned set of requirements, each
//!   systematic ("MUST" / "MUST NOT") or conditional ("IF … THEN MUST"), with
//!   the proofs it accepts. It is data, parsed from TOML, so every candidate
//!   is judged by the same text; [`RequirementSet::builtin`] is the set in
//!   force, `officine-listing@2026.1`.
//! - [`VerdictFile`]: what a regulator writes after reviewing the proofs,
//!   checked against the set.
//! - [`evaluate`]: from the set, the manifest and the verdicts to a
//!   [`Decision`] — listed, or refused with reasons — ready to be published.
//! - [`workflow`]: the states of a submitted component version and the
//!   actions that move it from one to the next.
//!
//! ```
//! use officine_registry::Manifest;
//! use officine_registry::review::{Outcome, RequirementSet, VerdictFile, evaluate};
//!
//! let set = RequirementSet::from_toml_str(r#"
//! id = "example"
//! version = "2026.1"
//! published = 2026-01-15
//! title = "An example set"
//!
//! [[requirement]]
//! id = "SEC-01"
//! text = "The service MUST pass an entry security audit."
//! level = "must"
//! proofs = ["audit-report"]
//!
//! [[requirement]]
//! id = "MDR-01"
//! text = "IF the service is a medical device, it MUST carry the CE marking."
//! level = "must"
//! if = "medical-device"
//! proofs = ["document"]
//! "#)?;
//!
//! let verdicts = VerdictFile::from_toml_str(r#"
//! requirement-set = "example@2026.1"
//!
//! [[verdict]]
//! requirement = "SEC-01"
//! met = false
//! note = "Two critical findings are still open."
//! "#, &set)?;
//!
//! # let manifest = Manifest::from_toml_str(r#"
//! # id = "fr.example.hello"
//! # version = "0.1.0"
//! # name = "Bonjour"
//! # editor = "Exemple"
//! # editor-id = "finess:750000000"
//! # description = "Dit bonjour."
//! # purpose = "care"
//! # [consent]
//! # retention = "Aucune donnée conservée."
//! # security = "Aucune donnée traitée."
//! # recourse = "contact@example.fr"
//! # legal = ["RGPD"]
//! # medical-device = "none"
//! # accessibility = "Non conforme au RGAA."
//! # "#)?;
//! // The service is not a medical device: MDR-01 does not apply.
//! let decision = evaluate(&set, &manifest, &verdicts)?;
//! assert_eq!(
//!     decision.outcome(),
//!     &Outcome::Refused { reasons: vec!["SEC-01: Two critical findings are still open.".into()] }
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::fields::Style;

mod condition;
mod decision;
mod requirements;
mod verdict;
pub mod workflow;

pub use condition::{Condition, ConditionError, ScopeResource};
pub use decision::{
    CoverageProblem, Decision, EvaluationError, Outcome, RequirementVerdict, evaluate,
};
pub use requirements::{
    DigestError, Level, ProofKind, Requirement, RequirementId, RequirementIdError, RequirementSet,
    RequirementSetError, SetDigest, SetReference, SetReferenceError, SetVersion,
};
pub use verdict::{Proof, ProofRef, ProofRefError, Verdict, VerdictFile, VerdictFileError};
pub use workflow::{Action, ActionKind, State, WorkflowError, next};

/// The review's files nest only arrays of tables, such as `[[requirement]]`;
/// an unknown key is named as written, with the keys expected.
const STYLE: Style = Style {
    header: "[[table]]",
    suggest: false,
    quote: false,
};
