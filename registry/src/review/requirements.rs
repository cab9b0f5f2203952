//! Requirement sets: versioned, published lists of what a service must
//! (or must not) do to be listed, read from TOML.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use sha2::{Digest, Sha256};
use time::Date;
use time::macros::format_description;
use toml::{Table, Value};

use super::{Condition, STYLE};
use crate::error::{FieldError, Lines, SyntaxError};
use crate::fields::{Fields, a, parse_table};
use crate::names::{names, text_serde};
use crate::{Manifest, Sha256Digest};

/// The keys of the top-level table, in reference order.
const SET_FIELDS: &[&str] = &["id", "version", "published", "title", "requirement"];
/// The keys of each `[[requirement]]`.
const REQUIREMENT_FIELDS: &[&str] = &["id", "text", "level", "if", "proofs", "scenario"];

/// A versioned set of requirements, as published before any evaluation
/// against it starts.
///
/// The only way to get one is to parse it, so every set holds a valid header
/// and requirements with distinct ids, known levels, known conditions and,
/// for binding requirements, at least one accepted kind of proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementSet {
    reference: SetReference,
    published: Date,
    title: String,
    requirements: Vec<Requirement>,
    digest: SetDigest,
}

impl RequirementSet {
    /// The TOML text of the set in force, `officine-listing@2026.1`,
    /// exactly as published.
    pub const BUILTIN_TOML: &'static str =
        include_str!("../../requirements/officine-listing-2026.1.toml");

    /// The set in force, `officine-listing@2026.1`, parsed from
    /// [`BUILTIN_TOML`](Self::BUILTIN_TOML).
    pub fn builtin() -> &'static RequirementSet {
        static BUILTIN: LazyLock<RequirementSet> = LazyLock::new(|| {
            RequirementSet::from_toml_str(RequirementSet::BUILTIN_TOML)
                .expect("the built-in requirement set is valid")
        });
        &BUILTIN
    }

    /// Parses and checks the TOML text of a requirement set. Its digest is
    /// that of these exact bytes.
    ///
    /// # Errors
    ///
    /// [`RequirementSetError::Syntax`] if the text is not TOML, otherwise
    /// [`RequirementSetError::Invalid`] listing every missing, unknown or
    /// invalid field.
    pub fn from_toml_str(text: &str) -> Result<RequirementSet, RequirementSetError> {
        let table = parse_table(text).map_err(RequirementSetError::Syntax)?;
        requirement_set(table, SetDigest::of(text.as_bytes())).map_err(RequirementSetError::Invalid)
    }

    /// The set's id, e.g. `officine-listing`.
    pub fn id(&self) -> &str {
        self.reference.id()
    }

    /// The set's version, e.g. `2026.1`.
    pub fn version(&self) -> SetVersion {
        self.reference.version()
    }

    /// The stable reference to this version of the set, e.g.
    /// `officine-listing@2026.1`, which verdict files and decisions carry.
    pub fn reference(&self) -> &SetReference {
        &self.reference
    }

    /// The day the set was published.
    pub fn published(&self) -> Date {
        self.published
    }

    /// Whether the set was published on or before `day`. A review may only
    /// use a set published before it started, so that every candidate knew
    /// the rules beforehand.
    pub fn is_published_on(&self, day: Date) -> bool {
        self.published <= day
    }

    /// The set's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The requirements, in the set's order.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// The requirement with this id, if the set has it.
    pub fn requirement(&self, id: &RequirementId) -> Option<&Requirement> {
        self.requirements.iter().find(|r| &r.id == id)
    }

    /// The requirements that apply to the service this manifest describes.
    pub fn applicable<'a>(
        &'a self,
        manifest: &'a Manifest,
    ) -> impl Iterator<Item = &'a Requirement> + 'a {
        self.requirements
            .iter()
            .filter(move |requirement| requirement.applies_to(manifest))
    }

    /// The sha256 of the set's exact TOML text, which binds a decision to
    /// the very text that was published.
    pub fn digest(&self) -> SetDigest {
        self.digest
    }
}

/// Why a requirement set could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RequirementSetError {
    /// The text is not valid TOML.
    #[error("requirement set is not valid TOML: {0}")]
    Syntax(SyntaxError),
    /// The TOML is well formed but fields are missing, unknown or invalid.
    /// Every problem found is listed.
    #[error("invalid requirement set:{}", Lines(.0))]
    Invalid(Vec<FieldError>),
}

