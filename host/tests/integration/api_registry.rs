//! The registry's HTTP endpoints, against a real server on loopback: an
//! editor submits and follows a release, a regulator reviews, lists and
//! suspends it, and every refusal changes nothing.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use officine_registry::keys::KeyPair;
use officine_registry::review::RequirementSet;
use officine_registry::signature;
use officine_registry::{Manifest, Release};
use serde_json::{Value, json};

use crate::server::{Server, header};
use crate::support::weight_tracker_bytes;

const MANIFEST: &str = include_str!("../../../plugins/weight-tracker/officine.toml");
const EDITOR: &str = "editor:siret:00000000000018";
const OTHER_EDITOR: &str = "editor:siret:00000000000026";
const REGULATOR: &str = "regulator:alice";

/// The weight tracker's manifest at `version` (`officine dev` already
/// listed 0.1.0).
fn manifest_text(version: &str) -> String {
    MANIFEST.replace("version = \"0.1.0\"", &format!("version = \"{version}\""))
}

/// A submission body: the manifest at `version`, the weight tracker, and a
/// bundle signed by `key` over the release of `signed_version`.
fn submission(version: &str, signed_version: &str, key: &KeyPair) -> String {
    let signed = Manifest::from_toml_str(&manifest_text(signed_version)).unwrap();
    let release = Release::new(signed, weight_tracker_bytes());
    let bundle = signature::sign(&release.canonical_json(), key);
    let bundle: Value = serde_json::from_str(&bundle.to_json()).unwrap();
    json!({
        "manifest": manifest_text(version),
        "component": STANDARD.encode(weight_tracker_bytes()),
        "bundle": bundle,
    })
    .to_string()
}

fn json_body(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Rows of the tables a submission writes.
async fn rows(server: &Server) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ["releases", "registry_log", "components", "editor_keys"] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(server.db.pool())
            .await
            .unwrap();
        counts.push(n);
    }
    counts
}

/// The catalogue's versions of the weight tracker.
async fn catalogued_version(server: &Server) -> Option<String> {
    let (status, _, body) = server.get("/api/catalogue").await;
    assert_eq!(status, 200, "{body}");
    json_body(&body)
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["id"] == "fr.officine.weight-tracker")
        .map(|entry| entry["version"].as_str().unwrap().to_owned())
}

/// Registers `key` to the weight tracker's editor through the regulators'
/// endpoint.
async fn register(server: &Server, regulator: &str, key: &KeyPair) -> Value {
    let body = json!({
        "editor": "siret:00000000000018",
        "public-key": key.public_key().to_pem(),
    })
    .to_string();
    let (status, headers, body) = server
        .send("POST", "/api/regulator/keys", Some(regulator), &body)
        .await;
    assert_eq!(status, 201, "{body}");
    let key_view = json_body(&body);
    assert_eq!(
        header(&headers, "location"),
        Some(format!("/api/regulator/keys/{}", key_view["id"].as_str().unwrap()).as_str())
    );
    key_view
}

