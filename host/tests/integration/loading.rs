//! Loading components: bad input, the world check, the cache.

use std::os::unix::fs::PermissionsExt as _;

use officine_host::runtime::cache::CacheError;
use officine_host::runtime::{LoadError, Runtime, RuntimeConfig};

use crate::support::{
    MINIMAL_SERVICE, Scratch, assert_still_serving, component_from_wat,
    component_from_wat_with_wit, get, runtime,
};

/// After any refusal, the same runtime still runs a good component.
async fn still_serving() {
    assert_still_serving(runtime()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_is_not_wasm_is_refused() {
    let error = runtime().load(b"#!/bin/sh\necho hello\n").unwrap_err();
    assert!(matches!(error, LoadError::NotWasm));
    assert!(error.to_string().contains("not a WebAssembly file"));
    let error = runtime().load(b"").unwrap_err();
    assert!(matches!(error, LoadError::NotWasm));
    still_serving().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_core_module_is_refused_with_the_build_command() {
    let module = wat::parse_str("(module (func (export \"handle\")))").unwrap();
    let error = runtime().load(&module).unwrap_err();
    assert!(matches!(error, LoadError::CoreModule));
    assert!(
        error
            .to_string()
            .contains("cargo build --target wasm32-wasip2")
    );
    still_serving().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_component_is_refused() {
    let bytes = component_from_wat(MINIMAL_SERVICE);
    let error = runtime().load(&bytes[..bytes.len() / 2]).unwrap_err();
    assert!(matches!(error, LoadError::Invalid(_)), "{error}");
    still_serving().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_for_another_world_is_refused() {
    let bytes = component_from_wat_with_wit(
        r#"(module (func (export "run")))"#,
        "package other:tool; world command { export run: func(); }",
        "command",
    );
    let error = runtime().load(&bytes).unwrap_err();
    match &error {
        LoadError::WrongWorld { .. } => {}
        other => panic!("expected WrongWorld, got {other}"),
    }
    assert!(
        error.to_string().contains("officine:platform/handler"),
        "{error}"
    );
    still_serving().await;
}

/// A service that also imports something outside the world: the import is
/// called from `handle` so that the encoder keeps it.
pub(crate) fn service_importing(module: &str, field: &str) -> String {
    MINIMAL_SERVICE.replace(
        "(memory (export \"memory\") 1)",
        &format!("(import \"{module}\" \"{field}\" (func $outside))\n  (memory (export \"memory\") 1)"),
    )
    .replace("(i32.store16 (i32.const 16) (i32.const 200))", "(call $outside)\n    (i32.store16 (i32.const 16) (i32.const 200))")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_importing_an_interface_the_host_does_not_offer_is_refused() {
    let bytes = component_from_wat_with_wit(
        &service_importing("evil:net/sockets@0.1.0", "connect"),
        "package evil:net@0.1.0;
         interface sockets { connect: func(); }
         world service { import sockets; export officine:platform/handler@0.1.0; }",
        "service",
    );
    let error = runtime().load(&bytes).unwrap_err();
    match &error {
        LoadError::ForbiddenImports(names) => assert_eq!(names, &["evil:net/sockets@0.1.0"]),
        other => panic!("expected ForbiddenImports, got {other}"),
    }
    still_serving().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_importing_the_filesystem_is_refused() {
    let bytes = component_from_wat_with_wit(
        &MINIMAL_SERVICE.replace(
            "(memory (export \"memory\") 1)",
            "(import \"wasi:filesystem/preopens@0.2.12\" \"get-directories\" (func $dirs (param i32)))\n  \
             (memory (export \"memory\") 1)",
        )
        .replace(
            "(i32.store16 (i32.const 16) (i32.const 200))",
            "(call $dirs (i32.const 64))\n    (i32.store16 (i32.const 16) (i32.const 200))",
        ),
        "package evil:fs;
         world service {
           import wasi:filesystem/preopens@0.2.12;
           export officine:platform/handler@0.1.0;
         }",
        "service",
    );
    let error = runtime().load(&bytes).unwrap_err();
    match &error {
        // `preopens` pulls in `types`: whichever is met first is named.
        LoadError::ForbiddenImports(names) => assert!(
            !names.is_empty() && names.iter().all(|n| n.starts_with("wasi:filesystem/")),
            "{names:?}"
        ),
        other => panic!("expected ForbiddenImports, got {other}"),
    }
    assert!(error.to_string().contains("does not offer"));
    still_serving().await;
}

fn small_config() -> RuntimeConfig {
    RuntimeConfig {
        max_instances: 4,
        ..RuntimeConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_compiled_component_is_loaded_back_from_the_cache_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("components");
    let bytes = component_from_wat(MINIMAL_SERVICE);

    let first = Runtime::new(small_config(), Some(&cache)).unwrap();
    let loaded = first.load(&bytes).unwrap();
    assert!(!loaded.from_cache());
    let artifact = first
        .cache()
        .unwrap()
        .dir()
        .join(format!("{}.cwasm", loaded.digest().to_hex()));
    assert!(artifact.is_file());
    drop(first);

    // A new engine, as after a restart: the artifact is used, not recompiled.
    let second = Runtime::new(small_config(), Some(&cache)).unwrap();
    let loaded = second.load(&bytes).unwrap();
    assert!(loaded.from_cache());
    let scratch = Scratch::new().await;
    let response = second
        .invoke(&loaded, &scratch.call("fr.example.cached").await, get("/"))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_artifact_is_discarded_and_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("components");
    let bytes = component_from_wat(MINIMAL_SERVICE);
    let runtime = Runtime::new(small_config(), Some(&cache)).unwrap();
    let loaded = runtime.load(&bytes).unwrap();
    let artifact = runtime
        .cache()
        .unwrap()
        .dir()
        .join(format!("{}.cwasm", loaded.digest().to_hex()));
    let original = std::fs::read(&artifact).unwrap();
    let mut tampered = original.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0xff;
    std::fs::write(&artifact, &tampered).unwrap();

    let reloaded = runtime.load(&bytes).unwrap();
    assert!(!reloaded.from_cache(), "a tampered artifact was loaded");
    // Recompiled and stored again, intact.
    let again = runtime.load(&bytes).unwrap();
    assert!(again.from_cache());
    assert_ne!(std::fs::read(&artifact).unwrap(), tampered);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cache_directory_others_can_reach_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("components");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let error = match Runtime::new(small_config(), Some(&cache)) {
        Ok(_) => panic!("a world-writable cache was accepted"),
        Err(error) => error,
    };
    let error = error.downcast::<CacheError>().unwrap();
    assert!(
        matches!(error, CacheError::NotPrivate { mode: 0o777, .. }),
        "{error}"
    );
}
