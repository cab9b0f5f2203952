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
        database: None,
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

/// The weight tracker built from source: its component and manifest paths.
fn built_tracker() -> examples::Example {
    let workspace = examples::workspace().unwrap();
    examples::build(&workspace)
        .unwrap()
        .into_iter()
        .find(|e| e.package == "weight-tracker")
        .unwrap()
}

fn officine() -> Command {
    Command::new(env!("CARGO_BIN_EXE_officine"))
}

#[test]
fn run_prints_the_response_of_one_invocation() {
    let tracker = built_tracker();
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

#[tokio::test(flavor = "multi_thread")]
async fn dev_lists_its_examples_and_a_suspension_from_another_process_stops_one_at_once() {
    const TRACKER: &str = "fr.officine.weight-tracker@0.1.0";
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("officine-data");
    let app = dev_app(&dir).await;

    let (ok, out, err) = officine_in(&dir, &["review", "list"]);
    assert!(ok, "{err}");
    assert!(out.contains(TRACKER) && out.contains("listed"), "{out}");
    let (ok, out, err) = officine_in(&dir, &["review", "show", TRACKER]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Development listing by `officine dev`"),
        "{out}"
    );

    let (ok, _, err) = officine_in(&dir, &["suspend", TRACKER, "--reason", "incident"]);
    assert!(ok, "{err}");
    let (status, _, body) = send(&app, "weight-tracker.svc.localhost", "/api/summary").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("is suspended, not listed"), "{body}");
    // The other example is untouched.
    let (status, _, _) = send(&app, "hello-measures.svc.localhost", "/").await;
    assert_eq!(status, StatusCode::OK);

    let (ok, _, err) = officine_in(&dir, &["reinstate", TRACKER, "--reason", "fixed"]);
    assert!(ok, "{err}");
    let (status, _, body) = send(&app, "weight-tracker.svc.localhost", "/api/summary").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (ok, out, err) = officine_in(&dir, &["log", "verify"]);
    assert!(ok, "{err}");
    assert!(out.contains("the log verifies"), "{out}");
}

#[test]
fn an_editor_signs_and_submits_and_a_regulator_lists_from_the_command_line() {
    let tracker = built_tracker();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("registry");
    let wasm = tmp.path().join("tracker.wasm");
    std::fs::copy(&tracker.wasm, &wasm).unwrap();
    let key = tmp.path().join("editor.key");
    let manifest = tracker.manifest.to_str().unwrap();
    let (wasm_arg, key_arg) = (wasm.to_str().unwrap(), key.to_str().unwrap());
    let name = "fr.officine.weight-tracker@0.1.0";

    let (ok, out, err) = officine_in(&dir, &["init"]);
    assert!(ok, "{err}");
    assert!(out.contains("trusted root"), "{out}");
    let output = officine()
        .args(["keys", "new", "--out", key_arg])
        .output()
        .unwrap();
    assert!(output.status.success());
    let pub_key = format!("{key_arg}.pub");
    // A second `keys new` never overwrites a private key.
    let output = officine()
        .args(["keys", "new", "--out", key_arg])
        .output()
        .unwrap();
    assert!(!output.status.success());

    let signed = officine()
        .args([
            "sign",
            "--key",
            key_arg,
            "--manifest",
            manifest,
            "--component",
            wasm_arg,
        ])
        .output()
        .unwrap();
    assert!(signed.status.success());
    assert!(tmp.path().join("tracker.wasm.sigstore.json").is_file());
    let submit = || {
        officine_in(
            &dir,
            &["submit", "--manifest", manifest, "--component", wasm_arg],
        )
    };
    // Not registered yet: refused.
    let (ok, _, err) = submit();
    assert!(!ok);
    assert!(err.contains("is not registered"), "{err}");
    let (ok, out, err) = officine_in(&dir, &["keys", "add", "siret:00000000000018", &pub_key]);
    assert!(ok, "{err}");
    assert!(out.contains("registered to siret:00000000000018"), "{out}");
    let (ok, out, err) = submit();
    assert!(ok, "{err}");
    assert!(out.contains(&format!("{name} submitted")), "{out}");
    let (ok, _, err) = submit();
    assert!(!ok);
    assert!(err.contains("already submitted"), "{err}");
    // A consent sheet missing a field: named, and nothing recorded.
    let before = officine_in(&dir, &["log", "verify"]).1;
    let text = std::fs::read_to_string(manifest).unwrap();
    let incomplete: String = text
        .lines()
        .filter(|line| !line.starts_with("recourse = "))
        .map(|line| format!("{line}\n"))
        .collect();
    let incomplete_path = tmp.path().join("incomplete.toml");
    std::fs::write(&incomplete_path, incomplete.replace("0.1.0", "0.2.0")).unwrap();
    let (ok, _, err) = officine_in(
        &dir,
        &[
            "submit",
            "--manifest",
            incomplete_path.to_str().unwrap(),
            "--component",
            wasm_arg,
        ],
    );
    assert!(!ok);
    assert!(err.contains("consent.recourse: missing"), "{err}");
    assert_eq!(officine_in(&dir, &["log", "verify"]).1, before);

    for step in ["admit", "start"] {
        let (ok, _, err) = officine_in(&dir, &["review", step, name]);
        assert!(ok, "{err}");
    }
    // The template decides nothing until every verdict is written.
    let (ok, template, err) = officine_in(&dir, &["review", "template", name]);
    assert!(ok, "{err}");
    let verdicts = tmp.path().join("verdicts.toml");
    std::fs::write(&verdicts, &template).unwrap();
    let verdicts_arg = verdicts.to_str().unwrap();
    let (ok, _, err) = officine_in(&dir, &["review", "decide", name, verdicts_arg]);
    assert!(!ok);
    assert!(err.contains("note: must not be empty"), "{err}");
    let (ok, out, _) = officine_in(&dir, &["review", "list"]);
    assert!(ok && out.contains("in-review"), "{out}");

    // Every applicable requirement met, each with a proof it accepts.
    let mut filled = String::new();
    let mut kind = None;
    for line in template.lines() {
        if let Some(kinds) = line.strip_prefix("# accepted proofs: ") {
            kind =
                (!kinds.starts_with("none")).then(|| kinds.split(", ").next().unwrap().to_owned());
        }
        let line = match line {
            "met = false" => "met = true".to_owned(),
            "note = \"\"" => "note = \"Checked.\"".to_owned(),
            "proofs = []" => match &kind {
                Some(kind) => format!(
                    "proofs = [{{ kind = \"{kind}\", ref = \"https://proofs.example/{kind}\" }}]"
                ),
                None => line.to_owned(),
            },
            _ => line.to_owned(),
        };
        filled.push_str(&line);
        filled.push('\n');
    }
    std::fs::write(&verdicts, filled).unwrap();
    let (ok, out, err) = officine_in(&dir, &["review", "decide", name, verdicts_arg]);
    assert!(ok, "{err}");
    assert!(out.contains("is listed"), "{out}");
    let (ok, out, err) = officine_in(&dir, &["log", "verify", "--inclusion", "1"]);
    assert!(ok, "{err}");
    assert!(out.contains("entry 1 is included"), "{out}");
    let (ok, out, err) = officine_in(&dir, &["log", "show", "1"]);
    assert!(ok, "{err}");
    assert!(out.contains("hashedrekord"), "{out}");
}
