//! Shared helpers: scratch databases, components built from WAT, requests.

use std::path::PathBuf;
use std::sync::OnceLock;

use std::sync::Arc;

use officine_host::consent;
use officine_host::db::grants::{self, ServiceRecord};
use officine_host::db::{Backend, Db, seed};
use officine_host::model::{PatientId, ServiceId, now_millis};
use officine_host::runtime::bindings::handler::{Request, Response};
use officine_host::runtime::{CallContext, LoadedComponent, Runtime, RuntimeConfig};
use officine_policy::{Scope, SheetHash};

/// A scratch database seeded with the demo patient, on the backend this
/// test binary runs its suites on (`crate::BACKEND`): an SQLite file
/// deleted on drop, or a schema of its own on the test PostgreSQL server.
pub struct Scratch {
    pub db: Db,
    pub patient: PatientId,
    url: String,
    _dir: tempfile::TempDir,
}

/// A new, empty database on the backend these suites run on: the SQLite
/// file of data directory `dir`, or a schema of its own on the test
/// PostgreSQL server.
pub fn database_url(dir: &std::path::Path) -> String {
    match crate::BACKEND {
        Backend::Sqlite => officine_host::db::sqlite_url(&dir.join("officine.db")),
        Backend::Postgres => officine_test_postgres::cluster().fresh_url(),
    }
}

impl Scratch {
    pub async fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let url = database_url(dir.path());
        let db = Db::connect(&url).await.unwrap();
        assert_eq!(db.backend(), crate::BACKEND);
        let seeded = seed::seed_demo(&db, now_millis()).await.unwrap();
        Scratch {
            db,
            patient: seeded.patient,
            url,
            _dir: dir,
        }
    }

    /// The database file, on SQLite.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        (crate::BACKEND == Backend::Sqlite).then(|| self._dir.path().join("officine.db"))
    }

    /// Another handle on the same database, sharing nothing with the first
    /// but the database itself: what a second host process would have.
    pub async fn other_process(&self) -> Db {
        Db::connect(&self.url).await.unwrap()
    }

    /// A call for the demo patient by `service`, which requests and is
    /// granted every scope.
    pub async fn call(&self, service: &str) -> CallContext {
        self.call_for(&self.patient.clone(), service).await
    }

    /// The same, for another patient.
    pub async fn call_for(&self, patient: &PatientId, service: &str) -> CallContext {
        let all: Vec<Scope> = Scope::aliases().collect();
        self.grant_as(patient, service, &all, &all).await
    }

    /// A call for the demo patient by `service`, which requests every scope
    /// and is granted `scopes` only.
    pub async fn call_with(&self, service: &str, scopes: &[&str]) -> CallContext {
        let granted: Vec<Scope> = scopes.iter().map(|s| s.parse().unwrap()).collect();
        let all: Vec<Scope> = Scope::aliases().collect();
        self.grant_as(&self.patient.clone(), service, &all, &granted)
            .await
    }

    /// Registers `service` as requesting `requested`, grants `granted` to
    /// `patient` for a year, and returns the call context.
    pub async fn grant_as(
        &self,
        patient: &PatientId,
        service: &str,
        requested: &[Scope],
        granted: &[Scope],
    ) -> CallContext {
        let id = ServiceId::new(service).unwrap();
        let record = ServiceRecord {
            id: id.clone(),
            version: semver::Version::new(1, 0, 0),
            name: format!("Service {service}"),
            requested: requested.to_vec(),
            sheet: SheetHash([1; 32]),
        };
        grants::register_service(&self.db, &record).await.unwrap();
        let now = now_millis();
        let stored = consent::grant(
            &self.db,
            patient,
            &id,
            granted.to_vec(),
            now - 1000,
            now + consent::DEFAULT_DURATION_MS,
        )
        .await
        .unwrap();
        CallContext {
            db: self.db.clone(),
            service_name: record.name,
            grant: Arc::new(stored),
            limits: Default::default(),
        }
    }
}

/// The weight tracker's component, built from `plugins/weight-tracker` by
/// cargo once per test binary.
pub fn weight_tracker_bytes() -> &'static [u8] {
    example_bytes("weight-tracker")
}

/// The component of the example service `package`, built from source by
/// cargo once per test binary.
pub fn example_bytes(package: &str) -> &'static [u8] {
    static BUILT: OnceLock<Vec<(&'static str, Vec<u8>)>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let workspace = officine_host::examples::workspace().expect("the repository");
        officine_host::examples::build(&workspace)
            .expect("example services build")
            .into_iter()
            .map(|e| {
                (
                    e.package,
                    std::fs::read(&e.wasm).expect("the built component"),
                )
            })
            .collect()
    });
    built
        .iter()
        .find(|(name, _)| *name == package)
        .map(|(_, bytes)| bytes.as_slice())
        .unwrap_or_else(|| panic!("{package} is not an example"))
}

