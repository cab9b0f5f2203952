//! Crash safety: `officine serve` killed (SIGKILL) during a burst of writes
//! loses no write it acknowledged, leaves nothing half-written — no write
//! without its audit event, no event without its write — and starts again
//! cleanly, its audit log whole.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use officine_host::db::{Backend, Db};
use officine_host::model::PatientId;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::serve::{OneHost, get};

const WRITERS: i64 = 8;

/// `POST /fhir/Observation`: the status and body, or `None` when the
/// server is gone.
async fn post(port: u16, token: &str, body: &str) -> Option<(u16, String)> {
    send(port, "POST", "/fhir/Observation", token, body).await
}

/// One request as the patient: the status and body, or `None` when the
/// server is gone.
async fn send(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/fhir+json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.ok()?;
    let text = String::from_utf8_lossy(&raw);
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let (_, body) = text.split_once("\r\n\r\n")?;
    Some((status, body.to_owned()))
}

/// An Observation of `code` (LOINC) in `unit`, taken at `at` (seconds).
fn observation(code: &str, value: f64, unit: &str, at: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp(at)
        .unwrap()
        .format(&Rfc3339)
        .unwrap();
    format!(
        r#"{{"resourceType":"Observation","status":"final",
        "code":{{"coding":[{{"system":"http://loinc.org","code":"{code}"}}]}},
        "effectiveDateTime":"{at}",
        "valueQuantity":{{"value":{value},"unit":"{unit}","system":"http://unitsofmeasure.org","code":"{unit}"}}}}"#
    )
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(db.pool()).await.unwrap();
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_killed_during_writes_keeps_every_write_it_acknowledged() {
    let host = OneHost::prepare().await;
    let db = Db::connect(&host.url).await.unwrap();
    db.ensure_patient(&PatientId::new("demo"), "Camille Martin")
        .await
        .unwrap();
    let token = host.demo_token();
    let mut server = host.start().await;
    let start = OffsetDateTime::now_utc().unix_timestamp() - 60 * 86_400;

    // A height first: each weight then records its BMI in the same
    // transaction, which is what "half-written" would break.
    let (status, body) = post(
        host.port,
        &token,
        &observation("8302-2", 176.0, "cm", start),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{body}");

    // Writers, each on its own seconds, until the server is gone.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (token, acknowledged, port) = (token.clone(), acknowledged.clone(), host.port);
        writers.push(tokio::spawn(async move {
            for i in 1.. {
                let at = start + 1 + writer + WRITERS * i;
                let weight = observation("29463-7", 70.0 + (i % 20) as f64 / 10.0, "kg", at);
                match post(port, &token, &weight).await {
                    Some((201, body)) => {
                        let created: serde_json::Value = serde_json::from_str(&body).unwrap();
                        let id = created["id"].as_str().unwrap().to_owned();
                        acknowledged.lock().unwrap().push(id);
                    }
                    Some((status, body)) => panic!("{status}: {body}"),
                    None => break,
                }
            }
        }));
    }
    // Readers beside them: each read answered must be on the record.
    let reads = Arc::new(AtomicU64::new(0));
    for _ in 0..2 {
        let (token, reads, port) = (token.clone(), reads.clone(), host.port);
        writers.push(tokio::spawn(async move {
            while let Some((status, body)) =
                send(port, "GET", "/fhir/Observation?_count=1", &token, "").await
            {
                assert_eq!(status, 200, "{body}");
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Let the burst run, writes and reads both answered, then kill the
    // host in the middle of it.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().unwrap().len() < 50 || reads.load(Ordering::Relaxed) < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "the burst never got going: {} writes, {} reads answered",
            acknowledged.lock().unwrap().len(),
            reads.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged: Vec<String> = acknowledged.lock().unwrap().clone();

    // It starts again cleanly on the same data.
    let _server = host.start().await;
    let (status, body) = get(
        host.port,
        &format!("127.0.0.1:{}", host.port),
        "/api/catalogue",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Every acknowledged weight is there, and readable through the API.
    let stored: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM measures WHERE patient_id = 'demo' AND kind = 'weight'")
            .fetch_all(db.pool())
            .await
            .unwrap();
    let stored: HashSet<String> = stored.into_iter().map(|(id,)| id).collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost: {lost:?}",
        lost.len()
    );
    let last = acknowledged.last().unwrap();
    let (status, body) = get(
        host.port,
        &format!("127.0.0.1:{}", host.port),
        &format!("/fhir/Observation/{last}"),
        Some(&token),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Nothing half-written: every weight has its BMI, every BMI its weight.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM measures w WHERE w.patient_id = 'demo' AND w.kind = 'weight' \
             AND NOT EXISTS (SELECT 1 FROM measures b WHERE b.patient_id = w.patient_id \
             AND b.derived_from = w.id AND b.kind = 'bmi')"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM measures WHERE patient_id = 'demo' AND kind = 'bmi'"
        )
        .await,
        stored.len() as i64
    );

    // Each write committed with its audit event: the height and every
    // weight stored, each with its BMI, and nothing else.
    let (events, records): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(records), 0) AS BIGINT) FROM audit_events \
         WHERE patient_id = 'demo' AND interface = 'measures' AND operation = 'add'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(events, 1 + stored.len() as i64);
    assert_eq!(records, 1 + 2 * stored.len() as i64);
    // Every read answered was on the record before its answer left.
    db.audit().flush().await.unwrap();
    let (recorded_reads,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_events WHERE patient_id = 'demo' \
         AND interface = 'measures' AND operation = 'search'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let answered = reads.load(Ordering::Relaxed) as i64;
    assert!(answered > 0);
    assert!(
        recorded_reads >= answered,
        "{answered} reads answered, {recorded_reads} on record"
    );
    // The restarted host seals what the killed one had not, and the log
    // verifies against the key in the data directory.
    let signer = officine_host::audit::keys::load_or_create(&host.data).unwrap();
    officine_host::audit::seal::seal_all(&db, &signer)
        .await
        .unwrap();
    let report = officine_host::audit::verify::verify(
        &db,
        &signer.verifier(),
        officine_host::audit::verify::Check::default(),
    )
    .await
    .unwrap();
    assert!(report.size >= events as u64, "{report:?}");

    if crate::BACKEND == Backend::Sqlite {
        let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(check, "ok");
    }
}
