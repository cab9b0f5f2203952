//! What the benchmarks share. (Each bench uses some of it.)
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use officine_host::examples;
use officine_host::runtime::InvokeError;
use officine_host::runtime::bindings::handler::Request;

/// A `GET` of `path`, as a service's site passes it on.
pub fn get(path: &str) -> Request {
    Request {
        patient: String::new(),
        method: "GET".to_owned(),
        path: path.to_owned(),
        query: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `(wasm, manifest)` of a guest crate of the workspace, built for wasm.
pub fn built(package: &str, dir: &str) -> (PathBuf, PathBuf) {
    let workspace = examples::workspace().expect("run from the repository");
    examples::ensure_wasm_target();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&workspace)
        .args([
            "build",
            "--release",
            "--target",
            examples::WASM_TARGET,
            "-p",
            package,
        ])
        .status()
        .expect("running cargo");
    assert!(status.success(), "building {package}");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), PathBuf::from);
    let wasm = target
        .join("wasm32-wasip2/release")
        .join(format!("{}.wasm", package.replace('-', "_")));
    (wasm, workspace.join(dir).join("officine.toml"))
}

/// p50 and p99 of latencies, in microseconds.
pub fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1e6
    };
    (at(0.50), at(0.99), at(1.0))
}

pub fn show(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.1} µs")
    }
}

/// Runs `concurrency` loops of `call` for `seconds`: latencies and the
/// count of each kind of refusal.
pub async fn drive<F, Fut>(concurrency: usize, seconds: u64, call: F) -> (Vec<Duration>, u64)
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), InvokeError>> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (stop, refused, call) = (stop.clone(), refused.clone(), call.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                match call().await {
                    Ok(()) => samples.push(start.elapsed()),
                    Err(InvokeError::Busy(_)) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => panic!("{e}"),
                }
                // An invocation without limits never yields: let the
                // runtime's timer and the other tasks run.
                tokio::task::yield_now().await;
            }
            samples
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    (all, refused.load(Ordering::Relaxed))
}
