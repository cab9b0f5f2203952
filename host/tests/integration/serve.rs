//! `officine serve --config`: the production server, as a process on
//! loopback, with a trusted issuer of its own and no development shortcut.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use officine_host::auth::identity::{AssuranceLevel, Patient};
use officine_host::auth::{DevIssuer, Identity};
use officine_host::db::Db;
use officine_host::listing::releases::Submission;
use officine_host::listing::{Registry, RegistryKeys};
use officine_host::model::PatientId;
use officine_registry::keys::KeyPair;
use officine_registry::review::RequirementSet;
use officine_registry::{Manifest, Release, signature};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{runtime, weight_tracker_bytes};

const ISSUER: &str = "https://patients.example";

/// The server process, killed when dropped.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn officine() -> Command {
    Command::new(env!("CARGO_BIN_EXE_officine"))
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) async fn get(port: u16, host: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let (status, _, body) = get_with_head(port, host, path, token).await;
    (status, body)
}

/// A GET's status, header lines and body.
pub(crate) async fn get_with_head(
    port: u16,
    host: &str,
    path: &str,
    token: Option<&str>,
) -> (u16, String, String) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    exchange(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}"),
        "",
    )
    .await
}

/// One request, `head` (request line and header lines) then `body`: the
/// answer's status, header lines and body.
pub(crate) async fn exchange(port: u16, head: &str, body: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let length = if body.is_empty() {
        String::new()
    } else {
        format!("Content-Length: {}\r\n", body.len())
    };
    let request = format!("{head}{length}Connection: close\r\n\r\n{body}");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (status, head.to_owned(), body.to_owned())
}

