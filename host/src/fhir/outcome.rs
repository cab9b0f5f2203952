//! `OperationOutcome`: how every error reaches a FHIR client.

use std::fmt;

use serde::Serialize;

/// `issue.severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueSeverity {
    Fatal,
    Error,
    Warning,
    Information,
}

/// `issue.code`, from the FHIR `issue-type` value set: the codes the
/// platform uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueType {
    /// The content is invalid (the general case).
    Invalid,
    /// Not JSON, or not the shape of the resource.
    Structure,
    /// A required element is missing.
    Required,
    /// An element's value is not acceptable.
    Value,
    /// A code is not one the platform knows.
    CodeInvalid,
    /// Valid FHIR the platform does not support.
    NotSupported,
    /// Valid, but against a rule of the platform (e.g. writing a BMI).
    BusinessRule,
    /// Authentication failed or is missing.
    Login,
    /// A security rule stopped the request.
    Security,
    /// The user may not do this.
    Forbidden,
    /// Nothing there (or nothing this reader may know of).
    NotFound,
    /// Asks the server for more than it will do.
    TooCostly,
    /// The request could not be carried out.
    Processing,
    /// The record changed in between.
    Conflict,
    /// Too many requests.
    Throttled,
    /// Took too long.
    Timeout,
    /// The server failed.
    Exception,
}

impl IssueType {
    /// The code as written in FHIR.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueType::Invalid => "invalid",
            IssueType::Structure => "structure",
            IssueType::Required => "required",
            IssueType::Value => "value",
            IssueType::CodeInvalid => "code-invalid",
            IssueType::NotSupported => "not-supported",
            IssueType::BusinessRule => "business-rule",
            IssueType::Login => "login",
            IssueType::Security => "security",
            IssueType::Forbidden => "forbidden",
            IssueType::NotFound => "not-found",
            IssueType::TooCostly => "too-costly",
            IssueType::Processing => "processing",
            IssueType::Conflict => "conflict",
            IssueType::Throttled => "throttled",
            IssueType::Timeout => "timeout",
            IssueType::Exception => "exception",
        }
    }

    /// The HTTP status that usually goes with this issue.
    pub fn http_status(self) -> u16 {
        match self {
            IssueType::Invalid
            | IssueType::Structure
            | IssueType::Required
            | IssueType::Value
            | IssueType::CodeInvalid
            | IssueType::NotSupported => 400,
            IssueType::Login => 401,
            IssueType::Security | IssueType::Forbidden => 403,
            IssueType::NotFound => 404,
            IssueType::Timeout => 408,
            IssueType::Conflict => 409,
            IssueType::BusinessRule | IssueType::Processing | IssueType::TooCostly => 422,
            IssueType::Throttled => 429,
            IssueType::Exception => 500,
        }
    }
}

impl fmt::Display for IssueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `issue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub severity: IssueSeverity,
    pub code: IssueType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    /// FHIRPath of the element at fault, e.g. `Observation.valueQuantity.code`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
}

impl Issue {
    /// An error.
    pub fn error(code: IssueType, diagnostics: impl Into<String>) -> Issue {
        Issue {
            severity: IssueSeverity::Error,
            code,
            diagnostics: Some(diagnostics.into()),
            expression: Vec::new(),
        }
    }

    /// The same, naming the element at fault.
    pub fn at(mut self, expression: impl Into<String>) -> Issue {
        self.expression.push(expression.into());
        self
    }
}

/// Something wrong in a request that maps to one issue: a typed problem
/// of a parser.
pub trait ToIssue: fmt::Display {
    /// The issue code.
    fn code(&self) -> IssueType;

    /// FHIRPath of the element at fault, if there is one.
    fn expression(&self) -> Option<String> {
        None
    }

    /// The issue: an error with this code, this text and this element.
    fn issue(&self) -> Issue {
        let issue = Issue::error(self.code(), self.to_string());
        match self.expression() {
            Some(expression) => issue.at(expression),
            None => issue,
        }
    }
}

/// `OperationOutcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "resourceType")]
pub struct OperationOutcome {
    pub issue: Vec<Issue>,
}

impl OperationOutcome {
    /// An outcome of these issues (FHIR requires at least one).
    pub fn new(issue: Vec<Issue>) -> OperationOutcome {
        debug_assert!(!issue.is_empty(), "an OperationOutcome has an issue");
        OperationOutcome { issue }
    }

