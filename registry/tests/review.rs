//! The listing review: requirement sets, verdict files, decisions and the
//! workflow, end to end.

use officine_registry::Manifest;
use officine_registry::review::{
    Action, ActionKind, Condition, CoverageProblem, Decision, EvaluationError, Level, Outcome,
    ProofKind, RequirementId, RequirementSet, RequirementSetError, ScopeResource, SetDigest, State,
    VerdictFile, VerdictFileError, WorkflowError, evaluate, next,
};
use officine_registry::{MedicalDevice, Purpose};

/// A valid manifest with this medical-device status, purpose and scopes.
fn manifest(medical_device: &str, purpose: &str, scopes: &[&str]) -> Manifest {
    let mut text = format!(
        r#"
id = "fr.example.tracker"
version = "1.4.0"
name = "Suivi"
editor = "Exemple Santé SAS"
editor-id = "siret:00000000000018"
description = "Suivez vos mesures."
purpose = "{purpose}"

[consent]
retention = "Effacées sous 30 jours après déconnexion."
security = "Hébergement HDS."
recourse = "dpo@example.fr"
legal = ["RGPD art. 9"]
medical-device = "{medical_device}"
accessibility = "Partiellement conforme au RGAA 4.1."
"#
    );
    for scope in scopes {
        text.push_str(&format!(
            "\n[[scopes]]\nscope = \"{scope}\"\nreason = \"Pour le service.\"\n"
        ));
    }
    Manifest::from_toml_str(&text).unwrap()
}

/// A plain service: no medical device, no scope at all.
fn plain() -> Manifest {
    manifest("none", "prevention", &[])
}

fn id(text: &str) -> RequirementId {
    text.parse().unwrap()
}

const HASH: &str = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// A `[[verdict]]` meeting `requirement` with a proof of the first kind it
/// accepts.
fn met(set: &RequirementSet, requirement: &str) -> String {
    let requirement = set.requirement(&id(requirement)).unwrap();
    let kind = requirement.proofs()[0];
    let reference = if kind == ProofKind::Link {
        "https://example.fr/preuve"
    } else {
        HASH
    };
    format!(
        "\n[[verdict]]\nrequirement = \"{}\"\nmet = true\nproofs = [{{ kind = \"{kind}\", ref = \"{reference}\" }}]\n",
        requirement.id()
    )
}

/// A `[[verdict]]` not meeting `requirement`.
fn unmet(requirement: &str, note: &str) -> String {
    format!("\n[[verdict]]\nrequirement = \"{requirement}\"\nmet = false\nnote = \"{note}\"\n")
}

/// A verdict file meeting every binding requirement that applies to
/// `manifest`, except those in `except`, followed by `extra`.
fn verdicts(set: &RequirementSet, manifest: &Manifest, except: &[&str], extra: &str) -> String {
    let mut text = format!("requirement-set = \"{}\"\n", set.reference());
    for requirement in set.applicable(manifest) {
        let name = requirement.id().as_str();
        if requirement.level().is_binding() && !except.contains(&name) {
            text.push_str(&met(set, name));
        }
    }
    text.push_str(extra);
    text
}

fn field_errors(error: &VerdictFileError) -> Vec<String> {
    error
        .field_errors()
        .iter()
        .map(ToString::to_string)
        .collect()
}

// --- Requirement sets ---------------------------------------------------------