/// Starts `officine serve --config config` and waits until it listens on
/// `port`.
pub(crate) async fn start_serve(config: &std::path::Path, port: u16) -> Process {
    let mut process = Process(
        officine()
            .args(["serve", "--config"])
            .arg(config)
            .env("OFFICINE_TEST_PSEUDONYM_KEY", "ab".repeat(32))
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if let Some(status) = process.0.try_wait().unwrap() {
            panic!("officine serve exited before listening: {status}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    process
}

/// Lists the weight tracker in `db`, with the registry keys of `data`, as
/// regulators would.
pub(crate) async fn list_weight_tracker(db: Db, data: &std::path::Path) {
    list_example(
        db,
        data,
        include_str!("../../../plugins/weight-tracker/officine.toml"),
        weight_tracker_bytes(),
    )
    .await;
}

/// Lists a service in `db`, with the registry keys of `data`: its editor's
/// key registered, the release signed, submitted, reviewed and listed.
/// Returns the release's name (`service@version`).
pub(crate) async fn list_example(
    db: Db,
    data: &std::path::Path,
    manifest: &str,
    bytes: &[u8],
) -> String {
    let registry = Registry::new(db, RegistryKeys::load_or_create(data).unwrap());
    let manifest = Manifest::from_toml_str(manifest).unwrap();
    let key = KeyPair::generate().unwrap();
    registry
        .add_key(manifest.editor_id(), key.public_key(), None)
        .await
        .unwrap();
    let release = Release::new(manifest.clone(), bytes).canonical_json();
    let stored = registry
        .submit(
            runtime(),
            Submission {
                manifest: manifest.clone(),
                component: bytes,
                bundle: signature::sign(&release, &key),
            },
        )
        .await
        .unwrap();
    let name = stored.name();
    registry.admit(&name).await.unwrap();
    registry.start_review(&name).await.unwrap();
    let set = RequirementSet::builtin();
    let verdicts = officine_host::listing::dev::development_verdicts(set, &manifest);
    registry.decide(&name, set, &verdicts).await.unwrap();
    name
}

/// The demo patient, as their identity provider vouches for them.
fn demo() -> Identity {
    Identity::Patient(Patient {
        subject: PatientId::new("demo"),
        assurance: AssuranceLevel::Substantial,
    })
}

/// A production deployment on loopback: a data directory, a database of
/// the suites' backend with the weight tracker listed, a patients' identity
/// provider, and the configuration of `officine serve` for them.
pub(crate) struct OneHost {
    _dir: tempfile::TempDir,
    pub(crate) data: std::path::PathBuf,
    pub(crate) url: String,
    pub(crate) port: u16,
    pub(crate) config: std::path::PathBuf,
    /// The patients' identity provider: a key of its own, published as JWKS.
    pub(crate) provider: DevIssuer,
}

impl OneHost {
    pub(crate) async fn prepare() -> OneHost {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let url = crate::support::database_url(&data);
        list_weight_tracker(Db::connect(&url).await.unwrap(), &data).await;
        let provider = DevIssuer::load_or_create(dir.path(), ISSUER).unwrap();
        let jwks = dir.path().join("patients.jwks.json");
        std::fs::write(&jwks, provider.jwks_json()).unwrap();
        let port = free_port();
        let config = dir.path().join("officine.toml");
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:{port}\"\ndata = \"{}\"\ndatabase = \"{url}\"\n\n[secrets]\n\
                 pseudonym-key = \"env:OFFICINE_TEST_PSEUDONYM_KEY\"\n\n[[issuers]]\n\
                 issuer = \"{ISSUER}\"\naudience = \"{}\"\npopulation = \"patient\"\n\
                 keys = {{ source = \"file\", path = \"{}\" }}\n\n\
                 [sites]\ndomain = \"svc.sante.test\"\n",
                data.display(),
                DevIssuer::audience(officine_host::auth::Population::Patient),
                jwks.display()
            ),
        )
        .unwrap();
        OneHost {
            _dir: dir,
            data,
            url,
            port,
            config,
            provider,
        }
    }

    /// Starts `officine serve` and waits until it listens.
    pub(crate) async fn start(&self) -> Process {
        start_serve(&self.config, self.port).await
    }

    /// A token of the demo patient.
    pub(crate) fn demo_token(&self) -> String {
        self.provider.mint(&demo(), Duration::from_secs(300))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_only_tokens_of_its_trusted_issuers_and_has_no_demo_patient() {
    let deployment = OneHost::prepare().await;
    let (port, data) = (deployment.port, &deployment.data);
    let _server = deployment.start().await;
    let host = format!("127.0.0.1:{port}");

    let (status, body) = get(port, &host, "/api/catalogue", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("fr.officine.weight-tracker"), "{body}");

    let token = deployment.demo_token();
    let (status, body) = get(port, &host, "/fhir/Observation", Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    // A token of another issuer (the development one of another data
    // directory) is refused.
    let stranger = DevIssuer::load_or_create(data, "http://127.0.0.1:8080/dev-issuer").unwrap();
    let (status, _) = get(
        port,
        &host,
        "/fhir/Observation",
        Some(&stranger.mint(&demo(), Duration::from_secs(300))),
    )
    .await;
    assert_eq!(status, 401);
    // No development issuer is served.
    let (status, _) = get(port, &host, "/dev-issuer/jwks.json", None).await;
    assert_eq!(status, 404);
    // Services are served under the configured domain, over HTTPS: a
    // service's page without a session acts for nobody; the development
    // domain names no service.
    let site = format!("weight-tracker.svc.sante.test:{port}");
    let (status, body) = get(port, &site, "/api/summary", None).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = get(
        port,
        &format!("weight-tracker.svc.localhost:{port}"),
        "/api/summary",
        None,
    )
    .await;
    assert_eq!(status, 404);
    // The store's handshake leads there, and the session cookie it sets
    // is never sent over plain HTTP.
    let (status, head, body) = get_with_head(
        port,
        &host,
        "/s/fr.officine.weight-tracker?path=/api/summary",
        Some(&token),
    )
    .await;
    assert_eq!(status, 303, "{head}\n{body}");
    let location = header(&head, "location");
    let prefix = format!("https://weight-tracker.svc.sante.test:{port}/.officine/session?code=");
    assert!(location.starts_with(&prefix), "{location}");
    let path = location.trim_start_matches(&format!("https://{site}"));
    let (status, head, _) = get_with_head(port, &site, path, None).await;
    assert_eq!(status, 303, "{head}");
    let cookie = header(&head, "set-cookie");
    assert!(cookie.ends_with("; Secure"), "{cookie}");
}

/// The value of a header in `head`, which must have it.
pub(crate) fn header<'h>(head: &'h str, name: &str) -> &'h str {
    head.lines()
        .filter_map(|line| line.split_once(": "))
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
        .unwrap_or_else(|| panic!("no {name} in {head}"))
}

#[test]
fn serve_refuses_a_configuration_with_no_issuer_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("officine.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:1\"\ndata = \"d\"\n").unwrap();
    let output = officine()
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no [[issuers]]"), "{stderr}");
    assert!(!dir.path().join("d").exists(), "nothing was created");
}

const HOSTILE: &str = "fr.officine.hostile";

/// `officine serve` with the hostile test component listed and granted by
/// the demo patient, who has a session on its site.
struct HostileSite {
    host: OneHost,
    db: Db,
    _server: Process,
    /// The site's host name, and the session cookie to send there.
    site: String,
    cookie: String,
}

impl HostileSite {
    async fn start() -> HostileSite {
        let host = OneHost::prepare().await;
        let db = Db::connect(&host.url).await.unwrap();
        db.ensure_patient(&PatientId::new("demo"), "Camille Martin")
            .await
            .unwrap();
        list_example(
            db.clone(),
            &host.data,
            include_str!("../../../plugins/hostile/officine.toml"),
            crate::support::hostile_bytes("hostile"),
        )
        .await;
        let server = host.start().await;
        let token = host.demo_token();
        let platform = format!("127.0.0.1:{}", host.port);
        let (status, _, body) = exchange(
            host.port,
            &format!(
                "POST /fhir/Consent HTTP/1.1\r\nHost: {platform}\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/fhir+json\r\n"
            ),
            &crate::api_records::grant_body("demo", HOSTILE, &["storage"]),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        // The store's handshake, then the site's session.
        let (status, head, body) = get_with_head(
            host.port,
            &platform,
            &format!("/s/{HOSTILE}?path=/"),
            Some(&token),
        )
        .await;
        assert_eq!(status, 303, "{head}\n{body}");
        let site = format!("hostile.svc.sante.test:{}", host.port);
        let code = header(&head, "location").trim_start_matches(&format!("https://{site}"));
        let (status, head, _) = get_with_head(host.port, &site, code, None).await;
        assert_eq!(status, 303, "{head}");
        let cookie = header(&head, "set-cookie")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        HostileSite {
            host,
            db,
            _server: server,
            site,
            cookie,
        }
    }

    /// `GET path` on the site, in the background.
    fn get(&self, path: &str) -> tokio::task::JoinHandle<(u16, String, String)> {
        let port = self.host.port;
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\n",
            self.site, self.cookie
        );
        tokio::spawn(async move { exchange(port, &head, "").await })
    }
}

/// The kill switch across processes: a request running in `officine serve`
/// is stopped by a revocation made with the command line, another process,
/// with the revocation's reason — not at its deadline.
#[tokio::test(flavor = "multi_thread")]
async fn a_revocation_from_another_process_stops_a_request_in_flight() {
    let site = HostileSite::start().await;
    let (host, db) = (&site.host, &site.db);

    // A request that marks that it runs, then loops.
    let in_flight = site.get("/mark-then-loop");
    let running = "SELECT COUNT(*) FROM service_storage WHERE service_id = 'fr.officine.hostile' \
                   AND patient_id = 'demo' AND key = 'running'";
    loop {
        let (n,): (i64,) = sqlx::query_as(running).fetch_one(db.pool()).await.unwrap();
        if n == 1 {
            break;
        }
        assert!(!in_flight.is_finished(), "{:?}", in_flight.await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let mut revoke = officine();
    revoke
        .args(["revoke", "demo", HOSTILE, "--data"])
        .arg(&host.data);
    if crate::BACKEND == officine_host::db::Backend::Postgres {
        revoke.env("OFFICINE_DATABASE", &host.url);
    }
    let output = revoke.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let (status, _, body) = in_flight.await.unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("grant was revoked"), "{body}");
}

/// Past its cap of invocations at once, a service is refused at once, with
/// the reason and when to retry, and serves again once they end.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_at_its_cap_answers_429_at_once() {
    let site = HostileSite::start().await;
    // The cap is 16 per service: seventeen looping requests at once.
    let looping: Vec<_> = (0..17).map(|_| site.get("/loop")).collect();
    let mut outcomes = Vec::new();
    for request in looping {
        outcomes.push(request.await.unwrap());
    }
    let refused: Vec<_> = outcomes
        .iter()
        .filter(|(status, _, _)| *status == 429)
        .collect();
    assert_eq!(refused.len(), 1, "{outcomes:?}");
    let (_, head, body) = refused[0];
    assert_eq!(header(head, "retry-after"), "1");
    assert!(body.contains("16 invocations of this service"), "{body}");
    // The others ran until their deadline.
    let timed_out = outcomes
        .iter()
        .filter(|(status, _, _)| *status == 504)
        .count();
    assert_eq!(timed_out, 16, "{outcomes:?}");
    // Their places are free again.
    let (status, _, body) = site.get("/oversized").await.unwrap();
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("response is over"), "{body}");
}

