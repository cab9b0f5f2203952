//! The example service, built from source and run against a seeded database.

use std::sync::OnceLock;

use officine_host::runtime::LoadedComponent;
use serde_json::Value;

use crate::support::{Scratch, body_text, form_post, get, request, runtime, weight_tracker_bytes};

const SERVICE: &str = "fr.officine.weight-tracker";

/// The weight tracker, built from source and loaded once per test binary.
fn weight_tracker() -> &'static LoadedComponent {
    static COMPONENT: OnceLock<LoadedComponent> = OnceLock::new();
    COMPONENT.get_or_init(|| {
        runtime()
            .load(weight_tracker_bytes())
            .expect("weight-tracker is accepted")
    })
}

async fn summary(scratch: &Scratch) -> Value {
    let response = runtime()
        .invoke(
            weight_tracker(),
            &scratch.call(SERVICE).await,
            get("/api/summary"),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200, "{}", body_text(&response));
    serde_json::from_slice(&response.body).unwrap()
}

async fn count(scratch: &Scratch, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(scratch.db.pool())
        .await
        .unwrap();
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_shows_the_seeded_weight_height_and_computed_bmi() {
    let scratch = Scratch::new().await;
    let json = summary(&scratch).await;
    let (latest,): (f64,) = sqlx::query_as(
        "SELECT value FROM measures WHERE patient_id = 'demo' AND kind = 'weight' \
         ORDER BY effective_at DESC LIMIT 1",
    )
    .fetch_one(scratch.db.pool())
    .await
    .unwrap();
    assert_eq!(json["weight"]["value"].as_f64(), Some(latest));
    assert_eq!(json["weight"]["unit"], "kg");
    assert_eq!(json["height"]["value"].as_f64(), Some(176.0));
    let expected_bmi = (latest / (1.76 * 1.76) * 10.0).round() / 10.0;
    assert_eq!(json["bmi"]["value"].as_f64(), Some(expected_bmi));
    assert_eq!(json["goal"], Value::Null);
    // 90 days of a weighing every third day.
    let trend = json["trend"].as_array().unwrap();
    assert!((29..=31).contains(&trend.len()), "{} points", trend.len());
    assert!(trend.iter().all(|p| p["bmi"].is_number()));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_shows_the_weight_and_the_forms() {
    let scratch = Scratch::new().await;
    let response = runtime()
        .invoke(weight_tracker(), &scratch.call(SERVICE).await, get("/"))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let html = body_text(&response);
    assert!(html.contains("<html lang=\"fr\""), "{html}");
    assert!(html.contains("Suivi du poids"));
    assert!(html.contains("action=\"/weights\""));
    assert!(html.contains("action=\"/goal\""));
    assert!(html.contains("176"), "height shown");
}

#[tokio::test(flavor = "multi_thread")]
async fn posting_a_weight_records_it_with_its_bmi_and_provenance() {
    let scratch = Scratch::new().await;
    let post = form_post("/weights", "kg=77.9");
    let response = runtime()
        .invoke(weight_tracker(), &scratch.call(SERVICE).await, post.clone())
        .await
        .unwrap();
    assert_eq!(response.status, 303, "{}", body_text(&response));

    let (id, origin, by, digest): (String, String, Option<String>, Option<String>) =
        sqlx::query_as(
            "SELECT id, origin, written_by, component_digest FROM measures \
         WHERE patient_id = 'demo' AND kind = 'weight' AND value = 77.9",
        )
        .fetch_one(scratch.db.pool())
        .await
        .unwrap();
    assert_eq!(origin, "service");
    assert_eq!(by.as_deref(), Some(SERVICE));
    assert_eq!(digest, Some(weight_tracker().digest().to_hex()));
    let (bmi,): (f64,) = sqlx::query_as("SELECT value FROM measures WHERE derived_from = $1")
        .bind(&id)
        .fetch_one(scratch.db.pool())
        .await
        .unwrap();
    assert_eq!(bmi, 25.1);

    let json = summary(&scratch).await;
    assert_eq!(json["weight"]["value"].as_f64(), Some(77.9));
    assert_eq!(json["bmi"]["value"].as_f64(), Some(25.1));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_goal_is_kept_in_the_service_storage() {
    let scratch = Scratch::new().await;
    let mut post = request("POST", "/goal", br#"{"kg": 75}"#.to_vec());
    post.headers
        .push(("content-type".into(), "application/json".into()));
    let response = runtime()
        .invoke(weight_tracker(), &scratch.call(SERVICE).await, post.clone())
        .await
        .unwrap();
    assert!(
        response.status < 300,
        "{} {}",
        response.status,
        body_text(&response)
    );
    assert_eq!(
        count(&scratch, "SELECT COUNT(*) FROM service_storage WHERE service_id = 'fr.officine.weight-tracker' AND patient_id = 'demo'").await,
        1
    );
    assert_eq!(summary(&scratch).await["goal"].as_f64(), Some(75.0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_weight_is_refused_and_nothing_changes() {
    let scratch = Scratch::new().await;
    let before = count(&scratch, "SELECT COUNT(*) FROM measures").await;
    for body in ["kg=abc", "kg=", "kg=-3", "kg=9000"] {
        let post = form_post("/weights", body);
        let response = runtime()
            .invoke(weight_tracker(), &scratch.call(SERVICE).await, post.clone())
            .await
            .unwrap();
        assert_eq!(response.status, 400, "{body}: {}", body_text(&response));
    }
    assert_eq!(
        count(&scratch, "SELECT COUNT(*) FROM measures").await,
        before
    );
}

/// The example declares the 4 MiB its requests need (its `build.rs`), so no
/// request grows its memory and the pool never has to shrink a slot back
/// (`docs/editors/sdk.md`, "Start with enough memory").
#[test]
fn the_example_starts_with_enough_memory_for_a_request() {
    let mut minimums = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(weight_tracker_bytes()) {
        if let wasmparser::Payload::MemorySection(memories) = payload.unwrap() {
            minimums.extend(memories.into_iter().map(|m| m.unwrap().initial));
        }
    }
    // One memory: the main module's (the adapter shims import it).
    assert_eq!(minimums, [64], "initial memory, in 64 KiB pages");
}
