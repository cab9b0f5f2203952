//! Search parameters of `GET Observation` (`code`, `date`, `_count`) and of
//! `GET AuditEvent` (`agent`, `date`, `_count`).
//!
//! - `code`: `http://loinc.org|29463-7` or a bare `29463-7`; commas give
//!   alternatives (OR); repeating the parameter narrows (AND).
//! - `date`: a FHIR date or date-time with a prefix `eq` (the default),
//!   `ge`, `gt`, `le`, `lt`, `sa` or `eb`; repeat it for a range
//!   (`date=ge2025-01-01&date=lt2025-02-01`). A date stands for its whole
//!   day (month, year) in UTC, the platform's time zone.
//! - `_count`: at most [`MAX_COUNT`] results; a larger count is lowered to
//!   it, as FHIR lets a server do.
//! - `_format` may say JSON; anything else (`_include`, `_sort`, `patient`,
//!   modifiers such as `code:text`, …) is refused by name, so that no client
//!   believes a filter was applied when it was not.

use officine_policy::{LOINC, MeasureKind};

use super::datetime::{self, DateError};
use super::outcome::{Invalid, IssueType, ToIssue};

/// The most results one search returns.
pub const MAX_COUNT: u32 = crate::db::measures::MAX_ROWS;

/// A measure search, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservationSearch {
    /// The kinds asked for, in vocabulary order; `None` for every kind.
    /// May be empty, when `code` parameters exclude each other.
    pub kinds: Option<Vec<MeasureKind>>,
    /// Measures taken at or after this instant (ms).
    pub since: Option<i64>,
    /// Measures taken before this instant (ms).
    pub until: Option<i64>,
    /// At most this many results (never above [`MAX_COUNT`]).
    pub count: Option<u32>,
}

impl ObservationSearch {
    /// Whether `kind` is asked for.
    pub fn wants(&self, kind: MeasureKind) -> bool {
        self.kinds
            .as_ref()
            .is_none_or(|kinds| kinds.contains(&kind))
    }

    /// Whether the dates exclude every measure (e.g. `ge2025&lt2024`).
    pub fn is_empty_range(&self) -> bool {
        matches!((self.since, self.until), (Some(since), Some(until)) if since >= until)
    }
}

/// A problem in search parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchProblem {
    #[error("search parameter {0:?} is not supported here (supported: {1})")]
    Unsupported(String, &'static str),
    #[error("modifier {0:?} is not supported")]
    Modifier(String),
    #[error("search parameter {0:?} has no value")]
    Empty(String),
    #[error("the query is not valid percent-encoded UTF-8: {0:?}")]
    Encoding(String),
    #[error("code {0:?}: measures are searched by LOINC code (http://loinc.org|<code>)")]
    NotLoinc(String),
    #[error("code {0:?} is not a LOINC code of a measure the platform stores")]
    UnknownCode(String),
    #[error("date {text:?}: {error}")]
    BadDate { text: String, error: DateError },
    #[error("date prefix {0:?} is not supported (use eq, ge, gt, le, lt, sa or eb)")]
    Prefix(String),
    #[error("_count {0:?} must be a whole number from 0")]
    Count(String),
    #[error("_count is given more than once")]
    RepeatedCount,
    #[error("_format {0:?} is not supported: the platform answers in FHIR JSON")]
    Format(String),
}

impl ToIssue for SearchProblem {
    fn code(&self) -> IssueType {
        match self {
            SearchProblem::Unsupported(..)
            | SearchProblem::Modifier(_)
            | SearchProblem::Prefix(_)
            | SearchProblem::Format(_) => IssueType::NotSupported,
            SearchProblem::NotLoinc(_) | SearchProblem::UnknownCode(_) => IssueType::CodeInvalid,
            SearchProblem::BadDate { .. } | SearchProblem::Count(_) => IssueType::Value,
            SearchProblem::Empty(_) | SearchProblem::Encoding(_) | SearchProblem::RepeatedCount => {
                IssueType::Invalid
            }
        }
    }
}

