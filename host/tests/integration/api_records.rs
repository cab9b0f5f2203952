//! The patient's agenda, documents, messages and consents over the HTTP API,
//! against a real server on loopback: each route gives the signed-in
//! patient their own records as FHIR, and never another patient's.

use officine_host::db::{agenda, documents, grants, messages};
use officine_host::model::{DocumentCategory, PatientId, ServiceId, Writer, now_millis};
use serde_json::{Value, json};

use crate::server::{Server, header};

const DAY: i64 = 24 * 3600 * 1000;
const TRACKER: &str = "fr.officine.weight-tracker";

/// What a second patient has: an agenda event, a document, a message and a
/// grant, each with text or ids no other patient's record carries.
pub struct OtherRecords {
    pub patient: PatientId,
    /// Written in every text of theirs.
    pub marker: &'static str,
    pub event: String,
    pub document: String,
    pub message: String,
    pub grant: String,
}

/// Creates `id`, a second patient, with one record of each kind.
pub async fn other_records(server: &Server, id: &str) -> OtherRecords {
    let patient = PatientId::new(id);
    let marker = "Marqueur-autre-patient";
    server.db.ensure_patient(&patient, "Other").await.unwrap();
    let professional = Writer::Professional {
        name: format!("Dr {marker}"),
        rpps: "10001234567".to_owned(),
    };
    let now = now_millis();
    let event = agenda::add(
        &server.db,
        &patient,
        &professional,
        agenda::EventDraft {
            kind: agenda::EventKind::Appointment,
            title: format!("Consultation {marker}"),
            starts_at: now + 3 * DAY,
            ends_at: Some(now + 3 * DAY + 1_800_000),
            place: Some(format!("Cabinet {marker}")),
        },
    )
    .await
    .unwrap()
    .unwrap();
    let document = documents::add(
        &server.db,
        &patient,
        &professional,
        documents::DocumentDraft {
            category: DocumentCategory::LabResults,
            doc_type: "Compte rendu d'examens de biologie".to_owned(),
            title: format!("Bilan {marker}"),
            author: format!("Dr {marker}"),
            date: now - DAY,
            format: "text/plain".to_owned(),
            content: format!("Contenu {marker}").into_bytes(),
            masked: false,
        },
    )
    .await
    .unwrap()
    .unwrap();
    let message = messages::add(
        &server.db,
        &patient,
        &professional,
        &format!("Dr {marker}"),
        None,
        &format!("Objet {marker}"),
        &format!("Message {marker}"),
    )
    .await
    .unwrap()
    .unwrap();
    let service = ServiceId::new(TRACKER).unwrap();
    let record = grants::service(&server.db, &service)
        .await
        .unwrap()
        .expect("the weight tracker is registered");
    let grant = officine_host::consent::grant_requested(&server.db, &patient, &record, now)
        .await
        .unwrap();
    OtherRecords {
        patient,
        marker,
        event: event.id,
        document: document.id,
        message: message.id,
        grant: grant.grant.id().as_str().to_owned(),
    }
}

/// A GET as `token`: the status, the body as JSON, and the content type.
async fn get(server: &Server, path: &str, token: &str) -> (u16, Value, Option<String>) {
    send(server, "GET", path, token, "").await
}

async fn send(
    server: &Server,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> (u16, Value, Option<String>) {
    let (status, headers, body) = server.send(method, path, Some(token), body).await;
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    (
        status,
        json,
        header(&headers, "content-type").map(str::to_owned),
    )
}

/// The resources of a searchset Bundle, checked as such.
fn entries<'a>(bundle: &'a Value, resource_type: &str) -> Vec<&'a Value> {
    assert_eq!(bundle["resourceType"], "Bundle", "{bundle}");
    assert_eq!(bundle["type"], "searchset");
    let entries: Vec<&Value> = bundle["entry"]
        .as_array()
        .map(|all| all.iter().collect())
        .unwrap_or_default();
    assert_eq!(bundle["total"], entries.len());
    entries
        .into_iter()
        .map(|entry| {
            let resource = &entry["resource"];
            assert_eq!(resource["resourceType"], resource_type, "{entry}");
            assert_eq!(
                entry["fullUrl"],
                format!("/fhir/{resource_type}/{}", resource["id"].as_str().unwrap())
            );
            assert_eq!(entry["search"]["mode"], "match");
            resource
        })
        .collect()
}

