use super::*;
use crate::grant::{Consent, GrantError, GrantId, Period, SheetHash, covered, difference};
use crate::id::PatientId;

const DAY: i64 = 86_400_000;
/// 2025-01-01T00:00Z.
const JAN_2025: i64 = 1_735_689_600_000;

fn scopes(texts: &[&str]) -> Vec<Scope> {
    texts.iter().map(|t| t.parse().unwrap()).collect()
}

fn service() -> ServiceId {
    ServiceId::new("fr.example.coach").unwrap()
}

fn grant(texts: &[&str]) -> Grant {
    let granted = scopes(texts);
    let consent = Consent {
        patient: PatientId::new("p-1"),
        service: service(),
        scopes: granted.clone(),
        period: Period::new(JAN_2025 - 365 * DAY, JAN_2025 + 365 * DAY).unwrap(),
        version: semver::Version::new(1, 2, 0),
        sheet: SheetHash([7; 32]),
    };
    Grant::new(GrantId::new("g-1"), consent, &granted).unwrap()
}

fn request(op: Op, item: Item) -> Request<'static> {
    Request {
        op,
        item,
        date: None,
        written_by: None,
        at: JAN_2025,
    }
}

fn weight() -> Item {
    Item::Measure(Some(MeasureKind::Weight))
}

#[test]
fn a_grant_allows_what_its_scopes_name_and_nothing_else() {
    let g = grant(&["measures.read:weight", "agenda.write", "storage"]);
    let allowed = [
        request(Op::Search, weight()),
        request(Op::Read, weight()),
        request(Op::Search, Item::Measure(None)),
        request(Op::Create, Item::Appointment),
        request(Op::Create, Item::Storage),
    ];
    for r in allowed {
        assert_eq!(decide(&g, &r), Decision::Allow, "{r:?}");
    }
    let denied = [
        (request(Op::Create, weight()), "not granted"),
        (request(Op::Search, Item::Appointment), "not granted"),
        (request(Op::Search, Item::Document(None)), "not granted"),
        (request(Op::Create, Item::Message), "not granted"),
        (
            request(Op::Search, Item::Measure(Some(MeasureKind::BloodGlucose))),
            "code",
        ),
    ];
    for (r, why) in denied {
        match decide(&g, &r) {
            Decision::Deny(DenyReason::NotGranted { .. }) if why == "not granted" => {}
            Decision::Deny(DenyReason::CodeNotGranted { .. }) if why == "code" => {}
            other => panic!("{r:?}: {other:?}, expected {why}"),
        }
    }
}

#[test]
fn storage_needs_its_own_scope() {
    let g = grant(&["measures.read"]);
    assert!(matches!(
        decide(&g, &request(Op::Read, Item::Storage)),
        Decision::Deny(DenyReason::NotGranted {
            item: Item::Storage,
            ..
        })
    ));
}

#[test]
fn revoked_expired_and_future_grants_allow_nothing() {
    let mut g = grant(&["measures.read", "storage"]);
    let mut r = request(Op::Search, weight());
    r.at = g.period().end();
    assert_eq!(
        decide(&g, &r),
        Decision::Deny(DenyReason::NotInForce(NotInForce::Expired))
    );
    r.at = g.period().start() - 1;
    assert_eq!(
        decide(&g, &r),
        Decision::Deny(DenyReason::NotInForce(NotInForce::NotStarted))
    );
    r.at = g.period().end() - 1;
    assert_eq!(decide(&g, &r), Decision::Allow);
    g.revoke(JAN_2025);
    assert_eq!(
        decide(&g, &r),
        Decision::Deny(DenyReason::NotInForce(NotInForce::Revoked))
    );
    assert_eq!(
        decide(&g, &request(Op::Read, Item::Storage)),
        Decision::Deny(DenyReason::NotInForce(NotInForce::Revoked))
    );
}

#[test]
fn bmi_is_never_written_whatever_the_grant() {
    let g = grant(&[
        "patient/Observation.crs?code=http://loinc.org|29463-7",
        "measures.read",
    ]);
    assert_eq!(decide(&g, &request(Op::Create, weight())), Decision::Allow);
    assert_eq!(
        decide(
            &g,
            &request(Op::Create, Item::Measure(Some(MeasureKind::Bmi)))
        ),
        Decision::Deny(DenyReason::ComputedMeasure)
    );
    assert_eq!(
        decide(
            &g,
            &request(Op::Search, Item::Measure(Some(MeasureKind::Bmi)))
        ),
        Decision::Allow
    );
}

#[test]
fn updates_and_deletes_reach_only_what_the_service_wrote() {
    let g = grant(&["agenda.write"]);
    let mine = service();
    let other = ServiceId::new("fr.example.other").unwrap();
    for op in [Op::Update, Op::Delete] {
        let mut r = request(op, Item::Appointment);
        assert_eq!(
            decide(&g, &r),
            Decision::Deny(DenyReason::NotWrittenByService)
        );
        r.written_by = Some(&other);
        assert_eq!(
            decide(&g, &r),
            Decision::Deny(DenyReason::NotWrittenByService)
        );
        r.written_by = Some(&mine);
        assert_eq!(decide(&g, &r), Decision::Allow);
    }
}

