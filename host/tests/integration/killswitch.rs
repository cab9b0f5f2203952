//! The kill switch: a revocation or a suspension, written to the database by
//! anyone, stops the invocations already running with its own reason, long
//! before their deadline.

use std::sync::Arc;
use std::time::Duration;

use officine_host::consent;
use officine_host::killswitch::{self, PERIOD};
use officine_host::listing::served::ListingCheck;
use officine_host::listing::{Registry, RegistryKeys};
use officine_host::model::now_millis;
use officine_host::runtime::{
    CallContext, Interruption, InvokeError, LoadedComponent, Runtime, RuntimeConfig,
};
use tokio::task::JoinHandle;

use crate::serve::list_example;
use crate::support::{Scratch, assert_still_serving, get, looping_service};

/// Far beyond the time any test here waits: an invocation that ends with
/// the deadline was not stopped by the kill switch.
const DEADLINE: Duration = Duration::from_secs(20);

const SERVICE: &str = "fr.example.loop";

fn runtime() -> Arc<Runtime> {
    Arc::new(
        Runtime::new(
            RuntimeConfig {
                deadline: DEADLINE,
                max_instances: 4,
                ..RuntimeConfig::default()
            },
            None,
        )
        .unwrap(),
    )
}

/// Starts an invocation of `component` and waits until it runs.
async fn start(
    runtime: &Arc<Runtime>,
    component: &LoadedComponent,
    call: CallContext,
) -> JoinHandle<Result<officine_host::runtime::bindings::handler::Response, InvokeError>> {
    let task = {
        let (runtime, component) = (runtime.clone(), component.clone());
        tokio::spawn(async move { runtime.invoke(&component, &call, get("/")).await })
    };
    while runtime.inflight().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_grant_stops_its_running_invocation_with_the_revocation() {
    let runtime = runtime();
    let scratch = Scratch::new().await;
    let _watch = killswitch::spawn(runtime.clone(), scratch.db.clone(), None, PERIOD);
    let component = runtime.load(&looping_service(200)).unwrap();
    let call = scratch.call(SERVICE).await;
    let (patient, service) = (call.patient().clone(), call.service().clone());

    let running = start(&runtime, &component, call).await;
    // Nothing stops it while the grant stands.
    tokio::time::sleep(PERIOD * 5).await;
    assert!(!running.is_finished());

    consent::revoke(&scratch.db, &patient, &service, false, now_millis())
        .await
        .expect("the grant was in force");
    let error = running.await.unwrap().unwrap_err();
    assert!(
        matches!(error, InvokeError::Interrupted(Interruption::GrantEnded)),
        "{error}"
    );
    assert!(runtime.inflight().is_empty());
    assert_still_serving(&runtime).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suspension_stops_the_running_invocations_of_the_service_and_only_them() {
    let runtime = runtime();
    let scratch = Scratch::new().await;
    let data = tempfile::tempdir().unwrap();
    let bytes = looping_service(200);
    // The looping component, listed under its own manifest.
    let manifest = include_str!("../../../examples/hello-measures/officine.toml")
        .replace("fr.officine.hello-measures", SERVICE);
    let name = list_example(scratch.db.clone(), data.path(), &manifest, &bytes).await;
    let keys = RegistryKeys::load_or_create(data.path()).unwrap();
    // Another listed service loops alongside: the suspension of the first
    // does not touch it.
    let other = looping_service(201);
    let other_manifest = manifest.replace(SERVICE, "fr.example.bystander");
    list_example(scratch.db.clone(), data.path(), &other_manifest, &other).await;
    let other = runtime.load(&other).unwrap();
    let component = runtime.load(&bytes).unwrap();
    let listing = ListingCheck::new(scratch.db.clone(), keys.root.clone());
    let _watch = killswitch::spawn(runtime.clone(), scratch.db.clone(), Some(listing), PERIOD);
    let running = start(&runtime, &component, scratch.call(SERVICE).await).await;
    let bystander = {
        let runtime = runtime.clone();
        let call = scratch.call("fr.example.bystander").await;
        tokio::spawn(async move {
            tokio::time::timeout(PERIOD * 20, runtime.invoke(&other, &call, get("/"))).await
        })
    };

    Registry::new(scratch.db.clone(), keys)
        .suspend(&name, "incident under analysis")
        .await
        .unwrap();
    let error = running.await.unwrap().unwrap_err();
    match &error {
        InvokeError::Interrupted(Interruption::Stopped(reason)) => {
            assert!(reason.contains("suspended"), "{reason}")
        }
        other => panic!("expected the suspension, got {other}"),
    }
    // Still running when its own test timeout ends it.
    assert!(
        bystander.await.unwrap().is_err(),
        "the bystander was stopped"
    );
    assert_still_serving(&runtime).await;
}