impl RequirementSetError {
    /// The field errors, if the set was [`Invalid`](Self::Invalid); empty otherwise.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            RequirementSetError::Invalid(errors) => errors,
            RequirementSetError::Syntax(_) => &[],
        }
    }
}

/// One requirement of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    id: RequirementId,
    text: String,
    level: Level,
    condition: Option<Condition>,
    proofs: Vec<ProofKind>,
    scenario: Option<String>,
}

impl Requirement {
    /// Its id, unique in the set, e.g. `SEC-01`.
    pub fn id(&self) -> &RequirementId {
        &self.id
    }

    /// What is required.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Must, must not, or only recommended.
    pub fn level(&self) -> Level {
        self.level
    }

    /// When it applies; `None` for a systematic requirement, which applies
    /// to every service.
    pub fn condition(&self) -> Option<Condition> {
        self.condition
    }

    /// The kinds of proof accepted, each once; empty only for a
    /// recommendation.
    pub fn proofs(&self) -> &[ProofKind] {
        &self.proofs
    }

    /// Whether a proof of this kind is accepted.
    pub fn accepts(&self, kind: ProofKind) -> bool {
        self.proofs.contains(&kind)
    }

    /// How a reviewer verifies it, if the set says.
    pub fn scenario(&self) -> Option<&str> {
        self.scenario.as_deref()
    }

    /// Whether it applies to the service this manifest describes.
    pub fn applies_to(&self, manifest: &Manifest) -> bool {
        self.condition
            .is_none_or(|condition| condition.holds(manifest))
    }
}

/// How binding a requirement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// `must`: the service must do it ("DOIT").
    Must,
    /// `must-not`: the service must not do it ("NE DOIT PAS"). A verdict's
    /// `met = true` then means the service does not do it.
    MustNot,
    /// `recommendation`: good practice ("préconisation"); never grounds for
    /// refusal.
    Recommendation,
}

names!(Level {
    Must => "must",
    MustNot => "must-not",
    Recommendation => "recommendation",
});

impl Level {
    /// Whether failing it refuses the listing: true for must and must-not.
    pub fn is_binding(self) -> bool {
        self != Level::Recommendation
    }
}

/// A kind of proof a candidate can upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofKind {
    /// `document`: written documentation, a certificate, a signed statement.
    Document,
    /// `screenshot`.
    Screenshot,
    /// `video`: a recording of the scenario being played.
    Video,
    /// `file`: any other file (a configuration, an export, a data sample).
    File,
    /// `test-report`: the output of a test suite or test platform.
    TestReport,
    /// `audit-report`: the report of an audit by a third party.
    AuditReport,
    /// `link`: a public web page, such as a published statement.
    Link,
}

names!(ProofKind {
    Document => "document",
    Screenshot => "screenshot",
    Video => "video",
    File => "file",
    TestReport => "test-report",
    AuditReport => "audit-report",
    Link => "link",
});

/// A requirement's id: an uppercase letter, then uppercase letters, digits
/// and single dashes, e.g. `SEC-01`; at most 32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequirementId(String);

impl RequirementId {
    /// The longest id accepted.
    pub const MAX_LEN: usize = 32;

    /// Checks and wraps an id.
    ///
    /// # Errors
    ///
    /// If the text breaks the rules above.
    pub fn new(id: impl Into<String>) -> Result<RequirementId, RequirementIdError> {
        let id = id.into();
        let first = id.chars().next().ok_or(RequirementIdError::Empty)?;
        if !first.is_ascii_uppercase() {
            return Err(RequirementIdError::Start(first));
        }
        if let Some(c) = id
            .chars()
            .find(|&c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'))
        {
            return Err(RequirementIdError::Character(c));
        }
        if id.ends_with('-') || id.contains("--") {
            return Err(RequirementIdError::Dashes);
        }
        if id.len() > Self::MAX_LEN {
            return Err(RequirementIdError::TooLong(id.len()));
        }
        Ok(RequirementId(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequirementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RequirementId {
    type Err = RequirementIdError;

    fn from_str(text: &str) -> Result<Self, RequirementIdError> {
        RequirementId::new(text)
    }
}

text_serde!(RequirementId);

/// Why a text is not a [`RequirementId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequirementIdError {
    /// The id is empty.
    #[error("must not be empty")]
    Empty,
    /// The id does not start with an uppercase letter.
    #[error("must start with an uppercase letter, not {0:?}")]
    Start(char),
    /// The id holds a character other than A-Z, 0-9 and `-`.
    #[error("{0:?} is not allowed (only A-Z, 0-9 and -)")]
    Character(char),
    /// The id ends with a dash or has two in a row.
    #[error("dashes must separate parts: none at the end, never two in a row")]
    Dashes,
    /// The id is longer than [`RequirementId::MAX_LEN`].
    #[error("is {0} characters long; the limit is {max}", max = RequirementId::MAX_LEN)]
    TooLong(usize),
}

/// The version of a requirement set: a year and a number within it,
/// written `YYYY.N`, e.g. `2026.1`. Versions order by year, then number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SetVersion {
    year: u16,
    number: u32,
}

impl SetVersion {
    /// The version `year.number`, if the year has four digits and the
    /// number is at least 1.
    pub fn new(year: u16, number: u32) -> Option<SetVersion> {
        ((1000..=9999).contains(&year) && number >= 1).then_some(SetVersion { year, number })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The number within the year, from 1.
    pub fn number(self) -> u32 {
        self.number
    }
}

impl fmt::Display for SetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.year, self.number)
    }
}

impl FromStr for SetVersion {
    type Err = SetReferenceError;