/// A newer version listed while the server runs replaces the one it serves
/// — here the same component under a manifest with its own deadline — from
/// the requests after the next, without a restart.
#[tokio::test(flavor = "multi_thread")]
async fn a_newer_version_listed_while_serving_replaces_the_served_one() {
    let site = HostileSite::start().await;
    let manifest = include_str!("../../../plugins/hostile/officine.toml").replacen(
        "version = \"0.1.0\"",
        "version = \"0.2.0\"",
        1,
    ) + "\n[limits]\ndeadline-ms = 100\n";
    let (status, _, body) = site.get("/loop").await.unwrap();
    assert_eq!(status, 504, "{body}");
    assert!(body.contains("its 1s deadline"), "{body}");

    list_example(
        site.db.clone(),
        &site.host.data,
        &manifest,
        crate::support::hostile_bytes("hostile"),
    )
    .await;
    // The invocation that sees the registry move is served by the version
    // at hand; the reload runs meanwhile, and a later one runs 0.2.0.
    let mut answers = Vec::new();
    for _ in 0..5 {
        let (status, _, body) = site.get("/loop").await.unwrap();
        assert_eq!(status, 504, "{body}");
        if body.contains("its 100ms deadline") {
            return;
        }
        answers.push(body);
    }
    panic!("0.2.0 was never served: {answers:?}");
}

