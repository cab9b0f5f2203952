//! What a health professional may read of a patient's space: the documents
//! of the shared medical record (DMP) by the habilitation matrix, and the
//! sections a delegation code opens.
//!
//! Every decision is a pure function of four things, checked in this
//! order:
//!
//! 1. the space: once the patient closed it, nobody reads anything;
//! 2. the patient's overrides, which always win: a professional blocked, a
//!    document hidden from every professional;
//! 3. a delegation the professional entered, if any: the sections it names,
//!    until it ends or is revoked, for the professional it is bound to;
//! 4. for documents, the [`Matrix`]: which professions read which document
//!    categories by default.
//!
//! ```
//! use officine_policy::habilitation::{
//!     Basis, Document, Matrix, Overrides, Professional, Refusal, Space, document_access,
//! };
//! use officine_policy::DocumentCategory;
//!
//! let nurse = Professional { rpps: "10000000002", profession: "60" };
//! let lab = Document { id: "d-1", category: DocumentCategory::LabResults };
//! let certificate = Document { id: "d-2", category: DocumentCategory::Certificates };
//! let mut overrides = Overrides::default();
//! let read = |overrides: &Overrides, document| {
//!     document_access(Matrix::national(), Space::Open, overrides, &nurse, &document, None, 0)
//! };
//! assert_eq!(read(&overrides, lab), Ok(Basis::Matrix));
//! assert!(matches!(read(&overrides, certificate), Err(Refusal::NotForProfession { .. })));
//! overrides.hide("d-1");
//! assert_eq!(read(&overrides, lab), Err(Refusal::Hidden));
//! ```

use std::collections::BTreeSet;
use std::fmt;

use crate::DocumentCategory;

/// A profession of the national nomenclature of health professions, by
/// the code RPPS gives it (`10` for a physician).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProfessionKind {
    Physician,
    Pharmacist,
    Dentist,
    Midwife,
    Nurse,
    Physiotherapist,
    Podiatrist,
    SpeechTherapist,
    Orthoptist,
    OccupationalTherapist,
    Dietitian,
    Psychomotrician,
    Radiographer,
}

impl ProfessionKind {
    /// Every profession the matrix has a row for.
    pub const ALL: [ProfessionKind; 13] = [
        ProfessionKind::Physician,
        ProfessionKind::Pharmacist,
        ProfessionKind::Dentist,
        ProfessionKind::Midwife,
        ProfessionKind::Nurse,
        ProfessionKind::Physiotherapist,
        ProfessionKind::Podiatrist,
        ProfessionKind::SpeechTherapist,
        ProfessionKind::Orthoptist,
        ProfessionKind::OccupationalTherapist,
        ProfessionKind::Dietitian,
        ProfessionKind::Psychomotrician,
        ProfessionKind::Radiographer,
    ];

    /// Its code in the nomenclature.
    pub fn code(self) -> &'static str {
        match self {
            ProfessionKind::Physician => "10",
            ProfessionKind::Pharmacist => "21",
            ProfessionKind::Dentist => "40",
            ProfessionKind::Midwife => "50",
            ProfessionKind::Nurse => "60",
            ProfessionKind::Physiotherapist => "70",
            ProfessionKind::Podiatrist => "80",
            ProfessionKind::SpeechTherapist => "91",
            ProfessionKind::Orthoptist => "92",
            ProfessionKind::OccupationalTherapist => "94",
            ProfessionKind::Dietitian => "95",
            ProfessionKind::Psychomotrician => "96",
            ProfessionKind::Radiographer => "98",
        }
    }

    /// The profession with this code, if the matrix knows it.
    pub fn from_code(code: &str) -> Option<ProfessionKind> {
        ProfessionKind::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// Which document categories each profession reads by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    rows: Vec<(ProfessionKind, BTreeSet<DocumentCategory>)>,
}

