//! The manifest as an editor writes it: parsing, validation and error reports.

use officine_registry::{
    DocumentCategory, Event, FieldError, LegalId, Manifest, ManifestError, MeasureKind,
    MedicalDevice, Purpose, Scope, ServiceId, SyntaxError, TextPosition, WritableMeasureKind,
};

/// A manifest using every field.
const FULL: &str = r#"
id = "fr.example.weight-tracker"
version = "1.2.3-beta.1"
name = "Suivi du poids"
editor = "Exemple Santé SAS"
editor-id = "siret:00000000000026"
description = """
Suivez l'évolution de votre poids.
Un rappel quotidien vous invite à vous peser."""
purpose = "prevention"
events = ["measure-added", "daily"]

[consent]
retention = "Vos données sont conservées tant que le service est connecté, puis effacées sous 30 jours."
security = "Hébergement HDS, chiffrement au repos."
recourse = "dpo@example.fr"
legal = ["RGPD art. 9", "CSP L.1111-8"]
medical-device = "class-iia"
accessibility = "Totalement conforme au RGAA 4.1 (audit du 3 mars 2026)."

[[scopes]]
scope = "measures.read:weight"
reason = "Afficher l'évolution de votre poids."

[[scopes]]
scope = "measures.write:weight"
reason = "Enregistrer vos pesées."

[[scopes]]
scope = "dmp.read:lab-results"
reason = "Afficher vos résultats d'analyses."

[[scopes]]
scope = "storage"
reason = "Mémoriser votre objectif."
"#;

/// The smallest valid manifest: no events, no scopes.
const MINIMAL: &str = r#"
id = "fr.example.hello"
version = "0.1.0"
name = "Bonjour"
editor = "Exemple"
editor-id = "finess:750000000"
description = "Dit bonjour."
purpose = "care"

[consent]
retention = "Aucune donnée conservée."
security = "Aucune donnée traitée."
recourse = "contact@example.fr"
legal = ["RGPD"]
medical-device = "none"
accessibility = "Non conforme : aucune page."
"#;

/// `FULL` without the first key-value line that starts with `prefix`
/// (and the rest of its value, if it is a multi-line string).
fn full_without(prefix: &str) -> String {
    let mut lines = FULL.lines();
    let mut kept = Vec::new();
    let mut removed = false;
    while let Some(line) = lines.next() {
        if removed || !line.starts_with(prefix) {
            kept.push(line);
            continue;
        }
        removed = true;
        if line.matches(r#"""""#).count() == 1 {
            for continuation in lines.by_ref() {
                if continuation.contains(r#"""""#) {
                    break;
                }
            }
        }
    }
    assert!(removed, "no line starts with {prefix:?}");
    kept.join("\n")
}

/// `FULL` with the first occurrence of `from` replaced by `to`.
fn full_with(from: &str, to: &str) -> String {
    assert!(FULL.contains(from), "{from:?} is not in FULL");
    FULL.replacen(from, to, 1)
}

/// `MINIMAL` followed by `extra`.
fn minimal_with(extra: &str) -> String {
    format!("{MINIMAL}\n{extra}")
}

/// The field errors of a manifest that must be invalid.
fn field_errors(text: &str) -> Vec<FieldError> {
    match Manifest::from_toml_str(text) {
        Err(ManifestError::Invalid(errors)) => errors,
        Err(other) => panic!("expected field errors, got {other}"),
        Ok(manifest) => panic!("expected field errors, got {manifest:?}"),
    }
}

