//! Verdict files: what a regulator writes after reviewing the proofs, one
//! verdict per requirement, checked against the set under review.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use super::requirements::sha256;
use super::{
    DigestError, ProofKind, Requirement, RequirementId, RequirementSet, STYLE, SetDigest,
    SetReference,
};
use crate::error::{FieldError, Lines, SyntaxError};
use crate::fields::{Fields, parse_table};
use crate::names::text_serde;

/// The keys of the top-level table.
const FILE_FIELDS: &[&str] = &["requirement-set", "reasons", "verdict"];
/// The keys of each `[[verdict]]`.
const VERDICT_FIELDS: &[&str] = &["requirement", "met", "proofs", "note"];
/// The keys of each proof.
const PROOF_FIELDS: &[&str] = &["kind", "ref"];

/// A regulator's verdicts on a submission, checked against one requirement
/// set.
///
/// The only way to get one is [`VerdictFile::from_toml_str`], so every
/// verdict names a requirement of that set, once; its proofs are of kinds
/// the requirement accepts; a met binding requirement has a proof; an unmet
/// one has a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictFile {
    set: SetReference,
    set_digest: SetDigest,
    verdicts: Vec<Verdict>,
    reasons: Vec<String>,
}

impl VerdictFile {
    /// Parses a verdict file and checks it against `set`, the set under
    /// review.
    ///
    /// # Errors
    ///
    /// [`VerdictFileError::Syntax`] if the text is not TOML, otherwise
    /// [`VerdictFileError::Invalid`] listing every problem: a wrong set
    /// reference, an unknown requirement, a second verdict on a requirement,
    /// a proof kind the requirement does not accept, a met requirement
    /// without a proof, an unmet one without a note, missing or unknown
    /// fields.
    pub fn from_toml_str(
        text: &str,
        set: &RequirementSet,
    ) -> Result<VerdictFile, VerdictFileError> {
        let table = parse_table(text).map_err(VerdictFileError::Syntax)?;
        verdict_file(table, set).map_err(VerdictFileError::Invalid)
    }

    /// The requirement set the verdicts are about, e.g.
    /// `officine-listing@2026.1`.
    pub fn requirement_set(&self) -> &SetReference {
        &self.set
    }

    /// The digest of the set the file was checked against.
    pub fn requirement_set_digest(&self) -> SetDigest {
        self.set_digest
    }

    /// The verdicts, in file order, at most one per requirement.
    pub fn verdicts(&self) -> &[Verdict] {
        &self.verdicts
    }

    /// The verdict on requirement `id`, if there is one.
    pub fn verdict(&self, id: &RequirementId) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| &v.requirement == id)
    }

    /// The overall reasons the regulator gave, beyond the verdicts' notes.
    pub fn reasons(&self) -> &[String] {
        &self.reasons
    }
}

/// Why a verdict file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VerdictFileError {
    /// The text is not valid TOML.
    #[error("verdict file is not valid TOML: {0}")]
    Syntax(SyntaxError),
    /// The TOML is well formed but does not fit the requirement set, or
    /// fields are missing, unknown or invalid. Every problem found is listed.
    #[error("invalid verdict file:{}", Lines(.0))]
    Invalid(Vec<FieldError>),
}

impl VerdictFileError {
    /// The field errors, if the file was [`Invalid`](Self::Invalid); empty otherwise.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            VerdictFileError::Invalid(errors) => errors,
            VerdictFileError::Syntax(_) => &[],
        }
    }
}

/// The verdict on one requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    requirement: RequirementId,
    met: bool,
    proofs: Vec<Proof>,
    note: Option<String>,
}

impl Verdict {
    /// The requirement judged.
    pub fn requirement(&self) -> &RequirementId {
        &self.requirement
    }

    /// Whether the requirement is met. For a must-not requirement, met
    /// means the service does not do what is forbidden.
    pub fn met(&self) -> bool {
        self.met
    }

    /// The proofs reviewed.
    pub fn proofs(&self) -> &[Proof] {
        &self.proofs
    }

    /// The regulator's note; always present when the requirement is not met.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

/// A proof reviewed: its kind and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    kind: ProofKind,
    #[serde(rename = "ref")]
    reference: ProofRef,
}

impl Proof {
    /// A proof of kind `kind` at `reference`.
    pub fn new(kind: ProofKind, reference: ProofRef) -> Proof {
        Proof { kind, reference }
    }

    /// What kind of proof it is.
    pub fn kind(&self) -> ProofKind {
        self.kind
    }

    /// Where it is.
    pub fn reference(&self) -> &ProofRef {
        &self.reference
    }
}