impl Matrix {
    /// Officine's default matrix, in the spirit of the national one: a
    /// physician or a midwife reads the whole record; other professions the
    /// categories their care needs (a pharmacist the prescriptions,
    /// vaccinations, lab results and prevention; a physiotherapist the
    /// prescriptions, reports and imaging…). Certificates are for
    /// physicians and midwives only.
    pub fn national() -> &'static Matrix {
        use DocumentCategory::*;
        use ProfessionKind::*;
        static NATIONAL: std::sync::OnceLock<Matrix> = std::sync::OnceLock::new();
        NATIONAL.get_or_init(|| {
            let therapy: &[DocumentCategory] = &[Prescriptions, Reports];
            Matrix::from_rows([
                (Physician, &DocumentCategory::ALL[..]),
                (Midwife, &DocumentCategory::ALL[..]),
                (
                    Pharmacist,
                    &[Prescriptions, Vaccinations, LabResults, Prevention][..],
                ),
                (
                    Dentist,
                    &[Summary, Prescriptions, Reports, Imaging, Vaccinations][..],
                ),
                (
                    Nurse,
                    &[
                        Summary,
                        Prescriptions,
                        Reports,
                        LabResults,
                        Vaccinations,
                        Prevention,
                    ][..],
                ),
                (Physiotherapist, &[Prescriptions, Reports, Imaging][..]),
                (Podiatrist, therapy),
                (SpeechTherapist, therapy),
                (Orthoptist, therapy),
                (OccupationalTherapist, therapy),
                (Dietitian, &[Prescriptions, Reports, LabResults][..]),
                (Psychomotrician, therapy),
                (Radiographer, &[Prescriptions, Imaging][..]),
            ])
        })
    }

    /// A matrix from its rows; a profession without a row reads nothing.
    pub fn from_rows<'a>(
        rows: impl IntoIterator<Item = (ProfessionKind, &'a [DocumentCategory])>,
    ) -> Matrix {
        Matrix {
            rows: rows
                .into_iter()
                .map(|(profession, categories)| (profession, categories.iter().copied().collect()))
                .collect(),
        }
    }

    /// Whether `profession` reads documents of `category` by default.
    pub fn reads(&self, profession: ProfessionKind, category: DocumentCategory) -> bool {
        self.rows
            .iter()
            .any(|(p, categories)| *p == profession && categories.contains(&category))
    }
}

/// Whether the patient's space is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    Open,
    /// The patient objected to it, or closed it: no professional reads
    /// anything any more.
    Closed,
}

/// The patient's own rules, which always win over the matrix and over any
/// delegation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Professionals, by RPPS number, who read nothing of this patient.
    blocked: BTreeSet<String>,
    /// Documents, by id, no professional reads.
    hidden: BTreeSet<String>,
}

impl Overrides {
    pub fn block(&mut self, rpps: impl Into<String>) {
        self.blocked.insert(rpps.into());
    }

    pub fn hide(&mut self, document: impl Into<String>) {
        self.hidden.insert(document.into());
    }

    pub fn is_blocked(&self, rpps: &str) -> bool {
        self.blocked.contains(rpps)
    }

    pub fn is_hidden(&self, document: &str) -> bool {
        self.hidden.contains(document)
    }
}

/// The professional asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Professional<'a> {
    /// Their RPPS number.
    pub rpps: &'a str,
    /// Their profession's code in the nomenclature.
    pub profession: &'a str,
}

/// A document of the record, as the decision needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document<'a> {
    pub id: &'a str,
    pub category: DocumentCategory,
}

/// A section of the patient's space a delegation can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Measures,
    Agenda,
    Documents,
    Messages,
}

impl Section {
    pub const ALL: [Section; 4] = [
        Section::Measures,
        Section::Agenda,
        Section::Documents,
        Section::Messages,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Measures => "measures",
            Section::Agenda => "agenda",
            Section::Documents => "documents",
            Section::Messages => "messages",
        }
    }

    pub fn parse(text: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A temporary delegation the patient made, as a professional entered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    /// The sections it opens.
    pub sections: BTreeSet<Section>,
    /// The professional (RPPS number) it is bound to; `None` for any
    /// professional who enters it.
    pub professional: Option<String>,
    /// When it ends (ms since the Unix epoch).
    pub expires_at: i64,
    /// Revoked by the patient.
    pub revoked: bool,
}

/// Why a professional reads something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Their profession's row of the matrix.
    Matrix,
    /// A delegation from the patient.
    Delegation,
}

