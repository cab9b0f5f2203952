//! The HTTP API, against a real server on loopback.

use std::net::SocketAddr;
use std::sync::Arc;

use officine_host::dev::{DevApp, DevOptions};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A running development server, stopped when dropped.
pub(crate) struct Server {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    _data: tempfile::TempDir,
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
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app.router()).await.unwrap();
        });
        Server {
            addr,
            task,
            _data: data,
        }
    }

    /// One HTTP/1.1 request; returns the status, the headers (lowercase
    /// names) and the body.
    pub async fn get(&self, path: &str) -> (u16, Vec<(String, String)>, String) {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
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