/// Where a proof is: an uploaded file, named by its sha256 so the verdict
/// pins its exact content, or a public web page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProofRef {
    /// `sha256:<64 lowercase hex digits>`: an uploaded file.
    File([u8; 32]),
    /// `https://…`: a web page.
    Url(String),
}

impl ProofRef {
    /// The longest URL accepted.
    pub const MAX_URL_LEN: usize = 2048;
}

impl fmt::Display for ProofRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofRef::File(digest) => write!(f, "sha256:{}", hex::encode(digest)),
            ProofRef::Url(url) => f.write_str(url),
        }
    }
}

impl FromStr for ProofRef {
    type Err = ProofRefError;

    fn from_str(text: &str) -> Result<Self, ProofRefError> {
        if text.starts_with("sha256:") {
            return Ok(ProofRef::File(sha256(text)?));
        }
        let Some(rest) = text.strip_prefix("https://") else {
            return Err(ProofRefError::Form(text.to_owned()));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // No credentials in a URL that will be published.
        let valid = !host.is_empty()
            && !host.contains('@')
            && text.len() <= Self::MAX_URL_LEN
            && !text.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(ProofRef::Url(text.to_owned()))
        } else {
            Err(ProofRefError::Url(text.to_owned()))
        }
    }
}

text_serde!(ProofRef);

/// Why a text is not a [`ProofRef`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofRefError {
    /// Neither a digest nor an https URL.
    #[error("{0:?} is neither sha256:<hex> (an uploaded file) nor an https:// URL")]
    Form(String),
    /// `sha256:` followed by something other than 64 lowercase hex digits.
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// `https://` but no host, a space, credentials or too long.
    #[error(
        "{0:?} is not a usable https URL (a host without credentials, no spaces, \
         at most 2048 characters)"
    )]
    Url(String),
}

/// Checks a whole verdict file against `set`.
fn verdict_file(mut table: Table, set: &RequirementSet) -> Result<VerdictFile, Vec<FieldError>> {
    let mut c = Fields::new(STYLE);
    let reference = c.parsed(
        "requirement-set",
        table.remove("requirement-set"),
        str::parse::<SetReference>,
    );
    if let Some(found) = &reference
        && found != set.reference()
    {
        c.report(
            "requirement-set",
            format!("{found} is not the set under review, {}", set.reference()),
        );
    }
    let reasons = reasons(&mut c, table.remove("reasons"));
    let verdicts = verdicts(&mut c, table.remove("verdict"), set);
    c.unknown_fields("", table, FILE_FIELDS, &[]);
    let file = reference.map(|_| VerdictFile {
        set: set.reference().clone(),
        set_digest: set.digest(),
        verdicts,
        reasons,
    });
    c.finish(file)
}

/// `reasons`: optional, each a non-empty text.
fn reasons(c: &mut Fields, value: Option<Value>) -> Vec<String> {
    const FIELD: &str = "reasons";
    let items = c
        .array(FIELD, value, "an array of strings")
        .unwrap_or_default();
    items
        .into_iter()
        .enumerate()
        .filter_map(|(index, item)| c.text(&format!("{FIELD}[{index}]"), Some(item)))
        .collect()
}

/// `[[verdict]]`: each on a requirement of the set, at most once each.
fn verdicts(c: &mut Fields, value: Option<Value>, set: &RequirementSet) -> Vec<Verdict> {
    let mut first_index: HashMap<RequirementId, String> = HashMap::new();
    let mut verdicts = Vec::new();
    for (path, mut table) in c.tables("verdict", value, "an array of tables ([[verdict]])") {
        let field = |key: &str| format!("{path}.{key}");
        let requirement = c
            .parsed(
                &field("requirement"),
                table.remove("requirement"),
                str::parse::<RequirementId>,
            )
            .and_then(|id| match (set.requirement(&id), first_index.get(&id)) {
                (None, _) => {
                    c.report(
                        &field("requirement"),
                        format!("{id} is not a requirement of {}", set.reference()),
                    );
                    None
                }
                (Some(_), Some(first)) => {
                    c.report(
                        &field("requirement"),
                        format!("{id} already has a verdict, {first}"),
                    );
                    None
                }
                (Some(requirement), None) => {
                    first_index.insert(id, path.clone());
                    Some(requirement)
                }
            });
        let met = c.boolean(&field("met"), table.remove("met"));
        let proofs = proofs(c, &field("proofs"), table.remove("proofs"), requirement);
        let note_value = table.remove("note");
        let note_given = note_value.is_some();
        let note = c.optional_text(&field("note"), note_value);

        if let Some(requirement) = requirement {
            let accepted = proofs.iter().any(|proof| requirement.accepts(proof.kind));
            if met == Some(true) && requirement.level().is_binding() && !accepted {
                c.report(
                    &field("proofs"),
                    format!(
                        "met = true needs at least one proof of a kind {} accepts ({})",
                        requirement.id(),
                        kinds(requirement)
                    ),
                );
            }
        }
        // A note given but empty is already reported as such.
        if met == Some(false) && !note_given {
            c.report(
                &field("note"),
                "missing (required when met = false: say why the requirement is not met)",
            );
        }
        c.unknown_fields(&path, table, VERDICT_FIELDS, FILE_FIELDS);

        if let (Some(requirement), Some(met)) = (requirement, met) {
            verdicts.push(Verdict {
                requirement: requirement.id().clone(),
                met,
                proofs,
                note,
            });
        }
    }
    verdicts
}

