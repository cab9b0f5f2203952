use proptest::prelude::*;

use super::*;

fn parse(text: &str) -> Scope {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn error(text: &str) -> ScopeError {
    match text.parse::<Scope>() {
        Ok(scope) => panic!("{text:?} parsed as {scope:?}"),
        Err(error) => error,
    }
}

#[test]
fn every_alias_round_trips_in_both_forms() {
    let all: Vec<Scope> = Scope::aliases().collect();
    // 1 + 9 reads, 8 writes (no BMI), 2 agenda, 1 + 8 dmp reads, dmp.write,
    // 2 messaging, storage.
    assert_eq!(all.len(), 33);
    for scope in &all {
        let alias = scope.alias().expect("an alias scope has an alias");
        assert_eq!(scope.to_string(), alias);
        assert_eq!(parse(&alias), *scope, "{alias}");
        let canonical = scope.canonical().to_string();
        assert_eq!(parse(&canonical), *scope, "{canonical}");
    }
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        all.len(),
        "Scope::aliases() lists a scope twice"
    );
}

#[test]
fn aliases_map_onto_the_documented_canonical_scopes() {
    let table = [
        ("measures.read", "patient/Observation.rs"),
        (
            "measures.read:weight",
            "patient/Observation.rs?code=http://loinc.org|29463-7",
        ),
        (
            "measures.read:bmi",
            "patient/Observation.rs?code=http://loinc.org|39156-5",
        ),
        (
            "measures.write:blood-glucose",
            "patient/Observation.c?code=http://loinc.org|2345-7",
        ),
        ("agenda.read", "patient/Appointment.rs"),
        ("agenda.write", "patient/Appointment.cud"),
        ("dmp.read", "patient/DocumentReference.rs"),
        (
            "dmp.read:lab-results",
            "patient/DocumentReference.rs?category=urn:officine:dmp-category|lab-results",
        ),
        ("dmp.write", "patient/DocumentReference.c"),
        ("messaging.read", "patient/Communication.rs"),
        ("messaging.send", "patient/Communication.c"),
        ("storage", "storage"),
    ];
    for (alias, canonical) in table {
        assert_eq!(parse(alias).canonical().to_string(), canonical, "{alias}");
        assert_eq!(parse(canonical).to_string(), alias, "{canonical}");
    }
}

#[test]
fn canonical_scopes_without_alias_print_canonically() {
    for text in [
        "patient/Observation.rs?code=http://loinc.org|29463-7,http://loinc.org|8302-2",
        "patient/Observation.crs?code=http://loinc.org|29463-7",
        "patient/Observation.rs?date=ge2025-01-01",
        "patient/Observation.rs?code=http://loinc.org|2345-7&date=ge2024-02-29",
        "patient/Appointment.cruds",
        "patient/Appointment.s",
        "patient/DocumentReference.c?category=urn:officine:dmp-category|prevention",
        "patient/Communication.rs?date=ge2020-12-31",
    ] {
        let scope = parse(text);
        assert_eq!(scope.alias(), None, "{text}");
        assert_eq!(scope.to_string(), text);
        assert_eq!(scope.canonical().to_string(), text);
    }
}

#[test]
fn codes_are_printed_in_vocabulary_order() {
    let scope =
        parse("patient/Observation.rs?code=http://loinc.org|8302-2,http://loinc.org|29463-7");
    assert_eq!(
        scope.to_string(),
        "patient/Observation.rs?code=http://loinc.org|29463-7,http://loinc.org|8302-2"
    );
    // The order of parameters does not matter either.
    assert_eq!(
        parse("patient/Observation.rs?date=ge2025-03-01&code=http://loinc.org|29463-7"),
        parse("patient/Observation.rs?code=http://loinc.org|29463-7&date=ge2025-03-01"),
    );
}

#[test]
fn a_window_starts_at_midnight_utc() {
    let Scope::Resource(scope) = parse("patient/Appointment.rs?date=ge2025-01-01") else {
        panic!()
    };
    assert_eq!(scope.since().unwrap().millis(), 1_735_689_600_000);
}

#[test]
fn bmi_can_be_read_but_never_written() {
    assert_eq!(
        parse("measures.read:bmi"),
        Scope::measures_read(Some(MeasureKind::Bmi))
    );
    for text in [
        "measures.write:bmi",
        "patient/Observation.c?code=http://loinc.org|39156-5",
        "patient/Observation.crs?code=http://loinc.org|29463-7,http://loinc.org|39156-5",
    ] {
        let found = error(text);
        assert_eq!(
            found.reason(),
            &Reason::ComputedMeasure(ComputedMeasure(MeasureKind::Bmi)),
            "{text}"
        );
        assert!(
            found.to_string().contains("never written by a service"),
            "{found}"
        );
        assert!(
            found.to_string().contains("computed by the platform"),
            "{found}"
        );
    }
}

