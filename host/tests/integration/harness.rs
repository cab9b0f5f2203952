//! `officine run`, the editors' harness: one invocation against a scratch
//! SQLite database of its own, whatever database the platform uses (so these
//! tests run in the SQLite suite only).

use officine_host::examples;

use crate::commands::{built_tracker, officine};

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
