//! What the listing check costs a host.
//!
//! `cargo bench -p officine-host --bench listing` lists the weight tracker
//! (built from source) in a fresh registry and prints:
//! - `listing/check`: the check made before every invocation, with the
//!   verdict cached (one read of the registry's generation, a map lookup);
//! - `listing/verify`: the same check with a cold cache: the release, its
//!   key and bundle read from the database and the bundle verified in full
//!   with sigstore-verify (signature, inclusion proof, signed checkpoint).

use criterion::{Criterion, criterion_group, criterion_main};
use officine_host::db::Db;
use officine_host::examples;
use officine_host::listing::releases::Submission;
use officine_host::listing::served::ListingCheck;
use officine_host::listing::{Registry, RegistryKeys, dev};
use officine_host::runtime::{Runtime, RuntimeConfig};
use officine_registry::keys::KeyPair;
use officine_registry::review::RequirementSet;
use officine_registry::{Manifest, Release, Sha256Digest, signature};

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let workspace = examples::workspace().expect("run from the repository");
    let built = examples::build(&workspace).expect("example services build");
    let tracker = built
        .iter()
        .find(|e| e.package == "weight-tracker")
        .unwrap();
    let bytes = std::fs::read(&tracker.wasm).unwrap();
    let manifest = Manifest::load(&tracker.manifest).unwrap();
    let runtime = Runtime::new(RuntimeConfig::default(), None).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let (db, keys) = rt.block_on(async {
        let db = Db::open_sqlite(&dir.path().join("bench.db")).await.unwrap();
        let keys = RegistryKeys::load_or_create(dir.path()).unwrap();
        let registry = Registry::new(db.clone(), keys.clone());
        let key = KeyPair::generate().unwrap();
        registry
            .add_key(manifest.editor_id(), key.public_key(), None)
            .await
            .unwrap();
        let release = Release::new(manifest.clone(), &bytes).canonical_json();
        let stored = registry
            .submit(
                &runtime,
                Submission {
                    manifest: manifest.clone(),
                    component: &bytes,
                    bundle: signature::sign(&release, &key),
                },
            )
            .await
            .unwrap();
        let name = stored.name();
        registry.admit(&name).await.unwrap();
        registry.start_review(&name).await.unwrap();
        let set = RequirementSet::builtin();
        let verdicts = dev::development_verdicts(set, &manifest);
        registry.decide(&name, set, &verdicts).await.unwrap();
        (db, keys)
    });
    let digest = Sha256Digest::of(&bytes);
    let service = officine_host::model::ServiceId::new("fr.officine.weight-tracker").unwrap();
    let check = ListingCheck::new(db.clone(), keys.root.clone());
    rt.block_on(check.check(&service, &digest))
        .expect("the tracker is listed");

    let mut group = c.benchmark_group("listing");
    group.bench_function("check", |b| {
        b.to_async(&rt)
            .iter(|| async { check.check(&service, &digest).await.unwrap() })
    });
    group.bench_function("verify", |b| {
        b.to_async(&rt).iter(|| async {
            let cold = ListingCheck::new(db.clone(), keys.root.clone());
            cold.check(&service, &digest).await.unwrap()
        })
    });
    group.finish();
}

criterion_group!(listing, benches);
criterion_main!(listing);
