//! FHIR resources built from a real (scratch) record, checked twice:
//!
//! - by an independent validator, `fhir.resources` from PyPI (its R4B
//!   models), installed by the test itself in a virtual environment under
//!   the target directory, from the pinned versions in `host/tests/fhir/`;
//! - by our own assertions on what that library does not check: LOINC
//!   codes, UCUM units, categories and profiles of the French
//!   "mesures de santé" guide.
//!
//! A deliberately broken resource fails the validator, so the check is real.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use officine_host::audit::{Actor, Event, InvocationId, Outcome, view};
use officine_host::db::measures::{self, MeasureQuery};
use officine_host::db::{GrantGuard, Reader, agenda, documents, grants, messages};
use officine_host::fhir::observation::{self, MeasureDetails, Observation};
use officine_host::fhir::{
    Bundle, OperationOutcome, Resource, appointment, audit_event, communication, consent, document,
    search,
};
use officine_host::model::{self, ComponentDigest, MeasureKind, ServiceId, Writer, now_millis};
use serde_json::Value;

use crate::support::{Scratch, python_venv};

const BASE: &str = "https://officine.test/fhir";
const SERVICE: &str = "fr.example.fhir-check";

fn kit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fhir")
}

/// The pinned validator, installed once per test binary; returns the
/// Python interpreter of its virtual environment.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| python_venv("fhir", &kit().join("requirements.txt")).join("bin/python"))
}

/// Runs the validator on `dir`.
fn validate(dir: &Path) -> Output {
    Command::new(python())
        .arg(kit().join("validate.py"))
        .arg(dir)
        .output()
        .expect("the validator starts")
}

