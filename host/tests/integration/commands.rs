//! The `officine` commands a newcomer types: `dev` (its router) and
//! `grant` / `revoke` / `grants` (`officine run` is in `harness.rs`); on the database of `crate::BACKEND`, which
//! the commands are given as `officine dev --database` and
//! `OFFICINE_DATABASE` would be.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use officine_host::audit::misuse::{self, MisuseRules, Rule};
use officine_host::db::{Backend, Db};
use officine_host::dev::{DevApp, DevOptions};
use officine_host::examples;
use officine_host::model::now_millis;
use tower::ServiceExt as _;

/// A data directory and its database: on SQLite, the file `officine dev`
/// makes in the directory by default; on PostgreSQL, a schema of its own on
/// the test server, named to every command.
struct Data {
    dir: PathBuf,
    url: String,
}

impl Data {
    /// The data directory `officine-data` under `parent`, not created yet.
    fn under(parent: &Path) -> Data {
        Data::at(parent.join("officine-data"))
    }

    fn at(dir: PathBuf) -> Data {
        let url = crate::support::database_url(&dir);
        Data { dir, url }
    }

    /// The database URL to name, if the default would not do.
    fn database(&self) -> Option<&str> {
        (crate::BACKEND != Backend::Sqlite).then_some(self.url.as_str())
    }

    /// `officine dev` on this data directory and database, not listening.
    async fn dev_app(&self) -> Arc<DevApp> {
        let options = DevOptions {
            data_dir: self.dir.clone(),
            listen: "127.0.0.1:0".parse().unwrap(),
            services: Vec::new(),
            examples: true,
            database: self.database().map(str::to_owned),
        };
        let app = Arc::new(DevApp::prepare(&options).await.unwrap());
        self.assert_no_stray_file();
        app
    }

    /// Runs `officine ARGS --data DIR` on this database.
    fn officine(&self, args: &[&str]) -> (bool, String, String) {
        let mut command = officine();
        if let Some(url) = self.database() {
            command.env("OFFICINE_DATABASE", url);
        }
        let outcome = outcome(command.args(args).arg("--data").arg(&self.dir));
        self.assert_no_stray_file();
        outcome
    }

    /// On PostgreSQL, nothing was stored in an SQLite file beside it.
    fn assert_no_stray_file(&self) {
        if self.database().is_some() {
            let file = self.dir.join("officine.db");
            assert!(
                !file.exists(),
                "{:?}: {} made",
                crate::BACKEND,
                file.display()
            );
        }
    }
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
    let app = Data::under(data.path()).dev_app().await;

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
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::under(tmp.path());
    drop(data.dev_app().await);
    // Seeding twice must not duplicate the demo patient's data.
    let app = data.dev_app().await;
    let (_, _, body) = send(&app, "weight-tracker.svc.localhost", "/api/summary").await;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let trend = json["trend"].as_array().unwrap().len();
    assert!(
        (29..=31).contains(&trend),
        "{trend} points: data was seeded twice?"
    );
    assert!(app.services().values().all(|s| s.component.from_cache()));
}

/// The weight tracker built from source: its component and manifest paths.
pub(crate) fn built_tracker() -> examples::Example {
    let workspace = examples::workspace().unwrap();
    examples::build(&workspace)
        .unwrap()
        .into_iter()
        .find(|e| e.package == "weight-tracker")
        .unwrap()
}

/// The `officine` command, on the database of its data directory unless
/// told otherwise.
pub(crate) fn officine() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_officine"));
    command.env_remove("OFFICINE_DATABASE");
    command
}