/// The single field error of a manifest that must be invalid.
fn single_error(text: &str) -> FieldError {
    let errors = field_errors(text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap()
}

fn error(field: &str, problem: &str) -> FieldError {
    FieldError::new(field, problem)
}

#[test]
fn full_manifest_parses_with_all_fields() {
    let manifest = Manifest::from_toml_str(FULL).unwrap();
    assert_eq!(
        manifest.id(),
        &ServiceId::new("fr.example.weight-tracker").unwrap()
    );
    assert_eq!(manifest.version().to_string(), "1.2.3-beta.1");
    assert_eq!(manifest.name(), "Suivi du poids");
    assert_eq!(manifest.editor(), "Exemple Santé SAS");
    assert_eq!(
        manifest.description(),
        "Suivez l'évolution de votre poids.\nUn rappel quotidien vous invite à vous peser."
    );
    assert_eq!(manifest.purpose(), Purpose::Prevention);
    assert_eq!(manifest.events(), [Event::MeasureAdded, Event::Daily]);

    let consent = manifest.consent();
    assert_eq!(
        consent.retention(),
        "Vos données sont conservées tant que le service est connecté, puis effacées sous 30 jours."
    );
    assert_eq!(consent.security(), "Hébergement HDS, chiffrement au repos.");
    assert_eq!(consent.recourse(), "dpo@example.fr");
    assert_eq!(consent.legal(), ["RGPD art. 9", "CSP L.1111-8"]);
    assert_eq!(consent.medical_device(), MedicalDevice::ClassIIa);

    let weight = WritableMeasureKind::new(MeasureKind::Weight).unwrap();
    let scopes: Vec<(Scope, &str)> = manifest
        .requested_scopes()
        .iter()
        .map(|requested| (requested.scope(), requested.reason()))
        .collect();
    assert_eq!(
        scopes,
        [
            (
                Scope::measures_read(Some(MeasureKind::Weight)),
                "Afficher l'évolution de votre poids."
            ),
            (Scope::measures_write(weight), "Enregistrer vos pesées."),
            (
                Scope::dmp_read(Some(DocumentCategory::LabResults)),
                "Afficher vos résultats d'analyses."
            ),
            (Scope::Storage, "Mémoriser votre objectif."),
        ]
    );
    assert_eq!(
        manifest.scopes().collect::<Vec<_>>(),
        scopes.iter().map(|(scope, _)| *scope).collect::<Vec<_>>()
    );
}

#[test]
fn events_and_scopes_are_optional() {
    let manifest = Manifest::from_toml_str(MINIMAL).unwrap();
    assert!(manifest.events().is_empty());
    assert!(manifest.requested_scopes().is_empty());
    assert_eq!(manifest.purpose(), Purpose::Care);

    let manifest =
        Manifest::from_toml_str(&format!("events = []\nscopes = []\n{MINIMAL}")).unwrap();
    assert!(manifest.events().is_empty());
    assert!(manifest.requested_scopes().is_empty());
}

#[test]
fn each_missing_mandatory_field_is_named() {
    for (line, field) in [
        ("id =", "id"),
        ("version =", "version"),
        ("name =", "name"),
        ("editor =", "editor"),
        ("description =", "description"),
        ("purpose =", "purpose"),
        ("retention =", "consent.retention"),
        ("security =", "consent.security"),
        ("recourse =", "consent.recourse"),
        ("legal =", "consent.legal"),
        ("medical-device =", "consent.medical-device"),
        ("accessibility =", "consent.accessibility"),
        ("editor-id =", "editor-id"),
        ("scope =", "scopes[0].scope"),
        ("reason =", "scopes[0].reason"),
    ] {
        assert_eq!(
            single_error(&full_without(line)),
            error(field, "missing"),
            "without {line:?}"
        );
    }
}

#[test]
fn the_editor_legal_identity_is_checked() {
    let manifest = Manifest::from_toml_str(FULL).unwrap();
    assert_eq!(manifest.editor_id().to_string(), "siret:00000000000026");
    let manifest = Manifest::from_toml_str(MINIMAL).unwrap();
    assert_eq!(
        manifest.editor_id(),
        &LegalId::Finess("750000000".to_owned())
    );
    assert_eq!(
        manifest.consent().accessibility(),
        "Non conforme : aucune page."
    );
    for (id, problem) in [
        (
            "siret:00000000000027",
            "SIRET 00000000000027 has a wrong check digit (mistyped?)",
        ),
        ("siret:123", "SIRET \"123\" must be 14 digits"),
        (
            "finess:7500",
            "FINESS \"7500\" must be 9 characters: a département code (two digits, 2A or 2B) \
             and seven digits",
        ),
        (
            "00000000000026",
            "expected siret:<14 digits> or finess:<9 characters>",
        ),
    ] {
        let text = full_with("siret:00000000000026", id);
        assert_eq!(single_error(&text), error("editor-id", problem), "{id}");
    }
}

#[test]
fn missing_consent_sheet_is_one_error_naming_its_fields() {
    let text = MINIMAL.split("[consent]").next().unwrap();
    assert_eq!(
        single_error(text),
        error(
            "consent",
            "missing (the [consent] table: retention, security, recourse, legal, \
             medical-device, accessibility)"
        )
    );
}

#[test]
fn empty_manifest_reports_every_mandatory_field() {
    let fields: Vec<String> = field_errors("")
        .into_iter()
        .map(|error| error.field)
        .collect();
    assert_eq!(
        fields,
        [
            "id",
            "version",
            "name",
            "editor",
            "editor-id",
            "description",
            "purpose",
            "consent"
        ]
    );
}

#[test]
fn several_errors_are_reported_together_in_reference_order() {
    let text = r#"
id = "Fr.Example"
version = "1.0"
name = ""
editor = "Exemple"
editor-id = "siret:12345678901234"
description = "Fait des choses."
purpose = "marketing"
events = ["hourly"]
homepage = "https://example.fr"

[consent]
retention = "30 jours."
security = "Chiffrement."
legal = []
medical-device = "class-2"

[[scopes]]
scope = "measures.read"
reason = "Lire."

[[scopes]]
scope = "measures.write:bmi"
reason = "Écrire l'IMC."

[[scopes]]
scope = "measures.read:weigth"
reason = ""

[[scopes]]
scope = "measures.read"
reason = "Encore."
why = "typo"
"#;
    let errors = field_errors(text);
    let fields: Vec<&str> = errors.iter().map(|error| error.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "id",
            "version",
            "name",
            "editor-id",
            "purpose",
            "events[0]",
            "consent.recourse",
            "consent.legal",
            "consent.medical-device",
            "consent.accessibility",
            "scopes[1].scope",
            "scopes[2].scope",
            "scopes[2].reason",
            "scopes[3].scope",
            "scopes[3].why",
            "homepage",
        ],
        "{errors:#?}"
    );

    let message = ManifestError::Invalid(errors).to_string();
    let mut lines = message.lines();
    assert_eq!(lines.next(), Some("invalid manifest:"));
    assert_eq!(lines.next(), Some("  id: must be lowercase"));
    assert!(
        message.contains("\n  consent.recourse: missing\n"),
        "{message}"
    );
    assert!(
        message.contains("\n  scopes[2].scope: invalid scope \"measures.read:weigth\" at column 15: unknown measure kind \"weigth\""),
        "{message}"
    );
    assert!(
        message.contains("\n  scopes[3].scope: measures.read is already requested by scopes[0]\n"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 17, "{message}");
}

#[test]
fn purpose_must_be_one_of_the_four() {
    assert_eq!(
        single_error(&full_with(r#""prevention""#, r#""marketing""#)),
        error(
            "purpose",
            r#""marketing" is not one of prevention, diagnosis, care, social-follow-up"#
        )
    );
    for (name, purpose) in [
        ("prevention", Purpose::Prevention),
        ("diagnosis", Purpose::Diagnosis),
        ("care", Purpose::Care),
        ("social-follow-up", Purpose::SocialFollowUp),
    ] {
        let text = full_with(r#"purpose = "prevention""#, &format!("purpose = {name:?}"));
        assert_eq!(Manifest::from_toml_str(&text).unwrap().purpose(), purpose);
    }
    // Names are exact: no case folding, no underscores.
    for name in ["Care", "social_follow_up", " care"] {
        let text = full_with(r#"purpose = "prevention""#, &format!("purpose = {name:?}"));
        assert_eq!(single_error(&text).field, "purpose", "{name:?}");
    }
}

#[test]
fn bad_ids_are_refused_with_the_rule_broken() {
    let too_long = format!("fr.{}", "a".repeat(126));
    for (id, problem) in [
        ("fr.Example.tracker", "must be lowercase".to_owned()),
        (
            "tracker",
            "needs at least two dot-separated labels, in reverse-DNS order (e.g. fr.example.service)"
                .to_owned(),
        ),
        (
            "fr.-example",
            "label \"-example\" starts or ends with '-'".to_owned(),
        ),
        (
            "fr.example-",
            "label \"example-\" starts or ends with '-'".to_owned(),
        ),
        (
            "fr..example",
            "has an empty label (a leading or trailing dot, or two dots in a row)".to_owned(),
        ),
        (
            "fr.example_tracker",
            "contains '_'; labels may contain only a-z, 0-9 and '-'".to_owned(),
        ),
        (
            too_long.as_str(),
            "is 129 characters long; the limit is 128".to_owned(),
        ),
        ("", "must not be empty".to_owned()),
    ] {
        let text = full_with(
            r#"id = "fr.example.weight-tracker""#,
            &format!("id = {id:?}"),
        );
        assert_eq!(single_error(&text), error("id", &problem), "{id:?}");
    }
}

#[test]
fn version_must_be_semantic() {
    for version in ["1.0", "v1.0.0", "latest", "1.0.0.0", "01.0.0"] {
        let text = full_with(r#""1.2.3-beta.1""#, &format!("{version:?}"));
        let found = single_error(&text);
        assert_eq!(found.field, "version", "{version:?}");
        assert!(
            found.problem.starts_with("not a semantic version"),
            "{version:?}: {found}"
        );
    }
    // A bare TOML number is not a version string.
    assert_eq!(
        single_error(&full_with(r#""1.2.3-beta.1""#, "1.0")),
        error("version", "expected a string, found a float")
    );
}

#[test]
fn writing_bmi_is_refused_with_its_reason() {
    let found = single_error(&full_with("measures.write:weight", "measures.write:bmi"));
    assert_eq!(found.field, "scopes[1].scope");
    assert_eq!(
        found.problem,
        "invalid scope \"measures.write:bmi\" at column 16: the body mass index is computed \
         by the platform (from weight and height), never written by a service"
    );
    // Reading it is fine.
    let text = full_with("measures.read:weight", "measures.read:bmi");
    let manifest = Manifest::from_toml_str(&text).unwrap();
    assert_eq!(
        manifest.requested_scopes()[0].scope(),
        Scope::measures_read(Some(MeasureKind::Bmi))
    );
}

#[test]
fn unknown_scopes_are_refused_with_what_is_wrong() {
    for (scope, problem) in [
        (
            "fitness.read",
            "invalid scope \"fitness.read\" at column 1: unknown scope area \"fitness\" (expected measures, agenda, dmp, messaging or storage)",
        ),
        (
            "dmp.read:x-rays",
            "invalid scope \"dmp.read:x-rays\" at column 10: unknown document category \"x-rays\" (expected one of summary, prescriptions, \
             reports, lab-results, imaging, vaccinations, prevention, certificates)",
        ),
        (
            "measures.write",
            "invalid scope \"measures.write\" at column 15: writing measures needs the kinds \
             to write (measures.write:<kind>, or a code list); there is no scope to write every kind",
        ),
        (
            "agenda.delete",
            "invalid scope \"agenda.delete\" at column 8: unknown action \"delete\" for agenda (expected agenda.read or agenda.write)",
        ),
        ("", "invalid scope \"\" at column 1: empty scope"),
    ] {
        let text = full_with(r#""dmp.read:lab-results""#, &format!("{scope:?}"));
        assert_eq!(
            single_error(&text),
            error("scopes[2].scope", problem),
            "{scope:?}"
        );
    }
    let found = single_error(&full_with("dmp.read:lab-results", "measures.read:weigth"));
    assert_eq!(found.field, "scopes[2].scope");
    assert!(
        found
            .problem
            .contains("at column 15: unknown measure kind \"weigth\""),
        "{found}"
    );
}

#[test]
fn a_scope_requested_twice_is_refused() {
    let text = full_with("dmp.read:lab-results", "measures.read:weight");
    assert_eq!(
        single_error(&text),
        error(
            "scopes[2].scope",
            "measures.read:weight is already requested by scopes[0]"
        )
    );
    // A broader scope beside a narrower one is not a duplicate.
    let text = full_with("dmp.read:lab-results", "measures.read");
    assert!(Manifest::from_toml_str(&text).is_ok());
}

#[test]
fn scope_reasons_are_mandatory_and_bounded() {
    assert_eq!(
        single_error(&full_with("Enregistrer vos pesées.", "")),
        error("scopes[1].reason", "must not be empty")
    );
    assert_eq!(
        single_error(&full_with("Enregistrer vos pesées.", "   ")),
        error("scopes[1].reason", "must not be empty")
    );
    let long = "é".repeat(501);
    assert_eq!(
        single_error(&full_with("Enregistrer vos pesées.", &long)),
        error(
            "scopes[1].reason",
            "is 501 characters long; the limit is 500"
        )
    );
    let longest = "é".repeat(500);
    assert!(Manifest::from_toml_str(&full_with("Enregistrer vos pesées.", &longest)).is_ok());
}

#[test]
fn text_fields_are_bounded() {
    for (from, field, max) in [
        ("Suivi du poids", "name", 80),
        ("Exemple Santé SAS", "editor", 120),
        ("dpo@example.fr", "consent.recourse", 2000),
    ] {
        assert!(Manifest::from_toml_str(&full_with(from, &"x".repeat(max))).is_ok());
        let problem = format!("is {} characters long; the limit is {max}", max + 1);
        assert_eq!(
            single_error(&full_with(from, &"x".repeat(max + 1))),
            error(field, &problem)
        );
    }
    assert_eq!(
        single_error(&full_with(r#""Suivi du poids""#, r#""Suivi\ndu poids""#)),
        error("name", "must fit on one line")
    );
    assert_eq!(
        single_error(&full_with(r#""Suivi du poids""#, r#""Suivi\u0000""#)),
        error("name", "contains a control character (U+0000)")
    );
}

#[test]
fn unknown_keys_are_errors_with_suggestions() {
    assert_eq!(
        single_error(&minimal_with("").replace("purpose =", "purpose = \"care\"\npurpse =")),
        error("purpse", "unknown field (did you mean purpose?)")
    );
    assert_eq!(
        single_error(&format!("homepage = \"https://example.fr\"\n{MINIMAL}")),
        error(
            "homepage",
            "unknown field (expected id, version, name, editor, editor-id, description, \
             purpose, events, consent, scopes, limits)"
        )
    );
    assert_eq!(
        field_errors(&full_with("medical-device", "medical_device")),
        [
            error("consent.medical-device", "missing"),
            error(
                "consent.medical_device",
                "unknown field (did you mean medical-device?)"
            ),
        ]
    );
    assert_eq!(
        single_error(&minimal_with(
            "[[scopes]]\nscope = \"storage\"\nreason = \"Mémoriser.\"\nwhy = \"x\"\n"
        )),
        error("scopes[0].why", "unknown field (expected scope, reason)")
    );
    assert_eq!(
        single_error(&minimal_with("[extra]\n\"odd key\" = 1\n")),
        error(
            "extra",
            "unknown field (expected id, version, name, editor, editor-id, description, \
             purpose, events, consent, scopes, limits)"
        )
    );
    assert_eq!(
        single_error(&MINIMAL.replace("[consent]", "[consent]\n\"odd key\" = 1")),
        error(
            "consent.\"odd key\"",
            "unknown field (expected retention, security, recourse, legal, medical-device, \
             accessibility)"
        )
    );
}

#[test]
fn top_level_keys_written_under_a_table_are_explained() {
    let problem = "unknown field (scopes is a top-level field: in TOML, keys after a [table] \
                   header belong to that table, so move it above the first header)";
    assert_eq!(
        single_error(&minimal_with("scopes = []")),
        error("consent.scopes", problem)
    );
    let found = single_error(&format!("{FULL}\nevents = []\n"));
    assert_eq!(found.field, "scopes[3].events");
    assert!(
        found.problem.contains("events is a top-level field"),
        "{found}"
    );
}

#[test]
fn every_medical_device_class_is_accepted() {
    for (name, device) in [
        ("none", MedicalDevice::None),
        ("class-i", MedicalDevice::ClassI),
        ("class-iia", MedicalDevice::ClassIIa),
        ("class-iib", MedicalDevice::ClassIIb),
        ("class-iii", MedicalDevice::ClassIII),
    ] {
        let text = full_with(r#""class-iia""#, &format!("{name:?}"));
        let manifest = Manifest::from_toml_str(&text).unwrap();
        assert_eq!(manifest.consent().medical_device(), device);
        assert_eq!(device.is_medical_device(), name != "none");
    }
    for name in ["class-2a", "IIa", "class-iv", "yes", ""] {
        let text = full_with(r#""class-iia""#, &format!("{name:?}"));
        let problem =
            format!("{name:?} is not one of none, class-i, class-iia, class-iib, class-iii");
        assert_eq!(
            single_error(&text),
            error("consent.medical-device", &problem)
        );
    }
}

#[test]
fn legal_texts_need_at_least_one_non_empty_entry() {
    let legal = r#"["RGPD art. 9", "CSP L.1111-8"]"#;
    assert_eq!(
        single_error(&full_with(legal, "[]")),
        error(
            "consent.legal",
            "must list at least one applicable legal text"
        )
    );
    assert_eq!(
        single_error(&full_with(legal, r#"["RGPD", ""]"#)),
        error("consent.legal[1]", "must not be empty")
    );
    assert_eq!(
        single_error(&full_with(legal, r#""RGPD""#)),
        error(
            "consent.legal",
            "expected an array of strings, found a string"
        )
    );
    assert_eq!(
        single_error(&full_with(legal, "[9]")),
        error("consent.legal[0]", "expected a string, found an integer")
    );
}

#[test]
fn consent_texts_must_not_be_empty() {
    for (from, field) in [
        ("Hébergement HDS, chiffrement au repos.", "consent.security"),
        ("dpo@example.fr", "consent.recourse"),
    ] {
        assert_eq!(
            single_error(&full_with(from, "")),
            error(field, "must not be empty")
        );
    }
}

#[test]
fn events_must_be_known_and_distinct() {
    let events = r#"["measure-added", "daily"]"#;
    assert_eq!(
        single_error(&full_with(events, r#"["daily", "hourly"]"#)),
        error(
            "events[1]",
            r#""hourly" is not one of measure-added, daily"#
        )
    );
    assert_eq!(
        single_error(&full_with(events, r#"["daily", "daily"]"#)),
        error("events[1]", "daily is listed twice")
    );
    assert_eq!(
        single_error(&full_with(events, r#""daily""#)),
        error("events", "expected an array of event names, found a string")
    );
}

#[test]
fn wrong_value_types_are_named() {
    assert_eq!(
        single_error(&full_with(r#""Suivi du poids""#, "42")),
        error("name", "expected a string, found an integer")
    );
    assert_eq!(
        single_error(&format!("scopes = \"storage\"\n{MINIMAL}")),
        error(
            "scopes",
            "expected an array of tables ([[scopes]]), found a string"
        )
    );
    assert_eq!(
        single_error(&minimal_with(
            "[scopes]\nscope = \"storage\"\nreason = \"x\""
        )),
        error(
            "scopes",
            "expected an array of tables ([[scopes]]), found a table"
        )
    );
    assert_eq!(
        single_error(&format!("scopes = [\"storage\"]\n{MINIMAL}")),
        error(
            "scopes[0]",
            "expected a table with scope and reason, found a string"
        )
    );
    let without_consent = MINIMAL.split("[consent]").next().unwrap();
    assert_eq!(
        single_error(&format!("consent = \"oui\"\n{without_consent}")),
        error("consent", "expected a table ([consent]), found a string")
    );
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let text = "id = \"fr.example.x\"\nversion = \"0.1.0\"\nname = \"unterminated\n";
    let Err(ManifestError::Syntax(SyntaxError { message, position })) =
        Manifest::from_toml_str(text)
    else {
        panic!("expected a syntax error");
    };
    assert_eq!(position.map(|p| p.line), Some(3), "{message}");
    assert!(!message.is_empty());

    let Err(error) = Manifest::from_toml_str("a = 1\nb = = 2\n") else {
        panic!("expected a syntax error");
    };
    let ManifestError::Syntax(syntax) = &error else {
        panic!("expected a syntax error, got {error}");
    };
    assert_eq!(syntax.position, Some(TextPosition { line: 2, column: 5 }));
    assert!(
        error
            .to_string()
            .starts_with("manifest is not valid TOML: line 2, column 5: "),
        "{error}"
    );

    // A key defined twice is a TOML error, not a field error.
    let Err(ManifestError::Syntax(duplicate)) =
        Manifest::from_toml_str(&format!("{MINIMAL}\n[consent]\n"))
    else {
        panic!("expected a syntax error");
    };
    assert!(duplicate.position.is_some(), "{duplicate}");
}

#[test]
fn load_reads_a_file_and_names_it_when_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("officine.toml");
    std::fs::write(&path, FULL).unwrap();
    assert_eq!(
        Manifest::load(&path).unwrap(),
        Manifest::from_toml_str(FULL).unwrap()
    );

    let missing = dir.path().join("absent.toml");
    let error = Manifest::load(&missing).unwrap_err();
    let ManifestError::Io {
        path: reported,
        source,
    } = &error
    else {
        panic!("expected an I/O error, got {error}");
    };
    assert_eq!(reported, &missing);
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert!(error.to_string().contains("absent.toml"), "{error}");

    std::fs::write(&path, "id = \"fr.x\"\n").unwrap();
    let error = Manifest::load(&path).unwrap_err();
    assert!(
        error.field_errors().iter().any(|e| e.field == "version"),
        "{error}"
    );
}

#[test]
fn serializing_gives_back_an_equivalent_manifest() {
    for text in [FULL, MINIMAL] {
        let manifest = Manifest::from_toml_str(text).unwrap();
        let written = toml::to_string(&manifest).unwrap();
        assert_eq!(
            Manifest::from_toml_str(&written).unwrap(),
            manifest,
            "{written}"
        );
    }
}

#[test]
fn every_scope_alias_parses_in_a_manifest_and_round_trips() {
    let mut text = MINIMAL.to_owned();
    for scope in Scope::aliases() {
        text.push_str(&format!(
            "\n[[scopes]]\nscope = \"{scope}\"\nreason = \"Pour {scope}.\"\n"
        ));
    }
    let manifest = Manifest::from_toml_str(&text).unwrap();
    assert_eq!(
        manifest.scopes().collect::<Vec<_>>(),
        Scope::aliases().collect::<Vec<_>>()
    );
}

#[test]
fn the_example_in_the_editors_reference_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/editors/manifest.md");
    let reference = std::fs::read_to_string(path).unwrap();
    let example = reference
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a ```toml block");
    let manifest = Manifest::from_toml_str(example).unwrap();
    assert_eq!(manifest.id().as_str(), "fr.example.weight-tracker");
    assert_eq!(manifest.requested_scopes().len(), 4);
}

#[test]
fn the_canonical_json_is_one_text_per_manifest() {
    let manifest = Manifest::from_toml_str(FULL).unwrap();
    let json = manifest.canonical_json();
    // Keys sorted, no whitespace outside strings.
    assert!(
        json.starts_with(r#"{"consent":{"accessibility":"#),
        "{json}"
    );
    assert!(json.contains(r#""editor":"Exemple Santé SAS","editor-id":"siret:00000000000026""#));
    assert!(json.contains(r#""scopes":[{"reason":"Afficher l'évolution de votre poids.","scope":"measures.read:weight"}"#));
    assert!(
        json.contains(r#"Suivez l'évolution de votre poids.\nUn rappel"#),
        "{json}"
    );
    let outside_strings: String = json
        .split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, part)| part)
        .collect();
    assert!(
        !outside_strings.contains(char::is_whitespace),
        "{outside_strings}"
    );

    // The same manifest written in another order and layout: the same text.
    let minimal = Manifest::from_toml_str(MINIMAL).unwrap();
    let reordered = r#"
purpose = "care"
description = 'Dit bonjour.'
editor-id = "finess:750000000"
name = "Bonjour"
editor = "Exemple"
version = "0.1.0"
id = "fr.example.hello"
scopes = []

[consent]
accessibility = "Non conforme : aucune page."
medical-device = "none"
legal = [ "RGPD" ]
recourse = """contact@example.fr"""
security = "Aucune donnée traitée."
retention = "Aucune donnée conservée."
"#;
    assert_eq!(
        Manifest::from_toml_str(reordered).unwrap().canonical_json(),
        minimal.canonical_json()
    );

    // And it reads back to the same manifest, with the same checks.
    assert_eq!(Manifest::from_json_str(&json).unwrap(), manifest);
    assert_eq!(
        Manifest::from_json_str(&minimal.canonical_json()).unwrap(),
        minimal
    );
}

#[test]
fn a_json_manifest_gets_the_same_checks_as_toml() {
    let json = Manifest::from_toml_str(MINIMAL).unwrap().canonical_json();
    let without_id = json.replace(r#""editor-id":"finess:750000000","#, "");
    assert_eq!(
        single_error_of(Manifest::from_json_str(&without_id)),
        error("editor-id", "missing")
    );
    let bad_scope = json.replace(
        r#""scopes":[]"#,
        r#""scopes":[{"scope":"measures.write:bmi","reason":"x"}]"#,
    );
    assert_eq!(
        single_error_of(Manifest::from_json_str(&bad_scope)).field,
        "scopes[0].scope"
    );
    for (text, problem) in [
        ("{", "not valid JSON"),
        ("[]", "expected a JSON object"),
        (r#"{"id":null}"#, "null is not a manifest value"),
    ] {
        let found = single_error_of(Manifest::from_json_str(text));
        assert!(found.problem.contains(problem), "{text}: {found}");
    }
}

fn single_error_of(result: Result<Manifest, ManifestError>) -> FieldError {
    match result {
        Err(ManifestError::Invalid(errors)) => {
            assert_eq!(errors.len(), 1, "{errors:#?}");
            errors.into_iter().next().unwrap()
        }
        other => panic!("expected one field error, got {other:?}"),
    }
}