    /// One error.
    pub fn error(code: IssueType, diagnostics: impl Into<String>) -> OperationOutcome {
        OperationOutcome::new(vec![Issue::error(code, diagnostics)])
    }

    /// "Not found", worded the same whether the record does not exist or
    /// the reader may not see it, so that an answer never tells which.
    pub fn not_found(resource_type: &str, id: &str) -> OperationOutcome {
        OperationOutcome::error(
            IssueType::NotFound,
            format!("{resource_type}/{id} is not known"),
        )
    }

    /// The HTTP status of the outcome: that of its first error.
    pub fn http_status(&self) -> u16 {
        self.issue
            .iter()
            .find(|i| matches!(i.severity, IssueSeverity::Error | IssueSeverity::Fatal))
            .map_or(200, |i| i.code.http_status())
    }
}

/// Every problem found in a request, at least one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", list(.problems))]
pub struct Invalid<P: fmt::Debug + fmt::Display> {
    pub problems: Vec<P>,
}

impl<P: fmt::Debug + fmt::Display> Invalid<P> {
    /// `Ok(value)` if no problem was found.
    pub fn check<T>(problems: Vec<P>, value: impl FnOnce() -> T) -> Result<T, Invalid<P>> {
        if problems.is_empty() {
            Ok(value())
        } else {
            Err(Invalid { problems })
        }
    }

    /// One problem.
    pub fn one(problem: P) -> Invalid<P> {
        Invalid {
            problems: vec![problem],
        }
    }
}

fn list<P: fmt::Display>(problems: &[P]) -> String {
    let texts: Vec<String> = problems.iter().map(ToString::to_string).collect();
    texts.join("; ")
}

impl<P: ToIssue + fmt::Debug> From<Invalid<P>> for OperationOutcome {
    fn from(invalid: Invalid<P>) -> OperationOutcome {
        OperationOutcome::new(invalid.problems.iter().map(ToIssue::issue).collect())
    }
}

impl<P: ToIssue + fmt::Debug> From<&Invalid<P>> for OperationOutcome {
    fn from(invalid: &Invalid<P>) -> OperationOutcome {
        OperationOutcome::new(invalid.problems.iter().map(ToIssue::issue).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("bad {0}")]
    struct Bad(&'static str);

    impl ToIssue for Bad {
        fn code(&self) -> IssueType {
            IssueType::Value
        }
        fn expression(&self) -> Option<String> {
            Some(format!("Observation.{}", self.0))
        }
    }

    #[test]
    fn an_outcome_lists_every_issue() {
        let invalid = Invalid {
            problems: vec![Bad("status"), Bad("code")],
        };
        assert_eq!(invalid.to_string(), "bad status; bad code");
        let outcome = OperationOutcome::from(invalid);
        assert_eq!(outcome.http_status(), 400);
        let json = serde_json::to_value(&outcome).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "error", "code": "value", "diagnostics": "bad status",
                     "expression": ["Observation.status"]},
                    {"severity": "error", "code": "value", "diagnostics": "bad code",
                     "expression": ["Observation.code"]}
                ]
            })
        );
    }

    #[test]
    fn codes_are_written_as_fhir_writes_them() {
        for (code, text, status) in [
            (IssueType::Invalid, "invalid", 400),
            (IssueType::NotFound, "not-found", 404),
            (IssueType::Forbidden, "forbidden", 403),
            (IssueType::Security, "security", 403),
            (IssueType::Login, "login", 401),
            (IssueType::TooCostly, "too-costly", 422),
            (IssueType::Processing, "processing", 422),
            (IssueType::CodeInvalid, "code-invalid", 400),
            (IssueType::BusinessRule, "business-rule", 422),
            (IssueType::Exception, "exception", 500),
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), text);
            assert_eq!(code.to_string(), text);
            assert_eq!(code.http_status(), status);
        }
    }

    #[test]
    fn not_found_says_nothing_of_why() {
        let outcome = OperationOutcome::not_found("Observation", "x1");
        assert_eq!(outcome.http_status(), 404);
        assert_eq!(
            outcome.issue[0].diagnostics.as_deref(),
            Some("Observation/x1 is not known")
        );
        assert_eq!(
            Invalid::check(Vec::<Bad>::new(), || 3).unwrap(),
            3,
            "no problem, a value"
        );
        let error = OperationOutcome::error(IssueType::TooCostly, "too many results");
        assert_eq!(error.http_status(), 422);
    }
}