    fn from_str(text: &str) -> Result<Self, SetReferenceError> {
        let error = || SetReferenceError::Version(text.to_owned());
        let (year, number) = text.split_once('.').ok_or_else(error)?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        // One spelling per version: no leading zero, no sign.
        if year.len() != 4 || !digits(year) || !digits(number) || number.starts_with('0') {
            return Err(error());
        }
        let year = year.parse().map_err(|_| error())?;
        let number = number.parse().map_err(|_| error())?;
        SetVersion::new(year, number).ok_or_else(error)
    }
}

/// A reference to one version of a requirement set, written
/// `<id>@<version>`, e.g. `officine-listing@2026.1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SetReference {
    id: String,
    version: SetVersion,
}

impl SetReference {
    /// The longest set id accepted.
    pub const MAX_ID_LEN: usize = 64;

    /// A reference to version `version` of set `id`, whose id is lowercase
    /// letters, digits and single dashes, starting with a letter.
    ///
    /// # Errors
    ///
    /// [`SetReferenceError::Id`] if the id breaks these rules.
    pub fn new(id: impl Into<String>, version: SetVersion) -> Result<Self, SetReferenceError> {
        let id = id.into();
        check_set_id(&id)?;
        Ok(SetReference { id, version })
    }

    /// The set's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The set's version.
    pub fn version(&self) -> SetVersion {
        self.version
    }
}

/// Checks a set id; see [`SetReference::new`].
fn check_set_id(id: &str) -> Result<(), SetReferenceError> {
    let valid = id.len() <= SetReference::MAX_ID_LEN
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.ends_with('-')
        && !id.contains("--");
    if valid {
        Ok(())
    } else {
        Err(SetReferenceError::Id(id.to_owned()))
    }
}

impl fmt::Display for SetReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.id, self.version)
    }
}

impl FromStr for SetReference {
    type Err = SetReferenceError;

    fn from_str(text: &str) -> Result<Self, SetReferenceError> {
        let (id, version) = text
            .split_once('@')
            .ok_or_else(|| SetReferenceError::Form(text.to_owned()))?;
        SetReference::new(id, version.parse()?)
    }
}

text_serde!(SetReference);

/// Why a text is not a [`SetReference`], a set id or a [`SetVersion`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetReferenceError {
    /// No `@` between id and version.
    #[error("{0:?} is not of the form <id>@<version>, e.g. officine-listing@2026.1")]
    Form(String),
    /// The id breaks the rules of [`SetReference::new`].
    #[error(
        "{0:?} is not a set id (lowercase letters, digits and single dashes, \
         starting with a letter, at most 64 characters)"
    )]
    Id(String),
    /// The version is not `YYYY.N`.
    #[error("{0:?} is not a set version (YYYY.N, e.g. 2026.1)")]
    Version(String),
}

/// The sha256 of a requirement set's TOML text; written `sha256:<hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SetDigest(pub [u8; 32]);

impl SetDigest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> SetDigest {
        SetDigest(Sha256::digest(bytes).into())
    }
}

impl fmt::Display for SetDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

impl fmt::Debug for SetDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SetDigest({self})")
    }
}

impl FromStr for SetDigest {
    type Err = DigestError;

    fn from_str(text: &str) -> Result<Self, DigestError> {
        sha256(text).map(SetDigest)
    }
}

/// Reads `sha256:<hex>`. Only lowercase hex is accepted, so that each
/// digest has one spelling and compares as text too.
pub(super) fn sha256(text: &str) -> Result<[u8; 32], DigestError> {
    text.strip_prefix("sha256:")
        .and_then(|hex| hex.parse::<Sha256Digest>().ok())
        .map(|digest| *digest.as_bytes())
        .ok_or_else(|| DigestError(text.to_owned()))
}

