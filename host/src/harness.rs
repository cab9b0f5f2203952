//! `officine run`: the editor's harness. One invocation of a component
//! against a throwaway database seeded with demo data — never real data —
//! with everything its manifest requests granted to the demo patient.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use crate::consent;
use crate::db::{Db, seed};
use crate::model::now_millis;
use crate::runtime::bindings::handler::{Request, Response};
use crate::runtime::{CallContext, Runtime, RuntimeConfig};
use crate::service::Service;

/// One request to send to a component.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub component: PathBuf,
    pub manifest: PathBuf,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Runs the request and returns the component's response.
pub async fn run(options: &RunOptions) -> anyhow::Result<Response> {
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let db = Db::open_sqlite(&scratch.path().join("scratch.db")).await?;
    let seeded = seed::seed_demo(&db, now_millis()).await?;
    let runtime = Runtime::new(RuntimeConfig::default(), None)?;
    let service = Service::load(&runtime, &options.component, &options.manifest)?;
    let record = consent::register(&db, &service).await?;
    let grant = consent::grant_requested(&db, &seeded.patient, &record, now_millis()).await?;
    let call = CallContext {
        db,
        service_name: service.manifest.name().to_owned(),
        grant: Arc::new(grant),
        limits: *service.manifest.limits(),
    };
    let request = Request {
        patient: String::new(),
        method: options.method.to_ascii_uppercase(),
        path: options.path.clone(),
        query: options.query.clone(),
        headers: options.headers.clone(),
        body: options.body.clone(),
    };
    Ok(runtime.invoke(&service.component, &call, request).await?)
}

/// The response as a terminal shows it: status, headers, a blank line, body.
pub fn render(response: &Response) -> String {
    let mut out = format!("HTTP {}\n", response.status);
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push('\n');
    out.push_str(&String::from_utf8_lossy(&response.body));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}