/// Why a professional reads nothing here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the patient closed their space")]
    SpaceClosed,
    #[error("the patient blocked this professional")]
    Blocked,
    #[error("the patient hid this document from professionals")]
    Hidden,
    #[error("the delegation was revoked")]
    DelegationRevoked,
    #[error("the delegation has expired")]
    DelegationExpired,
    #[error("the delegation is bound to another professional")]
    DelegationForAnother,
    #[error("no delegation opens the {0} section")]
    NotDelegated(Section),
    #[error("profession {profession} does not read {category} documents")]
    NotForProfession {
        profession: String,
        category: DocumentCategory,
    },
}

/// Whether `delegation` holds for the professional `rpps` at `now`, in
/// this space under these overrides: what a code's entry checks, before
/// any section is read.
pub fn delegation_holds(
    space: Space,
    overrides: &Overrides,
    rpps: &str,
    delegation: &Delegation,
    now: i64,
) -> Result<(), Refusal> {
    if space == Space::Closed {
        return Err(Refusal::SpaceClosed);
    }
    if overrides.is_blocked(rpps) {
        return Err(Refusal::Blocked);
    }
    standing(rpps, delegation, now)
}

/// The delegation's own terms: in force, and for this professional.
fn standing(rpps: &str, delegation: &Delegation, now: i64) -> Result<(), Refusal> {
    if delegation.revoked {
        Err(Refusal::DelegationRevoked)
    } else if now >= delegation.expires_at {
        Err(Refusal::DelegationExpired)
    } else if delegation
        .professional
        .as_deref()
        .is_some_and(|bound| bound != rpps)
    {
        Err(Refusal::DelegationForAnother)
    } else {
        Ok(())
    }
}

/// Whether `delegation` opens `section` to `reader` at `now`: `None` when
/// there is none to consider.
fn delegated(
    reader: &Professional<'_>,
    section: Section,
    delegation: Option<&Delegation>,
    now: i64,
) -> Option<Result<Basis, Refusal>> {
    let delegation = delegation?;
    Some(standing(reader.rpps, delegation, now).and_then(|()| {
        if delegation.sections.contains(&section) {
            Ok(Basis::Delegation)
        } else {
            Err(Refusal::NotDelegated(section))
        }
    }))
}

/// Whether `reader` may read `document`.
pub fn document_access(
    matrix: &Matrix,
    space: Space,
    overrides: &Overrides,
    reader: &Professional<'_>,
    document: &Document<'_>,
    delegation: Option<&Delegation>,
    now: i64,
) -> Result<Basis, Refusal> {
    if space == Space::Closed {
        return Err(Refusal::SpaceClosed);
    }
    if overrides.is_blocked(reader.rpps) {
        return Err(Refusal::Blocked);
    }
    if overrides.is_hidden(document.id) {
        return Err(Refusal::Hidden);
    }
    if let Some(Ok(basis)) = delegated(reader, Section::Documents, delegation, now) {
        return Ok(basis);
    }
    let reads = ProfessionKind::from_code(reader.profession)
        .is_some_and(|profession| matrix.reads(profession, document.category));
    if reads {
        Ok(Basis::Matrix)
    } else {
        Err(Refusal::NotForProfession {
            profession: reader.profession.to_owned(),
            category: document.category,
        })
    }
}

/// Whether `reader` may read `section` (measures, agenda, messages: only by
/// delegation; documents: see [`document_access`] for each one).
pub fn section_access(
    space: Space,
    overrides: &Overrides,
    reader: &Professional<'_>,
    section: Section,
    delegation: Option<&Delegation>,
    now: i64,
) -> Result<Basis, Refusal> {
    if space == Space::Closed {
        return Err(Refusal::SpaceClosed);
    }
    if overrides.is_blocked(reader.rpps) {
        return Err(Refusal::Blocked);
    }
    delegated(reader, section, delegation, now).unwrap_or(Err(Refusal::NotDelegated(section)))
}