/// Why a text is not a `sha256:<hex>` digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a digest (sha256: and 64 lowercase hex digits)")]
pub struct DigestError(pub String);

text_serde!(SetDigest);

/// Checks a whole requirement set.
fn requirement_set(mut table: Table, digest: SetDigest) -> Result<RequirementSet, Vec<FieldError>> {
    let mut c = Fields::new(STYLE);
    let id = c.parsed("id", table.remove("id"), |id| {
        check_set_id(id).map(|()| id.to_owned())
    });
    let version = c.parsed("version", table.remove("version"), str::parse::<SetVersion>);
    let published = date(&mut c, "published", table.remove("published"));
    let title = c.text("title", table.remove("title"));
    let requirements = requirements(&mut c, table.remove("requirement"));
    c.unknown_fields("", table, SET_FIELDS, &[]);

    let set = (|| {
        Some(RequirementSet {
            reference: SetReference {
                id: id?,
                version: version?,
            },
            published: published?,
            title: title?,
            requirements,
            digest,
        })
    })();
    c.finish(set)
}

/// `published`: a TOML local date (`2026-01-15`) or the same as a string.
fn date(c: &mut Fields, field: &str, value: Option<Value>) -> Option<Date> {
    let problem = match value {
        None => "missing".to_owned(),
        Some(Value::Datetime(datetime)) => match datetime.date {
            Some(day) if datetime.time.is_none() && datetime.offset.is_none() => {
                let date = time::Month::try_from(day.month).and_then(|month| {
                    Date::from_calendar_date(i32::from(day.year), month, day.day)
                });
                match date {
                    Ok(date) => return Some(date),
                    Err(error) => format!("not a valid date: {error}"),
                }
            }
            _ => "expected a date without a time (YYYY-MM-DD)".to_owned(),
        },
        Some(Value::String(text)) => {
            match Date::parse(&text, format_description!("[year]-[month]-[day]")) {
                Ok(date) => return Some(date),
                Err(_) => format!("{text:?} is not a date (YYYY-MM-DD)"),
            }
        }
        Some(other) => format!("expected a date (YYYY-MM-DD), found {}", a(&other)),
    };
    c.report(field, problem);
    None
}

/// `[[requirement]]`: at least one, ids distinct.
fn requirements(c: &mut Fields, value: Option<Value>) -> Vec<Requirement> {
    const FIELD: &str = "requirement";
    match &value {
        None => c.report(FIELD, "missing (at least one [[requirement]])"),
        Some(Value::Array(items)) if items.is_empty() => {
            c.report(FIELD, "must list at least one requirement");
        }
        _ => {}
    }
    let mut first_index: HashMap<RequirementId, String> = HashMap::new();
    let mut requirements = Vec::new();
    for (path, table) in c.tables(FIELD, value, "an array of tables ([[requirement]])") {
        let Some(requirement) = requirement(c, &path, table) else {
            continue;
        };
        if let Some(first) = first_index.get(&requirement.id) {
            c.report(
                &format!("{path}.id"),
                format!("{} is already the id of {first}", requirement.id),
            );
            continue;
        }
        first_index.insert(requirement.id.clone(), path);
        requirements.push(requirement);
    }
    requirements
}

/// One `[[requirement]]`.
fn requirement(c: &mut Fields, path: &str, mut table: Table) -> Option<Requirement> {
    let field = |key: &str| format!("{path}.{key}");
    let id = c.parsed(
        &field("id"),
        table.remove("id"),
        str::parse::<RequirementId>,
    );
    let text = c.text(&field("text"), table.remove("text"));
    let level = c.parsed(&field("level"), table.remove("level"), str::parse::<Level>);
    let condition = table.remove("if").and_then(|value| {
        c.parsed(&field("if"), Some(value), |text| {
            text.parse::<Condition>().map_err(|error| match &id {
                // Naming the requirement helps find it in a long set.
                Some(id) => format!("{error}, in requirement {id}"),
                None => error.to_string(),
            })
        })
    });
    let proofs = proof_kinds(c, &field("proofs"), table.remove("proofs"), level);
    let scenario = c.optional_text(&field("scenario"), table.remove("scenario"));
    c.unknown_fields(path, table, REQUIREMENT_FIELDS, SET_FIELDS);
    Some(Requirement {
        id: id?,
        text: text?,
        level: level?,
        condition,
        proofs: proofs?,
        scenario,
    })
}