#[test]
fn the_builtin_set_parses() {
    let set = RequirementSet::builtin();
    assert_eq!(set.reference().to_string(), "officine-listing@2026.1");
    assert_eq!(set.id(), "officine-listing");
    assert_eq!(set.version().to_string(), "2026.1");
    assert_eq!(set.published().to_string(), "2026-01-15");
    assert!(set.is_published_on(time::macros::date!(2026 - 01 - 15)));
    assert!(!set.is_published_on(time::macros::date!(2026 - 01 - 14)));
    assert_eq!(
        set.digest(),
        SetDigest::of(RequirementSet::BUILTIN_TOML.as_bytes())
    );
    let requirements = set.requirements();
    assert!((12..=20).contains(&requirements.len()));
    let conditional = requirements.iter().filter(|r| r.condition().is_some());
    assert!(conditional.count() >= 2);
    assert!(
        requirements
            .iter()
            .any(|r| r.level() == Level::Recommendation)
    );
    assert!(requirements.iter().any(|r| r.level() == Level::MustNot));
    for requirement in requirements {
        assert!(!requirement.text().trim().is_empty());
        if requirement.level().is_binding() {
            assert!(!requirement.proofs().is_empty(), "{}", requirement.id());
            assert!(requirement.scenario().is_some(), "{}", requirement.id());
        }
    }
    let mdr = set.requirement(&id("MDR-01")).unwrap();
    assert_eq!(mdr.condition(), Some(Condition::MedicalDevice));
    let dmp = set.requirement(&id("DMP-01")).unwrap();
    assert_eq!(
        dmp.condition(),
        Some(Condition::Scope(ScopeResource::Documents))
    );
    // The same set, parsed again, is the same value.
    let again = RequirementSet::from_toml_str(RequirementSet::BUILTIN_TOML).unwrap();
    assert_eq!(&again, set);
    // One byte more is another text, hence another digest.
    let edited = format!("{}\n", RequirementSet::BUILTIN_TOML);
    assert_ne!(
        RequirementSet::from_toml_str(&edited).unwrap().digest(),
        set.digest()
    );
}

