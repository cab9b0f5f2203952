//! Two `officine serve` processes on one PostgreSQL database: what a
//! patient or a regulator decides through one host, the other enforces at
//! once, and the registry's log written through both is one log.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use officine_host::auth::identity::{AssuranceLevel, Patient, Regulator};
use officine_host::auth::{DevIssuer, Identity, Population};
use officine_host::db::Db;
use officine_host::model::PatientId;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::api_records::grant_body;
use crate::serve::{
    Process, free_port, get_with_head, header, list_example, list_weight_tracker, officine,
    start_serve,
};

const TRACKER: &str = "fr.officine.weight-tracker";
const HELLO: &str = "fr.officine.hello-measures";
const PATIENTS: &str = "https://patients.example";
const REGULATORS: &str = "https://regulators.example";

/// One host: its port and its own data directory (component cache, and a
/// copy of the registry's keys, which every host shares).
struct Node {
    port: u16,
    _process: Process,
}

impl Node {
    async fn start(dir: &Path, data: &Path, url: &str) -> Node {
        let port = free_port();
        let issuer = |issuer: &str, population: Population, jwks: &str| {
            format!(
                "[[issuers]]\nissuer = \"{issuer}\"\naudience = \"{}\"\n\
                 population = \"{}\"\nkeys = {{ source = \"file\", path = \"{}\" }}\n\n",
                DevIssuer::audience(population),
                match population {
                    Population::Patient => "patient",
                    _ => "regulator",
                },
                dir.join(jwks).display()
            )
        };
        let config = data.with_extension("toml");
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:{port}\"\ndata = \"{}\"\ndatabase = \"{url}\"\n\n\
                 [secrets]\npseudonym-key = \"env:OFFICINE_TEST_PSEUDONYM_KEY\"\n\n{}{}",
                data.display(),
                issuer(PATIENTS, Population::Patient, "patients.jwks.json"),
                issuer(REGULATORS, Population::Regulator, "regulators.jwks.json"),
            ),
        )
        .unwrap();
        let process = start_serve(&config, port).await;
        Node {
            port,
            _process: process,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The host name of `service`'s site on this host.
    fn site_of(&self, service: &str) -> String {
        let label = service.rsplit('.').next().unwrap();
        format!("{label}.svc.localhost:{}", self.port)
    }

    /// A request to the platform with a bearer token: status and JSON body.
    async fn send(&self, method: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.host(),
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw);
        let status = text.split(' ').nth(1).unwrap().parse().unwrap();
        let body = text.split_once("\r\n\r\n").unwrap().1;
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// The demo patient's consent to `service` reading their weights, made
    /// through this host: the status and the Consent created.
    async fn consent(&self, token: &str, service: &str) -> (u16, Value) {
        let body = grant_body("demo", service, &["measures.read:weight"]);
        self.send("POST", "/fhir/Consent", token, &body).await
    }

    /// A session on this host's weight-tracker site, through the store's
    /// handshake: the cookie to send there.
    async fn session(&self, token: &str) -> String {
        self.session_with(TRACKER, token).await
    }

    /// A session on this host's site of `service`.
    async fn session_with(&self, service: &str, token: &str) -> String {
        let path = format!("/s/{service}?path=/");
        let (status, head, body) = get_with_head(self.port, &self.host(), &path, Some(token)).await;
        assert_eq!(status, 303, "{head}\n{body}");
        let location = header(&head, "location").to_owned();
        let site = self.site_of(service);
        let code_path = location.trim_start_matches(&format!("http://{site}"));
        let (status, head, _) = get_with_head(self.port, &site, code_path, None).await;
        assert_eq!(status, 303, "{head}");
        let cookie = header(&head, "set-cookie");
        cookie.split(';').next().unwrap().to_owned()
    }

    /// The tracker's summary on this host, with a session cookie.
    async fn summary(&self, cookie: &str) -> (u16, String) {
        self.page(TRACKER, "/api/summary", Some(cookie)).await
    }

    /// `path` on this host's site of `service`: the status and the whole
    /// answer.
    async fn page(&self, service: &str, path: &str, cookie: Option<&str>) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap();
        let cookie = cookie
            .map(|c| format!("Cookie: {c}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\n{cookie}Connection: close\r\n\r\n",
            self.site_of(service)
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text.split(' ').nth(1).unwrap().parse().unwrap();
        (status, text)
    }
}

/// The service's state as the catalogue of `node` shows it: listed or not.
async fn catalogued(node: &Node) -> bool {
    let (status, _, body) = get_with_head(node.port, &node.host(), "/api/catalogue", None).await;
    assert_eq!(status, 200, "{body}");
    body.contains(TRACKER)
}

/// A database for a deployment: the demo patient's space provisioned, as
/// the national platform does, and the weight tracker listed with the
/// registry keys of `data`.
async fn deployment_database(url: &str, data: &Path) {
    let db = Db::connect(url).await.unwrap();
    db.ensure_patient(&PatientId::new("demo"), "Camille Martin")
        .await
        .unwrap();
    list_weight_tracker(db, data).await;
}

/// A provider of `issuer`, its key set published as `jwks` in `dir`.
fn provider(dir: &Path, issuer: &str, jwks: &str) -> DevIssuer {
    let keys = dir.join(jwks).with_extension("");
    std::fs::create_dir_all(&keys).unwrap();
    let provider = DevIssuer::load_or_create(&keys, issuer).unwrap();
    std::fs::write(dir.join(jwks), provider.jwks_json()).unwrap();
    provider
}

/// A token for the demo patient.
fn demo_patient(patients: &DevIssuer) -> String {
    patients.mint(
        &Identity::Patient(Patient {
            subject: PatientId::new("demo"),
            assurance: AssuranceLevel::Substantial,
        }),
        Duration::from_secs(600),
    )
}

fn copy_registry_keys(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".key") || name.ends_with(".json") {
            std::fs::copy(entry.path(), to.join(&*name)).unwrap();
        }
    }
}