/// Parses a raw, percent-encoded query string (`code=…&date=…`).
pub fn parse_query(query: &str) -> Result<ObservationSearch, Invalid<SearchProblem>> {
    let pairs = decode_pairs(query)?;
    parse_params(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

/// The `(name, value)` pairs of a raw query string, decoded.
fn decode_pairs(query: &str) -> Result<Vec<(String, String)>, Invalid<SearchProblem>> {
    let mut pairs = Vec::new();
    let mut problems = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        match (decode(name), decode(value)) {
            (Some(name), Some(value)) => pairs.push((name, value)),
            _ => problems.push(SearchProblem::Encoding(part.to_owned())),
        }
    }
    Invalid::check(problems, || pairs)
}

/// A search of the patient's audit record (`GET AuditEvent`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditSearch {
    /// Only the accesses of this service (`agent`: a service id, or
    /// `urn:officine:service|<id>`).
    pub service: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub count: Option<u32>,
}

/// Parses a raw query string of `GET AuditEvent`: `agent`, `date`, `_count`.
pub fn parse_audit_query(query: &str) -> Result<AuditSearch, Invalid<SearchProblem>> {
    let pairs = decode_pairs(query)?;
    let mut search = AuditSearch::default();
    let mut problems = Vec::new();
    let mut counted = false;
    for (name, value) in &pairs {
        if !matches!(name.as_str(), "agent" | "date" | "_count" | "_format") {
            let problem = match name.split_once(':') {
                Some(_) => SearchProblem::Modifier(name.clone()),
                None => SearchProblem::Unsupported(name.clone(), "agent, date, _count"),
            };
            problems.push(problem);
            continue;
        }
        if value.is_empty() {
            problems.push(SearchProblem::Empty(name.clone()));
            continue;
        }
        match name.as_str() {
            "agent" => {
                let id = value
                    .strip_prefix(super::SERVICE_SYSTEM)
                    .and_then(|rest| rest.strip_prefix('|'))
                    .unwrap_or(value);
                search.service = Some(id.to_owned());
            }
            "date" => date(&mut search.since, &mut search.until, value, &mut problems),
            "_count" => count(&mut search.count, &mut counted, value, &mut problems),
            _ => format(value, &mut problems),
        }
    }
    Invalid::check(problems, || search)
}

/// Parses decoded `(name, value)` pairs, as a web framework hands them.
pub fn parse_params<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<ObservationSearch, Invalid<SearchProblem>> {
    let mut search = ObservationSearch::default();
    let mut problems = Vec::new();
    let mut counted = false;
    for (name, value) in params {
        let (base, modifier) = name.split_once(':').unwrap_or((name, ""));
        if !matches!(base, "code" | "date" | "_count" | "_format") {
            problems.push(SearchProblem::Unsupported(
                name.to_owned(),
                "code, date, _count",
            ));
            continue;
        }
        if !modifier.is_empty() {
            problems.push(SearchProblem::Modifier(name.to_owned()));
            continue;
        }
        if value.is_empty() {
            problems.push(SearchProblem::Empty(name.to_owned()));
            continue;
        }
        match base {
            "code" => codes(&mut search, value, &mut problems),
            "date" => date(&mut search.since, &mut search.until, value, &mut problems),
            "_count" => count(&mut search.count, &mut counted, value, &mut problems),
            _ => format(value, &mut problems),
        }
    }
    Invalid::check(problems, || search)
}

fn count(
    count: &mut Option<u32>,
    counted: &mut bool,
    value: &str,
    problems: &mut Vec<SearchProblem>,
) {
    if *counted {
        problems.push(SearchProblem::RepeatedCount);
    }
    *counted = true;
    match value.parse::<u32>() {
        Ok(n) => *count = Some(n.min(MAX_COUNT)),
        Err(_) if value.bytes().all(|b| b.is_ascii_digit()) => *count = Some(MAX_COUNT),
        Err(_) => problems.push(SearchProblem::Count(value.to_owned())),
    }
}

fn format(value: &str, problems: &mut Vec<SearchProblem>) {
    if !matches!(value, "json" | "application/json" | "application/fhir+json") {
        problems.push(SearchProblem::Format(value.to_owned()));
    }
}