/// The packages of the hostile test components: `plugins/hostile` and the
/// crates of `plugins/hostile-imports`.
pub const HOSTILE: [&str; 5] = [
    "hostile",
    "hostile-sockets",
    "hostile-filesystem",
    "hostile-http",
    "hostile-unknown",
];

/// The component of the hostile test crate `package` (one of [`HOSTILE`]),
/// built from source by cargo, all of them at once, once per test binary.
pub fn hostile_bytes(package: &str) -> &'static [u8] {
    static BUILT: OnceLock<Vec<(&'static str, Vec<u8>)>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let workspace = officine_host::examples::workspace().expect("the repository");
        officine_host::examples::ensure_wasm_target();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = std::process::Command::new(cargo);
        command.current_dir(&workspace).args([
            "build",
            "--release",
            "--target",
            officine_host::examples::WASM_TARGET,
        ]);
        for package in HOSTILE {
            command.args(["-p", package]);
        }
        let status = command.status().expect("cargo runs");
        assert!(
            status.success(),
            "building the hostile components: {status}"
        );
        let release = target_dir()
            .join(officine_host::examples::WASM_TARGET)
            .join("release");
        HOSTILE
            .into_iter()
            .map(|package| {
                let wasm = release.join(format!("{}.wasm", package.replace('-', "_")));
                let bytes = std::fs::read(&wasm)
                    .unwrap_or_else(|e| panic!("reading {}: {e}", wasm.display()));
                (package, bytes)
            })
            .collect()
    });
    built
        .iter()
        .find(|(name, _)| *name == package)
        .map(|(_, bytes)| bytes.as_slice())
        .unwrap_or_else(|| panic!("{package} is not a hostile component"))
}

/// One runtime for the whole test binary, as in production: one engine per
/// process. No disk cache. Responses may be as large as a memory: the
/// platform suite's components answer with their whole linear memory.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let config = RuntimeConfig::default();
        Runtime::new(
            RuntimeConfig {
                response_limit: config.memory_per_instance,
                ..config
            },
            None,
        )
        .unwrap()
    })
}

/// The repository's `wit/` directory.
pub fn wit_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../wit")
}

/// Builds a component of the `service` world from a core module in WAT.
/// The module imports platform functions under their canonical-ABI names
/// (`"officine:platform/storage@0.1.0" "get"`) and exports
/// `officine:platform/handler@0.1.0#handle`, `memory` and `cabi_realloc`.
pub fn component_from_wat(wat: &str) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_path(wit_dir()).expect("valid WIT");
    encode(wat, &resolve, package, "service")
}

/// Embeds `world`'s metadata into the WAT module and encodes the component.
fn encode(
    wat: &str,
    resolve: &wit_parser::Resolve,
    package: wit_parser::PackageId,
    world: &str,
) -> Vec<u8> {
    let mut module = wat::parse_str(wat).expect("valid WAT");
    let world = resolve
        .select_world(&[package], Some(world))
        .expect("world exists");
    wit_component::embed_component_metadata(
        &mut module,
        resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .expect("metadata embeds");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .expect("module accepted")
        .validate(true)
        .encode()
        .expect("component encodes")
}

/// Loads component bytes into the shared runtime.
pub fn load(bytes: &[u8]) -> LoadedComponent {
    runtime().load(bytes).expect("component accepted")
}

pub fn get(path: &str) -> Request {
    request("GET", path, Vec::new())
}

/// A runtime of its own with `config`, and few instance slots.
pub fn runtime_with(config: RuntimeConfig) -> Runtime {
    Runtime::new(
        RuntimeConfig {
            max_instances: 4,
            ..config
        },
        None,
    )
    .unwrap()
}

/// [`MINIMAL_SERVICE`] spinning forever before it answers `status`.
pub fn looping_service(status: u16) -> Vec<u8> {
    component_from_wat(&MINIMAL_SERVICE.replace(
        "(i32.store16 (i32.const 16) (i32.const 200))",
        &format!("(loop $spin (br $spin))\n    (i32.store16 (i32.const 16) (i32.const {status}))"),
    ))
}

/// Asserts that `runtime` still runs a good component (after a refusal,
/// a trap or a timeout).
pub async fn assert_still_serving(runtime: &Runtime) {
    let scratch = Scratch::new().await;
    let good = runtime.load(&component_from_wat(MINIMAL_SERVICE)).unwrap();
    let response = runtime
        .invoke(&good, &scratch.call("fr.example.good").await, get("/"))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
}

/// A form POST, as a browser sends it.
pub fn form_post(path: &str, form: &str) -> Request {
    let mut post = request("POST", path, form.as_bytes().to_vec());
    post.headers.push((
        "content-type".into(),
        "application/x-www-form-urlencoded".into(),
    ));
    post
}

pub fn request(method: &str, path: &str, body: Vec<u8>) -> Request {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    Request {
        patient: String::new(),
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers: Vec::new(),
        body,
    }
}

pub fn body_text(response: &Response) -> String {
    String::from_utf8(response.body.clone()).expect("UTF-8 body")
}

/// Builds a component from WAT against a world defined in `extra_wit`, a
/// package that may use the platform's interfaces (for components the
/// platform must refuse).
pub fn component_from_wat_with_wit(wat: &str, extra_wit: &str, world: &str) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    resolve.push_path(wit_dir()).expect("platform WIT");
    let package = resolve.push_str("extra.wit", extra_wit).expect("extra WIT");
    encode(wat, &resolve, package, world)
}

