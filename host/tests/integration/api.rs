//! The HTTP API, against a real server on loopback.

use crate::server::{Server, header};

#[tokio::test(flavor = "multi_thread")]
async fn the_catalogue_lists_the_listed_services_with_their_consent_sheets() {
    let server = Server::start().await;
    let (status, headers, body) = server.get("/api/catalogue").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "content-type"), Some("application/json"));
    let catalogue: serde_json::Value = serde_json::from_str(&body).unwrap();
    let tracker = catalogue
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "fr.officine.weight-tracker")
        .expect("the weight tracker is listed");
    assert_eq!(tracker["requirement-set"], "officine-listing@2026.1");
    assert_eq!(tracker["consent"]["purpose"], "prevention");
    assert!(
        tracker["consent"]["recourse"]
            .as_str()
            .unwrap()
            .contains("dpo@")
    );
    let scopes = tracker["consent"]["scopes"].as_array().unwrap();
    let weight = scopes
        .iter()
        .find(|s| s["scope"] == "measures.read:weight")
        .unwrap();
    assert_eq!(
        weight["smart"],
        "patient/Observation.rs?code=http://loinc.org|29463-7"
    );
    assert!(
        scopes
            .iter()
            .any(|s| s["scope"] == "storage" && s["smart"].is_null())
    );
    // The limits each invocation runs under: the platform's defaults.
    assert_eq!(
        tracker["limits"],
        serde_json::json!({
            "deadline-ms": 1000,
            "memory-bytes": 64 * 1024 * 1024,
            "response-bytes": 1024 * 1024,
            "platform-calls": 10_000,
            "storage-bytes": 1024 * 1024,
            "fuel": null,
        })
    );
    // A service that asks for its own, in its manifest's `[limits]`.
    let hello = catalogue
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "fr.officine.hello-measures")
        .expect("the smallest example is listed");
    assert_eq!(hello["limits"]["deadline-ms"], 500);
    assert_eq!(hello["limits"]["memory-bytes"], 16 * 1024 * 1024);
    assert_eq!(hello["limits"]["response-bytes"], 1024 * 1024);

    let (status, _, body) = server
        .get("/api/catalogue/fr.officine.weight-tracker")
        .await;
    assert_eq!(status, 200, "{body}");
    let one: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(&one, tracker);

    let (status, headers, body) = server.get("/api/catalogue/fr.example.nothing").await;
    assert_eq!(status, 404);
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/problem+json")
    );
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], 404);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("fr.example.nothing")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_describes_every_route() {
    let server = Server::start().await;
    let (status, _, body) = server.get("/openapi.json").await;
    assert_eq!(status, 200);
    let document: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/catalogue"), "{paths:?}");
    assert!(paths.contains_key("/api/catalogue/{service}"), "{paths:?}");
    // Each documented route answers (no placeholder left in the document).
    for path in paths.keys().filter(|p| !p.contains('{')) {
        let (status, _, body) = server.get(path).await;
        assert!(status < 500, "{path}: {status} {body}");
    }
    // The limits every route shares are documented on each: the deadline
    // everywhere, the body size wherever a body is read.
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = &operation["responses"];
            assert!(
                responses["408"]["content"]["application/problem+json"].is_object(),
                "{method} {path}: {responses}"
            );
            if operation.get("requestBody").is_some() {
                assert!(responses["413"].is_object(), "{method} {path}: {responses}");
            }
        }
    }
}

/// A second patient with a measure no other patient has.
async fn other_patient(server: &Server) -> (&'static str, f64) {
    let (id, marker, _) = other_patient_measure(server).await;
    (id, marker)
}