#[test]
fn a_set_with_every_kind_of_problem_lists_them_all() {
    let error = RequirementSet::from_toml_str(
        r#"
id = "Officine"
version = "2026"
published = "2026-02-30"
colour = "blue"

[[requirement]]
id = "SEC-01"
text = "Audit."
level = "must"
proofs = ["audit-report"]

[[requirement]]
id = "SEC-01"
text = "Again."
level = "must"
proofs = ["document"]

[[requirement]]
id = "sec-2"
text = " "
level = "must"
proofs = []

[[requirement]]
id = "DMP-01"
text = "Documents."
level = "shall"
if = "scope:dmp"
proofs = ["document", "photo", "document"]
scenario = ""

[[requirement]]
id = "MED-01"
text = "Medical content."
level = "must-not"
if = "pregnant"
title = "misplaced"
"#,
    )
    .unwrap_err();
    let errors: Vec<String> = error
        .field_errors()
        .iter()
        .map(ToString::to_string)
        .collect();
    let expected = [
        r#"id: "Officine" is not a set id"#,
        r#"version: "2026" is not a set version (YYYY.N, e.g. 2026.1)"#,
        r#"published: "2026-02-30" is not a date (YYYY-MM-DD)"#,
        "title: missing",
        "requirement[1].id: SEC-01 is already the id of requirement[0]",
        "requirement[2].id: must start with an uppercase letter",
        "requirement[2].text: must not be empty",
        "requirement[2].proofs: must accept at least one kind of proof",
        r#"requirement[3].level: "shall" is not one of must, must-not, recommendation"#,
        r#"requirement[3].if: scope: "dmp" is not one of measures, agenda, documents, messaging, storage, in requirement DMP-01"#,
        r#"requirement[3].proofs[1]: "photo" is not one of document, screenshot"#,
        "requirement[3].proofs[2]: document is listed twice",
        "requirement[3].scenario: must not be empty",
        r#"requirement[4].if: unknown condition "pregnant""#,
        "in requirement MED-01",
        "requirement[4].proofs: missing",
        "requirement[4].title: unknown field (title is a top-level field",
        "colour: unknown field (expected id, version, published, title, requirement)",
    ];
    for text in expected {
        assert!(
            errors.iter().any(|e| e.contains(text)),
            "{text:?} not in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), expected.len() - 1, "{errors:#?}");
    assert!(
        error
            .to_string()
            .starts_with("invalid requirement set:\n  ")
    );
}

#[test]
fn a_recommendation_may_accept_no_proof_and_dates_may_be_strings() {
    let set = RequirementSet::from_toml_str(
        r#"
id = "small"
version = "2026.2"
published = "2026-03-01"
title = "Small"

[[requirement]]
id = "ECO-02"
text = "Eco-design."
level = "recommendation"
"#,
    )
    .unwrap();
    assert_eq!(set.published().to_string(), "2026-03-01");
    assert!(set.requirements()[0].proofs().is_empty());

    for (published, problem) in [
        ("2026-03-01T10:00:00", "expected a date without a time"),
        ("\"1 March 2026\"", "is not a date (YYYY-MM-DD)"),
        ("20260301", "expected a date (YYYY-MM-DD), found an integer"),
    ] {
        let text = format!(
            "id = \"x\"\nversion = \"2026.1\"\npublished = {published}\ntitle = \"X\"\n\
             [[requirement]]\nid = \"A\"\ntext = \"a\"\nlevel = \"recommendation\"\n"
        );
        let error = RequirementSet::from_toml_str(&text).unwrap_err();
        assert!(error.to_string().contains(problem), "{error}");
    }
    let error = RequirementSet::from_toml_str("id = ").unwrap_err();
    assert!(matches!(error, RequirementSetError::Syntax(_)));
    let error = RequirementSet::from_toml_str(
        "id = \"x\"\nversion = \"2026.1\"\npublished = 2026-01-01\ntitle = \"X\"\n",
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid requirement set:\n  requirement: missing (at least one [[requirement]])"
    );
}

// --- Applicability -------------------------------------------------------------

fn applicable(manifest: &Manifest) -> Vec<String> {
    RequirementSet::builtin()
        .applicable(manifest)
        .map(|r| r.id().to_string())
        .collect()
}

#[test]
fn conditional_requirements_follow_the_manifest() {
    let plain = applicable(&plain());
    for conditional in ["MDR-01", "DMP-01", "WRT-01"] {
        assert!(!plain.contains(&conditional.to_owned()), "{conditional}");
    }
    // Systematic requirements apply to everyone, recommendations included.
    for systematic in ["SEC-01", "SEC-03", "ACC-01", "ECO-01", "ECO-02"] {
        assert!(plain.contains(&systematic.to_owned()), "{systematic}");
    }

    for class in &MedicalDevice::ALL[1..] {
        let device = applicable(&manifest(class.as_str(), "care", &[]));
        assert!(device.contains(&"MDR-01".to_owned()), "{class}");
    }

    let documents = applicable(&manifest("none", "care", &["dmp.read:lab-results"]));
    assert!(documents.contains(&"DMP-01".to_owned()));
    assert!(
        !documents.contains(&"WRT-01".to_owned()),
        "reading is not writing"
    );

    let writes = applicable(&manifest("none", "care", &["measures.write:weight"]));
    assert!(writes.contains(&"WRT-01".to_owned()));
    assert!(!writes.contains(&"DMP-01".to_owned()));

    // The service's private storage is not the patient's record.
    let storage = applicable(&manifest("none", "care", &["storage"]));
    assert!(!storage.contains(&"WRT-01".to_owned()));

    // Every requirement applies to a medical device that writes documents.
    let all = applicable(&manifest("class-iib", "diagnosis", &["dmp.write"]));
    assert_eq!(all.len(), RequirementSet::builtin().requirements().len());
}

#[test]
fn each_condition_reads_its_part_of_the_manifest() {
    let m = manifest(
        "class-i",
        "social-follow-up",
        &["agenda.read", "messaging.send", "storage"],
    );
    assert!(Condition::MedicalDevice.holds(&m));
    assert!(!Condition::MedicalDevice.holds(&plain()));
    for purpose in Purpose::ALL {
        assert_eq!(
            Condition::Purpose(*purpose).holds(&m),
            *purpose == Purpose::SocialFollowUp
        );
    }
    let held: Vec<ScopeResource> = ScopeResource::ALL
        .iter()
        .copied()
        .filter(|r| Condition::Scope(*r).holds(&m))
        .collect();
    assert_eq!(
        held,
        [
            ScopeResource::Agenda,
            ScopeResource::Messaging,
            ScopeResource::Storage
        ]
    );
    assert!(Condition::Writes.holds(&m), "messaging.send adds a message");
    assert!(!Condition::Writes.holds(&manifest("none", "care", &["agenda.read", "storage"])));
    assert!(Condition::Writes.holds(&manifest("none", "care", &["agenda.write"])));
}

// --- Decisions ---------------------------------------------------------------

#[test]
fn meeting_every_applicable_requirement_lists() {
    let set = RequirementSet::builtin();
    let m = manifest("class-iia", "care", &["dmp.read", "measures.write:weight"]);
    let file = VerdictFile::from_toml_str(&verdicts(set, &m, &[], ""), set).unwrap();
    let decision = evaluate(set, &m, &file).unwrap();
    assert_eq!(decision.outcome(), &Outcome::Listed);
    assert!(decision.is_listed());
    assert_eq!(
        decision.requirement_set().to_string(),
        "officine-listing@2026.1"
    );
    assert_eq!(decision.requirement_set_digest(), set.digest());
    assert_eq!(decision.service().as_str(), "fr.example.tracker");
    assert_eq!(decision.version(), &semver::Version::new(1, 4, 0));
    // Every requirement of the set is recorded, in order.
    let ids: Vec<_> = decision
        .requirements()
        .iter()
        .map(|r| r.requirement())
        .collect();
    let set_ids: Vec<_> = set.requirements().iter().map(|r| r.id()).collect();
    assert_eq!(ids, set_ids);
    let mdr = decision
        .requirements()
        .iter()
        .find(|r| r.requirement().as_str() == "MDR-01")
        .unwrap();
    assert!(mdr.applicable());
    assert_eq!(mdr.met(), Some(true));
    assert_eq!(mdr.proofs()[0].kind(), ProofKind::Document);
    // An unassessed recommendation has no verdict.
    let eco = decision
        .requirements()
        .iter()
        .find(|r| r.requirement().as_str() == "ECO-02")
        .unwrap();
    assert_eq!((eco.level(), eco.met()), (Level::Recommendation, None));
}

#[test]
fn a_failed_recommendation_does_not_block_listing() {
    let set = RequirementSet::builtin();
    let m = plain();
    let extra = unmet("ACC-02", "No assistance by phone.") + &unmet("ECO-02", "No RGESN review.");
    let file = VerdictFile::from_toml_str(&verdicts(set, &m, &[], &extra), set).unwrap();
    let decision = evaluate(set, &m, &file).unwrap();
    assert_eq!(decision.outcome(), &Outcome::Listed);
    let acc = decision
        .requirements()
        .iter()
        .find(|r| r.requirement().as_str() == "ACC-02")
        .unwrap();
    assert_eq!(acc.met(), Some(false));
    assert_eq!(acc.note(), Some("No assistance by phone."));
}

#[test]
fn an_unmet_requirement_refuses_with_its_reason() {
    let set = RequirementSet::builtin();
    let m = manifest("class-i", "diagnosis", &[]);
    let text = format!(
        "reasons = [\"Resubmit with a new audit.\"]\n{}",
        verdicts(
            set,
            &m,
            &["SEC-01", "MDR-01", "SEC-03"],
            &(unmet("SEC-01", "Two critical findings are open.")
                + &unmet("MDR-01", "No CE certificate provided.")
                + &unmet("SEC-03", "Data is hosted by an uncertified provider.")
                + &unmet("ETH-03", "No explanation of results."))
        )
        .replacen(
            &format!("requirement-set = \"{}\"\n", set.reference()),
            "",
            1
        )
    );
    let text = format!("requirement-set = \"officine-listing@2026.1\"\n{text}");
    let file = VerdictFile::from_toml_str(&text, set).unwrap();
    assert_eq!(file.reasons(), ["Resubmit with a new audit."]);
    let decision = evaluate(set, &m, &file).unwrap();
    assert!(!decision.is_listed());
    // In the set's order, then the overall reasons; never the recommendation.
    assert_eq!(
        decision.outcome(),
        &Outcome::Refused {
            reasons: vec![
                "SEC-01: Two critical findings are open.".to_owned(),
                "SEC-03: Data is hosted by an uncertified provider.".to_owned(),
                "MDR-01: No CE certificate provided.".to_owned(),
                "Resubmit with a new audit.".to_owned(),
            ]
        }
    );
    assert_eq!(decision.comments(), ["Resubmit with a new audit."]);
}

#[test]
fn missing_and_misplaced_verdicts_are_listed() {
    let set = RequirementSet::builtin();
    let m = plain();
    // SEC-01 and ACC-01 forgotten; MDR-01 and DMP-01 judged though they do
    // not apply; a recommendation left out is fine.
    let extra = met(set, "MDR-01") + &met(set, "DMP-01");
    let file =
        VerdictFile::from_toml_str(&verdicts(set, &m, &["SEC-01", "ACC-01"], &extra), set).unwrap();
    let error = evaluate(set, &m, &file).unwrap_err();
    assert_eq!(
        error.problems(),
        [
            CoverageProblem::Missing {
                requirement: id("SEC-01"),
                level: Level::Must
            },
            CoverageProblem::NotApplicable {
                requirement: id("MDR-01"),
                condition: Condition::MedicalDevice
            },
            CoverageProblem::NotApplicable {
                requirement: id("DMP-01"),
                condition: Condition::Scope(ScopeResource::Documents)
            },
            CoverageProblem::Missing {
                requirement: id("ACC-01"),
                level: Level::Must
            },
        ]
    );
    let message = error.to_string();
    assert!(
        message.contains("SEC-01 (must) applies but has no verdict"),
        "{message}"
    );
    assert!(
        message.contains("MDR-01 has a verdict but does not apply: medical-device does not hold"),
        "{message}"
    );
}

#[test]
fn verdicts_checked_against_another_set_are_refused() {
    let other = RequirementSet::from_toml_str(
        &RequirementSet::BUILTIN_TOML.replace("title = \"Officine", "title = \"Edited Officine"),
    )
    .unwrap();
    let set = RequirementSet::builtin();
    assert_eq!(other.reference(), set.reference());
    let m = plain();
    let file = VerdictFile::from_toml_str(&verdicts(&other, &m, &[], ""), &other).unwrap();
    let error = evaluate(set, &m, &file).unwrap_err();
    assert!(
        matches!(error, EvaluationError::OtherText { .. }),
        "{error}"
    );
    assert!(error.to_string().starts_with(
        "the verdicts were checked against another text of officine-listing@2026.1 (sha256:"
    ));

    // A set of another version is another set.
    let next_version = RequirementSet::from_toml_str(
        &RequirementSet::BUILTIN_TOML.replace("version = \"2026.1\"", "version = \"2026.2\""),
    )
    .unwrap();
    let file =
        VerdictFile::from_toml_str(&verdicts(&next_version, &m, &[], ""), &next_version).unwrap();
    assert_eq!(
        evaluate(set, &m, &file).unwrap_err().to_string(),
        "the verdicts were checked against officine-listing@2026.2, not against officine-listing@2026.1"
    );
}

#[test]
fn decisions_round_trip_through_json_and_refuse_tampering() {
    let set = RequirementSet::builtin();
    let m = plain();
    let file = VerdictFile::from_toml_str(
        &verdicts(
            set,
            &m,
            &["SEC-02"],
            &unmet("SEC-02", "No CERT Santé contact."),
        ),
        set,
    )
    .unwrap();
    let decision = evaluate(set, &m, &file).unwrap();
    let json = serde_json::to_string(&decision).unwrap();
    assert!(
        json.contains(r#""requirement-set":"officine-listing@2026.1""#),
        "{json}"
    );
    assert!(json.contains(&format!(r#""requirement-set-digest":"{}""#, set.digest())));
    assert!(json.contains(
        r#""outcome":{"status":"refused","reasons":["SEC-02: No CERT Santé contact."]}"#
    ));
    assert!(json.contains(r#"{"requirement":"MDR-01","level":"must","if":"medical-device","applicable":false,"met":null,"proofs":[],"note":null}"#), "{json}");
    let back: Decision = serde_json::from_str(&json).unwrap();
    assert_eq!(back, decision);

    // Turning the refusal into a listing is noticed.
    let listed = json.replace(
        r#"{"status":"refused","reasons":["SEC-02: No CERT Santé contact."]}"#,
        r#"{"status":"listed"}"#,
    );
    let error = serde_json::from_str::<Decision>(&listed).unwrap_err();
    assert!(error.to_string().contains("listed although"), "{error}");
    // So is a refusal without reasons.
    let no_reasons = json.replace(r#"["SEC-02: No CERT Santé contact."]"#, "[]");
    let error = serde_json::from_str::<Decision>(&no_reasons).unwrap_err();
    assert!(
        error.to_string().contains("a refusal needs reasons"),
        "{error}"
    );
}

// --- Verdict files -------------------------------------------------------------

/// A verdict file with one problem of each kind.
const BAD_VERDICTS: &str = r#"
requirement-set = "officine-listing@2025.1"

[[verdict]]
requirement = "SEC-99"
met = true

[[verdict]]
requirement = "SEC-01"
met = true
proofs = [{ kind = "video", ref = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }]

[[verdict]]
requirement = "SEC-01"
met = true
proofs = [{ kind = "audit-report", ref = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }]

[[verdict]]
requirement = "SEC-02"
met = false

[[verdict]]
requirement = "ACC-01"
met = "yes"
proofs = [{ kind = "link", ref = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }]

[[verdict]]
requirement = "RGPD-01"
met = true
proofs = [{ kind = "document", ref = "ftp://example.fr/doc", size = 3 }]
note = ""
reasons = ["Incomplete file."]
"#;

#[test]
fn a_bad_verdict_file_lists_every_problem() {
    let error = VerdictFile::from_toml_str(BAD_VERDICTS, RequirementSet::builtin()).unwrap_err();
    let errors = field_errors(&error);
    let expected = [
        "requirement-set: officine-listing@2025.1 is not the set under review, officine-listing@2026.1",
        "verdict[0].requirement: SEC-99 is not a requirement of officine-listing@2026.1",
        "verdict[1].proofs[0].kind: SEC-01 does not accept video as proof (it accepts audit-report)",
        "verdict[1].proofs: met = true needs at least one proof of a kind SEC-01 accepts (audit-report)",
        "verdict[2].requirement: SEC-01 already has a verdict, verdict[1]",
        "verdict[3].note: missing (required when met = false",
        "verdict[4].met: expected true or false, found a string",
        "verdict[4].proofs[0].ref: a link is an https:// URL, not a file digest",
        r#"verdict[5].proofs[0].ref: "ftp://example.fr/doc" is neither sha256:<hex>"#,
        "verdict[5].proofs[0].size: unknown field (expected kind, ref)",
        "verdict[5].proofs: met = true needs at least one proof of a kind RGPD-01 accepts (document)",
        "verdict[5].note: must not be empty",
        "verdict[5].reasons: unknown field (reasons is a top-level field",
    ];
    for text in expected {
        assert!(
            errors.iter().any(|e| e.starts_with(text)),
            "{text:?} not in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), expected.len(), "{errors:#?}");
    assert!(error.to_string().starts_with("invalid verdict file:\n  "));
}

/// `(file body after the set reference, the one error expected)`.
const ONE_PROBLEM_EACH: &[(&str, &str)] = &[
    (
        "[[verdict]]\nrequirement = \"NOPE-1\"\nmet = true\n",
        "verdict[0].requirement: NOPE-1 is not a requirement of officine-listing@2026.1",
    ),
    (
        "[[verdict]]\nrequirement = \"ECO-01\"\nmet = false\nnote = \"a\"\n\
         [[verdict]]\nrequirement = \"ECO-01\"\nmet = false\nnote = \"b\"\n",
        "verdict[1].requirement: ECO-01 already has a verdict, verdict[0]",
    ),
    (
        "[[verdict]]\nrequirement = \"ECO-01\"\nmet = true\n\
         proofs = [{ kind = \"audit-report\", ref = \"https://example.fr\" }, \
                   { kind = \"document\", ref = \"https://example.fr/score\" }]\n",
        "verdict[0].proofs[0].kind: ECO-01 does not accept audit-report as proof (it accepts document)",
    ),
    (
        "[[verdict]]\nrequirement = \"ECO-01\"\nmet = true\n",
        "verdict[0].proofs: met = true needs at least one proof of a kind ECO-01 accepts (document)",
    ),
    (
        "[[verdict]]\nrequirement = \"ECO-01\"\nmet = false\n",
        "verdict[0].note: missing (required when met = false: say why the requirement is not met)",
    ),
    (
        "[[verdict]]\nrequirement = \"ECO-02\"\nmet = true\n\
         proofs = [{ kind = \"document\", ref = \"https://example.fr\" }]\n",
        "verdict[0].proofs[0].kind: ECO-02 does not accept document as proof (it accepts none)",
    ),
    (
        "[[verdict]]\nrequirement = \"ECO-01\"\nmet = true\nproof = []\n",
        "verdict[0].proofs: met = true needs at least one proof",
    ),
    (
        "[[verdict]]\nrequirement = \"eco-01\"\nmet = true\n",
        "verdict[0].requirement: must start with an uppercase letter, not 'e'",
    ),
    ("reasons = [\"\"]\n", "reasons[0]: must not be empty"),
    (
        "verdict = 3\n",
        "verdict: expected an array of tables ([[verdict]]), found an integer",
    ),
];

#[test]
fn each_bad_verdict_names_its_error() {
    let set = RequirementSet::builtin();
    for (body, expected) in ONE_PROBLEM_EACH {
        let text = format!("requirement-set = \"officine-listing@2026.1\"\n{body}");
        let error = VerdictFile::from_toml_str(&text, set).unwrap_err();
        let errors = field_errors(&error);
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "{expected:?} not in {errors:#?}"
        );
    }
    let error = VerdictFile::from_toml_str("met = ", set).unwrap_err();
    assert!(matches!(error, VerdictFileError::Syntax(_)));
    let error = VerdictFile::from_toml_str("", set).unwrap_err();
    assert_eq!(field_errors(&error), ["requirement-set: missing"]);
    let error =
        VerdictFile::from_toml_str("requirement-set = \"officine-listing\"", set).unwrap_err();
    assert!(field_errors(&error)[0].contains("is not of the form <id>@<version>"));
}

#[test]
fn a_met_recommendation_needs_no_proof() {
    let set = RequirementSet::builtin();
    let text = "requirement-set = \"officine-listing@2026.1\"\n\
                [[verdict]]\nrequirement = \"ECO-02\"\nmet = true\n";
    let file = VerdictFile::from_toml_str(text, set).unwrap();
    assert!(file.verdict(&id("ECO-02")).unwrap().met());
}

// --- Workflow ----------------------------------------------------------------

fn decision(listed: bool) -> Decision {
    let set = RequirementSet::builtin();
    let m = plain();
    let text = if listed {
        verdicts(set, &m, &[], "")
    } else {
        verdicts(set, &m, &["SEC-01"], &unmet("SEC-01", "Audit missing."))
    };
    let file = VerdictFile::from_toml_str(&text, set).unwrap();
    evaluate(set, &m, &file).unwrap()
}

/// One valid action of each kind (two for Decide: listed and refused).
fn sample_actions() -> Vec<Action> {
    let reason = || "Reason.".to_owned();
    vec![
        Action::Admit,
        Action::Reject {
            reasons: vec![reason()],
        },
        Action::StartReview,
        Action::Decide(decision(true)),
        Action::Decide(decision(false)),
        Action::Suspend { reason: reason() },
        Action::Reinstate { reason: reason() },
        Action::Withdraw { reason: reason() },
    ]
}

/// The transition table, written out independently of `next`.
fn expected(state: State, action: &Action) -> Option<State> {
    use State::*;
    let listed = matches!(action, Action::Decide(d) if d.is_listed());
    Some(match (state, action.kind()) {
        (Submitted, ActionKind::Admit) => Admissible,
        (Submitted, ActionKind::Reject) => Inadmissible,
        (Admissible, ActionKind::StartReview) => InReview,
        (InReview, ActionKind::Decide) if listed => Listed,
        (InReview, ActionKind::Decide) => Refused,
        (Listed, ActionKind::Suspend) => Suspended,
        (Suspended, ActionKind::Reinstate) => Listed,
        (Listed, ActionKind::Withdraw) => Withdrawn,
        (Suspended, ActionKind::Withdraw) => Withdrawn,
        _ => return None,
    })
}

#[test]
fn every_state_and_action_follows_the_table() {
    let actions = sample_actions();
    let mut allowed = 0;
    for &state in State::ALL {
        for action in &actions {
            match (expected(state, action), next(state, action)) {
                (Some(to), Ok(got)) => {
                    assert_eq!(got, to, "{state} + {}", action.kind());
                    allowed += 1;
                }
                (None, Err(error)) => assert_eq!(
                    error,
                    WorkflowError::NotAllowed {
                        state,
                        action: action.kind()
                    }
                ),
                (want, got) => panic!(
                    "{state} + {}: expected {want:?}, got {got:?}",
                    action.kind()
                ),
            }
        }
    }
    assert_eq!(allowed, 9);
    // Final states have no way out; every other state has one.
    for &state in State::ALL {
        let exits = actions.iter().filter(|a| next(state, a).is_ok()).count();
        assert_eq!(exits == 0, state.is_final(), "{state}");
    }
}

#[test]
fn a_version_goes_from_submission_to_withdrawal() {
    let reason = |text: &str| text.to_owned();
    let steps = [
        (Action::Admit, State::Admissible),
        (Action::StartReview, State::InReview),
        (Action::Decide(decision(true)), State::Listed),
        (
            Action::Suspend {
                reason: reason("Vulnerability reported."),
            },
            State::Suspended,
        ),
        (
            Action::Reinstate {
                reason: reason("Fixed in place."),
            },
            State::Listed,
        ),
        (
            Action::Withdraw {
                reason: reason("Editor stopped the service."),
            },
            State::Withdrawn,
        ),
    ];
    let mut state = State::Submitted;
    for (action, to) in steps {
        assert!(!state.is_final());
        state = next(state, &action).unwrap();
        assert_eq!(state, to);
    }
    assert!(state.is_final() && !state.serves_patients());
    assert_eq!(
        next(State::InReview, &Action::Decide(decision(false))),
        Ok(State::Refused)
    );
}

#[test]
fn empty_reasons_are_refused() {
    let missing = |state, action: Action| {
        assert_eq!(
            next(state, &action),
            Err(WorkflowError::MissingReason {
                action: action.kind()
            })
        );
    };
    missing(State::Submitted, Action::Reject { reasons: vec![] });
    missing(
        State::Submitted,
        Action::Reject {
            reasons: vec!["Incomplete.".to_owned(), "  ".to_owned()],
        },
    );
    missing(
        State::Listed,
        Action::Suspend {
            reason: String::new(),
        },
    );
    missing(
        State::Suspended,
        Action::Reinstate {
            reason: "\n".to_owned(),
        },
    );
    missing(
        State::Suspended,
        Action::Withdraw {
            reason: String::new(),
        },
    );
    // An impossible transition is reported as such, reason or not.
    assert_eq!(
        next(
            State::Withdrawn,
            &Action::Suspend {
                reason: String::new()
            }
        ),
        Err(WorkflowError::NotAllowed {
            state: State::Withdrawn,
            action: ActionKind::Suspend
        })
    );
}