/// `proofs`: optional; each `{ kind, ref }` of a kind the requirement
/// accepts.
fn proofs(
    c: &mut Fields,
    field: &str,
    value: Option<Value>,
    requirement: Option<&Requirement>,
) -> Vec<Proof> {
    let mut proofs = Vec::new();
    for (path, mut table) in c.tables(field, value, "an array of { kind, ref } tables") {
        let kind_field = format!("{path}.kind");
        let ref_field = format!("{path}.ref");
        let kind = c
            .parsed(&kind_field, table.remove("kind"), str::parse::<ProofKind>)
            .filter(|&kind| match requirement {
                Some(requirement) if !requirement.accepts(kind) => {
                    c.report(
                        &kind_field,
                        format!(
                            "{} does not accept {kind} as proof (it accepts {})",
                            requirement.id(),
                            kinds(requirement)
                        ),
                    );
                    false
                }
                _ => true,
            });
        let reference = c
            .parsed(&ref_field, table.remove("ref"), str::parse::<ProofRef>)
            .filter(|reference| match (kind, reference) {
                (Some(ProofKind::Link), ProofRef::File(_)) => {
                    c.report(&ref_field, "a link is an https:// URL, not a file digest");
                    false
                }
                _ => true,
            });
        c.unknown_fields(&path, table, PROOF_FIELDS, &[]);
        if let (Some(kind), Some(reference)) = (kind, reference) {
            proofs.push(Proof { kind, reference });
        }
    }
    proofs
}

/// The kinds a requirement accepts, for messages.
fn kinds(requirement: &Requirement) -> String {
    if requirement.proofs().is_empty() {
        return "none".to_owned();
    }
    requirement
        .proofs()
        .iter()
        .map(|kind| kind.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_refs() {
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let file: ProofRef = format!("sha256:{hex}").parse().unwrap();
        assert!(matches!(file, ProofRef::File(bytes) if bytes[0] == 0x9f));
        assert_eq!(file.to_string(), format!("sha256:{hex}"));
        let url: ProofRef = "https://example.fr/accessibilite".parse().unwrap();
        assert_eq!(
            url,
            ProofRef::Url("https://example.fr/accessibilite".to_owned())
        );
        assert!("https://example.fr".parse::<ProofRef>().is_ok());

        assert!(matches!(
            "http://example.fr".parse::<ProofRef>(),
            Err(ProofRefError::Form(_))
        ));
        assert!(matches!(
            hex.parse::<ProofRef>(),
            Err(ProofRefError::Form(_))
        ));
        assert!(matches!(
            "sha256:abc".parse::<ProofRef>(),
            Err(ProofRefError::Digest(_))
        ));
        for bad in [
            "https://",
            "https:///path",
            "https://user:secret@example.fr/",
            "https://example.fr/a b",
        ] {
            assert!(
                matches!(bad.parse::<ProofRef>(), Err(ProofRefError::Url(_))),
                "{bad}"
            );
        }
        let long = format!("https://example.fr/{}", "a".repeat(ProofRef::MAX_URL_LEN));
        assert!(matches!(
            long.parse::<ProofRef>(),
            Err(ProofRefError::Url(_))
        ));
    }

    #[test]
    fn proofs_serialize_with_kind_and_ref() {
        let proof = Proof::new(ProofKind::Link, "https://example.fr/rgaa".parse().unwrap());
        let json = serde_json::to_string(&proof).unwrap();
        assert_eq!(json, r#"{"kind":"link","ref":"https://example.fr/rgaa"}"#);
        assert_eq!(serde_json::from_str::<Proof>(&json).unwrap(), proof);
    }
}