#[tokio::test(flavor = "multi_thread")]
async fn an_editor_submits_and_a_regulator_reviews_lists_and_suspends() {
    let server = Server::start().await;
    let editor = server.token(EDITOR);
    let regulator = server.token(REGULATOR);
    let key = KeyPair::generate().unwrap();

    let registered = register(&server, &regulator, &key).await;
    assert_eq!(registered["state"], "active");
    assert_eq!(registered["editor"], "siret:00000000000018");
    let (status, _, body) = server
        .send("GET", "/api/registry/keys", Some(&editor), "")
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        json_body(&body)
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["id"] == registered["id"]),
        "{body}"
    );
    // The same key again is a conflict.
    let again = json!({
        "editor": "siret:00000000000018",
        "public-key": key.public_key().to_pem(),
    })
    .to_string();
    let (status, _, body) = server
        .send("POST", "/api/regulator/keys", Some(&regulator), &again)
        .await;
    assert_eq!(status, 409, "{body}");

    // Submission, in a body larger than the API's other routes read (the
    // padding is JSON whitespace).
    let body = submission("0.2.0", "0.2.0", &key);
    let body = format!("{body}{}", " ".repeat(officine_host::api::MAX_BODY));
    let (status, headers, response) = server
        .send("POST", "/api/registry/releases", Some(&editor), &body)
        .await;
    assert_eq!(status, 201, "{response}");
    assert_eq!(
        header(&headers, "location"),
        Some("/api/registry/releases/fr.officine.weight-tracker@0.2.0")
    );
    let submitted = json_body(&response);
    assert_eq!(submitted["release"], "fr.officine.weight-tracker@0.2.0");
    assert_eq!(submitted["state"], "submitted");
    assert_eq!(
        submitted["signer"],
        format!("key:{}", registered["id"].as_str().unwrap())
    );
    // The bundle came back completed with its log entry.
    assert!(
        submitted["bundle"].to_string().contains("inclusionProof"),
        "{}",
        submitted["bundle"]
    );
    // The same version twice is a conflict.
    let (status, _, response) = server
        .send("POST", "/api/registry/releases", Some(&editor), &body)
        .await;
    assert_eq!(status, 409, "{response}");

    // The editor follows their versions; `@` may be percent-encoded.
    let (status, _, response) = server
        .send("GET", "/api/registry/releases", Some(&editor), "")
        .await;
    assert_eq!(status, 200, "{response}");
    let own = json_body(&response);
    let names: Vec<&str> = own
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["release"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"fr.officine.weight-tracker@0.1.0")
            && names.contains(&"fr.officine.weight-tracker@0.2.0"),
        "{names:?}"
    );
    assert!(
        own.as_array()
            .unwrap()
            .iter()
            .all(|r| r["editor-id"] == "siret:00000000000018"),
        "{own}"
    );
    let (status, _, response) = server
        .send(
            "GET",
            "/api/registry/releases/fr.officine.weight-tracker%400.2.0",
            Some(&editor),
            "",
        )
        .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(json_body(&response)["state"], "submitted");

    // The review, step by step; a step out of order is a conflict.
    let release = "/api/regulator/releases/fr.officine.weight-tracker%400.2.0";
    let (status, _, response) = server
        .send("POST", &format!("{release}/start"), Some(&regulator), "")
        .await;
    assert_eq!(status, 409, "{response}");
    let (status, _, response) = server
        .send("POST", &format!("{release}/admit"), Some(&regulator), "")
        .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(json_body(&response)["state"], "admissible");
    let (status, _, response) = server
        .send("POST", &format!("{release}/start"), Some(&regulator), "")
        .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(json_body(&response)["state"], "in-review");
    // A verdict file that does not cover the set is refused whole.
    let incomplete = json!({ "verdicts": "requirement-set = \"officine-listing@2026.1\"\n" });
    let (status, _, response) = server
        .send(
            "POST",
            &format!("{release}/decide"),
            Some(&regulator),
            &incomplete.to_string(),
        )
        .await;
    assert_eq!(status, 400, "{response}");
    let manifest = Manifest::from_toml_str(&manifest_text("0.2.0")).unwrap();
    let set = RequirementSet::builtin();
    let verdicts = officine_host::listing::dev::development_verdicts(set, &manifest);
    let (status, _, response) = server
        .send(
            "POST",
            &format!("{release}/decide"),
            Some(&regulator),
            &json!({ "verdicts": verdicts }).to_string(),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    let decided = json_body(&response);
    assert_eq!(decided["state"], "listed");
    assert_eq!(decided["requirement-set"], "officine-listing@2026.1");
    assert!(decided["decision"].is_object(), "{decided}");
    assert_eq!(catalogued_version(&server).await.as_deref(), Some("0.2.0"));

    // Suspension needs a reason, and takes it off the catalogue.
    let (status, _, response) = server
        .send(
            "POST",
            &format!("{release}/suspend"),
            Some(&regulator),
            r#"{"reason":"  "}"#,
        )
        .await;
    assert_eq!(status, 400, "{response}");
    let (status, _, response) = server
        .send(
            "POST",
            &format!("{release}/suspend"),
            Some(&regulator),
            r#"{"reason":"vulnerability under analysis"}"#,
        )
        .await;
    assert_eq!(status, 200, "{response}");
    let suspended = json_body(&response);
    assert_eq!(suspended["state"], "suspended");
    assert_eq!(
        suspended["reasons"],
        json!(["vulnerability under analysis"])
    );
    assert_ne!(catalogued_version(&server).await.as_deref(), Some("0.2.0"));

    // The editor sees the suspension and its reason.
    let (status, _, response) = server
        .send(
            "GET",
            "/api/registry/releases/fr.officine.weight-tracker@0.2.0",
            Some(&editor),
            "",
        )
        .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(json_body(&response)["state"], "suspended");

    // Regulators see every release.
    let (status, _, response) = server
        .send("GET", "/api/regulator/releases", Some(&regulator), "")
        .await;
    assert_eq!(status, 200, "{response}");
    let all = json_body(&response);
    assert!(
        all.as_array().unwrap().iter().any(
            |r| r["release"] == "fr.officine.weight-tracker@0.2.0" && r["state"] == "suspended"
        ),
        "{all}"
    );
    assert!(all.as_array().unwrap().len() >= 2, "{all}");
    let (status, _, _) = server
        .send(
            "GET",
            "/api/regulator/releases/fr.example.nothing@1.0.0",
            Some(&regulator),
            "",
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = server
        .send(
            "POST",
            "/api/regulator/releases/fr.example.nothing@1.0.0/admit",
            Some(&regulator),
            "",
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = server
        .send(
            "GET",
            "/api/regulator/releases/no-version",
            Some(&regulator),
            "",
        )
        .await;
    assert_eq!(status, 400);

    // Revoking the key: a second time is a conflict.
    let revoke = format!(
        "/api/regulator/keys/{}/revoke",
        registered["id"].as_str().unwrap()
    );
    let (status, _, response) = server
        .send("POST", &revoke, Some(&regulator), r#"{"reason":"leaked"}"#)
        .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(json_body(&response)["state"], "revoked");
    let (status, _, response) = server
        .send("POST", &revoke, Some(&regulator), r#"{"reason":"leaked"}"#)
        .await;
    assert_eq!(status, 409, "{response}");

    // The public side: the log's latest checkpoint, and the trusted root.
    let (status, headers, note) = server.get("/api/registry/log/checkpoint").await;
    assert_eq!(status, 200, "{note}");
    assert!(
        header(&headers, "content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(
        note.starts_with(officine_host::listing::config::DEFAULT_ORIGIN),
        "{note}"
    );
    let (status, _, root) = server.get("/api/registry/trusted-root").await;
    assert_eq!(status, 200);
    assert!(json_body(&root)["tlogs"].is_array(), "{root}");
}

#[tokio::test(flavor = "multi_thread")]
async fn editors_reach_only_their_own_releases_and_refusals_change_nothing() {
    let server = Server::start().await;
    let editor = server.token(EDITOR);
    let other = server.token(OTHER_EDITOR);
    let regulator = server.token(REGULATOR);
    let key = KeyPair::generate().unwrap();
    register(&server, &regulator, &key).await;

    // Another organisation can neither submit for this editor nor see its
    // releases.
    let before = rows(&server).await;
    let body = submission("0.2.0", "0.2.0", &key);
    let (status, headers, response) = server
        .send("POST", "/api/registry/releases", Some(&other), &body)
        .await;
    assert_eq!(status, 403, "{response}");
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/problem+json")
    );
    assert!(response.contains("siret:00000000000018"), "{response}");
    for path in [
        "/api/registry/releases/fr.officine.weight-tracker@0.1.0",
        "/api/registry/releases/fr.officine.weight-tracker%400.1.0",
    ] {
        let (status, _, response) = server.send("GET", path, Some(&other), "").await;
        assert_eq!(status, 404, "{path}: {response}");
        assert!(!response.contains("Suivi du poids"), "{response}");
    }
    let (status, _, response) = server
        .send("GET", "/api/registry/releases", Some(&other), "")
        .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(json_body(&response), json!([]));

    // Bad bundles: a signature over another release, a bundle that is no
    // bundle, one that is not even an object; an unregistered key.
    let mut refused = vec![
        submission("0.3.0", "0.3.1", &key),
        submission("0.3.0", "0.3.0", &KeyPair::generate().unwrap()),
    ];
    let mut value = json_body(&submission("0.3.0", "0.3.0", &key));
    value["bundle"] = json!({ "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json" });
    refused.push(value.to_string());
    value["bundle"] = json!("not a bundle");
    refused.push(value.to_string());
    let mut value = json_body(&submission("0.3.0", "0.3.0", &key));
    value["component"] = json!("*** not base64 ***");
    refused.push(value.to_string());
    let mut value = json_body(&submission("0.3.0", "0.3.0", &key));
    value["manifest"] = json!("id = ");
    refused.push(value.to_string());
    refused.push("{\"manifest\":".to_owned());
    for body in &refused {
        let (status, headers, response) = server
            .send("POST", "/api/registry/releases", Some(&editor), body)
            .await;
        assert_eq!(status, 400, "{response}");
        assert_eq!(
            header(&headers, "content-type"),
            Some("application/problem+json")
        );
        assert!(!json_body(&response)["detail"].as_str().unwrap().is_empty());
    }
    assert_eq!(rows(&server).await, before, "a refusal changed something");

    // An older version than the listed one is refused too.
    let (status, _, response) = server
        .send(
            "POST",
            "/api/registry/releases",
            Some(&editor),
            &submission("0.0.9", "0.0.9", &key),
        )
        .await;
    assert_eq!(status, 409, "{response}");
    assert_eq!(rows(&server).await, before, "a refusal changed something");

    // Editors are not regulators, and regulators do not submit.
    let (status, _, _) = server
        .send("GET", "/api/regulator/releases", Some(&editor), "")
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = server
        .send("POST", "/api/registry/releases", Some(&regulator), &body)
        .await;
    assert_eq!(status, 403);
    assert_eq!(rows(&server).await, before);
    // Both read the requirement set.
    for token in [&editor, &regulator] {
        let (status, _, response) = server
            .send("GET", "/api/registry/requirements", Some(token), "")
            .await;
        assert_eq!(status, 200, "{response}");
        let set = json_body(&response);
        assert_eq!(set["reference"], "officine-listing@2026.1");
        assert!(!set["requirements"].as_array().unwrap().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn patients_and_professionals_reach_no_registry_route() {
    let server = Server::start().await;
    let before = rows(&server).await;
    let public = ["/api/registry/log/checkpoint", "/api/registry/trusted-root"];
    // The routes come from the OpenAPI document.
    let (_, _, document) = server.get("/openapi.json").await;
    let document = json_body(&document);
    let mut walked = 0;
    for hint in ["patient:demo", "professional:10000000001"] {
        let token = server.token(hint);
        for (path, operations) in document["paths"].as_object().unwrap() {
            let registry =
                path.starts_with("/api/registry/") || path.starts_with("/api/regulator/");
            if !registry || public.contains(&path.as_str()) {
                continue;
            }
            let path = path
                .replace("{name}", "fr.officine.weight-tracker@0.1.0")
                .replace("{key}", &"0".repeat(64));
            for method in operations.as_object().unwrap().keys() {
                let method = method.to_ascii_uppercase();
                let body = if method == "GET" { "" } else { "{}" };
                let (status, _, response) = server.send(&method, &path, Some(&token), body).await;
                assert_eq!(status, 403, "{hint} {method} {path}: {response}");
                walked += 1;
            }
        }
    }
    assert!(walked >= 2 * 15, "{walked} operations");
    // Without a token: 401, except the public routes.
    let (status, _, _) = server.send("GET", "/api/registry/releases", None, "").await;
    assert_eq!(status, 401);
    let (status, _, _) = server
        .send("GET", "/api/regulator/releases", None, "")
        .await;
    assert_eq!(status, 401);
    for path in public {
        let (status, _, body) = server.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    assert_eq!(rows(&server).await, before);
    // Every registry route is documented under its tag, the audit record's
    // under its own.
    for (path, operations) in document["paths"].as_object().unwrap() {
        let tag = if path.starts_with("/api/regulator/audit")
            || path.starts_with("/api/regulator/alerts")
        {
            "audit"
        } else if path.starts_with("/api/registry") || path.starts_with("/api/regulator") {
            "registry"
        } else {
            continue;
        };
        for (method, operation) in operations.as_object().unwrap() {
            assert_eq!(operation["tags"], json!([tag]), "{method} {path}");
        }
    }
}