/// Two hosts, A and B, on one database, with the weight tracker listed and
/// the identity providers of patients and regulators.
struct Deployment {
    dir: tempfile::TempDir,
    url: String,
    a: Node,
    b: Node,
    patients: DevIssuer,
    regulators: DevIssuer,
}

impl Deployment {
    async fn start() -> Deployment {
        let dir = tempfile::tempdir().unwrap();
        let url = officine_test_postgres::cluster().fresh_url();
        let (data_a, data_b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&data_a).unwrap();
        deployment_database(&url, &data_a).await;
        // The registry's keys are the deployment's, the same on every host.
        copy_registry_keys(&data_a, &data_b);
        let patients = provider(dir.path(), PATIENTS, "patients.jwks.json");
        let regulators = provider(dir.path(), REGULATORS, "regulators.jwks.json");
        let (a, b) = (
            Node::start(dir.path(), &data_a, &url).await,
            Node::start(dir.path(), &data_b, &url).await,
        );
        Deployment {
            dir,
            url,
            a,
            b,
            patients,
            regulators,
        }
    }

    /// Host A's data directory.
    fn data_a(&self) -> PathBuf {
        self.dir.path().join("a")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn what_one_host_decides_the_other_enforces_at_once() {
    let deployment = Deployment::start().await;
    let Deployment {
        url,
        a,
        b,
        patients,
        regulators,
        ..
    } = &deployment;
    let data_a = deployment.data_a();
    let patient = demo_patient(patients);
    let regulator = regulators.mint(
        &Identity::Regulator(Regulator {
            subject: "inspector-1".into(),
        }),
        Duration::from_secs(600),
    );

    // The patient consents through A; B serves them under that grant.
    let (status, created) = a.consent(&patient, TRACKER).await;
    assert_eq!(status, 201, "{created}");
    let cookie = b.session(&patient).await;
    let (status, text) = b.summary(&cookie).await;
    assert_eq!(status, 200, "{text}");

    // Revoked through A: B refuses the next invocation.
    let mut revoked = created.clone();
    revoked["status"] = json!("inactive");
    let id = created["id"].as_str().unwrap();
    let (status, body) = a
        .send(
            "PUT",
            &format!("/fhir/Consent/{id}"),
            &patient,
            &revoked.to_string(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, text) = b.summary(&cookie).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("no grant in force"), "{text}");

    // Granted again through B; suspended through A: B stops serving it
    // and takes it off its catalogue; reinstated through B: A lists it.
    let (status, body) = b.consent(&patient, TRACKER).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(b.summary(&cookie).await.0, 200);
    let release = format!("/api/regulator/releases/{TRACKER}%400.1.0");
    let (status, body) = a
        .send(
            "POST",
            &format!("{release}/suspend"),
            &regulator,
            r#"{"reason":"incident under analysis"}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, text) = b.summary(&cookie).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("not served"), "{text}");
    assert!(!catalogued(b).await);
    let (status, body) = b
        .send(
            "POST",
            &format!("{release}/reinstate"),
            &regulator,
            r#"{"reason":"fixed in place, analysis closed"}"#,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(catalogued(a).await);
    assert_eq!(a.summary(&a.session(&patient).await).await.0, 200);

    // The log, written through both hosts, verifies as one log.
    let out = officine()
        .args(["log", "verify", "--data"])
        .arg(&data_a)
        .env("OFFICINE_DATABASE", url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Key added, signature, submitted, admitted, review started, decided,
    // suspended (A), reinstated (B).
    assert!(stdout.contains("the log verifies: 8 entries"), "{stdout}");
}

/// A TCP relay between a host and the database, that the test can cut
/// and restore: the database becomes unreachable, then reachable again.
struct Relay {
    port: u16,
    target: u16,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Relay {
    fn new(target: u16) -> Relay {
        Relay {
            port: free_port(),
            target,
            tasks: Default::default(),
        }
    }

    fn open(&self) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(([127, 0, 0, 1], self.port).into()).unwrap();
        let listener = socket.listen(64).unwrap();
        let (target, tasks) = (self.target, self.tasks.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(pipe.abort_handle());
            }
        });
        self.tasks.lock().unwrap().push(accept.abort_handle());
    }

    /// Closes the listener and every connection through it.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_that_cannot_reach_the_database_serves_nothing_until_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let url = officine_test_postgres::cluster().fresh_url();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    deployment_database(&url, &data).await;
    let patients = provider(dir.path(), PATIENTS, "patients.jwks.json");
    provider(dir.path(), REGULATORS, "regulators.jwks.json");

    // The host reaches the database through the relay only.
    let server_port: u16 = url
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .unwrap();
    let relay = Relay::new(server_port);
    relay.open();
    let relayed = url.replace(
        &format!("127.0.0.1:{server_port}"),
        &format!("127.0.0.1:{}", relay.port),
    );
    let node = Node::start(dir.path(), &data, &relayed).await;
    let patient = demo_patient(&patients);
    let (status, body) = node.consent(&patient, TRACKER).await;
    assert_eq!(status, 201, "{body}");
    let cookie = node.session(&patient).await;
    assert_eq!(node.summary(&cookie).await.0, 200);

    // Cut off: no invocation, no catalogue, nothing from a cache.
    relay.cut();
    for _ in 0..3 {
        let (status, text) = node.summary(&cookie).await;
        assert_eq!(status, 503, "{text}");
    }
    let (status, _, body) = get_with_head(node.port, &node.host(), "/api/catalogue", None).await;
    assert!(status >= 500, "{status} {body}");

    // Reachable again: served again, without a restart.
    relay.open();
    let start = Instant::now();
    loop {
        let (status, text) = node.summary(&cookie).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{text}");
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "still refused after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn init_prepares_the_database_officine_database_names() {
    let dir = tempfile::tempdir().unwrap();
    let url = officine_test_postgres::cluster().fresh_url();
    let out = officine()
        .args(["init", "--data"])
        .arg(dir.path().join("data"))
        .env("OFFICINE_DATABASE", &url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("database:     the one OFFICINE_DATABASE names"),
        "{stdout}"
    );
    // Migrated by `init`, not by this test: read without migrating.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let (applied,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    let expected = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(applied as usize, expected);
    assert!(!dir.path().join("data/officine.db").exists());
    assert!(dir.path().join("data/registry-log.key").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_listed_after_the_hosts_started_is_served_by_each_without_a_restart() {
    let deployment = Deployment::start().await;
    let Deployment { url, a, b, .. } = &deployment;
    let patient = demo_patient(&deployment.patients);

    // Not listed yet: neither host knows it.
    for node in [a, b] {
        let (status, text) = node.page(HELLO, "/", None).await;
        assert_eq!(status, 404, "{text}");
    }

    // Listed in the shared registry while both hosts run.
    list_example(
        Db::connect(url).await.unwrap(),
        &deployment.data_a(),
        include_str!("../../../examples/hello-measures/officine.toml"),
        crate::support::example_bytes("hello-measures"),
    )
    .await;
    assert!(
        get_with_head(a.port, &a.host(), "/api/catalogue", None)
            .await
            .2
            .contains(HELLO)
    );

    // B serves it from its next request: without a session, it asks for one.
    let (status, text) = b.page(HELLO, "/", None).await;
    assert_eq!(status, 401, "{text}");
    // Granted through A, opened and used on B, then on A.
    let (status, body) = a.consent(&patient, HELLO).await;
    assert_eq!(status, 201, "{body}");
    for node in [b, a] {
        let cookie = node.session_with(HELLO, &patient).await;
        let (status, text) = node.page(HELLO, "/", Some(&cookie)).await;
        assert_eq!(status, 200, "{text}");
        assert!(text.contains("application/json"), "{text}");
    }
    // The services served before are still served.
    for node in [a, b] {
        let (status, text) = node.page(TRACKER, "/", None).await;
        assert_eq!(status, 401, "{text}");
    }
}
