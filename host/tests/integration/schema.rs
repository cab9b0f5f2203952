//! The OpenAPI document against the running API, checked by an independent
//! tool: schemathesis (PyPI) generates requests for every documented
//! operation, as a signed-in patient, and checks that no answer is a server
//! error and that every answer matches the schema documented for its status.
//!
//! schemathesis is installed by the test itself into a Python virtual
//! environment in the target directory, from the pinned
//! `host/tests/schemathesis/requirements.txt`; its configuration is
//! `host/tests/schemathesis/schemathesis.toml`. A run is repeatable: the
//! seed and the number of examples per operation are fixed.
//!
//! The same run against a deliberately wrong copy of the document must
//! fail, so that a passing run means the checks did look at the answers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server::Server;
use crate::support::python_venv;

/// The checks: no 5xx, and each answer conforms to its documented schema.
const CHECKS: &str = "not_a_server_error,response_schema_conformance";
/// Test cases per operation and phase, and the seed they are drawn from.
const MAX_EXAMPLES: &str = "50";
const SEED: &str = "20260101";

fn kit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis")
}

/// The pinned schemathesis, installed once per test binary (again whenever
/// the pins change); returns its command-line entry point.
fn schemathesis() -> &'static Path {
    static CLI: OnceLock<PathBuf> = OnceLock::new();
    CLI.get_or_init(|| {
        python_venv("schemathesis", &kit().join("requirements.txt")).join("bin/schemathesis")
    })
}

/// The dictionaries `schemathesis.toml` reads: the real path parameters of
/// the running server, one quoted value a line.
async fn dictionaries(server: &Server, token: &str) -> Vec<(&'static str, String)> {
    let lines = |ids: Vec<&str>| -> String {
        assert!(!ids.is_empty());
        ids.iter()
            .inspect(|id| assert!(!id.contains(['"', '\\']), "{id}"))
            .map(|id| format!("\"{id}\"\n"))
            .collect()
    };
    let ids = async |path: &str| -> String {
        let (status, _, body) = server.send("GET", path, Some(token), "").await;
        assert_eq!(status, 200, "{path}: {body}");
        let bundle: Value = serde_json::from_str(&body).unwrap();
        lines(
            bundle["entry"]
                .as_array()
                .unwrap_or_else(|| panic!("{path} has demo data: {body}"))
                .iter()
                .map(|entry| entry["resource"]["id"].as_str().unwrap())
                .collect(),
        )
    };
    let (_, _, catalogue) = server.get("/api/catalogue").await;
    let catalogue: Value = serde_json::from_str(&catalogue).unwrap();
    let services = lines(
        catalogue
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["id"].as_str().unwrap())
            .collect(),
    );
    vec![
        ("services.dict", services),
        ("documents.dict", ids("/fhir/DocumentReference").await),
        ("consents.dict", ids("/fhir/Consent").await),
    ]
}

/// One schemathesis run of `location` (a URL, or a file with `base_url`)
/// as the patient `token`; returns its exit status and report, and how long
/// it took.
async fn schemathesis_run(
    location: String,
    base_url: Option<String>,
    token: &str,
    dictionaries: &[(&'static str, String)],
    extra: &[&str],
) -> (Output, Duration) {
    let cli = schemathesis();
    let authorization = format!("Authorization: Bearer {token}");
    let dictionaries = dictionaries.to_vec();
    let extra: Vec<String> = extra.iter().map(|&s| s.to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        // A scratch directory for the configuration and its dictionaries;
        // the run itself writes nothing (no example database, no report).
        let scratch = tempfile::tempdir().unwrap();
        let config = scratch.path().join("schemathesis.toml");
        std::fs::copy(kit().join("schemathesis.toml"), &config).unwrap();
        for (name, values) in &dictionaries {
            std::fs::write(scratch.path().join(name), values).unwrap();
        }
        let mut command = Command::new(cli);
        command
            .current_dir(scratch.path())
            .arg("--no-color")
            .arg("--config-file")
            .arg(&config)
            .arg("run")
            .arg(&location)
            .args(["--checks", CHECKS])
            .args(["--header", &authorization])
            .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
            .args(["--generation-database", "none"])
            // A redirect is the answer under test, not something to follow
            // (`/s/{service}` sends the browser to the service's own site).
            .args(["--max-redirects", "0"])
            .args(["--request-timeout", "15", "--workers", "1"])
            .args(["--output-truncate", "false"])
            .args(&extra);
        if let Some(url) = &base_url {
            command.args(["--url", url]);
        }
        let started = Instant::now();
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        (output, started.elapsed())
    })
    .await
    .unwrap()
}

/// How many operations the served document has under paths starting with `prefix`.
async fn documented_operations(server: &Server, prefix: &str) -> usize {
    let (_, _, document) = server.get("/openapi.json").await;
    let document: Value = serde_json::from_str(&document).unwrap();
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| path.starts_with(prefix))
        .map(|(_, operations)| operations.as_object().unwrap().len())
        .sum()
}

