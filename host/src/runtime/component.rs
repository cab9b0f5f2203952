//! Turning bytes into a component the platform is willing to run.
//!
//! Every check here happens before any instance exists: the bytes must be a
//! component (not a core module, not anything else), import nothing outside
//! the `service` world, and export the platform's `handler`.

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

use crate::model::ComponentDigest;
use crate::platform::{Interface, Interfaces};

/// Why a component was refused. Each message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("not a WebAssembly file (it does not start with the \\0asm magic bytes)")]
    NotWasm,
    #[error(
        "this is a core WebAssembly module, not a component: build the service with \
         `cargo build --target wasm32-wasip2`"
    )]
    CoreModule,
    #[error("not a valid WebAssembly component: {0}")]
    Invalid(String),
    /// Every import outside the world, in the component's order: an editor
    /// learns all of them at once (a `std::net` guest also imports files).
    #[error(
        "the component imports {}, which the officine:platform/service world does not offer \
         (no files, sockets, HTTP or other interfaces are available to services)",
        .0.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
    )]
    ForbiddenImports(Vec<String>),
    #[error(
        "the component does not target the officine:platform/service world: it must export \
         `officine:platform/handler@0.1.x`{found}"
    )]
    WrongWorld { found: String },
}

/// The interfaces a component may import, by package and interface, and the
/// `major.minor` version line offered. This mirrors `wit/world.wit`; a test
/// keeps the two in step.
pub const WORLD_IMPORTS: &[(&str, &str, &str)] = &[
    ("officine:platform", "types", "0.1"),
    ("officine:platform", "measures", "0.1"),
    ("officine:platform", "agenda", "0.1"),
    ("officine:platform", "dmp", "0.1"),
    ("officine:platform", "messaging", "0.1"),
    ("officine:platform", "storage", "0.1"),
    ("officine:platform", "log", "0.1"),
    ("wasi:io", "error", "0.2"),
    ("wasi:io", "poll", "0.2"),
    ("wasi:io", "streams", "0.2"),
    ("wasi:cli", "environment", "0.2"),
    ("wasi:cli", "exit", "0.2"),
    ("wasi:cli", "stdin", "0.2"),
    ("wasi:cli", "stdout", "0.2"),
    ("wasi:cli", "stderr", "0.2"),
    ("wasi:cli", "terminal-input", "0.2"),
    ("wasi:cli", "terminal-output", "0.2"),
    ("wasi:cli", "terminal-stdin", "0.2"),
    ("wasi:cli", "terminal-stdout", "0.2"),
    ("wasi:cli", "terminal-stderr", "0.2"),
    ("wasi:clocks", "monotonic-clock", "0.2"),
    ("wasi:clocks", "wall-clock", "0.2"),
    ("wasi:random", "random", "0.2"),
    ("wasi:random", "insecure", "0.2"),
    ("wasi:random", "insecure-seed", "0.2"),
];

/// The export every service provides.
const HANDLER: (&str, &str, &str) = ("officine:platform", "handler", "0.1");

/// Cheap checks on the raw bytes, before compiling anything.
pub fn check_bytes(bytes: &[u8]) -> Result<(), LoadError> {
    if !bytes.starts_with(b"\0asm") {
        return Err(LoadError::NotWasm);
    }
    if wasmparser::Parser::is_core_wasm(bytes) {
        return Err(LoadError::CoreModule);
    }
    if !wasmparser::Parser::is_component(bytes) {
        return Err(LoadError::Invalid(
            "unknown WebAssembly encoding version".to_owned(),
        ));
    }
    Ok(())
}

/// Compiles a component. Slow (milliseconds to seconds): callers cache it.
pub fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component, LoadError> {
    check_bytes(bytes)?;
    Component::new(engine, bytes).map_err(|e| LoadError::Invalid(format!("{e:#}")))
}

/// Checks a compiled component's imports and exports against the world.
pub fn check_world(engine: &Engine, component: &Component) -> Result<(), LoadError> {
    let ty = component.component_type();
    let forbidden: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name)
        .filter(|name| !offered(name))
        .map(str::to_owned)
        .collect();
    if !forbidden.is_empty() {
        return Err(LoadError::ForbiddenImports(forbidden));
    }
    let exports: Vec<&str> = ty
        .exports(engine)
        .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentInstance(_)))
        .map(|(name, _)| name)
        .collect();
    if !exports.iter().any(|name| matches_interface(name, HANDLER)) {
        let found = if exports.is_empty() {
            "; it exports no interface".to_owned()
        } else {
            format!("; it exports {}", exports.join(", "))
        };
        return Err(LoadError::WrongWorld { found });
    }
    Ok(())
}