#[test]
fn there_is_no_scope_to_write_every_measure() {
    for text in [
        "measures.write",
        "measures.write:",
        "patient/Observation.c",
        "patient/Observation.crs",
    ] {
        assert_eq!(error(text).reason(), &Reason::MissingMeasureKind, "{text}");
    }
}

#[test]
fn errors_say_where_and_why() {
    let cases: &[(&str, usize, Reason, &str)] = &[
        ("", 1, Reason::Empty, "empty scope"),
        (
            "fitness.read",
            1,
            Reason::UnknownArea("fitness".into()),
            "unknown scope area \"fitness\"",
        ),
        (
            "Measures.read",
            1,
            Reason::UnknownArea("Measures".into()),
            "unknown scope area",
        ),
        (
            "agenda",
            7,
            Reason::MissingAction { area: "agenda" },
            "agenda.read or agenda.write",
        ),
        (
            "agenda.delete",
            8,
            Reason::UnknownAction {
                area: "agenda",
                action: "delete".into(),
            },
            "unknown action \"delete\" for agenda",
        ),
        (
            "messaging.write",
            11,
            Reason::UnknownAction {
                area: "messaging",
                action: "write".into(),
            },
            "expected messaging.read or messaging.send",
        ),
        (
            "storage.read",
            9,
            Reason::UnexpectedAction {
                area: "storage",
                action: "read".into(),
            },
            "storage takes no action",
        ),
        (
            "agenda.read:today",
            13,
            Reason::UnexpectedQualifier {
                scope: "agenda.read".into(),
                qualifier: "today".into(),
            },
            "agenda.read takes no qualifier (found \":today\")",
        ),
        (
            "measures.read:weigth",
            15,
            Reason::UnknownMeasureKind(UnknownMeasureKind("weigth".into())),
            "unknown measure kind \"weigth\"",
        ),
        (
            "dmp.read:x-rays",
            10,
            Reason::UnknownDocumentCategory(UnknownDocumentCategory("x-rays".into())),
            "unknown document category \"x-rays\"",
        ),
        ("dmp.read:", 10, Reason::EmptyQualifier, "nothing after ':'"),
        (
            "user/Observation.rs",
            1,
            Reason::NotPatientLevel("user/".into()),
            "patient-level",
        ),
        (
            "patient/Obs.rs",
            9,
            Reason::UnknownResource("Obs".into()),
            "unknown resource type \"Obs\"",
        ),
        (
            "patient/Observation",
            20,
            Reason::MissingOps,
            "missing permissions",
        ),
        (
            "patient/Observation.",
            21,
            Reason::MissingOps,
            "missing permissions",
        ),
        (
            "patient/Observation.read",
            21,
            Reason::SmartV1("read".into()),
            "SMART v1",
        ),
        (
            "patient/Observation.rx",
            22,
            Reason::UnknownOp('x'),
            "'x' is not a SMART v2 permission",
        ),
        (
            "patient/Observation.sr",
            22,
            Reason::OpOrder('r'),
            "out of order",
        ),
        (
            "patient/Observation.rr",
            22,
            Reason::OpOrder('r'),
            "repeated",
        ),
        (
            "patient/Observation.rds",
            22,
            Reason::OpNotOffered {
                resource: Resource::Observation,
                op: Op::Delete,
            },
            "Observation does not offer delete",
        ),
        (
            "patient/Communication.rs?code",
            26,
            Reason::MissingValue("code".into()),
            "no '='",
        ),
        (
            "patient/Communication.rs?code=x",
            26,
            Reason::UnknownParameter {
                resource: Resource::Communication,
                name: "code".into(),
            },
            "expected date",
        ),
        (
            "patient/Observation.rs?category=x",
            24,
            Reason::UnknownParameter {
                resource: Resource::Observation,
                name: "category".into(),
            },
            "expected code or date",
        ),
        (
            "patient/Observation.rs?code=",
            29,
            Reason::EmptyValue,
            "empty value",
        ),
        (
            "patient/Observation.rs?code=29463-7",
            29,
            Reason::NotACoding("29463-7".into()),
            "<system>|<code>",
        ),
        (
            "patient/Observation.rs?code=http://snomed.info/sct|1",
            29,
            Reason::WrongSystem {
                expected: LOINC,
                found: "http://snomed.info/sct".into(),
            },
            "expected http://loinc.org",
        ),
        (
            "patient/Observation.rs?code=http://loinc.org|29463-7,http://loinc.org|1-8",
            71,
            Reason::UnknownCode {
                system: LOINC,
                code: "1-8".into(),
            },
            "unknown code \"1-8\"",
        ),
        (
            "patient/Observation.rs?code=http://loinc.org|29463-7,http://loinc.org|29463-7",
            71,
            Reason::DuplicateCode("29463-7".into()),
            "listed twice",
        ),
        (
            "patient/Appointment.rs?date=ge2025-01-01&date=ge2025-01-02",
            42,
            Reason::DuplicateParameter("date".into()),
            "given twice",
        ),
        (
            "patient/Appointment.rs?date=le2025-01-01",
            29,
            Reason::DateComparator("le2025-01-01".into()),
            "lower bound",
        ),
        (
            "patient/Appointment.rs?date=ge2025-02-30",
            29,
            Reason::BadDate("2025-02-30".into()),
            "YYYY-MM-DD",
        ),
    ];
    for (text, column, reason, message) in cases {
        let found = error(text);
        assert_eq!(found.reason(), reason, "{text:?}");
        assert_eq!(found.column(), *column, "{text:?}: {found}");
        let shown = found.to_string();
        assert!(shown.contains(message), "{text:?}: {shown}");
        assert!(shown.contains(&format!("column {column}")), "{shown}");
    }
}

