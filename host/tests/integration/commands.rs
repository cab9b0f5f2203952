//! The `officine` commands a newcomer types: `dev` (its router), `run`, and
//! `grant` / `revoke` / `grants`.

use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use officine_host::dev::{DevApp, DevOptions};
use officine_host::examples;
use tower::ServiceExt as _;

async fn dev_app(data: &std::path::Path) -> Arc<DevApp> {
    let options = DevOptions {
        data_dir: data.to_owned(),
        listen: "127.0.0.1:0".parse().unwrap(),
        services: Vec::new(),
        examples: true,
    };
    Arc::new(DevApp::prepare(&options).await.unwrap())
}

async fn send(
    app: &Arc<DevApp>,
    host: &str,
    path: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let request = Request::builder()
        .uri(path)
        .header("host", host)
        .header("cookie", "platform-session=secret")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().router().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_serves_each_example_on_its_own_host_for_the_demo_patient() {
    let data = tempfile::tempdir().unwrap();
    let app = dev_app(&data.path().join("officine-data")).await;

    let (status, headers, body) =
        send(&app, "weight-tracker.svc.localhost:8080", "/api/summary").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["height"]["value"].as_f64(), Some(176.0));

    let (status, _, body) = send(&app, "hello-measures.svc.localhost:8080", "/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"kg\""), "{body}");

    let (status, _, body) = send(&app, "127.0.0.1:8080", "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("http://weight-tracker.svc.localhost:8080/"),
        "{body}"
    );

    // A forged Host header cannot inject markup into the index.
    let (_, _, body) = send(&app, "127.0.0.1:\"><script>x()</script>", "/").await;
    assert!(!body.contains("<script>"), "{body}");

    let (status, _, _) = send(&app, "nope.svc.localhost:8080", "/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The data directory holds health data: owner-only.
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(data.path().join("officine-data"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_keeps_its_data_and_compiled_components_across_restarts() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("officine-data");
    drop(dev_app(&dir).await);
    // Seeding twice must not duplicate the demo patient's data.
    let app = dev_app(&dir).await;
    let (_, _, body) = send(&app, "weight-tracker.svc.localhost", "/api/summary").await;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let trend = json["trend"].as_array().unwrap().len();
    assert!(
        (29..=31).contains(&trend),
        "{trend} points: data was seeded twice?"
    );
    assert!(app.services().all(|(_, s)| s.component.from_cache()));
}

fn officine() -> Command {
    Command::new(env!("CARGO_BIN_EXE_officine"))
}

#[test]
fn run_prints_the_response_of_one_invocation() {
    let workspace = examples::workspace().unwrap();
    let built = examples::build(&workspace).unwrap();
    let tracker = built
        .iter()
        .find(|e| e.package == "weight-tracker")
        .unwrap();
    let output = officine()
        .arg("run")
        .arg(&tracker.wasm)
        .arg("--manifest")
        .arg(&tracker.manifest)
        .args(["--path", "/api/summary"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("HTTP 200\n"), "{stdout}");
    assert!(
        stdout.contains("content-type: application/json"),
        "{stdout}"
    );
    assert!(stdout.contains("\"height\":{\"value\":176.0"), "{stdout}");
}

#[test]
fn run_explains_why_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("service.wasm");
    std::fs::write(&bogus, "not wasm at all").unwrap();
    let manifest = examples::workspace()
        .unwrap()
        .join("plugins/weight-tracker/officine.toml");
    let output = officine()
        .arg("run")
        .arg(&bogus)
        .arg("--manifest")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a WebAssembly file"), "{stderr}");
    assert!(output.stdout.is_empty());

    let output = officine()
        .arg("run")
        .arg(&bogus)
        .args(["--manifest", "/nonexistent/officine.toml"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/officine.toml"));
}

fn officine_in(data: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = officine()
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn grants_are_managed_from_the_command_line_and_enforced_at_once() {
    const TRACKER: &str = "fr.officine.weight-tracker";
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("officine-data");
    let app = dev_app(&dir).await;
    let summary = |app: Arc<DevApp>| async move {
        send(&app, "weight-tracker.svc.localhost", "/api/summary").await
    };

    // `officine dev` granted the demo patient what the tracker requests.
    let (ok, out, err) = officine_in(&dir, &["grants", "demo"]);
    assert!(ok, "{err}");
    assert!(
        out.contains(TRACKER) && out.contains("in force until"),
        "{out}"
    );
    assert!(out.contains("measures.read:height"), "{out}");

    // Narrowed to the weights: no height, no BMI, no goal any more.
    let (ok, out, err) = officine_in(
        &dir,
        &[
            "grant",
            "demo",
            TRACKER,
            "measures.read:weight",
            "--until",
            "2099-12-31",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("until 2100-01-01 00:00 UTC: measures.read:weight"),
        "{out}"
    );
    let (status, _, body) = summary(app.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(json["weight"]["value"].is_number(), "{body}");
    assert!(json["height"].is_null() && json["bmi"].is_null(), "{body}");

    // Refused: a scope the tracker does not request, a malformed one, an
    // unknown service. Nothing changes.
    let before = officine_in(&dir, &["grants", "demo"]).1;
    let (ok, _, err) = officine_in(&dir, &["grant", "demo", TRACKER, "agenda.read"]);
    assert!(!ok);
    assert!(err.contains("did not request agenda.read"), "{err}");
    let (ok, _, err) = officine_in(&dir, &["grant", "demo", TRACKER, "measures.write:bmi"]);
    assert!(!ok);
    assert!(
        err.contains("at column 16") && err.contains("computed"),
        "{err}"
    );
    let (ok, _, err) = officine_in(&dir, &["grant", "demo", "fr.example.none", "storage"]);
    assert!(!ok);
    assert!(err.contains("unknown service fr.example.none"), "{err}");
    assert_eq!(officine_in(&dir, &["grants", "demo"]).1, before);

    // Revoked: the next request is refused before the component runs.
    let (ok, out, err) = officine_in(&dir, &["revoke", "demo", TRACKER, "--erase"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("revoked grant") && out.contains("erased"),
        "{out}"
    );
    let (status, _, body) = summary(app.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("no grant in force"), "{body}");
    let (_, out, _) = officine_in(&dir, &["grants", "demo"]);
    assert!(out.contains("revoked"), "{out}");
    let (ok, _, err) = officine_in(&dir, &["revoke", "demo", TRACKER]);
    assert!(!ok);
    assert!(err.contains("no grant in force"), "{err}");

    // A restart does not grant it again: the revocation is the patient's.
    drop(app);
    let app = dev_app(&dir).await;
    assert_eq!(summary(app).await.0, StatusCode::FORBIDDEN);

    // These commands never create a database.
    let nowhere = data.path().join("nowhere");
    let (ok, _, err) = officine_in(&nowhere, &["grants", "demo"]);
    assert!(!ok);
    assert!(err.contains("no database at"), "{err}");
    assert!(!nowhere.exists());
}
