//! The deadline and the memory cap end an invocation, never the host.

use std::time::Duration;

use officine_host::runtime::{CallContext, InvokeError, RuntimeConfig};
use officine_registry::Limits;

use crate::support::{
    MINIMAL_SERVICE, Scratch, assert_still_serving, component_from_wat, get, looping_service,
    runtime_with,
};

/// How an invocation of a looping component ends under `config`; the
/// runtime then still serves.
async fn looping_under(config: RuntimeConfig) -> InvokeError {
    let runtime = runtime_with(config);
    let component = runtime.load(&looping_service(200)).unwrap();
    let scratch = Scratch::new().await;
    let error = runtime
        .invoke(&component, &scratch.call("fr.example.loop").await, get("/"))
        .await
        .unwrap_err();
    assert_still_serving(&runtime).await;
    error
}

#[tokio::test(flavor = "multi_thread")]
async fn a_looping_component_is_stopped_at_its_deadline() {
    let error = looping_under(RuntimeConfig {
        deadline: Duration::from_millis(50),
        ..RuntimeConfig::default()
    })
    .await;
    assert!(
        matches!(error, InvokeError::Deadline(d) if d == Duration::from_millis(50)),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn growing_memory_past_the_cap_traps_with_a_clear_error() {
    let runtime = runtime_with(RuntimeConfig {
        memory_per_instance: 2 * 1024 * 1024,
        ..RuntimeConfig::default()
    });
    // Ask for 64 more pages (4 MiB) over a 2 MiB cap.
    let greedy = MINIMAL_SERVICE.replace(
        "(i32.store16 (i32.const 16) (i32.const 200))",
        "(drop (memory.grow (i32.const 64)))\n    (i32.store16 (i32.const 16) (i32.const 200))",
    );
    let component = runtime.load(&component_from_wat(&greedy)).unwrap();
    let scratch = Scratch::new().await;
    let error = runtime
        .invoke(
            &component,
            &scratch.call("fr.example.greedy").await,
            get("/"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, InvokeError::Memory { limit } if limit == 2 * 1024 * 1024),
        "{error}"
    );
    assert_still_serving(&runtime).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_metering_a_looping_component_runs_out_of_fuel_before_its_deadline() {
    // The default deadline (1 s) is far from reached: fuel ends it first.
    let error = looping_under(RuntimeConfig {
        fuel: Some(1_000_000),
        ..RuntimeConfig::default()
    })
    .await;
    assert!(
        matches!(error, InvokeError::OutOfFuel(1_000_000)),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_s_own_deadline_replaces_the_platform_s() {
    let runtime = runtime_with(RuntimeConfig::default());
    let component = runtime.load(&looping_service(200)).unwrap();
    let scratch = Scratch::new().await;
    let call = CallContext {
        limits: Limits {
            deadline_ms: Some(100),
            ..Limits::default()
        },
        ..scratch.call("fr.example.loop").await
    };
    let error = runtime
        .invoke(&component, &call, get("/"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, InvokeError::Deadline(d) if d == Duration::from_millis(100)),
        "{error}"
    );
}
