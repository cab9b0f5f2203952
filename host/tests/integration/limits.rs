//! The deadline and the memory cap end an invocation, never the host.

use std::time::Duration;

use officine_host::runtime::{InvokeError, Runtime, RuntimeConfig};

use crate::support::{MINIMAL_SERVICE, Scratch, assert_still_serving, component_from_wat, get};

fn runtime_with(config: RuntimeConfig) -> Runtime {
    Runtime::new(
        RuntimeConfig {
            max_instances: 4,
            ..config
        },
        None,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_looping_component_is_stopped_at_its_deadline() {
    let runtime = runtime_with(RuntimeConfig {
        deadline: Duration::from_millis(50),
        ..RuntimeConfig::default()
    });
    let looping = MINIMAL_SERVICE.replace(
        "(i32.store16 (i32.const 16) (i32.const 200))",
        "(loop $spin (br $spin))\n    (i32.store16 (i32.const 16) (i32.const 200))",
    );
    let component = runtime.load(&component_from_wat(&looping)).unwrap();
    let scratch = Scratch::new().await;
    let error = runtime
        .invoke(&component, &scratch.call("fr.example.loop").await, get("/"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, InvokeError::Deadline(d) if d == Duration::from_millis(50)),
        "{error}"
    );

    assert_still_serving(&runtime).await;
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
    match &error {
        InvokeError::Trap(message) => assert!(message.contains("memory"), "{message}"),
        other => panic!("expected a trap, got {other}"),
    }
    assert_still_serving(&runtime).await;
}