/// The smallest service: answers every request with status 200 and an
/// empty body. Its memory holds the response record at offset 16.
pub const MINIMAL_SERVICE: &str = r#"
(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get 3)))
    (local.get $ptr))
  (func (export "officine:platform/handler@0.1.0#handle")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    ;; response at 16: status 200, no headers, empty body
    (i32.store16 (i32.const 16) (i32.const 200))
    (i32.store (i32.const 20) (i32.const 0))
    (i32.store (i32.const 24) (i32.const 0))
    (i32.store (i32.const 28) (i32.const 0))
    (i32.store (i32.const 32) (i32.const 0))
    (i32.const 16)))
"#;

/// The Cargo target directory, where test tools are installed.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}

/// Runs `command` and panics, with its output, unless it succeeds.
pub fn run(command: &mut std::process::Command, what: &str) -> std::process::Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A Python virtual environment `TARGET/<name>/venv` holding the pinned
/// packages of `requirements`: installed on first use, and again whenever
/// the pins change, so a test run installs what it needs itself. Returns
/// the environment's directory (`bin/python` is its interpreter).
pub fn python_venv(name: &str, requirements: &std::path::Path) -> PathBuf {
    let pins = std::fs::read_to_string(requirements)
        .unwrap_or_else(|e| panic!("reading {}: {e}", requirements.display()));
    let venv = target_dir().join(name).join("venv");
    // The pins the environment was installed from, once it was.
    let stamp = venv.join("installed-requirements.txt");
    if std::fs::read_to_string(&stamp).is_ok_and(|done| done == pins) {
        return venv;
    }
    run(
        std::process::Command::new("python3")
            .args(["-m", "venv", "--without-pip", "--clear"])
            .arg(&venv),
        "creating a Python virtual environment",
    );
    run(
        std::process::Command::new("python3")
            .args([
                "-m",
                "pip",
                "--quiet",
                "--disable-pip-version-check",
                "--python",
            ])
            .arg(venv.join("bin/python"))
            .args(["install", "-r"])
            .arg(requirements),
        &format!("installing {} (pip)", requirements.display()),
    );
    std::fs::write(&stamp, &pins).unwrap();
    venv
}

/// A new service submitted by the weight tracker's editor, with a key the
/// regulators registered: the weight tracker's component under another id
/// and name. Returns the release's name.
pub async fn submit_new_service(server: &crate::server::Server, id: &str, name: &str) -> String {
    use base64::Engine as _;
    use officine_registry::keys::KeyPair;
    use officine_registry::{Manifest, Release, signature};

    let manifest = include_str!("../../../plugins/weight-tracker/officine.toml")
        .replace("fr.officine.weight-tracker", id)
        .replace("name = \"Suivi du poids\"", &format!("name = \"{name}\""));
    let key = KeyPair::generate().unwrap();
    let regulator = server.token("regulator:alice");
    let register = serde_json::json!({
        "editor": "siret:00000000000018",
        "public-key": key.public_key().to_pem(),
    });
    let (status, _, body) = server
        .send(
            "POST",
            "/api/regulator/keys",
            Some(&regulator),
            &register.to_string(),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let component = crate::support::weight_tracker_bytes();
    let release = Release::new(Manifest::from_toml_str(&manifest).unwrap(), component);
    let bundle: serde_json::Value =
        serde_json::from_str(&signature::sign(&release.canonical_json(), &key).to_json()).unwrap();
    let submission = serde_json::json!({
        "manifest": manifest,
        "component": base64::engine::general_purpose::STANDARD.encode(component),
        "bundle": bundle,
    });
    let editor = server.token("editor:siret:00000000000018");
    let (status, _, body) = server
        .send(
            "POST",
            "/api/registry/releases",
            Some(&editor),
            &submission.to_string(),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    format!("{id}@0.1.0")
}