#[test]
fn time_windows_bind_reads_and_writes() {
    let g = grant(&["patient/Observation.crs?code=http://loinc.org|29463-7&date=ge2025-01-01"]);
    for op in [Op::Search, Op::Create] {
        let mut r = request(op, weight());
        r.date = Some(JAN_2025);
        assert_eq!(decide(&g, &r), Decision::Allow);
        r.date = Some(JAN_2025 - 1);
        assert_eq!(decide(&g, &r), Decision::Deny(DenyReason::OutsideWindow));
    }
    assert_eq!(g.window(Op::Search, weight()), Some(JAN_2025));
    assert_eq!(
        g.window(Op::Search, Item::Measure(Some(MeasureKind::Height))),
        None
    );
}

#[test]
fn the_widest_window_among_scopes_wins() {
    let g = grant(&[
        "patient/Observation.rs?code=http://loinc.org|29463-7&date=ge2025-01-01",
        "patient/Observation.rs?date=ge2024-01-01",
    ]);
    assert_eq!(g.window(Op::Search, weight()), Some(1_704_067_200_000));
    let open = grant(&[
        "patient/Observation.rs?date=ge2024-01-01",
        "measures.read:weight",
    ]);
    assert_eq!(open.window(Op::Search, weight()), Some(i64::MIN));
}

#[test]
fn document_categories_are_checked() {
    let g = grant(&["dmp.read:lab-results", "dmp.write"]);
    let lab = Item::Document(Some(DocumentCategory::LabResults));
    let summary = Item::Document(Some(DocumentCategory::Summary));
    assert_eq!(decide(&g, &request(Op::Read, lab)), Decision::Allow);
    assert!(matches!(
        decide(&g, &request(Op::Read, summary)),
        Decision::Deny(DenyReason::CodeNotGranted { .. })
    ));
    assert_eq!(decide(&g, &request(Op::Create, summary)), Decision::Allow);
}

#[test]
fn a_grant_must_stay_within_the_request() {
    let requested = scopes(&["measures.read:weight", "measures.read:height", "storage"]);
    let consent = |texts: &[&str]| Consent {
        patient: PatientId::new("p-1"),
        service: service(),
        scopes: scopes(texts),
        period: Period::new(0, 10).unwrap(),
        version: semver::Version::new(1, 0, 0),
        sheet: SheetHash([0; 32]),
    };
    let id = || GrantId::new("g");
    assert!(Grant::new(id(), consent(&["measures.read:weight"]), &requested).is_ok());
    // Two requested codes cover a canonical scope naming both.
    assert!(
        Grant::new(
            id(),
            consent(&[
                "patient/Observation.rs?code=http://loinc.org|29463-7,http://loinc.org|8302-2"
            ]),
            &requested
        )
        .is_ok()
    );
    // A window narrows: covered.
    assert!(
        Grant::new(
            id(),
            consent(&["patient/Observation.s?code=http://loinc.org|29463-7&date=ge2025-01-01"]),
            &requested
        )
        .is_ok()
    );
    let error = Grant::new(id(), consent(&["measures.read", "storage"]), &requested).unwrap_err();
    assert_eq!(error, GrantError::NotRequested(scopes(&["measures.read"])));
    assert_eq!(
        error.to_string(),
        "the service did not request measures.read"
    );
    // Nothing granted is a grant that reaches no data.
    let empty = Grant::new(id(), consent(&[]), &requested).unwrap();
    let during = Request {
        at: 5,
        ..request(Op::Read, Item::Storage)
    };
    assert!(matches!(
        decide(&empty, &during),
        Decision::Deny(DenyReason::NotGranted { .. })
    ));
    assert_eq!(Period::new(10, 10), Err(GrantError::EndNotAfterStart));
}

#[test]
fn coverage_is_exact() {
    let held = scopes(&[
        "patient/Observation.rs?date=ge2025-01-01",
        "measures.read:weight",
    ]);
    assert!(covered(&"measures.read:weight".parse().unwrap(), &held));
    assert!(covered(
        &"patient/Observation.rs?date=ge2025-06-01".parse().unwrap(),
        &held
    ));
    assert!(!covered(&"measures.read".parse().unwrap(), &held));
    assert!(!covered(
        &"patient/Observation.rs?date=ge2024-06-01".parse().unwrap(),
        &held
    ));
    assert!(!covered(&"measures.write:weight".parse().unwrap(), &held));
    assert!(!covered(&Scope::Storage, &held));
    // Every kind listed one by one covers "every kind".
    let each: Vec<Scope> = MeasureKind::ALL
        .map(|k| Scope::measures_read(Some(k)))
        .to_vec();
    assert!(covered(&Scope::measures_read(None), &each));
    assert!(covered(
        &Scope::agenda_write(),
        &scopes(&["patient/Appointment.cruds"])
    ));
    assert!(!covered(
        &Scope::agenda_write(),
        &scopes(&["patient/Appointment.crs"])
    ));
}

#[test]
fn a_new_version_asks_only_for_what_was_not_granted() {
    let granted = scopes(&["measures.read:weight", "storage"]);
    let v2 = scopes(&[
        "measures.read:weight",
        "measures.read:height",
        "storage",
        "agenda.read",
    ]);
    assert_eq!(
        difference(&v2, &granted),
        scopes(&["measures.read:height", "agenda.read"])
    );
    assert_eq!(difference(&granted, &granted), Vec::<Scope>::new());
}

#[test]
fn narrowing_never_widens() {
    let mut g = grant(&["measures.read", "storage"]);
    g.narrow(scopes(&["measures.read:weight"])).unwrap();
    assert!(matches!(
        decide(&g, &request(Op::Read, Item::Storage)),
        Decision::Deny(DenyReason::NotGranted { .. })
    ));
    assert_eq!(
        g.narrow(scopes(&["measures.read"])),
        Err(GrantError::NotGranted(scopes(&["measures.read"])))
    );
}