/// The scopes of a patient's grant as a service opened by a professional
/// may use them: the grant, narrowed by the matrix. A scope on the
/// record's documents keeps the categories the profession reads (and
/// disappears if none is left, or if the profession is unknown); every
/// other scope stays as the patient granted it.
pub fn narrowed_for(profession: &str, scopes: &[crate::Scope]) -> Vec<crate::Scope> {
    use crate::scope::{CodeSet, Codes, ResourceScope, Target};
    let reads: Vec<DocumentCategory> = match ProfessionKind::from_code(profession) {
        Some(kind) => DocumentCategory::ALL
            .into_iter()
            .filter(|category| Matrix::national().reads(kind, *category))
            .collect(),
        None => Vec::new(),
    };
    scopes
        .iter()
        .filter_map(|scope| {
            let crate::Scope::Resource(resource) = scope else {
                return Some(*scope);
            };
            let Target::DocumentReference(codes) = resource.target() else {
                return Some(*scope);
            };
            let kept: Vec<DocumentCategory> = codes
                .set()
                .iter()
                .filter(|category| reads.contains(category))
                .collect();
            if kept.is_empty() {
                return None;
            }
            if kept.len() == codes.set().iter().count() {
                // Nothing taken away: the scope stays as granted.
                return Some(*scope);
            }
            let target = Target::DocumentReference(Codes::Only(CodeSet::of(&kept)));
            ResourceScope::new(target, resource.ops(), resource.since())
                .ok()
                .map(crate::Scope::Resource)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use DocumentCategory::*;

    const ALL: [DocumentCategory; 8] = DocumentCategory::ALL;

    #[test]
    fn the_national_matrix_as_a_table() {
        // (profession code, the categories it reads); every other pair is
        // refused.
        let table: [(&str, &[DocumentCategory]); 13] = [
            ("10", &ALL),
            ("50", &ALL),
            ("21", &[Prescriptions, LabResults, Vaccinations, Prevention]),
            (
                "40",
                &[Summary, Prescriptions, Reports, Imaging, Vaccinations],
            ),
            (
                "60",
                &[
                    Summary,
                    Prescriptions,
                    Reports,
                    LabResults,
                    Vaccinations,
                    Prevention,
                ],
            ),
            ("70", &[Prescriptions, Reports, Imaging]),
            ("80", &[Prescriptions, Reports]),
            ("91", &[Prescriptions, Reports]),
            ("92", &[Prescriptions, Reports]),
            ("94", &[Prescriptions, Reports]),
            ("95", &[Prescriptions, Reports, LabResults]),
            ("96", &[Prescriptions, Reports]),
            ("98", &[Prescriptions, Imaging]),
        ];
        for (code, reads) in table {
            let reader = Professional {
                rpps: "10000000001",
                profession: code,
            };
            for category in ALL {
                let document = Document { id: "d", category };
                let got = document_access(
                    Matrix::national(),
                    Space::Open,
                    &Overrides::default(),
                    &reader,
                    &document,
                    None,
                    0,
                );
                if reads.contains(&category) {
                    assert_eq!(got, Ok(Basis::Matrix), "{code} × {category}");
                } else {
                    assert_eq!(
                        got,
                        Err(Refusal::NotForProfession {
                            profession: code.to_owned(),
                            category
                        }),
                        "{code} × {category}"
                    );
                }
            }
        }
        // A profession the matrix does not know reads nothing.
        let unknown = Professional {
            rpps: "10000000001",
            profession: "99",
        };
        for category in ALL {
            assert!(
                document_access(
                    Matrix::national(),
                    Space::Open,
                    &Overrides::default(),
                    &unknown,
                    &Document { id: "d", category },
                    None,
                    0,
                )
                .is_err()
            );
        }
    }

    /// A case of the decision: the space, the overrides, the delegation
    /// entered, the time, and what must come out.
    type Case<'a> = (
        Space,
        &'a Overrides,
        Option<&'a Delegation>,
        i64,
        Result<Basis, Refusal>,
    );

    fn delegation(sections: &[Section], professional: Option<&str>) -> Delegation {
        Delegation {
            sections: sections.iter().copied().collect(),
            professional: professional.map(str::to_owned),
            expires_at: 1_000,
            revoked: false,
        }
    }

    #[test]
    fn overrides_always_win_then_delegations_then_the_matrix() {
        const DIETITIAN: Professional<'static> = Professional {
            rpps: "10000000003",
            profession: "95",
        };
        let imaging = Document {
            id: "scan",
            category: Imaging,
        };
        let mut blocked = Overrides::default();
        blocked.block(DIETITIAN.rpps);
        let mut hidden = Overrides::default();
        hidden.hide("scan");
        let open = Overrides::default();
        let documents = delegation(&[Section::Documents], Some(DIETITIAN.rpps));
        let revoked = Delegation {
            revoked: true,
            ..documents.clone()
        };
        let other = delegation(&[Section::Documents], Some("10000000099"));
        let measures_only = delegation(&[Section::Measures], None);
        // (space, overrides, delegation, now, expected)
        let cases: Vec<Case<'_>> = vec![
            (
                Space::Open,
                &open,
                None,
                0,
                Err(Refusal::NotForProfession {
                    profession: "95".into(),
                    category: Imaging,
                }),
            ),
            (
                Space::Open,
                &open,
                Some(&documents),
                0,
                Ok(Basis::Delegation),
            ),
            (
                Space::Open,
                &blocked,
                Some(&documents),
                0,
                Err(Refusal::Blocked),
            ),
            (
                Space::Open,
                &hidden,
                Some(&documents),
                0,
                Err(Refusal::Hidden),
            ),
            (
                Space::Closed,
                &open,
                Some(&documents),
                0,
                Err(Refusal::SpaceClosed),
            ),
            // A delegation that does not hold falls back to the matrix.
            (
                Space::Open,
                &open,
                Some(&documents),
                1_000,
                Err(Refusal::NotForProfession {
                    profession: "95".into(),
                    category: Imaging,
                }),
            ),
            (
                Space::Open,
                &open,
                Some(&revoked),
                0,
                Err(Refusal::NotForProfession {
                    profession: "95".into(),
                    category: Imaging,
                }),
            ),
            (
                Space::Open,
                &open,
                Some(&other),
                0,
                Err(Refusal::NotForProfession {
                    profession: "95".into(),
                    category: Imaging,
                }),
            ),
            (
                Space::Open,
                &open,
                Some(&measures_only),
                0,
                Err(Refusal::NotForProfession {
                    profession: "95".into(),
                    category: Imaging,
                }),
            ),
        ];
        for (i, (space, overrides, delegation, now, expected)) in cases.into_iter().enumerate() {
            let got = document_access(
                Matrix::national(),
                space,
                overrides,
                &DIETITIAN,
                &imaging,
                delegation,
                now,
            );
            assert_eq!(got, expected, "case {i}");
        }
        // A physician reads the scan by the matrix, unless it is hidden or
        // they are blocked.
        let physician = Professional {
            rpps: "10000000004",
            profession: "10",
        };
        let read = |overrides: &Overrides| {
            document_access(
                Matrix::national(),
                Space::Open,
                overrides,
                &physician,
                &imaging,
                None,
                0,
            )
        };
        assert_eq!(read(&open), Ok(Basis::Matrix));
        assert_eq!(read(&hidden), Err(Refusal::Hidden));
        let mut blocks_physician = Overrides::default();
        blocks_physician.block(physician.rpps);
        assert_eq!(read(&blocks_physician), Err(Refusal::Blocked));
    }

    #[test]
    fn sections_open_only_by_a_delegation_that_holds() {
        let nurse = Professional {
            rpps: "10000000002",
            profession: "60",
        };
        let open = Overrides::default();
        let any = delegation(&[Section::Measures, Section::Agenda], None);
        let access = |section, delegation: Option<&Delegation>, now| {
            section_access(Space::Open, &open, &nurse, section, delegation, now)
        };
        assert_eq!(
            access(Section::Measures, None, 0),
            Err(Refusal::NotDelegated(Section::Measures))
        );
        assert_eq!(
            access(Section::Measures, Some(&any), 0),
            Ok(Basis::Delegation)
        );
        assert_eq!(
            access(Section::Agenda, Some(&any), 999),
            Ok(Basis::Delegation)
        );
        assert_eq!(
            access(Section::Messages, Some(&any), 0),
            Err(Refusal::NotDelegated(Section::Messages))
        );
        assert_eq!(
            access(Section::Measures, Some(&any), 1_000),
            Err(Refusal::DelegationExpired)
        );
        let revoked = Delegation {
            revoked: true,
            ..any.clone()
        };
        assert_eq!(
            access(Section::Measures, Some(&revoked), 0),
            Err(Refusal::DelegationRevoked)
        );
        let bound = delegation(&[Section::Measures], Some("10000000099"));
        assert_eq!(
            access(Section::Measures, Some(&bound), 0),
            Err(Refusal::DelegationForAnother)
        );
        let mut blocked = Overrides::default();
        blocked.block(nurse.rpps);
        assert_eq!(
            section_access(
                Space::Open,
                &blocked,
                &nurse,
                Section::Measures,
                Some(&any),
                0
            ),
            Err(Refusal::Blocked)
        );
        assert_eq!(
            section_access(
                Space::Closed,
                &open,
                &nurse,
                Section::Measures,
                Some(&any),
                0
            ),
            Err(Refusal::SpaceClosed)
        );
    }

    #[test]
    fn a_grant_opened_by_a_professional_is_narrowed_by_the_matrix() {
        let scopes: Vec<crate::Scope> = [
            "dmp.read",
            "dmp.read:summary",
            "measures.read:weight",
            "storage",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let text = |scopes: Vec<crate::Scope>| -> Vec<String> {
            scopes.iter().map(ToString::to_string).collect()
        };
        // A physician reads every category: nothing changes.
        assert_eq!(text(narrowed_for("10", &scopes)), text(scopes.clone()));
        // A physiotherapist: every document scope keeps only its own
        // categories; the summary alone is gone; the rest stays.
        let physio = narrowed_for("70", &scopes);
        assert_eq!(physio.len(), 3, "{physio:?}");
        let documents: Vec<_> = physio
            .iter()
            .filter_map(|scope| match scope {
                crate::Scope::Resource(r) => match r.target() {
                    crate::scope::Target::DocumentReference(codes) => Some(codes),
                    _ => None,
                },
                crate::Scope::Storage => None,
            })
            .collect();
        assert_eq!(documents.len(), 1);
        for category in DocumentCategory::ALL {
            assert_eq!(
                documents[0].allows(category),
                [Prescriptions, Reports, Imaging].contains(&category),
                "{category}"
            );
        }
        // An unknown profession reads no document.
        assert_eq!(narrowed_for("99", &scopes).len(), 2);
    }

    #[test]
    fn a_delegation_holds_only_open_unblocked_in_force_and_for_its_professional() {
        let rpps = "10000000002";
        let open = Overrides::default();
        let mut blocked = Overrides::default();
        blocked.block(rpps);
        let any = delegation(&[Section::Measures], None);
        let holds = |space, overrides: &Overrides, delegation: &Delegation, now| {
            delegation_holds(space, overrides, rpps, delegation, now)
        };
        assert_eq!(holds(Space::Open, &open, &any, 0), Ok(()));
        assert_eq!(
            holds(Space::Closed, &open, &any, 0),
            Err(Refusal::SpaceClosed)
        );
        assert_eq!(holds(Space::Open, &blocked, &any, 0), Err(Refusal::Blocked));
        assert_eq!(
            holds(Space::Open, &open, &any, 1_000),
            Err(Refusal::DelegationExpired)
        );
        let revoked = Delegation {
            revoked: true,
            ..any.clone()
        };
        assert_eq!(
            holds(Space::Open, &open, &revoked, 0),
            Err(Refusal::DelegationRevoked)
        );
        let other = delegation(&[Section::Measures], Some("10000000099"));
        assert_eq!(
            holds(Space::Open, &open, &other, 0),
            Err(Refusal::DelegationForAnother)
        );
    }

    #[test]
    fn profession_codes_and_sections_read_back() {
        for profession in ProfessionKind::ALL {
            assert_eq!(
                ProfessionKind::from_code(profession.code()),
                Some(profession)
            );
        }
        assert_eq!(ProfessionKind::from_code("11"), None);
        for section in Section::ALL {
            assert_eq!(Section::parse(section.as_str()), Some(section));
        }
        assert_eq!(Section::parse("everything"), None);
    }
}