fn report(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// schemathesis installed, then a development server, a patient's token
/// and the dictionaries of real path parameters.
async fn start() -> (Server, String, Vec<(&'static str, String)>) {
    // Installed before the server starts, not while it waits.
    tokio::task::spawn_blocking(schemathesis).await.unwrap();
    let server = Server::start().await;
    let token = server.token("patient:demo");
    let dictionaries = dictionaries(&server, &token).await;
    (server, token, dictionaries)
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_server_error_and_no_answer_off_the_documented_schema() {
    let (server, token, dictionaries) = start().await;
    let (output, took) = schemathesis_run(
        format!("http://{}/openapi.json", server.addr),
        None,
        &token,
        &dictionaries,
        &[],
    )
    .await;
    let report = report(&output);
    eprintln!("schemathesis against /openapi.json: {took:.1?}");
    assert!(
        output.status.success(),
        "schemathesis found problems ({}):\n{report}",
        output.status
    );
    // Every documented operation was exercised.
    let operations = documented_operations(&server, "/").await;
    assert!(
        report.contains(&format!("Tested: {operations}\n")),
        "{operations} operations documented:\n{report}"
    );
}

/// The editors' and the regulators' routes, each run with a token of that
/// population, so that their answers past authentication are checked too
/// (with a patient's token they all answer 403).
#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_as_an_editor_and_as_a_regulator_finds_nothing_either() {
    let (server, _, dictionaries) = start().await;
    for (who, paths) in [
        ("editor:siret:00000000000018", "/api/registry/"),
        ("regulator:alice", "/api/regulator/"),
    ] {
        let token = server.token(who);
        let (output, took) = schemathesis_run(
            format!("http://{}/openapi.json", server.addr),
            None,
            &token,
            &dictionaries,
            &["--include-path-regex", &format!("^{paths}")],
        )
        .await;
        let report = report(&output);
        eprintln!("schemathesis as {who} on {paths}: {took:.1?}");
        assert!(
            output.status.success(),
            "schemathesis found problems as {who} ({}):\n{report}",
            output.status
        );
        let operations = documented_operations(&server, paths).await;
        assert!(operations > 5, "{operations} operations under {paths}");
        assert!(
            report.contains(&format!("Tested: {operations}\n")),
            "{operations} operations documented under {paths}:\n{report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_run_fails_against_a_document_the_answers_do_not_match() {
    let (server, token, dictionaries) = start().await;
    // A copy of the document that promises a field the catalogue's entries
    // never have.
    let (_, _, document) = server.get("/openapi.json").await;
    let mut document: Value = serde_json::from_str(&document).unwrap();
    let entry = &mut document["components"]["schemas"]["CatalogueEntry"];
    entry["required"]
        .as_array_mut()
        .expect("CatalogueEntry lists its required fields")
        .push(json!("never-served"));
    entry["properties"]["never-served"] = json!({"type": "string"});
    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("openapi.json");
    std::fs::write(&wrong, serde_json::to_vec(&document).unwrap()).unwrap();

    let (output, took) = schemathesis_run(
        wrong.to_str().unwrap().to_owned(),
        Some(format!("http://{}", server.addr)),
        &token,
        &dictionaries,
        &["--include-path-regex", "^/api/catalogue"],
    )
    .await;
    let report = report(&output);
    eprintln!("schemathesis against a wrong copy of the document: {took:.1?}");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the wrong document is caught:\n{report}"
    );
    assert!(report.contains("Response violates schema"), "{report}");
    assert!(report.contains("never-served"), "{report}");
}
