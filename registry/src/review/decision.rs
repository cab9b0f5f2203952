//! The decision: from a requirement set, a manifest and a regulator's
//! verdicts to "listed" or "refused, because …".

use std::collections::HashSet;

use semver::Version;
use serde::{Deserialize, Serialize};

use super::{
    Condition, Level, Proof, RequirementId, RequirementSet, SetDigest, SetReference, VerdictFile,
};
use crate::error::Lines;
use crate::{Manifest, ServiceId};

/// Decides on a submission: `set` is the requirement set under review,
/// `manifest` the submitted version's, `verdicts` the regulator's.
///
/// A requirement applies when it has no condition or its condition holds for
/// the manifest. The version is [`Outcome::Listed`] if every applicable
/// must and must-not requirement is met, and [`Outcome::Refused`] otherwise,
/// with one reason per unmet requirement (`"SEC-01: <note>"`) followed by the
/// file's overall reasons. Verdicts on recommendations are recorded but never
/// change the outcome.
///
/// # Errors
///
/// [`EvaluationError::OtherSet`] or [`EvaluationError::OtherText`] if the
/// verdicts were checked against another set, or another text of this one;
/// [`EvaluationError::Coverage`], listing each problem, if an applicable must
/// or must-not requirement has no verdict or a requirement that does not
/// apply has one.
pub fn evaluate(
    set: &RequirementSet,
    manifest: &Manifest,
    verdicts: &VerdictFile,
) -> Result<Decision, EvaluationError> {
    if verdicts.requirement_set() != set.reference() {
        return Err(EvaluationError::OtherSet {
            expected: set.reference().clone(),
            found: verdicts.requirement_set().clone(),
        });
    }
    if verdicts.requirement_set_digest() != set.digest() {
        return Err(EvaluationError::OtherText {
            reference: set.reference().clone(),
            expected: set.digest(),
            found: verdicts.requirement_set_digest(),
        });
    }

    let mut problems = Vec::new();
    let mut entries = Vec::with_capacity(set.requirements().len());
    for requirement in set.requirements() {
        let applicable = requirement.applies_to(manifest);
        let verdict = verdicts.verdict(requirement.id());
        match (applicable, verdict, requirement.condition()) {
            (true, None, _) if requirement.level().is_binding() => {
                problems.push(CoverageProblem::Missing {
                    requirement: requirement.id().clone(),
                    level: requirement.level(),
                });
            }
            (false, Some(_), Some(condition)) => {
                problems.push(CoverageProblem::NotApplicable {
                    requirement: requirement.id().clone(),
                    condition,
                });
            }
            _ => {}
        }
        entries.push(RequirementVerdict {
            requirement: requirement.id().clone(),
            level: requirement.level(),
            condition: requirement.condition(),
            applicable,
            met: verdict.map(|v| v.met()),
            proofs: verdict.map(|v| v.proofs().to_vec()).unwrap_or_default(),
            note: verdict.and_then(|v| v.note()).map(str::to_owned),
        });
    }
    if !problems.is_empty() {
        return Err(EvaluationError::Coverage(problems));
    }

    let mut reasons: Vec<String> = entries
        .iter()
        .filter(|entry| entry.blocks())
        .map(|entry| {
            // A verdict file never holds an unmet verdict without a note.
            let note = entry.note.as_deref().unwrap_or("not met");
            format!("{}: {note}", entry.requirement)
        })
        .collect();
    let outcome = if reasons.is_empty() {
        Outcome::Listed
    } else {
        reasons.extend(verdicts.reasons().iter().cloned());
        Outcome::Refused { reasons }
    };
    Ok(Decision {
        requirement_set: set.reference().clone(),
        requirement_set_digest: set.digest(),
        service: manifest.id().clone(),
        version: manifest.version().clone(),
        outcome,
        comments: verdicts.reasons().to_vec(),
        requirements: entries,
    })
}

/// Why verdicts could not be turned into a decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    /// The verdict file was checked against another requirement set.
    #[error("the verdicts were checked against {found}, not against {expected}")]
    OtherSet {
        /// The set given to [`evaluate`].
        expected: SetReference,
        /// The set the verdict file was checked against.
        found: SetReference,
    },
    /// The verdict file was checked against another text of the same set:
    /// the reference matches, the digest does not.
    #[error(
        "the verdicts were checked against another text of {reference} \
         ({found}, not {expected})"
    )]
    OtherText {
        /// The set's reference.
        reference: SetReference,
        /// The digest of the set given to [`evaluate`].
        expected: SetDigest,
        /// The digest of the set the verdict file was checked against.
        found: SetDigest,
    },
    /// The verdicts do not match the requirements that apply; every problem
    /// is listed, in the set's order.
    #[error(
        "the verdicts do not match the requirements that apply:{}",
        Lines(.0)
    )]
    Coverage(Vec<CoverageProblem>),
}

impl EvaluationError {
    /// The coverage problems, if that is the error; empty otherwise.
    pub fn problems(&self) -> &[CoverageProblem] {
        match self {
            EvaluationError::Coverage(problems) => problems,
            EvaluationError::OtherSet { .. } | EvaluationError::OtherText { .. } => &[],
        }
    }
}

/// A mismatch between the verdicts and the requirements that apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoverageProblem {
    /// A must or must-not requirement applies but has no verdict.
    #[error("{requirement} ({level}) applies but has no verdict")]
    Missing {
        /// The requirement.
        requirement: RequirementId,
        /// Its level.
        level: Level,
    },
    /// A requirement has a verdict but its condition does not hold: judging
    /// it would treat this candidate differently from the others.
    #[error("{requirement} has a verdict but does not apply: {condition} does not hold")]
    NotApplicable {
        /// The requirement.
        requirement: RequirementId,
        /// Its condition, which does not hold.
        condition: Condition,
    },
}