/// The value of the cookie `name` a response's header lines set, with its
/// attributes.
fn set_cookie<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .filter_map(|line| line.strip_prefix("set-cookie: "))
        .find(|cookie| cookie.starts_with(&format!("{name}=")))
}

fn location(head: &str) -> &str {
    head.lines()
        .find_map(|line| line.strip_prefix("location: "))
        .unwrap_or_else(|| panic!("no location: {head}"))
}

fn cookie_value(cookie: &str) -> &str {
    cookie.split(';').next().unwrap()
}

/// Signing in to `serve`'s pages with a provider of the configuration:
/// its endpoints read from its discovery document, the code exchanged over
/// HTTP, the ID token checked with the keys fetched from its key set URL,
/// and a session cookie that is `Secure`.
#[tokio::test(flavor = "multi_thread")]
async fn serve_signs_patients_in_with_a_configured_openid_provider() {
    // The provider: an OpenID Connect server of its own, on loopback.
    let idp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let idp_port = idp.local_addr().unwrap().port();
    let issuer_url = format!("http://127.0.0.1:{idp_port}/idp");
    let dir = tempfile::tempdir().unwrap();
    let issuer = std::sync::Arc::new(
        DevIssuer::load_or_create(dir.path(), issuer_url.clone())
            .unwrap()
            .with_client("officine-pages"),
    );
    let provider = tokio::spawn(async move {
        let app = axum::Router::new().nest("/idp", issuer.router());
        axum::serve(idp, app).await.unwrap();
    });

    let deployment = OneHost::prepare().await;
    let port = deployment.port;
    let platform = format!("http://127.0.0.1:{port}");
    let config = std::fs::read_to_string(&deployment.config).unwrap();
    let config = format!(
        "public-url = \"{platform}\"\n{config}\n\
         [[issuers]]\nissuer = \"{issuer_url}\"\naudience = \"{}\"\npopulation = \"patient\"\n\
         keys = {{ source = \"url\", url = \"{issuer_url}/jwks.json\" }}\n\n\
         [[sign-in]]\nname = \"patients\"\nlabel = \"Compte santé\"\nissuer = \"{issuer_url}\"\n\
         client-id = \"officine-pages\"\npopulation = \"patient\"\n",
        DevIssuer::audience(officine_host::auth::Population::Patient),
    );
    std::fs::write(&deployment.config, config).unwrap();
    let _server = deployment.start().await;
    let host = format!("127.0.0.1:{port}");

    let (status, head, page) = get_with_head(port, &host, "/connexion", None).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(">Compte santé</button>"), "{page}");
    assert!(!page.contains("démonstration"), "no demo identity: {page}");
    let browser = cookie_value(set_cookie(&head, "officine-sign-in").unwrap()).to_owned();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let form = format!("csrf={csrf}&lang=fr&retour=&provider=patients");
    let (status, head, body) = exchange(
        port,
        &format!(
            "POST /connexion HTTP/1.1\r\nHost: {host}\r\nOrigin: {platform}\r\nCookie: {browser}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n"
        ),
        &form,
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let authorize = location(&head).to_owned();
    assert!(
        authorize.starts_with(&format!("{issuer_url}/authorize?")),
        "from the discovery document: {authorize}"
    );
    assert!(!authorize.contains("login_hint"), "{authorize}");

    // At the provider, the patient says who they are.
    let path = authorize
        .strip_prefix(&format!("http://127.0.0.1:{idp_port}"))
        .unwrap();
    let (status, head, body) = get_with_head(
        idp_port,
        &format!("127.0.0.1:{idp_port}"),
        &format!("{path}&login_hint=patient:demo"),
        None,
    )
    .await;
    assert_eq!(status, 303, "{body}");
    let callback = location(&head).to_owned();
    let callback = callback.strip_prefix(&platform).unwrap();
    assert!(
        callback.starts_with("/connexion/retour?code="),
        "{callback}"
    );

    let (status, head, page) = exchange(
        port,
        &format!("GET {callback} HTTP/1.1\r\nHost: {host}\r\nCookie: {browser}\r\n"),
        "",
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let session = set_cookie(&head, "officine-session").unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }
    let (status, _, page) = exchange(
        port,
        &format!(
            "GET /mes-services HTTP/1.1\r\nHost: {host}\r\nCookie: {}\r\n",
            cookie_value(session)
        ),
        "",
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Patient·e demo"), "{page}");
    provider.abort();
}