fn codes(search: &mut ObservationSearch, value: &str, problems: &mut Vec<SearchProblem>) {
    let mut kinds = Vec::new();
    for token in value.split(',') {
        let code = match token.split_once('|') {
            Some((LOINC, code)) => code,
            Some(_) => {
                problems.push(SearchProblem::NotLoinc(token.to_owned()));
                continue;
            }
            None => token,
        };
        match MeasureKind::from_loinc(code) {
            Some(kind) => kinds.push(kind),
            None => problems.push(SearchProblem::UnknownCode(token.to_owned())),
        }
    }
    // Alternatives within one parameter, and every parameter must hold.
    let narrowed: Vec<MeasureKind> = MeasureKind::ALL
        .into_iter()
        .filter(|k| kinds.contains(k) && search.wants(*k))
        .collect();
    search.kinds = Some(narrowed);
}

fn date(
    since_at: &mut Option<i64>,
    until_at: &mut Option<i64>,
    value: &str,
    problems: &mut Vec<SearchProblem>,
) {
    let (prefix, text) = match value.as_bytes() {
        [a, b, ..] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => value.split_at(2),
        _ => ("eq", value),
    };
    let range = match datetime::parse(text) {
        Ok(range) => range,
        Err(error) => {
            problems.push(SearchProblem::BadDate {
                text: value.to_owned(),
                error,
            });
            return;
        }
    };
    let since = |s: &mut Option<i64>, at: i64| *s = Some(s.map_or(at, |v| v.max(at)));
    let until = |u: &mut Option<i64>, at: i64| *u = Some(u.map_or(at, |v| v.min(at)));
    // A measure, an access, is an instant: it is "in" a date's range, or
    // before or after it.
    match prefix {
        "eq" => {
            since(since_at, range.start);
            until(until_at, range.end);
        }
        "ge" => since(since_at, range.start),
        "gt" | "sa" => since(since_at, range.end),
        "le" => until(until_at, range.end),
        "lt" | "eb" => until(until_at, range.start),
        other => problems.push(SearchProblem::Prefix(other.to_owned())),
    }
}