/// A listing decision on one version of a service, as stored and published.
///
/// It names the requirement set (reference and digest), the service and
/// version, the outcome, and every requirement of the set with its
/// applicability and verdict. It serializes to JSON; deserializing checks
/// that the outcome follows from the verdicts and that a refusal has reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", try_from = "DecisionRecord")]
pub struct Decision {
    requirement_set: SetReference,
    requirement_set_digest: SetDigest,
    service: ServiceId,
    version: Version,
    outcome: Outcome,
    comments: Vec<String>,
    requirements: Vec<RequirementVerdict>,
}

impl Decision {
    /// The requirement set applied, e.g. `officine-listing@2026.1`.
    pub fn requirement_set(&self) -> &SetReference {
        &self.requirement_set
    }

    /// The digest of the set's text.
    pub fn requirement_set_digest(&self) -> SetDigest {
        self.requirement_set_digest
    }

    /// The service decided on.
    pub fn service(&self) -> &ServiceId {
        &self.service
    }

    /// The version decided on: a listing is per version.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// Listed, or refused with reasons.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// Whether the version is listed.
    pub fn is_listed(&self) -> bool {
        self.outcome == Outcome::Listed
    }

    /// The overall reasons the regulator gave, whatever the outcome (a
    /// refusal's reasons end with them).
    pub fn comments(&self) -> &[String] {
        &self.comments
    }

    /// Every requirement of the set, in its order, with its verdict.
    pub fn requirements(&self) -> &[RequirementVerdict] {
        &self.requirements
    }
}

/// The outcome of a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// Every applicable must and must-not requirement is met.
    Listed,
    /// At least one is not; there is always at least one reason.
    Refused {
        /// One per unmet requirement, `"<id>: <note>"`, then the overall
        /// reasons.
        reasons: Vec<String>,
    },
}

/// One requirement in a decision: whether it applied and what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RequirementVerdict {
    requirement: RequirementId,
    level: Level,
    #[serde(rename = "if", default, skip_serializing_if = "Option::is_none")]
    condition: Option<Condition>,
    applicable: bool,
    met: Option<bool>,
    #[serde(default)]
    proofs: Vec<Proof>,
    note: Option<String>,
}

impl RequirementVerdict {
    /// The requirement.
    pub fn requirement(&self) -> &RequirementId {
        &self.requirement
    }

    /// Its level.
    pub fn level(&self) -> Level {
        self.level
    }

    /// Its condition, if it is conditional.
    pub fn condition(&self) -> Option<Condition> {
        self.condition
    }

    /// Whether it applied to the service.
    pub fn applicable(&self) -> bool {
        self.applicable
    }

    /// The verdict: `None` when there was none (a requirement that does not
    /// apply, or a recommendation not assessed).
    pub fn met(&self) -> Option<bool> {
        self.met
    }

    /// The proofs reviewed.
    pub fn proofs(&self) -> &[Proof] {
        &self.proofs
    }

    /// The regulator's note.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// Whether this verdict refuses the listing.
    fn blocks(&self) -> bool {
        self.applicable && self.level.is_binding() && self.met == Some(false)
    }
}

/// A decision as read back, before its consistency is checked.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct DecisionRecord {
    requirement_set: SetReference,
    requirement_set_digest: SetDigest,
    service: ServiceId,
    version: Version,
    outcome: Outcome,
    #[serde(default)]
    comments: Vec<String>,
    requirements: Vec<RequirementVerdict>,
}

impl TryFrom<DecisionRecord> for Decision {
    type Error = String;

    /// Accepts only what [`evaluate`] could have produced, so a stored
    /// decision cannot be edited into an inconsistent one unnoticed.
    fn try_from(record: DecisionRecord) -> Result<Decision, String> {
        let mut seen = HashSet::new();
        for entry in &record.requirements {
            if !seen.insert(&entry.requirement) {
                return Err(format!("{} is listed twice", entry.requirement));
            }
            if entry.applicable && entry.level.is_binding() && entry.met.is_none() {
                return Err(format!("{} applies but has no verdict", entry.requirement));
            }
            if !entry.applicable && entry.met.is_some() {
                return Err(format!(
                    "{} does not apply but has a verdict",
                    entry.requirement
                ));
            }
            if entry.met == Some(false) && entry.note.as_deref().is_none_or(|n| n.trim().is_empty())
            {
                return Err(format!("{} is not met but has no note", entry.requirement));
            }
        }
        let refused = record.requirements.iter().any(RequirementVerdict::blocks);
        match &record.outcome {
            Outcome::Listed if refused => {
                return Err("listed although a requirement that applies is not met".to_owned());
            }
            Outcome::Refused { .. } if !refused => {
                return Err("refused although every requirement that applies is met".to_owned());
            }
            Outcome::Refused { reasons }
                if reasons.is_empty() || reasons.iter().any(|r| r.trim().is_empty()) =>
            {
                return Err("a refusal needs reasons, none of them empty".to_owned());
            }
            _ => {}
        }
        Ok(Decision {
            requirement_set: record.requirement_set,
            requirement_set_digest: record.requirement_set_digest,
            service: record.service,
            version: record.version,
            outcome: record.outcome,
            comments: record.comments,
            requirements: record.requirements,
        })
    }
}
