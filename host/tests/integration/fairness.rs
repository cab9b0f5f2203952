//! One host shared by services and patients: busy services are capped and
//! refused at once, long-running ones take turns in their own lane, and a
//! well-behaved service goes on answering.

use std::sync::Arc;
use std::time::Duration;

use officine_host::model::PatientId;
use officine_host::runtime::{
    Busy, FairnessConfig, InvokeError, LoadedComponent, Runtime, RuntimeConfig,
};

use crate::support::{
    MINIMAL_SERVICE, Scratch, component_from_wat, get, looping_service, weight_tracker_bytes,
};

const TRACKER: &str = "fr.officine.weight-tracker";

fn runtime(deadline: Duration, fairness: FairnessConfig) -> Arc<Runtime> {
    Arc::new(
        Runtime::new(
            RuntimeConfig {
                deadline,
                max_instances: 64,
                fairness,
                ..RuntimeConfig::default()
            },
            None,
        )
        .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_looping_services_under_load_never_stop_the_weight_tracker() {
    let fairness = FairnessConfig {
        per_service: 4,
        ..FairnessConfig::default()
    };
    let runtime = runtime(Duration::from_millis(600), fairness);
    let scratch = Scratch::new().await;
    let looping = runtime.load(&looping_service(200)).unwrap();
    let tracker = runtime.load(weight_tracker_bytes()).unwrap();
    let tracker_call = scratch.call(TRACKER).await;

    // Eight hostile services, each asked for more invocations than its cap
    // by patients of their own.
    let mut hostile = Vec::new();
    for service in 0..8 {
        let patient = PatientId::new(format!("hostile-user-{service}"));
        scratch.db.ensure_patient(&patient, "Test").await.unwrap();
        let call = scratch
            .call_for(&patient, &format!("fr.example.hostile-{service}"))
            .await;
        for _ in 0..(fairness.per_service + 2) {
            let (runtime, looping, call) = (runtime.clone(), looping.clone(), call.clone());
            hostile.push(tokio::spawn(async move {
                runtime.invoke(&looping, &call, get("/")).await
            }));
        }
    }

    // Meanwhile the demo patient uses the weight tracker, again and again.
    let mut answered = 0;
    while hostile.iter().any(|h| !h.is_finished()) {
        let response = runtime
            .invoke(&tracker, &tracker_call, get("/api/summary"))
            .await
            .expect("the weight tracker is never refused nor stopped");
        assert_eq!(response.status, 200);
        let summary: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(summary["height"]["value"].as_f64(), Some(176.0));
        answered += 1;
    }
    assert!(answered > 0);

    // Each hostile service got its cap, ended by the deadline; the rest
    // was refused at once.
    let (mut deadlines, mut refused) = (0, 0);
    for outcome in hostile {
        match outcome.await.unwrap() {
            Err(InvokeError::Deadline(_)) => deadlines += 1,
            Err(InvokeError::Busy(Busy::Service { limit: 4 })) => refused += 1,
            other => panic!("unexpected outcome: {other:?}"),
        }
    }
    assert_eq!((deadlines, refused), (8 * 4, 8 * 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_patient_cannot_take_more_than_their_share() {
    let fairness = FairnessConfig {
        per_patient: 3,
        ..FairnessConfig::default()
    };
    let runtime = runtime(Duration::from_millis(300), fairness);
    let scratch = Scratch::new().await;
    let looping = runtime.load(&looping_service(200)).unwrap();
    let mut running = Vec::new();
    // Three services for the same patient run; a fourth is refused.
    for service in 0..3 {
        let call = scratch.call(&format!("fr.example.s{service}")).await;
        let (runtime, looping) = (runtime.clone(), looping.clone());
        running.push(tokio::spawn(async move {
            runtime.invoke(&looping, &call, get("/")).await
        }));
    }
    while runtime.inflight().running().len() < 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let fourth = scratch.call("fr.example.s3").await;
    let error = runtime
        .invoke(&looping, &fourth, get("/"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, InvokeError::Busy(Busy::Patient { limit: 3 })),
        "{error}"
    );
    // Another patient is not affected.
    let other = PatientId::new("someone-else");
    scratch.db.ensure_patient(&other, "Test").await.unwrap();
    let good = runtime.load(&component_from_wat(MINIMAL_SERVICE)).unwrap();
    let response = runtime
        .invoke(
            &good,
            &scratch.call_for(&other, "fr.example.good").await,
            get("/"),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    for task in running {
        assert!(matches!(task.await.unwrap(), Err(InvokeError::Deadline(_))));
    }
    // Their share is theirs again once those ended.
    let response = runtime
        .invoke(&good, &scratch.call("fr.example.good").await, get("/"))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
}

/// The caps are counted per service and patient, and released when an
/// invocation ends however it ends.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_or_failed_invocation_gives_its_place_back() {
    let fairness = FairnessConfig {
        per_service: 1,
        ..FairnessConfig::default()
    };
    let runtime = runtime(Duration::from_millis(100), fairness);
    let scratch = Scratch::new().await;
    let looping: LoadedComponent = runtime.load(&looping_service(200)).unwrap();
    let call = scratch.call("fr.example.loop").await;
    for _ in 0..3 {
        let error = runtime.invoke(&looping, &call, get("/")).await.unwrap_err();
        assert!(matches!(error, InvokeError::Deadline(_)), "{error}");
    }
    assert!(runtime.inflight().is_empty());
}

/// One thread only: the counter runs only when the looping invocation
/// yields. It must yield at every epoch tick, short or long-running (a lane
/// free at once must not spare it the yield), so that it never holds a
/// thread and sees an interruption at once.
#[tokio::test(flavor = "current_thread")]
async fn a_looping_component_never_holds_its_thread() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    let runtime = runtime(Duration::from_millis(300), FairnessConfig::default());
    let scratch = Scratch::new().await;
    let looping = runtime.load(&looping_service(200)).unwrap();
    let call = scratch.call("fr.example.loop").await;
    let (turns, stop) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let counter = {
        let (turns, stop) = (turns.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                turns.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        })
    };
    let error = runtime.invoke(&looping, &call, get("/")).await.unwrap_err();
    assert!(matches!(error, InvokeError::Deadline(_)), "{error}");
    stop.store(true, Ordering::Relaxed);
    counter.await.unwrap();
    // About one turn per millisecond of the 300; a handful if it only
    // yielded while short.
    let turns = turns.load(Ordering::Relaxed);
    assert!(turns > 30, "the other task ran {turns} times");
}