/// `proofs`: accepted kinds, each once; at least one unless the
/// requirement is only a recommendation, which nobody checks.
fn proof_kinds(
    c: &mut Fields,
    field: &str,
    value: Option<Value>,
    level: Option<Level>,
) -> Option<Vec<ProofKind>> {
    let binding = level.is_none_or(Level::is_binding);
    let expected = ProofKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let Some(value) = value else {
        if binding {
            c.report(
                field,
                format!("missing (the kinds of proof accepted, among {expected})"),
            );
            return None;
        }
        return Some(Vec::new());
    };
    let items = c.array(field, Some(value), "an array of proof kinds")?;
    if items.is_empty() && binding {
        c.report(
            field,
            "must accept at least one kind of proof (only a recommendation may accept none)",
        );
        return None;
    }
    c.distinct(field, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_ids() {
        for id in ["SEC-01", "A", "RGPD-2-B", "X1"] {
            assert_eq!(RequirementId::new(id).unwrap().as_str(), id);
        }
        assert_eq!(RequirementId::new(""), Err(RequirementIdError::Empty));
        assert_eq!(
            RequirementId::new("sec-01"),
            Err(RequirementIdError::Start('s'))
        );
        assert_eq!(
            RequirementId::new("1-SEC"),
            Err(RequirementIdError::Start('1'))
        );
        assert_eq!(
            RequirementId::new("SEC_01"),
            Err(RequirementIdError::Character('_'))
        );
        assert_eq!(RequirementId::new("SEC-"), Err(RequirementIdError::Dashes));
        assert_eq!(
            RequirementId::new("SEC--1"),
            Err(RequirementIdError::Dashes)
        );
        assert_eq!(
            RequirementId::new("A".repeat(33)),
            Err(RequirementIdError::TooLong(33))
        );
        assert!(RequirementId::new("A".repeat(32)).is_ok());
    }

    #[test]
    fn set_versions_have_one_spelling() {
        let version: SetVersion = "2026.1".parse().unwrap();
        assert_eq!((version.year(), version.number()), (2026, 1));
        assert_eq!(version.to_string(), "2026.1");
        assert!("2026.10".parse::<SetVersion>().unwrap() > "2026.9".parse().unwrap());
        assert!("2027.1".parse::<SetVersion>().unwrap() > "2026.9".parse().unwrap());
        for bad in [
            "2026", "2026.0", "2026.01", "26.1", "02026.1", "2026.+1", "2026.1.1", " 2026.1", "x.1",
        ] {
            assert_eq!(
                bad.parse::<SetVersion>(),
                Err(SetReferenceError::Version(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn set_references() {
        let reference: SetReference = "officine-listing@2026.1".parse().unwrap();
        assert_eq!(reference.id(), "officine-listing");
        assert_eq!(reference.to_string(), "officine-listing@2026.1");
        assert!(matches!(
            "officine-listing".parse::<SetReference>(),
            Err(SetReferenceError::Form(_))
        ));
        for bad_id in [
            "Officine@2026.1",
            "-x@2026.1",
            "x-@2026.1",
            "a--b@2026.1",
            "@2026.1",
        ] {
            assert!(
                matches!(
                    bad_id.parse::<SetReference>(),
                    Err(SetReferenceError::Id(_))
                ),
                "{bad_id}"
            );
        }
        assert!(matches!(
            "officine@2026".parse::<SetReference>(),
            Err(SetReferenceError::Version(_))
        ));
    }

    #[test]
    fn digests_are_sha256_of_the_bytes() {
        // sha256 of the empty string.
        let empty = SetDigest::of(b"");
        assert_eq!(
            empty.to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(empty.to_string().parse(), Ok(empty));
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        for bad in [
            hex.to_owned(),
            format!("sha256:{}", hex.to_uppercase()),
            format!("sha256:{}", &hex[1..]),
            format!("sha256:{hex}00"),
            format!("sha512:{hex}"),
        ] {
            assert_eq!(bad.parse::<SetDigest>(), Err(DigestError(bad.clone())));
        }
    }

    #[test]
    fn levels_and_kinds_round_trip() {
        for level in Level::ALL {
            assert_eq!(level.as_str().parse(), Ok(*level));
        }
        for kind in ProofKind::ALL {
            assert_eq!(kind.to_string().parse(), Ok(*kind));
        }
        assert!(Level::Must.is_binding() && Level::MustNot.is_binding());
        assert!(!Level::Recommendation.is_binding());
    }
}
