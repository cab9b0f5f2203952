//! The HTTP API, against a real server on loopback.

use std::net::SocketAddr;
use std::sync::Arc;

use officine_host::auth::DevIssuer;
use officine_host::auth::dev_issuer::parse_login_hint;
use officine_host::dev::{DevApp, DevOptions};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A running development server, stopped when dropped.
pub(crate) struct Server {
    pub addr: SocketAddr,
    pub data: std::path::PathBuf,
    pub db: officine_host::db::Db,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Server {
        let data = tempfile::tempdir().unwrap();
        let options = DevOptions {
            data_dir: data.path().join("officine-data"),
            listen: "127.0.0.1:0".parse().unwrap(),
            services: Vec::new(),
            examples: true,
        };
        let app = Arc::new(DevApp::prepare(&options).await.unwrap());
        let db = officine_host::db::Db::open_sqlite(&options.data_dir.join("officine.db"))
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app.router()).await.unwrap();
        });
        Server {
            addr,
            data: options.data_dir,
            db,
            task,
            _dir: data,
        }
    }

    /// A token from the development issuer, as `officine dev token` mints it.
    pub fn token(&self, hint: &str) -> String {
        let issuer = DevIssuer::load_or_create(
            &self.data,
            officine_host::dev::dev_issuer_url("127.0.0.1:0".parse().unwrap()),
        )
        .unwrap();
        let identity = parse_login_hint(hint, None).unwrap();
        issuer.mint(&identity, std::time::Duration::from_secs(600))
    }

    /// One HTTP/1.1 request with a bearer token and a body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, Vec<(String, String)>, String) {
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/fhir+json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.raw(&request).await
    }

    /// One HTTP/1.1 request; returns the status, the headers (lowercase
    /// names) and the body.
    pub async fn get(&self, path: &str) -> (u16, Vec<(String, String)>, String) {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        self.raw(&request).await
    }

    async fn raw(&self, request: &str) -> (u16, Vec<(String, String)>, String) {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        (status, headers, body.to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

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
}

/// A second patient with a measure no other patient has.
async fn other_patient(server: &Server) -> (&'static str, f64) {
    use officine_host::model::{MeasureKind, PatientId, Writer};
    let other = PatientId::new("other-patient");
    server.db.ensure_patient(&other, "Other").await.unwrap();
    let marker = 123.456;
    officine_host::db::measures::add(
        &server.db,
        &other,
        &Writer::Patient,
        MeasureKind::Weight,
        marker,
        1_700_000_000_000,
    )
    .await
    .unwrap();
    ("other-patient", marker)
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
    assert!(
        header(&headers, "location")
            .unwrap()
            .starts_with("/fhir/Observation/")
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
    let (other, marker) = other_patient(&server).await;
    let demo = server.token("patient:demo");
    // The routes come from the OpenAPI document, not from a list kept here.
    let (_, _, document) = server.get("/openapi.json").await;
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    let mut walked = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        let path = path.replace("{service}", "fr.officine.weight-tracker");
        for method in operations.as_object().unwrap().keys() {
            let method = method.to_ascii_uppercase();
            let body = if method == "GET" { "" } else { "{}" };
            let (status, _, body) = server.send(&method, &path, Some(&demo), body).await;
            assert!(status < 500, "{method} {path}: {status} {body}");
            assert!(
                !body.contains(other),
                "{method} {path} leaks {other}: {body}"
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