fn assert_outcome(status: u16, body: &Value, expected: u16, code: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    assert_eq!(body["issue"][0]["severity"], "error");
    assert_eq!(body["issue"][0]["code"], code, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_reads_their_agenda_as_appointments() {
    let server = Server::start().await;
    let other = other_records(&server, "other-patient").await;
    let demo = server.token("patient:demo");

    let (status, bundle, content_type) = get(&server, "/fhir/Appointment", &demo).await;
    assert_eq!(status, 200, "{bundle}");
    assert_eq!(content_type.as_deref(), Some("application/fhir+json"));
    let all = entries(&bundle, "Appointment");
    assert_eq!(all.len(), 4, "the demo agenda: {bundle}");
    for appointment in &all {
        assert_eq!(appointment["status"], "booked");
        assert_eq!(
            appointment["participant"][0]["actor"]["reference"],
            "Patient/demo"
        );
        assert!(appointment["start"].as_str().unwrap() <= appointment["end"].as_str().unwrap());
        assert_ne!(appointment["id"], other.event.as_str());
    }
    let starts: Vec<&str> = all.iter().map(|a| a["start"].as_str().unwrap()).collect();
    assert!(starts.is_sorted(), "earliest first: {starts:?}");
    assert!(!bundle.to_string().contains(other.marker), "{bundle}");

    // `date` bounds the start: two events are past, two to come.
    let (status, bundle, _) = get(&server, "/fhir/Appointment?date=ge2000-01-01", &demo).await;
    assert_eq!((status, entries(&bundle, "Appointment").len()), (200, 4));
    let second = &starts[1][..10];
    let (_, bundle, _) = get(
        &server,
        &format!("/fhir/Appointment?date=gt{second}&_count=5"),
        &demo,
    )
    .await;
    assert_eq!(entries(&bundle, "Appointment").len(), 2, "{bundle}");
    let (_, bundle, _) = get(
        &server,
        &format!("/fhir/Appointment?date=le{second}"),
        &demo,
    )
    .await;
    assert_eq!(entries(&bundle, "Appointment").len(), 2, "{bundle}");
    let (_, bundle, _) = get(&server, "/fhir/Appointment?_count=1", &demo).await;
    assert_eq!(entries(&bundle, "Appointment").len(), 1, "{bundle}");
    let (_, bundle, _) = get(
        &server,
        "/fhir/Appointment?date=ge2030-01-01&date=lt2020-01-01",
        &demo,
    )
    .await;
    assert!(entries(&bundle, "Appointment").is_empty());

    // Unknown or malformed parameters are refused, not ignored.
    for query in [
        "patient=other-patient",
        "code=29463-7",
        "date=demain",
        "date=xx2025-01-01",
        "_count=-1",
    ] {
        let (status, body, content_type) =
            get(&server, &format!("/fhir/Appointment?{query}"), &demo).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["resourceType"], "OperationOutcome", "{query}");
        assert_eq!(content_type.as_deref(), Some("application/fhir+json"));
    }

    // The other patient sees their own event, and none of the demo's.
    let theirs = server.token("patient:other-patient");
    let (status, bundle, _) = get(&server, "/fhir/Appointment", &theirs).await;
    assert_eq!(status, 200);
    let all = entries(&bundle, "Appointment");
    assert_eq!(all.len(), 1, "{bundle}");
    assert_eq!(all[0]["id"], other.event.as_str());
    assert_eq!(
        all[0]["participant"][0]["actor"]["reference"],
        "Patient/other-patient"
    );
    assert!(!bundle.to_string().contains("Patient/demo"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_reads_the_documents_they_see_and_only_their_own_content() {
    let server = Server::start().await;
    let other = other_records(&server, "other-patient").await;
    let demo = server.token("patient:demo");
    let patient = PatientId::new("demo");
    // A document the patient hid and one its author masked.
    let professional = Writer::Professional {
        name: "Dr Claire Bernard".to_owned(),
        rpps: "10001234567".to_owned(),
    };
    let mut added = Vec::new();
    for (title, masked) in [("Document caché", false), ("Document masqué", true)] {
        let draft = documents::DocumentDraft {
            category: DocumentCategory::Reports,
            doc_type: "Compte rendu".to_owned(),
            title: title.to_owned(),
            author: "Dr Claire Bernard".to_owned(),
            date: now_millis() - DAY,
            format: "text/plain".to_owned(),
            content: title.as_bytes().to_vec(),
            masked,
        };
        let meta = documents::add(&server.db, &patient, &professional, draft)
            .await
            .unwrap()
            .unwrap();
        added.push(meta.id);
    }
    assert!(
        documents::set_hidden(&server.db, &patient, &added[0], true)
            .await
            .unwrap()
    );

    let (status, bundle, content_type) = get(&server, "/fhir/DocumentReference", &demo).await;
    assert_eq!(status, 200, "{bundle}");
    assert_eq!(content_type.as_deref(), Some("application/fhir+json"));
    let all = entries(&bundle, "DocumentReference");
    let titles: Vec<&str> = all
        .iter()
        .map(|d| d["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Bilan lipidique", "Consultation de suivi nutritionnel"],
        "newest first, hidden and masked ones left out"
    );
    for reference in &all {
        assert_eq!(reference["subject"]["reference"], "Patient/demo");
        assert_eq!(reference["status"], "current");
        assert_eq!(
            reference["content"][0]["attachment"]["url"],
            format!("Binary/{}", reference["id"].as_str().unwrap())
        );
    }
    assert!(!bundle.to_string().contains(other.marker), "{bundle}");
    let (_, bundle, _) = get(
        &server,
        "/fhir/DocumentReference?date=ge2000-01-01&_count=1",
        &demo,
    )
    .await;
    assert_eq!(entries(&bundle, "DocumentReference").len(), 1);
    let (status, body, _) = get(&server, "/fhir/DocumentReference?category=reports", &demo).await;
    assert_outcome(status, &body, 400, "not-supported");

    // Each one's content, as a Binary.
    let lab = all[0]["id"].as_str().unwrap();
    let (status, binary, content_type) = get(&server, &format!("/fhir/Binary/{lab}"), &demo).await;
    assert_eq!(status, 200, "{binary}");
    assert_eq!(content_type.as_deref(), Some("application/fhir+json"));
    assert_eq!(binary["resourceType"], "Binary");
    assert_eq!(binary["id"], lab);
    assert_eq!(binary["contentType"], "text/plain");
    assert_eq!(
        binary["securityContext"]["reference"],
        format!("DocumentReference/{lab}")
    );
    use base64::Engine as _;
    let content = base64::engine::general_purpose::STANDARD
        .decode(binary["data"].as_str().unwrap())
        .unwrap();
    assert!(
        String::from_utf8(content)
            .unwrap()
            .starts_with("Cholestérol total")
    );

    // Another patient's document, a hidden or masked one, and no document
    // at all are answered alike.
    let (status, unknown, _) = get(&server, "/fhir/Binary/no-such-document", &demo).await;
    assert_outcome(status, &unknown, 404, "not-found");
    for id in [&other.document, &added[0], &added[1]] {
        let (status, body, _) = get(&server, &format!("/fhir/Binary/{id}"), &demo).await;
        assert_outcome(status, &body, 404, "not-found");
        assert_eq!(
            body.to_string().replace(id.as_str(), "?"),
            unknown.to_string().replace("no-such-document", "?")
        );
        assert!(!body.to_string().contains(other.marker));
    }
    // Their owner reads it.
    let theirs = server.token("patient:other-patient");
    let (status, binary, _) = get(
        &server,
        &format!("/fhir/Binary/{}", other.document),
        &theirs,
    )
    .await;
    assert_eq!(status, 200, "{binary}");
    let (status, body, _) = get(&server, &format!("/fhir/Binary/{lab}"), &theirs).await;
    assert_outcome(status, &body, 404, "not-found");
    let (_, bundle, _) = get(&server, "/fhir/DocumentReference", &theirs).await;
    let all = entries(&bundle, "DocumentReference");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["subject"]["reference"], "Patient/other-patient");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_reads_their_messages_as_communications() {
    let server = Server::start().await;
    let other = other_records(&server, "other-patient").await;
    let demo = server.token("patient:demo");

    let (status, bundle, content_type) = get(&server, "/fhir/Communication", &demo).await;
    assert_eq!(status, 200, "{bundle}");
    assert_eq!(content_type.as_deref(), Some("application/fhir+json"));
    let all = entries(&bundle, "Communication");
    assert_eq!(all.len(), 1, "{bundle}");
    let message = all[0];
    assert_eq!(message["subject"]["reference"], "Patient/demo");
    assert_eq!(message["recipient"][0]["reference"], "Patient/demo");
    assert_eq!(message["status"], "completed");
    assert_eq!(message["topic"]["text"], "Résultats de votre bilan");
    assert!(
        message["payload"][0]["contentString"]
            .as_str()
            .unwrap()
            .starts_with("Bonjour")
    );
    assert!(!bundle.to_string().contains(other.marker), "{bundle}");
    let (_, bundle, _) = get(&server, "/fhir/Communication?_count=0", &demo).await;
    assert!(entries(&bundle, "Communication").is_empty());
    let (status, body, _) = get(&server, "/fhir/Communication?sender=x", &demo).await;
    assert_outcome(status, &body, 400, "not-supported");

    let theirs = server.token("patient:other-patient");
    let (_, bundle, _) = get(&server, "/fhir/Communication", &theirs).await;
    let all = entries(&bundle, "Communication");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["id"], other.message.as_str());
    assert_eq!(all[0]["subject"]["reference"], "Patient/other-patient");
}

/// A Consent granting the weight tracker `scopes` until the end of 2099.
pub(crate) fn grant_body(patient: &str, service: &str, scopes: &[&str]) -> String {
    let nested: Vec<Value> = scopes
        .iter()
        .map(|scope| {
            json!({"type": "permit", "extension": [{
                "url": "urn:officine:fhir:extension:smart-scope", "valueString": scope}]})
        })
        .collect();
    json!({
        "resourceType": "Consent",
        "status": "active",
        "patient": {"reference": format!("Patient/{patient}")},
        "provision": {
            "type": "permit",
            "period": {"end": "2099-12-31"},
            "actor": [{"reference": {"identifier": {
                "system": "urn:officine:service", "value": service}}}],
            "provision": nested
        }
    })
    .to_string()
}

/// The active consents' services, from `GET /fhir/Consent`.
async fn consents(server: &Server, token: &str) -> Vec<Value> {
    let (status, bundle, content_type) = get(server, "/fhir/Consent", token).await;
    assert_eq!(status, 200, "{bundle}");
    assert_eq!(content_type.as_deref(), Some("application/fhir+json"));
    entries(&bundle, "Consent").into_iter().cloned().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_grants_and_revokes_a_service_with_consents() {
    let server = Server::start().await;
    let other = other_records(&server, "other-patient").await;
    let demo = server.token("patient:demo");
    let patient = PatientId::new("demo");
    let tracker = ServiceId::new(TRACKER).unwrap();

    let before = consents(&server, &demo).await;
    assert!(!before.is_empty());
    for consent in &before {
        assert_eq!(consent["patient"]["reference"], "Patient/demo");
        assert_ne!(consent["id"], other.grant.as_str());
    }

    // Narrowing the tracker's grant to reading weights.
    let (status, headers, body) = server
        .send(
            "POST",
            "/fhir/Consent",
            Some(&demo),
            &grant_body("demo", TRACKER, &["measures.read:weight"]),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        header(&headers, "location"),
        Some(format!("/fhir/Consent/{id}").as_str())
    );
    assert_eq!(created["resourceType"], "Consent");
    assert_eq!(created["status"], "active");
    assert_eq!(created["patient"]["reference"], "Patient/demo");
    assert_eq!(
        created["provision"]["period"]["end"],
        "2100-01-01T00:00:00.000Z"
    );
    let scopes = &created["provision"]["provision"];
    assert_eq!(scopes.as_array().unwrap().len(), 1);
    assert_eq!(
        scopes[0]["extension"][0]["valueString"],
        "patient/Observation.rs?code=http://loinc.org|29463-7"
    );

    // Listed, read back, and enforced.
    let listed = consents(&server, &demo).await;
    let mine = listed.iter().find(|c| c["id"] == id.as_str()).unwrap();
    assert_eq!(mine["status"], "active");
    assert_eq!(mine["provision"]["provision"], *scopes);
    let (status, read, _) = get(&server, &format!("/fhir/Consent/{id}"), &demo).await;
    assert_eq!(status, 200);
    assert_eq!(read["provision"], created["provision"]);
    let in_force =
        officine_host::consent::for_invocation(&server.db, &patient, &tracker, now_millis())
            .await
            .unwrap()
            .expect("a grant in force");
    assert_eq!(in_force.grant.id().as_str(), id);
    let scopes: Vec<String> = in_force
        .grant
        .scopes()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(scopes, ["measures.read:weight"]);

    // Revoking it, and erasing what the service stored.
    let mut revoked = read.clone();
    revoked["status"] = json!("inactive");
    revoked["extension"].as_array_mut().unwrap().push(
        json!({"url": "urn:officine:fhir:extension:erase-service-data", "valueBoolean": true}),
    );
    let (status, body, _) = send(
        &server,
        "PUT",
        &format!("/fhir/Consent/{id}"),
        &demo,
        &revoked.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "inactive");
    assert!(
        officine_host::consent::for_invocation(&server.db, &patient, &tracker, now_millis())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        grants::current(&server.db, &patient, &tracker)
            .await
            .unwrap()
            .is_none()
    );
    let listed = consents(&server, &demo).await;
    let mine = listed.iter().find(|c| c["id"] == id.as_str()).unwrap();
    assert_eq!(mine["status"], "inactive");
    // Revoking again changes nothing; erasing then is refused.
    revoked["extension"].as_array_mut().unwrap().pop();
    let (status, body, _) = send(
        &server,
        "PUT",
        &format!("/fhir/Consent/{id}"),
        &demo,
        &revoked.to_string(),
    )
    .await;
    assert_eq!(
        (status, &body["status"]),
        (200, &json!("inactive")),
        "{body}"
    );
    let (status, body, _) = send(
        &server,
        "PATCH",
        &format!("/fhir/Consent/{id}"),
        &demo,
        r#"[{"op": "replace", "path": "/status", "value": "inactive"},
            {"op": "add", "path": "/extension/-", "value": {"url": "urn:officine:fhir:extension:erase-service-data", "valueBoolean": true}}]"#,
    )
    .await;
    assert_outcome(status, &body, 409, "conflict");

    // Granting again, then revoking with a JSON Patch.
    let (status, _, body) = server
        .send(
            "POST",
            "/fhir/Consent",
            Some(&demo),
            &grant_body("demo", TRACKER, &["measures.read:weight", "storage"]),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let again: Value = serde_json::from_str(&body).unwrap();
    assert_ne!(again["id"], id.as_str(), "a revoked grant stays revoked");
    let (status, body, _) = send(
        &server,
        "PATCH",
        &format!("/fhir/Consent/{}", again["id"].as_str().unwrap()),
        &demo,
        r#"[{"op": "replace", "path": "/status", "value": "inactive"}]"#,
    )
    .await;
    assert_eq!(
        (status, &body["status"]),
        (200, &json!("inactive")),
        "{body}"
    );

    // The other patient's grant was never touched.
    let theirs = server.token("patient:other-patient");
    let listed = consents(&server, &theirs).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], other.grant.as_str());
    assert_eq!(listed[0]["status"], "active");
    assert_eq!(listed[0]["patient"]["reference"], "Patient/other-patient");
}

#[tokio::test(flavor = "multi_thread")]
async fn consent_requests_are_checked_as_the_cli_checks_them() {
    let server = Server::start().await;
    let other = other_records(&server, "other-patient").await;
    let demo = server.token("patient:demo");

    // Granting for another patient.
    let (status, body, _) = send(
        &server,
        "POST",
        "/fhir/Consent",
        &demo,
        &grant_body("other-patient", TRACKER, &["measures.read:weight"]),
    )
    .await;
    assert_outcome(status, &body, 403, "forbidden");
    // Even with other problems in the same body.
    let (status, body, _) = send(
        &server,
        "POST",
        "/fhir/Consent",
        &demo,
        &grant_body("other-patient", TRACKER, &["not a scope"]),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["resourceType"], "OperationOutcome");

    // What the platform's rules refuse.
    let (status, body, _) = send(
        &server,
        "POST",
        "/fhir/Consent",
        &demo,
        &grant_body("demo", "fr.example.unknown", &["measures.read:weight"]),
    )
    .await;
    assert_outcome(status, &body, 422, "business-rule");
    let (status, body, _) = send(
        &server,
        "POST",
        "/fhir/Consent",
        &demo,
        &grant_body("demo", TRACKER, &["agenda.write"]),
    )
    .await;
    assert_outcome(status, &body, 422, "business-rule");
    let past =
        grant_body("demo", TRACKER, &["measures.read:weight"]).replace("2099-12-31", "2001-01-01");
    let (status, body, _) = send(&server, "POST", "/fhir/Consent", &demo, &past).await;
    assert_outcome(status, &body, 400, "value");
    // Nothing of that was written.
    let tracker = ServiceId::new(TRACKER).unwrap();
    let current = grants::current(&server.db, &PatientId::new("demo"), &tracker)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.revision, 1);

    // Bad bodies.
    for body in [
        "nope",
        "{}",
        "[]",
        r#"{"resourceType": "Observation"}"#,
        r#"{"resourceType": "Consent", "status": "active", "patient": {"reference": "Patient/demo"}}"#,
        &grant_body("demo", TRACKER, &["measures.read:weight"]).replace("2099-12-31", "demain"),
        &format!("{}1{}", "[".repeat(100), "]".repeat(100)),
    ] {
        let (status, outcome, _) = send(&server, "POST", "/fhir/Consent", &demo, body).await;
        assert_eq!(status, 400, "{body}: {outcome}");
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{body}");
    }

    // Another patient's grant is not found, whatever is sent, and stays.
    let theirs_path = format!("/fhir/Consent/{}", other.grant);
    let (status, unknown, _) = get(&server, "/fhir/Consent/no-such-grant", &demo).await;
    assert_outcome(status, &unknown, 404, "not-found");
    let (status, body, _) = get(&server, &theirs_path, &demo).await;
    assert_outcome(status, &body, 404, "not-found");
    let revoke = json!({"resourceType": "Consent", "id": other.grant, "status": "inactive"});
    let (status, body, _) = send(&server, "PUT", &theirs_path, &demo, &revoke.to_string()).await;
    assert_outcome(status, &body, 404, "not-found");
    assert_eq!(
        body.to_string().replace(&other.grant, "?"),
        unknown.to_string().replace("no-such-grant", "?")
    );
    let (status, body, _) = send(
        &server,
        "PATCH",
        &theirs_path,
        &demo,
        r#"[{"op": "replace", "path": "/status", "value": "inactive"}]"#,
    )
    .await;
    assert_outcome(status, &body, 404, "not-found");
    assert!(
        officine_host::consent::for_invocation(&server.db, &other.patient, &tracker, now_millis())
            .await
            .unwrap()
            .is_some()
    );

    // Changes other than revoking are refused.
    let (_, read, _) = get(
        &server,
        &format!("/fhir/Consent/{}", current.grant.id()),
        &demo,
    )
    .await;
    let mut changed = read.clone();
    changed["provision"]["period"]["end"] = json!("2199-01-01T00:00:00.000Z");
    let path = format!("/fhir/Consent/{}", current.grant.id());
    let (status, body, _) = send(&server, "PUT", &path, &demo, &changed.to_string()).await;
    assert_outcome(status, &body, 400, "not-supported");
    let mut elsewhere = read.clone();
    elsewhere["status"] = json!("inactive");
    elsewhere["id"] = json!("another-id");
    let (status, body, _) = send(&server, "PUT", &path, &demo, &elsewhere.to_string()).await;
    assert_outcome(status, &body, 400, "value");
    let mut someone_else = read.clone();
    someone_else["status"] = json!("inactive");
    someone_else["patient"]["reference"] = json!("Patient/other-patient");
    let (status, body, _) = send(&server, "PUT", &path, &demo, &someone_else.to_string()).await;
    assert_outcome(status, &body, 403, "forbidden");
    for body in [
        "{}",
        "nope",
        r#"[{"op": "replace", "path": "/status", "value": "inactive"}]"#,
    ] {
        let (status, outcome, _) = send(&server, "PUT", &path, &demo, body).await;
        assert_eq!(status, 400, "{body}: {outcome}");
        assert_eq!(outcome["resourceType"], "OperationOutcome");
    }
    let (status, outcome, _) = send(&server, "PATCH", &path, &demo, &read.to_string()).await;
    assert_outcome(status, &outcome, 400, "structure");
    let still = grants::current(&server.db, &PatientId::new("demo"), &tracker)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.revision, 1, "nothing changed");

    // Editors and regulators read no consent.
    for hint in ["editor:siret:00000000000018", "regulator:ansm"] {
        let token = server.token(hint);
        let (status, _, _) = server.send("GET", "/fhir/Consent", Some(&token), "").await;
        assert_eq!(status, 403, "{hint}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_record_routes_are_documented_for_patients() {
    let server = Server::start().await;
    let (_, _, document) = server.get("/openapi.json").await;
    let document: Value = serde_json::from_str(&document).unwrap();
    for (path, methods) in [
        ("/fhir/Appointment", &["get"][..]),
        ("/fhir/DocumentReference", &["get"]),
        ("/fhir/Binary/{id}", &["get"]),
        ("/fhir/Communication", &["get"]),
        ("/fhir/Consent", &["get", "post"]),
        ("/fhir/Consent/{id}", &["get", "put", "patch"]),
    ] {
        for method in methods {
            let operation = &document["paths"][path][method];
            assert_eq!(operation["tags"][0], "patient", "{method} {path}");
            assert_eq!(
                operation["security"][0]["bearer"],
                json!([]),
                "{method} {path}"
            );
            assert!(
                operation["responses"]["200"].is_object()
                    || operation["responses"]["201"].is_object(),
                "{method} {path}"
            );
        }
    }
}