/// Writes a resource as `<dir>/<Type>-<name>.json`.
fn write(dir: &Path, resource_type: &str, name: &str, resource: &impl serde::Serialize) {
    let path = dir.join(format!("{resource_type}-{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(resource).unwrap()).unwrap();
}

/// What `Measure` leaves out, read from the table as a route would.
async fn details(scratch: &Scratch) -> HashMap<String, MeasureDetails> {
    let rows: Vec<(String, i64, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, recorded_at, component_digest, derived_from FROM measures WHERE patient_id = $1",
    )
    .bind(scratch.patient.as_str())
    .fetch_all(scratch.db.pool())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(id, recorded_at, component, derived_from)| {
            let details = MeasureDetails {
                recorded_at: Some(recorded_at),
                component: component.map(|hex| hex.parse::<ComponentDigest>().unwrap()),
                professional: None,
                derived_from: derived_from.into_iter().collect(),
            };
            (id, details)
        })
        .collect()
}

/// Our own checks of an Observation: what the French profiles require and
/// the Python library does not check.
fn assert_measure_coding(o: &Value, patient: &str) {
    let code = &o["code"]["coding"][0];
    assert_eq!(code["system"], "http://loinc.org", "{o}");
    let kind = MeasureKind::from_loinc(code["code"].as_str().unwrap()).expect("a known LOINC code");
    let coding = model::coding(kind);
    assert_eq!(code["display"], coding.display);
    let quantity = &o["valueQuantity"];
    assert_eq!(quantity["system"], "http://unitsofmeasure.org", "{o}");
    assert_eq!(quantity["code"], coding.unit, "{kind}: UCUM unit");
    let value = quantity["value"].as_f64().unwrap();
    assert!(
        (coding.min..=coding.max).contains(&value),
        "{kind}: {value}"
    );
    let categories: Vec<(&str, &str)> = o["category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["coding"][0]["system"].as_str().unwrap(),
                c["coding"][0]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        categories.contains(&(
            "http://terminology.hl7.org/CodeSystem/observation-category",
            "vital-signs"
        )),
        "{kind}: {categories:?}"
    );
    assert_eq!(o["meta"]["profile"][0], observation::profile(kind));
    assert!(
        o["meta"]["profile"][0]
            .as_str()
            .unwrap()
            .starts_with("https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/")
    );
    assert_eq!(o["status"], "final");
    assert_eq!(o["subject"]["reference"], format!("Patient/{patient}"));
    assert!(o["effectiveDateTime"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test(flavor = "multi_thread")]
async fn resources_built_from_a_record_are_valid_fhir() {
    let python = python();
    let scratch = Scratch::new().await;
    let db = &scratch.db;
    let patient = &scratch.patient;
    let now = now_millis();

    // A service writes a weight under its grant (so a BMI is derived from
    // it), and the patient the kinds the demo record lacks.
    let call = scratch.call(SERVICE).await;
    let component = ComponentDigest::of(b"a component");
    let writer = Writer::Service {
        service: ServiceId::new(SERVICE).unwrap(),
        component,
        grant: GrantGuard::of(&call.grant),
        invocation: InvocationId::new(),
    };
    let weight = measures::add(db, patient, &writer, MeasureKind::Weight, 70.2, now - 1000)
        .await
        .unwrap()
        .expect("the grant stands");
    for (kind, value) in [
        (MeasureKind::WaistCircumference, 88.0),
        (MeasureKind::BodyTemperature, 37.2),
        (MeasureKind::BloodGlucose, 95.0),
        (MeasureKind::PainSeverity, 3.0),
    ] {
        measures::add(db, patient, &Writer::Patient, kind, value, now - 5000)
            .await
            .unwrap();
    }
    // A revoked grant, beside the one in force.
    let revoked = scratch
        .call_with("fr.example.revoked", &["measures.read:weight", "storage"])
        .await;
    officine_host::consent::revoke(db, patient, revoked.grant.grant.service(), true, now)
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();

    // Observations: every measure of the record.
    let kinds = measures::all_kinds();
    let all = measures::list(
        db,
        patient,
        &MeasureQuery {
            kinds: &kinds,
            since: None,
            until: None,
            limit: None,
        },
        Reader::Owner,
    )
    .await
    .unwrap();
    let details = details(&scratch).await;
    let observations: Vec<Observation> = all
        .iter()
        .map(|m| observation::from_measure(patient, m, &details[&m.id]))
        .collect();
    let mut seen = BTreeSet::new();
    for o in &observations {
        let json = serde_json::to_value(o).unwrap();
        assert_measure_coding(&json, patient.as_str());
        assert!(json["issued"].is_string());
        seen.insert(o.code.coding[0].code.clone());
        write(out, "Observation", o.id(), o);
    }
    assert_eq!(seen.len(), MeasureKind::ALL.len(), "every kind: {seen:?}");

    // The service's weight names the service and its component; the BMI
    // computed from it is derived from it.
    let from_service = observations.iter().find(|o| o.id == weight.id).unwrap();
    let json = serde_json::to_value(from_service).unwrap();
    assert_eq!(json["device"]["identifier"]["value"], SERVICE);
    assert_eq!(
        json["extension"][0]["extension"][2]["valueString"],
        format!("sha256:{}", component.to_hex())
    );
    let bmi = observations
        .iter()
        .find(|o| {
            o.derived_from
                .iter()
                .any(|r| r.reference.as_deref() == Some(&format!("Observation/{}", weight.id)))
        })
        .expect("a BMI derived from the service's weight");
    assert_eq!(bmi.code.coding[0].code, "39156-5");
    assert_eq!(bmi.value_quantity.value, model::bmi(70.2, 176.0));
    assert!(bmi.device.is_none() && bmi.performer.is_empty());

    // A search by code and date, as a Bundle.
    let since = now - 30 * 86_400_000;
    let query = format!(
        "code=http://loinc.org|29463-7,8867-4&date=ge{}&_count=500",
        officine_host::fhir::datetime::instant(since)
    );
    let search = search::parse_query(&query).unwrap();
    let windows: Vec<(&'static str, i64)> = search
        .kinds
        .as_ref()
        .unwrap()
        .iter()
        .map(|k| (k.as_str(), i64::MIN))
        .collect();
    let found = measures::list(
        db,
        patient,
        &MeasureQuery {
            kinds: &windows,
            since: search.since,
            until: search.until,
            limit: search.count,
        },
        Reader::Owner,
    )
    .await
    .unwrap();
    assert!(found.iter().any(|m| m.kind == MeasureKind::HeartRate));
    assert!(found.iter().all(
        |m| matches!(m.kind, MeasureKind::Weight | MeasureKind::HeartRate)
            && m.effective_at >= since
    ));
    let bundle = Bundle::searchset(
        BASE,
        found
            .iter()
            .map(|m| observation::from_measure(patient, m, &details[&m.id])),
    )
    .with_self_link(format!("{BASE}/Observation?{query}"));
    assert_eq!(bundle.total as usize, found.len());
    write(out, "Bundle", "observations", &bundle);

    // Appointments.
    let events = agenda::list(db, patient, None, None, None, Reader::Owner)
        .await
        .unwrap();
    assert!(events.len() >= 4);
    let appointments: Vec<_> = events
        .iter()
        .map(|e| appointment::from_event(patient, e))
        .collect();
    for a in &appointments {
        write(out, "Appointment", a.id(), a);
    }
    write(
        out,
        "Bundle",
        "appointments",
        &Bundle::searchset(BASE, appointments),
    );

    // Documents and their content.
    let categories = documents::all_categories();
    let docs = documents::list(
        db,
        patient,
        &documents::DocumentQuery {
            categories: &categories,
            since: None,
            until: None,
            limit: None,
        },
        Reader::Owner,
    )
    .await
    .unwrap();
    assert!(docs.len() >= 2);
    for meta in &docs {
        let reference = document::from_document(patient, meta);
        let json = serde_json::to_value(&reference).unwrap();
        assert_eq!(
            json["category"][0]["coding"][0]["system"],
            "urn:officine:dmp-category"
        );
        assert_eq!(
            json["category"][0]["coding"][0]["code"],
            meta.category.as_str()
        );
        write(out, "DocumentReference", reference.id(), &reference);
        let content = documents::content(db, patient, &meta.id, &categories, Reader::Owner)
            .await
            .unwrap()
            .unwrap();
        write(out, "Binary", &meta.id, &document::binary(meta, &content));
    }
    write(
        out,
        "Bundle",
        "documents",
        &Bundle::searchset(
            BASE,
            docs.iter().map(|d| document::from_document(patient, d)),
        ),
    );

    // Messages.
    let inbox = messages::list(db, patient, None, None, Reader::Owner)
        .await
        .unwrap();
    assert!(!inbox.is_empty());
    for message in &inbox {
        let c = communication::from_message(patient, message);
        write(out, "Communication", c.id(), &c);
    }

    // Consents: the grant in force and the revoked one.
    let stored = grants::for_patient(db, patient).await.unwrap();
    let consents: Vec<_> = stored.iter().map(|g| consent::from_grant(g, now)).collect();
    let statuses: BTreeSet<&str> = consents.iter().map(|c| c.status).collect();
    assert_eq!(statuses, BTreeSet::from(["active", "inactive"]));
    for c in &consents {
        write(out, "Consent", c.id(), c);
    }
    write(
        out,
        "Bundle",
        "consents",
        &Bundle::searchset(BASE, consents),
    );

    // The patient's audit record: the writes above (the patient's, the
    // professional's, the service's) and a refusal, as AuditEvents.
    let refusal = Event::new(
        Actor::component(&ServiceId::new(SERVICE).unwrap(), &component),
        Some(patient),
        "dmp.list",
        0,
        Outcome::Denied {
            reason: "no granted scope opens this interface".into(),
        },
    );
    db.audit().record(vec![refusal]).await.unwrap();
    let recorded = view::for_patient(db, patient, &view::PatientFilter::default())
        .await
        .unwrap();
    let kinds: BTreeSet<&str> = recorded.iter().map(|r| r.event.actor.kind()).collect();
    for kind in ["component", "patient", "professional"] {
        assert!(kinds.contains(kind), "{kind} in {kinds:?}");
    }
    let audit_events: Vec<_> = recorded
        .iter()
        .map(|r| audit_event::from_event(r.seq, &r.event))
        .collect();
    assert!(audit_events.iter().any(|a| a.outcome == "4"));
    for a in &audit_events {
        write(out, "AuditEvent", a.id(), a);
    }
    write(
        out,
        "Bundle",
        "audit-events",
        &Bundle::searchset(BASE, audit_events),
    );

    // Errors.
    let bmi_post = serde_json::json!({
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "39156-5"}]},
        "effectiveDateTime": "2025-01-01",
        "valueQuantity": {"value": 22.0, "system": "http://unitsofmeasure.org", "code": "kg/m2"}
    });
    let refused = observation::parse_create(&serde_json::to_vec(&bmi_post).unwrap(), patient, now)
        .unwrap_err();
    write(
        out,
        "OperationOutcome",
        "bmi",
        &OperationOutcome::from(refused),
    );
    let refused = search::parse_query("_include=Observation:subject&date=ne2025").unwrap_err();
    write(
        out,
        "OperationOutcome",
        "search",
        &OperationOutcome::from(refused),
    );
    write(
        out,
        "OperationOutcome",
        "not-found",
        &OperationOutcome::not_found("Observation", "nothing"),
    );

    // The patient's export: everything above, in one collection Bundle.
    let export = officine_host::export::everything(db, patient, BASE, now)
        .await
        .unwrap();
    let types: BTreeSet<&str> = export["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["resource"]["resourceType"].as_str().unwrap())
        .collect();
    for expected in [
        "Observation",
        "Appointment",
        "DocumentReference",
        "Binary",
        "Communication",
        "Consent",
        "AuditEvent",
    ] {
        assert!(
            types.contains(expected),
            "{expected} in the export: {types:?}"
        );
    }
    write(out, "Bundle", "export", &export);

    let files = std::fs::read_dir(out).unwrap().count();
    let output = Command::new(python)
        .arg(kit().join("validate.py"))
        .arg(out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "fhir.resources refused the platform's resources:\n{}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("{files} valid, 0 invalid")),
        "{stdout}"
    );

    // What the platform writes, a client can post back.
    let posted = serde_json::to_vec(from_service).unwrap();
    let new = observation::parse_create(&posted, patient, now).unwrap();
    assert_eq!(new.kind.kind(), MeasureKind::Weight);
    assert_eq!((new.value, new.effective_at), (70.2, weight.effective_at));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_resource_fails_the_independent_validation() {
    let scratch = Scratch::new().await;
    let patient = &scratch.patient;
    let kinds = measures::all_kinds();
    let one = measures::list(
        &scratch.db,
        patient,
        &MeasureQuery {
            kinds: &kinds,
            since: None,
            until: None,
            limit: Some(1),
        },
        Reader::Owner,
    )
    .await
    .unwrap();
    let good = serde_json::to_value(observation::from_measure(
        patient,
        &one[0],
        &MeasureDetails::default(),
    ))
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let write_value = |name: &str, value: &Value| {
        std::fs::write(dir.path().join(format!("{name}.json")), value.to_string()).unwrap();
    };
    write_value("good", &good);
    assert!(
        validate(dir.path()).status.success(),
        "the unbroken one is valid"
    );

    let mut broken = Vec::new();
    let mut no_status = good.clone();
    no_status.as_object_mut().unwrap().remove("status");
    broken.push(("no-status", no_status, "status"));
    let mut bad_date = good.clone();
    bad_date["effectiveDateTime"] = "le 3 mars".into();
    broken.push(("bad-date", bad_date, "effectiveDateTime"));
    let mut bad_id = good.clone();
    bad_id["id"] = "not an id".into();
    broken.push(("bad-id", bad_id, "id"));
    let mut unknown = good.clone();
    unknown["valeur"] = 70.into();
    broken.push(("unknown-element", unknown, "valeur"));
    let mut two_values = good.clone();
    two_values["valueString"] = "70 kg".into();
    broken.push(("two-values", two_values, "value"));
    let mut empty = good.clone();
    empty["performer"] = serde_json::json!([]);
    broken.push(("empty-array", empty, "empty array"));
    let mut in_bundle = good.clone();
    in_bundle.as_object_mut().unwrap().remove("code");
    let bundle = serde_json::json!({
        "resourceType": "Bundle", "type": "searchset", "total": 1,
        "entry": [{"fullUrl": format!("{BASE}/Observation/x"), "resource": in_bundle}]
    });
    broken.push(("bundle-entry", bundle, "entry.0.resource.code"));
    for (name, value, _) in &broken {
        write_value(name, value);
    }

    let output = validate(dir.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("1 valid, {} invalid", broken.len())),
        "{stdout}{stderr}"
    );
    for (name, _, field) in &broken {
        let report = stderr
            .split("INVALID ")
            .find(|r| {
                r.starts_with(
                    &dir.path()
                        .join(format!("{name}.json"))
                        .display()
                        .to_string(),
                )
            })
            .unwrap_or_else(|| panic!("{name} reported: {stderr}"));
        assert!(report.contains(field), "{name} names {field}: {report}");
    }
}
