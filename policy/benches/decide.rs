//! `decide` for a grant of 20 scopes: the check made on every platform call.
//!
//! `cargo bench -p officine-policy --bench decide`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use officine_policy::{
    Consent, Decision, DocumentCategory, Grant, GrantId, Item, MeasureKind, Op, PatientId, Period,
    Request, Scope, ServiceId, SheetHash, decide,
};

/// 20 scopes; the allowed request matches the last one and the denied one
/// none (messages may be sent, not read), so every scope is looked at.
fn grant() -> Grant {
    let mut scopes: Vec<Scope> = DocumentCategory::ALL
        .map(|c| Scope::dmp_read(Some(c)))
        .to_vec();
    scopes.extend(
        MeasureKind::ALL
            .into_iter()
            .filter(|k| *k != MeasureKind::Weight)
            .map(|k| Scope::measures_read(Some(k))),
    );
    scopes.extend([
        Scope::agenda_read(),
        Scope::messaging_send(),
        Scope::Storage,
        "patient/Observation.crs?code=http://loinc.org|29463-7&date=ge2020-01-01"
            .parse()
            .unwrap(),
    ]);
    assert_eq!(scopes.len(), 20);
    let consent = Consent {
        patient: PatientId::new("p"),
        service: ServiceId::new("fr.example.bench").unwrap(),
        scopes: scopes.clone(),
        period: Period::new(0, i64::MAX).unwrap(),
        version: semver::Version::new(1, 0, 0),
        sheet: SheetHash([0; 32]),
    };
    Grant::new(GrantId::new("g"), consent, &scopes).unwrap()
}

fn benches(c: &mut Criterion) {
    let grant = grant();
    let allowed = Request {
        op: Op::Create,
        item: Item::Measure(Some(MeasureKind::Weight)),
        date: Some(1_750_000_000_000),
        written_by: None,
        at: 1_750_000_000_000,
    };
    let denied = Request {
        item: Item::Message,
        op: Op::Search,
        ..allowed
    };
    assert_eq!(decide(&grant, &allowed), Decision::Allow);
    assert!(!decide(&grant, &denied).is_allowed());
    c.bench_function("decide/20-scopes-allow", |b| {
        b.iter(|| decide(black_box(&grant), black_box(&allowed)))
    });
    c.bench_function("decide/20-scopes-deny", |b| {
        b.iter(|| decide(black_box(&grant), black_box(&denied)))
    });
}

criterion_group!(benches_group, benches);
criterion_main!(benches_group);