/// Percent-decodes a query component (`+` is a space).
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::OperationOutcome;

    const DAY: i64 = 86_400_000;
    const JAN_1: i64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z

    fn ok(query: &str) -> ObservationSearch {
        parse_query(query).unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    fn refused(query: &str) -> Vec<SearchProblem> {
        parse_query(query).unwrap_err().problems
    }

    #[test]
    fn no_parameter_asks_for_everything() {
        assert_eq!(ok(""), ObservationSearch::default());
        assert!(ok("").wants(MeasureKind::Bmi));
    }

    #[test]
    fn codes_as_tokens_or_bare_with_alternatives() {
        let s = ok("code=http://loinc.org|29463-7,8302-2");
        assert_eq!(
            s.kinds,
            Some(vec![MeasureKind::Weight, MeasureKind::Height])
        );
        let s = ok("code=http%3A%2F%2Floinc.org%7C29463-7");
        assert_eq!(s.kinds, Some(vec![MeasureKind::Weight]));
        assert!(!s.wants(MeasureKind::Height));
        // Two parameters: both must hold.
        let s = ok("code=29463-7,8302-2&code=8302-2,39156-5");
        assert_eq!(s.kinds, Some(vec![MeasureKind::Height]));
        let s = ok("code=29463-7&code=8302-2");
        assert_eq!(s.kinds, Some(vec![]));
    }

    #[test]
    fn bad_codes_are_named() {
        assert_eq!(
            refused("code=http://snomed.info/sct|27113001"),
            vec![SearchProblem::NotLoinc(
                "http://snomed.info/sct|27113001".into()
            )]
        );
        assert_eq!(
            refused("code=29463-7,1234-5"),
            vec![SearchProblem::UnknownCode("1234-5".into())]
        );
        assert_eq!(refused("code="), vec![SearchProblem::Empty("code".into())]);
        assert_eq!(
            refused("code:text=poids"),
            vec![SearchProblem::Modifier("code:text".into())]
        );
    }

    #[test]
    fn dates_with_prefixes_make_a_range() {
        let s = ok("date=ge2025-01-01&date=lt2025-02-01");
        assert_eq!(s.since, Some(JAN_1));
        assert_eq!(s.until, Some(JAN_1 + 31 * DAY));
        let s = ok("date=2025-01-01");
        assert_eq!((s.since, s.until), (Some(JAN_1), Some(JAN_1 + DAY)));
        let s = ok("date=eq2025");
        assert_eq!(s.until, Some(JAN_1 + 365 * DAY));
        let s = ok("date=gt2025-01-01");
        assert_eq!(s.since, Some(JAN_1 + DAY));
        let s = ok("date=le2025-01-01");
        assert_eq!(s.until, Some(JAN_1 + DAY));
        let s = ok("date=sa2025-01-01&date=eb2025-01-03");
        assert_eq!(
            (s.since, s.until),
            (Some(JAN_1 + DAY), Some(JAN_1 + 2 * DAY))
        );
        // A date-time with an offset (its '+' percent-encoded).
        let s = ok("date=ge2025-01-01T01:00:00%2B01:00");
        assert_eq!(s.since, Some(JAN_1));
        // Ranges that exclude each other give nothing, and are not an error.
        let s = ok("date=ge2025-02-01&date=lt2025-01-01");
        assert!(s.is_empty_range());
        assert!(!ok("date=ge2025-01-01").is_empty_range());
        // The tighter bound wins.
        let s = ok("date=ge2025-01-01&date=ge2025-01-10&date=le2025-03-01&date=lt2025-02-01");
        assert_eq!(
            (s.since, s.until),
            (Some(JAN_1 + 9 * DAY), Some(JAN_1 + 31 * DAY))
        );
    }

    #[test]
    fn bad_dates_are_named() {
        assert!(matches!(
            refused("date=ge2025-13-01").as_slice(),
            [SearchProblem::BadDate {
                error: DateError::Syntax,
                ..
            }]
        ));
        assert!(matches!(
            refused("date=ge2025-01-01T10:00:00").as_slice(),
            [SearchProblem::BadDate {
                error: DateError::NoTimeZone,
                ..
            }]
        ));
        assert_eq!(
            refused("date=ne2025"),
            vec![SearchProblem::Prefix("ne".into())]
        );
        assert_eq!(
            refused("date=ap2025"),
            vec![SearchProblem::Prefix("ap".into())]
        );
    }

    #[test]
    fn count_is_bounded() {
        assert_eq!(ok("_count=10").count, Some(10));
        assert_eq!(ok("_count=0").count, Some(0));
        assert_eq!(ok("_count=5000").count, Some(MAX_COUNT));
        assert_eq!(ok("_count=99999999999999999999").count, Some(MAX_COUNT));
        assert_eq!(
            refused("_count=-1"),
            vec![SearchProblem::Count("-1".into())]
        );
        assert_eq!(
            refused("_count=ten"),
            vec![SearchProblem::Count("ten".into())]
        );
        assert_eq!(
            refused("_count=1&_count=2"),
            vec![SearchProblem::RepeatedCount]
        );
    }

    #[test]
    fn anything_else_is_refused_by_name() {
        assert_eq!(ok("_format=json").count, None);
        assert_eq!(
            refused("_format=xml"),
            vec![SearchProblem::Format("xml".into())]
        );
        let problems = refused("_include=Observation:subject&patient=p2&_sort=date&code=29463-7");
        assert_eq!(
            problems,
            vec![
                SearchProblem::Unsupported("_include".into(), "code, date, _count"),
                SearchProblem::Unsupported("patient".into(), "code, date, _count"),
                SearchProblem::Unsupported("_sort".into(), "code, date, _count"),
            ]
        );
        let outcome = OperationOutcome::from(Invalid { problems });
        assert_eq!(outcome.issue.len(), 3);
        assert!(
            outcome
                .issue
                .iter()
                .all(|i| i.code == IssueType::NotSupported)
        );
        assert_eq!(
            refused("code=%E9"),
            vec![SearchProblem::Encoding("code=%E9".into())]
        );
        assert_eq!(
            refused("code=%2"),
            vec![SearchProblem::Encoding("code=%2".into())]
        );
    }

    #[test]
    fn decoded_pairs_work_too() {
        let s = parse_params([("code", "http://loinc.org|8867-4"), ("_count", "3")]).unwrap();
        assert_eq!(s.kinds, Some(vec![MeasureKind::HeartRate]));
        assert_eq!(s.count, Some(3));
    }
}