/// A second patient, a measure no other patient has, and its id.
async fn other_patient_measure(server: &Server) -> (&'static str, f64, String) {
    use officine_host::model::{MeasureKind, PatientId, Writer};
    let other = PatientId::new("other-patient");
    server.db.ensure_patient(&other, "Other").await.unwrap();
    let marker = 123.456;
    let measure = officine_host::db::measures::add(
        &server.db,
        &other,
        &Writer::Patient,
        MeasureKind::Weight,
        marker,
        1_700_000_000_000,
    )
    .await
    .unwrap()
    .expect("the patient's own write is recorded");
    ("other-patient", marker, measure.id)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_reads_and_writes_their_own_measures_as_fhir() {
    let server = Server::start().await;
    let demo = server.token("patient:demo");

    let (status, headers, body) = server.send("GET", "/fhir/Observation", None, "").await;
    assert_eq!(status, 401, "{body}");
    assert!(
        header(&headers, "www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );

    let (status, headers, body) = server
        .send(
            "GET",
            "/fhir/Observation?code=http://loinc.org|29463-7&_count=5",
            Some(&demo),
            "",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/fhir+json")
    );
    let bundle: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    for entry in entries {
        let observation = &entry["resource"];
        assert_eq!(observation["code"]["coding"][0]["code"], "29463-7");
        assert_eq!(observation["valueQuantity"]["code"], "kg");
        assert_eq!(observation["subject"]["reference"], "Patient/demo");
    }

    let weight = r#"{"resourceType":"Observation","status":"final",
        "code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},
        "effectiveDateTime":"2026-11-01T08:00:00Z",
        "valueQuantity":{"value":71.5,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}"#;
    let (status, headers, body) = server
        .send("POST", "/fhir/Observation", Some(&demo), weight)
        .await;
    assert_eq!(status, 201, "{body}");
    let location = header(&headers, "location").unwrap().to_owned();
    assert!(location.starts_with("/fhir/Observation/"), "{location}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (status, _, read) = server.send("GET", &location, Some(&demo), "").await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&read).unwrap(),
        created
    );
    let bmi = weight
        .replace("29463-7", "39156-5")
        .replace("\"kg\"", "\"kg/m2\"");
    let (status, _, body) = server
        .send("POST", "/fhir/Observation", Some(&demo), &bmi)
        .await;
    assert!(status == 400 || status == 422, "{status} {body}");
    let outcome: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let (status, _, _) = server
        .send("POST", "/fhir/Observation", Some(&demo), &deep)
        .await;
    assert_eq!(status, 400);

    // An editor's token is not a patient's.
    let editor = server.token("editor:siret:00000000000018");
    let (status, _, _) = server
        .send("GET", "/fhir/Observation", Some(&editor), "")
        .await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_route_gives_a_patient_another_patients_data() {
    let server = Server::start().await;
    let (other, marker, measure) = other_patient_measure(&server).await;
    let records = crate::api_records::other_records(&server, other).await;
    let demo = server.token("patient:demo");
    // The routes come from the OpenAPI document, not from a list kept here.
    let (_, _, document) = server.get("/openapi.json").await;
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    let mut walked = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        // An `{id}` is one of the other patient's records, of the path's type.
        let id = [
            ("/fhir/Appointment/", &records.event),
            ("/fhir/Communication/", &records.message),
            ("/fhir/Consent/", &records.grant),
            ("/fhir/Observation/", &measure),
        ]
        .into_iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map_or(&records.document, |(_, id)| id);
        let by_id = path.contains("{id}");
        let path = path
            .replace("{service}", "fr.officine.weight-tracker")
            .replace("{id}", id);
        for method in operations.as_object().unwrap().keys() {
            let method = method.to_ascii_uppercase();
            let body = if method == "GET" { "" } else { "{}" };
            let (status, _, body) = server.send(&method, &path, Some(&demo), body).await;
            assert!(status < 500, "{method} {path}: {status} {body}");
            if by_id && method == "GET" && path.starts_with("/fhir/") {
                assert_eq!(
                    status, 404,
                    "{method} {path} reaches another patient's record"
                );
            }
            assert!(
                !body.contains(other),
                "{method} {path} leaks {other}: {body}"
            );
            assert!(
                !body.contains(records.marker),
                "{method} {path} leaks a record: {body}"
            );
            assert!(
                !body.contains(&marker.to_string()),
                "{method} {path} leaks a measure: {body}"
            );
            walked += 1;
        }
    }
    assert!(walked >= 5, "{walked} operations");
    // And the other patient does see their own.
    let theirs = server.token(&format!("patient:{other}"));
    let (status, _, body) = server
        .send("GET", "/fhir/Observation", Some(&theirs), "")
        .await;
    assert_eq!(status, 200);
    assert!(body.contains(&marker.to_string()), "{body}");
    assert!(!body.contains("Patient/demo"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn opening_a_service_gives_its_site_a_session_of_its_own_for_that_patient() {
    use officine_host::model::{PatientId, ServiceId};
    let server = Server::start().await;
    let (other, marker) = other_patient(&server).await;
    let tracker = ServiceId::new("fr.officine.weight-tracker").unwrap();
    let record = officine_host::db::grants::service(&server.db, &tracker)
        .await
        .unwrap()
        .expect("dev registers the tracker");
    officine_host::consent::grant_requested(
        &server.db,
        &PatientId::new(other),
        &record,
        officine_host::model::now_millis(),
    )
    .await
    .unwrap();
    let token = server.token(&format!("patient:{other}"));

    let (status, _, _) = server
        .send("GET", "/s/fr.officine.weight-tracker", None, "")
        .await;
    assert_eq!(status, 401);
    let (status, headers, body) = server
        .send(
            "GET",
            "/s/fr.officine.weight-tracker?path=/api/summary",
            Some(&token),
            "",
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let location = header(&headers, "location").unwrap().to_owned();
    let site = format!("weight-tracker.svc.localhost:{}", server.addr.port());
    let prefix = format!("http://{site}/.officine/session?code=");
    assert!(location.starts_with(&prefix), "{location}");
    let path = &location[format!("http://{site}").len()..];

    // The platform's token goes nowhere near the site: the code does.
    let (status, headers, _) = server.get_at(&site, path, &[]).await;
    assert_eq!(status, 303);
    assert_eq!(header(&headers, "location"), Some("/api/summary"));
    let cookie = header(&headers, "set-cookie").unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    // A code opens one session only.
    let (status, _, _) = server.get_at(&site, path, &[]).await;
    assert_eq!(status, 401);

    let (status, _, body) = server
        .get_at(&site, "/api/summary", &[("Cookie", &session)])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&marker.to_string()),
        "the other patient's own weight: {body}"
    );
    // The session is this service's only.
    let hello = format!("hello-measures.svc.localhost:{}", server.addr.port());
    let (status, _, _) = server.get_at(&hello, "/", &[("Cookie", &session)]).await;
    assert_eq!(status, 401);
    // An unknown service, or a landing off the site, is refused.
    let (status, _, _) = server
        .send("GET", "/s/fr.example.nothing", Some(&token), "")
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = server
        .send(
            "GET",
            "/s/fr.officine.weight-tracker?path=/.officine/session",
            Some(&token),
            "",
        )
        .await;
    assert_eq!(status, 400);
}
