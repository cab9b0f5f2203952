//! The PostgreSQL schema can be distributed by patient (Citus-style): every
//! unique constraint of a table of patient data includes `patient_id`, the
//! distribution column, so that each table can be sharded by patient.

use std::collections::BTreeMap;

use officine_host::db::Db;

/// Tables with a `patient_id` column that stay on one node: rows found by a
/// token's or a code's hash, short-lived (`docs/operators.md`, "Capacity");
/// and the audit log, one sequence for the whole deployment
/// (`docs/audit.md`).
const LOCAL: [&str; 4] = [
    "audit_events",
    "delegations",
    "service_handshakes",
    "service_sessions",
];

#[tokio::test(flavor = "multi_thread")]
async fn every_unique_key_of_patient_data_includes_the_patient() {
    let url = officine_test_postgres::cluster().fresh_url();
    let db = Db::connect(&url).await.unwrap();

    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::TEXT FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_name = 'patient_id' \
         ORDER BY 1",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let tables: Vec<String> = tables.into_iter().map(|(t,)| t).collect();
    for expected in [
        "measures",
        "documents",
        "messages",
        "agenda_events",
        "grants",
    ] {
        assert!(
            tables.iter().any(|t| t == expected),
            "{expected} in {tables:?}"
        );
    }

    // Every unique index (primary keys included), with its columns.
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT t.relname::TEXT, i.relname::TEXT, string_agg(a.attname::TEXT, ',') \
         FROM pg_index x \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (x.indkey) \
         WHERE x.indisunique AND n.nspname = current_schema() \
         GROUP BY 1, 2",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut keys: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (table, index, columns) in rows {
        keys.entry(table).or_default().push((index, columns));
    }

    let mut without_patient = Vec::new();
    for table in &tables {
        let table_keys = keys.get(table).map(Vec::as_slice).unwrap_or_default();
        assert!(!table_keys.is_empty(), "{table} has no unique key");
        for (index, columns) in table_keys {
            if !columns.split(',').any(|c| c == "patient_id") {
                without_patient.push(format!("{table}.{index} ({columns})"));
            }
        }
    }
    let local: Vec<String> = without_patient
        .iter()
        .filter(|key| LOCAL.iter().any(|t| key.starts_with(&format!("{t}."))))
        .cloned()
        .collect();
    assert_eq!(
        without_patient, local,
        "unique keys of patient data without patient_id"
    );
    // Each exemption is still needed.
    for table in LOCAL {
        assert!(
            local
                .iter()
                .any(|key| key.starts_with(&format!("{table}."))),
            "{table} is exempt but needs not be: {local:?}"
        );
    }
}