#[test]
fn surrounding_whitespace_is_not_ignored() {
    assert_eq!(
        error(" storage").reason(),
        &Reason::UnknownArea(" storage".into())
    );
    assert_eq!(
        error("measures.read: weight").reason(),
        &Reason::UnknownMeasureKind(UnknownMeasureKind(" weight".into()))
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let found = error("dmp.read:é-x");
    assert_eq!(found.column(), 10);
    let found = error("patient/Observation.rsé");
    assert_eq!(found.column(), 23);
    assert_eq!(found.reason(), &Reason::UnknownOp('é'));
}

fn any_codes<T: Coded>() -> impl Strategy<Value = Codes<T>> {
    let n = T::ALL.len();
    prop_oneof![
        Just(Codes::Any),
        (1u16..(1 << n)).prop_map(move |bits| {
            let codes: Vec<T> = (0..n)
                .filter(|i| bits & 1 << i != 0)
                .map(|i| T::ALL[i])
                .collect();
            Codes::Only(CodeSet::of(&codes))
        }),
    ]
}

fn any_scope() -> impl Strategy<Value = Scope> {
    let target = prop_oneof![
        any_codes::<MeasureKind>().prop_map(Target::Observation),
        Just(Target::Appointment),
        any_codes::<DocumentCategory>().prop_map(Target::DocumentReference),
        Just(Target::Communication),
    ];
    let since = proptest::option::of((1900i32..2200, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| {
        let month = time::Month::try_from(m).unwrap();
        Since::new(Date::from_calendar_date(y, month, d).unwrap())
    }));
    let resource = (target, 1u8..32, since)
        .prop_filter_map("valid combinations only", |(target, bits, since)| {
            ResourceScope::new(target, Ops(bits), since).ok()
        });
    prop_oneof![
        9 => resource.prop_map(Scope::Resource),
        1 => Just(Scope::Storage),
    ]
}

proptest! {
    #[test]
    fn any_scope_round_trips(scope in any_scope()) {
        prop_assert_eq!(scope.to_string().parse::<Scope>(), Ok(scope));
        prop_assert_eq!(scope.canonical().to_string().parse::<Scope>(), Ok(scope));
    }

    #[test]
    fn parsing_never_panics_and_errors_point_inside(text in "\\PC{0,80}") {
        if let Err(error) = text.parse::<Scope>() {
            prop_assert!(error.column() >= 1);
            prop_assert!(error.column() <= text.chars().count() + 1);
        }
    }

    #[test]
    fn near_misses_of_valid_scopes_are_refused_or_reparse(
        scope in any_scope(),
        at in 0usize..200,
        byte in proptest::sample::select(vec![b'?', b'&', b'=', b'|', b',', b'.', b'/', b'x', b':'])
    ) {
        // Corrupt one character: the result is an error with a position, or
        // a scope that prints back to the same text.
        let mut text = scope.canonical().to_string().into_bytes();
        let at = at % text.len();
        text[at] = byte;
        let text = String::from_utf8(text).unwrap();
        match text.parse::<Scope>() {
            Ok(parsed) => prop_assert_eq!(parsed.canonical().to_string().parse::<Scope>(), Ok(parsed)),
            Err(error) => prop_assert!(error.column() <= text.chars().count() + 1),
        }
    }
}