/// Runs `command`: whether it succeeded, its standard output and error.
fn outcome(command: &mut Command) -> (bool, String, String) {
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn grants_are_managed_from_the_command_line_and_enforced_at_once() {
    const TRACKER: &str = "fr.officine.weight-tracker";
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::under(tmp.path());
    let app = data.dev_app().await;
    let summary = |app: Arc<DevApp>| async move {
        send(&app, "weight-tracker.svc.localhost", "/api/summary").await
    };

    // `officine dev` granted the demo patient what the tracker requests.
    let (ok, out, err) = data.officine(&["grants", "demo"]);
    assert!(ok, "{err}");
    assert!(
        out.contains(TRACKER) && out.contains("in force until"),
        "{out}"
    );
    assert!(out.contains("measures.read:height"), "{out}");

    // Narrowed to the weights: no height, no BMI, no goal any more.
    let (ok, out, err) = data.officine(&[
        "grant",
        "demo",
        TRACKER,
        "measures.read:weight",
        "--until",
        "2099-12-31",
    ]);
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
    let before = data.officine(&["grants", "demo"]).1;
    let (ok, _, err) = data.officine(&["grant", "demo", TRACKER, "agenda.read"]);
    assert!(!ok);
    assert!(err.contains("did not request agenda.read"), "{err}");
    let (ok, _, err) = data.officine(&["grant", "demo", TRACKER, "measures.write:bmi"]);
    assert!(!ok);
    assert!(
        err.contains("at column 16") && err.contains("computed"),
        "{err}"
    );
    let (ok, _, err) = data.officine(&["grant", "demo", "fr.example.none", "storage"]);
    assert!(!ok);
    assert!(err.contains("unknown service fr.example.none"), "{err}");
    assert_eq!(data.officine(&["grants", "demo"]).1, before);

    // Revoked: the next request is refused before the component runs.
    let (ok, out, err) = data.officine(&["revoke", "demo", TRACKER, "--erase"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("revoked grant") && out.contains("erased"),
        "{out}"
    );
    let (status, _, body) = summary(app.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("no grant in force"), "{body}");
    // Read on the service's own origin: nothing of the patient's identity.
    assert!(!body.contains("demo"), "{body}");
    let (_, out, _) = data.officine(&["grants", "demo"]);
    assert!(out.contains("revoked"), "{out}");
    let (ok, _, err) = data.officine(&["revoke", "demo", TRACKER]);
    assert!(!ok);
    assert!(err.contains("no grant in force"), "{err}");

    // A restart does not grant it again: the revocation is the patient's.
    drop(app);
    let app = data.dev_app().await;
    assert_eq!(summary(app).await.0, StatusCode::FORBIDDEN);

    // These commands never create a database.
    let nowhere = tmp.path().join("nowhere");
    let (ok, _, err) = outcome(officine().args(["grants", "demo", "--data"]).arg(&nowhere));
    assert!(!ok);
    assert!(err.contains("no database at"), "{err}");
    assert!(!nowhere.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_lists_its_examples_and_a_suspension_from_another_process_stops_one_at_once() {
    const TRACKER: &str = "fr.officine.weight-tracker@0.1.0";
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::under(tmp.path());
    let app = data.dev_app().await;

    let (ok, out, err) = data.officine(&["review", "list"]);
    assert!(ok, "{err}");
    assert!(out.contains(TRACKER) && out.contains("listed"), "{out}");
    let (ok, out, err) = data.officine(&["review", "show", TRACKER]);
    assert!(ok, "{err}");
    assert!(
        out.contains("Development listing by `officine dev`"),
        "{out}"
    );

    let (ok, _, err) = data.officine(&["suspend", TRACKER, "--reason", "incident"]);
    assert!(ok, "{err}");
    let (status, _, body) = send(&app, "weight-tracker.svc.localhost", "/api/summary").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("is suspended, not listed"), "{body}");
    // The other example is untouched.
    let (status, _, _) = send(&app, "hello-measures.svc.localhost", "/").await;
    assert_eq!(status, StatusCode::OK);

    let (ok, _, err) = data.officine(&["reinstate", TRACKER, "--reason", "fixed"]);
    assert!(ok, "{err}");
    let (status, _, body) = send(&app, "weight-tracker.svc.localhost", "/api/summary").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (ok, out, err) = data.officine(&["log", "verify"]);
    assert!(ok, "{err}");
    assert!(out.contains("the log verifies"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_regulator_checks_the_audit_log_and_reads_a_report_from_the_command_line() {
    const TRACKER: &str = "fr.officine.weight-tracker";
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::under(tmp.path());
    let app = data.dev_app().await;
    let (status, _, _) = send(&app, "weight-tracker.svc.localhost", "/").await;
    assert_eq!(status, StatusCode::OK);
    drop(app);

    let (ok, out, err) = data.officine(&["audit", "seal"]);
    assert!(ok, "{err}");
    assert!(out.contains("events placed"), "{out}");
    let (ok, out, err) = data.officine(&["audit", "verify", "--inclusion", "0"]);
    assert!(ok, "{err}");
    assert!(out.contains("the audit log verifies"), "{out}");
    assert!(out.contains("event 0 is included"), "{out}");
    let checkpoint = out
        .split_once("keep it to check later with --since):\n")
        .map(|(_, note)| note.to_owned())
        .expect("the latest checkpoint");
    let kept = tmp.path().join("kept-checkpoint.txt");
    std::fs::write(&kept, &checkpoint).unwrap();
    let (ok, out, err) = data.officine(&["audit", "verify", "--since", kept.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("it extends the kept checkpoint"), "{out}");

    let (ok, out, err) = data.officine(&["audit", "report", TRACKER]);
    assert!(ok, "{err}");
    assert!(
        out.contains("1 patients") && out.contains("measures.list"),
        "{out}"
    );
    let (ok, out, err) = data.officine(&["audit", "show", "0"]);
    assert!(ok, "{err}");
    assert!(out.starts_with("{\"at\":"), "{out}");

    // The misuse rules (thresholds lowered so that one page trips them)
    // put the service in the queue; a regulator closes the alert.
    let db = Db::connect(&data.url).await.unwrap();
    let rules = MisuseRules {
        per_patient: 1,
        ..MisuseRules::default()
    };
    let raised = misuse::evaluate(&db, &rules, now_millis()).await.unwrap();
    let alert = raised
        .iter()
        .find(|a| a.service == TRACKER && a.rule == Rule::PerPatient)
        .expect("the per-patient rule holds");
    let (ok, out, err) = data.officine(&["audit", "alerts"]);
    assert!(ok, "{err}");
    assert!(
        out.contains(&alert.id) && out.contains("per-patient") && out.contains("(open)"),
        "{out}"
    );
    let (ok, _, err) = data.officine(&["audit", "close", &alert.id, "--by", "ansm", "--note", " "]);
    assert!(!ok && err.contains("--note"), "{err}");
    let (ok, _, err) = data.officine(&[
        "audit", "close", "nope", "--by", "ansm", "--note", "checked",
    ]);
    assert!(!ok && err.contains("no open alert nope"), "{err}");
    let (ok, _, err) = data.officine(&[
        "audit",
        "close",
        &alert.id,
        "--by",
        "ansm",
        "--note",
        "a test page",
    ]);
    assert!(ok, "{err}");
    let (_, out, _) = data.officine(&["audit", "alerts"]);
    assert!(!out.contains(&alert.id), "{out}");
    let (_, out, _) = data.officine(&["audit", "alerts", "--all"]);
    assert!(
        out.contains(&alert.id) && out.contains("closed by ansm"),
        "{out}"
    );

    // Bad input is named, and changes nothing.
    let (ok, _, err) = data.officine(&["audit", "report", TRACKER, "--since", "2026-13-01"]);
    assert!(!ok && err.contains("is not a date"), "{err}");
    let (ok, _, err) = data.officine(&["audit", "show", "999999"]);
    assert!(!ok && err.contains("has no event 999999"), "{err}");

    // A row changed behind the platform's back is found, with its place.
    let disable = match crate::BACKEND {
        Backend::Sqlite => "DROP TRIGGER audit_events_never_changed",
        Backend::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER USER",
    };
    sqlx::query(disable).execute(db.pool()).await.unwrap();
    sqlx::query("UPDATE audit_events SET body = REPLACE(body, '\"records\":', '\"records\":1') WHERE idx = 2")
        .execute(db.pool())
        .await
        .unwrap();
    let (ok, _, err) = data.officine(&["audit", "verify"]);
    assert!(!ok, "a changed log verified");
    assert!(err.contains("event 2 was changed"), "{err}");
}

#[test]
fn an_editor_signs_and_submits_and_a_regulator_lists_from_the_command_line() {
    let tracker = built_tracker();
    let tmp = tempfile::tempdir().unwrap();
    let data = Data::at(tmp.path().join("registry"));
    let wasm = tmp.path().join("tracker.wasm");
    std::fs::copy(&tracker.wasm, &wasm).unwrap();
    let key = tmp.path().join("editor.key");
    let manifest = tracker.manifest.to_str().unwrap();
    let (wasm_arg, key_arg) = (wasm.to_str().unwrap(), key.to_str().unwrap());
    let name = "fr.officine.weight-tracker@0.1.0";

    let (ok, out, err) = data.officine(&["init"]);
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
    let submit = || data.officine(&["submit", "--manifest", manifest, "--component", wasm_arg]);
    // Not registered yet: refused.
    let (ok, _, err) = submit();
    assert!(!ok);
    assert!(err.contains("is not registered"), "{err}");
    let (ok, out, err) = data.officine(&["keys", "add", "siret:00000000000018", &pub_key]);
    assert!(ok, "{err}");
    assert!(out.contains("registered to siret:00000000000018"), "{out}");
    let (ok, out, err) = submit();
    assert!(ok, "{err}");
    assert!(out.contains(&format!("{name} submitted")), "{out}");
    let (ok, _, err) = submit();
    assert!(!ok);
    assert!(err.contains("already submitted"), "{err}");
    // A consent sheet missing a field: named, and nothing recorded.
    let before = data.officine(&["log", "verify"]).1;
    let text = std::fs::read_to_string(manifest).unwrap();
    let incomplete: String = text
        .lines()
        .filter(|line| !line.starts_with("recourse = "))
        .map(|line| format!("{line}\n"))
        .collect();
    let incomplete_path = tmp.path().join("incomplete.toml");
    std::fs::write(&incomplete_path, incomplete.replace("0.1.0", "0.2.0")).unwrap();
    let (ok, _, err) = data.officine(&[
        "submit",
        "--manifest",
        incomplete_path.to_str().unwrap(),
        "--component",
        wasm_arg,
    ]);
    assert!(!ok);
    assert!(err.contains("consent.recourse: missing"), "{err}");
    assert_eq!(data.officine(&["log", "verify"]).1, before);

    for step in ["admit", "start"] {
        let (ok, _, err) = data.officine(&["review", step, name]);
        assert!(ok, "{err}");
    }
    // The template decides nothing until every verdict is written.
    let (ok, template, err) = data.officine(&["review", "template", name]);
    assert!(ok, "{err}");
    let verdicts = tmp.path().join("verdicts.toml");
    std::fs::write(&verdicts, &template).unwrap();
    let verdicts_arg = verdicts.to_str().unwrap();
    let (ok, _, err) = data.officine(&["review", "decide", name, verdicts_arg]);
    assert!(!ok);
    assert!(err.contains("note: must not be empty"), "{err}");
    let (ok, out, _) = data.officine(&["review", "list"]);
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
    let (ok, out, err) = data.officine(&["review", "decide", name, verdicts_arg]);
    assert!(ok, "{err}");
    assert!(out.contains("is listed"), "{out}");
    let (ok, out, err) = data.officine(&["log", "verify", "--inclusion", "1"]);
    assert!(ok, "{err}");
    assert!(out.contains("entry 1 is included"), "{out}");
    let (ok, out, err) = data.officine(&["log", "show", "1"]);
    assert!(ok, "{err}");
    assert!(out.contains("hashedrekord"), "{out}");
}
