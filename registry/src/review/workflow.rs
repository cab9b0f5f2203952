//! The life cycle of a submitted component version.
//!
//! | from | action | to |
//! |---|---|---|
//! | `submitted` | admit | `admissible` |
//! | `submitted` | reject | `inadmissible` |
//! | `admissible` | start-review | `in-review` |
//! | `in-review` | decide | `listed` or `refused`, as the decision says |
//! | `listed` | suspend | `suspended` |
//! | `suspended` | reinstate | `listed` |
//! | `listed`, `suspended` | withdraw | `withdrawn` |
//!
//! Any other pair is an error. Inadmissible, Refused and Withdrawn are
//! final: a new attempt is a new submission, of a new version. Every action
//! that ends or interrupts a listing carries a reason, because each step is
//! published.

use super::{Decision, Outcome};
use crate::names::names;

/// Where a submitted component version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// `submitted`: received, signature and manifest valid, not yet examined.
    Submitted,
    /// `admissible`: the file is complete; proofs can be reviewed.
    Admissible,
    /// `inadmissible`: the file was rejected before review (final).
    Inadmissible,
    /// `in-review`: regulators are reviewing the proofs.
    InReview,
    /// `listed`: offered to patients.
    Listed,
    /// `refused`: the review found an applicable requirement unmet (final).
    Refused,
    /// `suspended`: listed, but not offered while a problem is examined.
    Suspended,
    /// `withdrawn`: no longer listed (final).
    Withdrawn,
}

names!(State {
    Submitted => "submitted",
    Admissible => "admissible",
    Inadmissible => "inadmissible",
    InReview => "in-review",
    Listed => "listed",
    Refused => "refused",
    Suspended => "suspended",
    Withdrawn => "withdrawn",
});

impl State {
    /// Whether no action leads out of this state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Inadmissible | State::Refused | State::Withdrawn
        )
    }

    /// Whether patients may install and run the version: only when listed.
    pub fn serves_patients(self) -> bool {
        self == State::Listed
    }
}

/// What a regulator (or the registry) does to a submitted version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The file is complete: Submitted → Admissible.
    Admit,
    /// The file is not admissible: Submitted → Inadmissible. At least one
    /// reason, none empty.
    Reject {
        /// Why.
        reasons: Vec<String>,
    },
    /// Review begins: Admissible → InReview.
    StartReview,
    /// The board decides: InReview → Listed or Refused, as the decision says.
    Decide(Decision),
    /// Listed → Suspended.
    Suspend {
        /// Why; not empty.
        reason: String,
    },
    /// Suspended → Listed.
    Reinstate {
        /// Why; not empty.
        reason: String,
    },
    /// Listed or Suspended → Withdrawn.
    Withdraw {
        /// Why; not empty.
        reason: String,
    },
}

impl Action {
    /// What kind of action it is, without its data.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Admit => ActionKind::Admit,
            Action::Reject { .. } => ActionKind::Reject,
            Action::StartReview => ActionKind::StartReview,
            Action::Decide(_) => ActionKind::Decide,
            Action::Suspend { .. } => ActionKind::Suspend,
            Action::Reinstate { .. } => ActionKind::Reinstate,
            Action::Withdraw { .. } => ActionKind::Withdraw,
        }
    }
}

/// An [`Action`] without its data, to name it in errors and records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// `admit`.
    Admit,
    /// `reject`.
    Reject,
    /// `start-review`.
    StartReview,
    /// `decide`.
    Decide,
    /// `suspend`.
    Suspend,
    /// `reinstate`.
    Reinstate,
    /// `withdraw`.
    Withdraw,
}

names!(ActionKind {
    Admit => "admit",
    Reject => "reject",
    StartReview => "start-review",
    Decide => "decide",
    Suspend => "suspend",
    Reinstate => "reinstate",
    Withdraw => "withdraw",
});

/// Why an action cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The action is not possible from this state.
    #[error("cannot {action} a version that is {state}")]
    NotAllowed {
        /// The current state.
        state: State,
        /// The action attempted.
        action: ActionKind,
    },
    /// The action needs a reason and has none (or an empty one).
    #[error("{action} needs a reason, and every reason must be non-empty")]
    MissingReason {
        /// The action attempted.
        action: ActionKind,
    },
}

/// The state after applying `action` in `state`.
///
/// # Errors
///
/// [`WorkflowError::NotAllowed`] if the table does not allow the action in
/// this state (checked first); [`WorkflowError::MissingReason`] if the action
/// needs reasons and one is missing or empty.
pub fn next(state: State, action: &Action) -> Result<State, WorkflowError> {
    let kind = action.kind();
    let next = match (state, action) {
        (State::Submitted, Action::Admit) => State::Admissible,
        (State::Submitted, Action::Reject { .. }) => State::Inadmissible,
        (State::Admissible, Action::StartReview) => State::InReview,
        (State::InReview, Action::Decide(decision)) => match decision.outcome() {
            Outcome::Listed => State::Listed,
            Outcome::Refused { .. } => State::Refused,
        },
        (State::Listed, Action::Suspend { .. }) => State::Suspended,
        (State::Suspended, Action::Reinstate { .. }) => State::Listed,
        (State::Listed | State::Suspended, Action::Withdraw { .. }) => State::Withdrawn,
        _ => {
            return Err(WorkflowError::NotAllowed {
                state,
                action: kind,
            });
        }
    };
    let blank = |text: &String| text.trim().is_empty();
    let reasons_missing = match action {
        Action::Reject { reasons } => reasons.is_empty() || reasons.iter().any(blank),
        Action::Suspend { reason } | Action::Reinstate { reason } | Action::Withdraw { reason } => {
            blank(reason)
        }
        Action::Admit | Action::StartReview | Action::Decide(_) => false,
    };
    if reasons_missing {
        return Err(WorkflowError::MissingReason { action: kind });
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        assert_eq!(State::ALL.len(), 8);
        for state in State::ALL {
            assert_eq!(state.as_str().parse(), Ok(*state));
            let json = serde_json::to_string(state).unwrap();
            assert_eq!(json, format!("\"{state}\""));
            assert_eq!(serde_json::from_str::<State>(&json).unwrap(), *state);
        }
        assert_eq!(State::InReview.to_string(), "in-review");
        assert!("in_review".parse::<State>().is_err());
        for kind in ActionKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(*kind));
        }
    }

    #[test]
    fn only_listed_serves_patients() {
        for state in State::ALL {
            assert_eq!(state.serves_patients(), *state == State::Listed, "{state}");
        }
    }

    #[test]
    fn errors_name_state_and_action() {
        let error = next(State::Refused, &Action::StartReview).unwrap_err();
        assert_eq!(
            error,
            WorkflowError::NotAllowed {
                state: State::Refused,
                action: ActionKind::StartReview
            }
        );
        assert_eq!(
            error.to_string(),
            "cannot start-review a version that is refused"
        );
        let error = next(
            State::Listed,
            &Action::Suspend {
                reason: " ".to_owned(),
            },
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "suspend needs a reason, and every reason must be non-empty"
        );
    }
}