/// The consent-governed platform interfaces a component imports (`types`
/// and `log` need no permission and are left out).
pub fn platform_imports(engine: &Engine, component: &Component) -> Interfaces {
    component
        .component_type()
        .imports(engine)
        .filter_map(|(name, _)| {
            Interface::ALL
                .into_iter()
                .find(|i| matches_interface(name, ("officine:platform", i.name(), "0.1")))
        })
        .collect()
}

/// A component the platform accepted, with the digest that names it.
#[derive(Clone)]
pub struct LoadedComponent {
    pub(crate) digest: ComponentDigest,
    pub(crate) component: Component,
    pub(crate) from_cache: bool,
}

impl std::fmt::Debug for LoadedComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedComponent")
            .field("digest", &self.digest)
            .field("from_cache", &self.from_cache)
            .finish_non_exhaustive()
    }
}

impl LoadedComponent {
    pub fn digest(&self) -> ComponentDigest {
        self.digest
    }

    /// Whether it was loaded precompiled from the disk cache rather than
    /// compiled now.
    pub fn from_cache(&self) -> bool {
        self.from_cache
    }
}

fn offered(import: &str) -> bool {
    WORLD_IMPORTS
        .iter()
        .any(|entry| matches_interface(import, *entry))
}

/// Whether `name` (`ns:pkg/iface@x.y.z`) is `iface` of `package` in the
/// `major.minor` line given; semver-compatible patch versions match.
fn matches_interface(name: &str, (package, interface, line): (&str, &str, &str)) -> bool {
    let Some((path, version)) = name.split_once('@') else {
        return false;
    };
    let Some((pkg, iface)) = path.split_once('/') else {
        return false;
    };
    pkg == package
        && iface == interface
        && version.strip_prefix(line).is_some_and(|rest| {
            rest.starts_with('.') && rest[1..].bytes().all(|b| b.is_ascii_digit()) && rest.len() > 1
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_match_by_version_line() {
        let storage = ("officine:platform", "storage", "0.1");
        assert!(matches_interface(
            "officine:platform/storage@0.1.0",
            storage
        ));
        assert!(matches_interface(
            "officine:platform/storage@0.1.7",
            storage
        ));
        assert!(!matches_interface(
            "officine:platform/storage@0.2.0",
            storage
        ));
        assert!(!matches_interface(
            "officine:platform/storage@0.10.0",
            storage
        ));
        assert!(!matches_interface("officine:platform/storage", storage));
        assert!(!matches_interface(
            "officine:platform/storage@0.1.0-rc",
            storage
        ));
        assert!(!matches_interface("evil:platform/storage@0.1.0", storage));
        assert!(offered("wasi:cli/stdout@0.2.4"));
        assert!(!offered("wasi:filesystem/types@0.2.4"));
        assert!(!offered("wasi:sockets/tcp@0.2.0"));
        assert!(!offered("wasi:http/outgoing-handler@0.2.0"));
    }

    /// The import list is what the world declares: no more, no less.
    #[test]
    fn world_imports_mirror_the_wit_world() {
        let mut resolve = wit_parser::Resolve::default();
        let (package, _) = resolve
            .push_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../wit"))
            .unwrap();
        let world = resolve.select_world(&[package], Some("service")).unwrap();
        let mut declared: Vec<String> = resolve.worlds[world]
            .imports
            .keys()
            .map(|key| resolve.name_world_key(key))
            .collect();
        declared.sort();
        let mut listed: Vec<String> = WORLD_IMPORTS
            .iter()
            .map(|(package, interface, _)| {
                let version = if package.starts_with("wasi:") {
                    "0.2.12"
                } else {
                    "0.1.0"
                };
                format!("{package}/{interface}@{version}")
            })
            .collect();
        listed.sort();
        assert_eq!(declared, listed);
        for name in &declared {
            assert!(offered(name), "{name} is declared but not offered");
        }
    }

    #[test]
    fn raw_bytes_are_sorted_before_compiling() {
        assert!(matches!(check_bytes(b"hello"), Err(LoadError::NotWasm)));
        assert!(matches!(
            check_bytes(b"\0asm\x01\0\0\0"),
            Err(LoadError::CoreModule)
        ));
        assert!(check_bytes(b"\0asm\x0d\0\x01\0").is_ok());
    }
}
