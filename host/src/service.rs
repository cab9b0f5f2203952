//! A service the host can run: its manifest and its accepted component.

use std::path::{Path, PathBuf};

use officine_policy::SheetHash;
use officine_registry::{Manifest, ManifestError};

use crate::consent;
use crate::platform::{Interface, Interfaces};
use crate::runtime::component;
use crate::runtime::{LoadError, LoadedComponent, Runtime};

/// Why a service could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Component {
        path: PathBuf,
        #[source]
        source: LoadError,
    },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(
        "{path}: the component imports officine:platform/{interface} but the manifest \
         requests no scope for it (request {hint}, or stop using it)",
        interface = .interface.name(),
        hint = .interface.scopes_hint()
    )]
    ImportNotRequested { path: PathBuf, interface: Interface },
}

/// A manifest and the component it describes.
#[derive(Clone)]
pub struct Service {
    pub manifest: Manifest,
    /// The SHA-256 of the manifest's canonical JSON, which holds the
    /// consent sheet patients see.
    pub sheet: SheetHash,
    pub component: LoadedComponent,
}

impl Service {
    /// Reads, checks and compiles (or loads from cache) a service.
    pub fn load(runtime: &Runtime, wasm: &Path, manifest: &Path) -> Result<Service, ServiceError> {
        let manifest = Manifest::load(manifest)?;
        let bytes = std::fs::read(wasm).map_err(|source| ServiceError::Read {
            path: wasm.to_owned(),
            source,
        })?;
        Service::from_parts(runtime, manifest, &bytes, wasm)
    }

    /// Checks and compiles (or loads from cache) a component described by
    /// `manifest`; `origin` names where the bytes came from, in errors.
    pub fn from_parts(
        runtime: &Runtime,
        manifest: Manifest,
        bytes: &[u8],
        origin: &Path,
    ) -> Result<Service, ServiceError> {
        let sheet = consent::sheet_hash(manifest.canonical_json().as_bytes());
        let component = runtime
            .load(bytes)
            .map_err(|source| ServiceError::Component {
                path: origin.to_owned(),
                source,
            })?;
        // No grant can ever cover an interface the manifest does not
        // request: a component importing one is refused before it is served.
        let requested: Vec<_> = manifest.scopes().collect();
        let granted = Interfaces::granted(&requested);
        let imported = component::platform_imports(runtime.engine(), &component.component);
        if let Some(interface) = imported.iter().find(|i| !granted.contains(*i)) {
            return Err(ServiceError::ImportNotRequested {
                path: origin.to_owned(),
                interface,
            });
        }
        Ok(Service {
            manifest,
            sheet,
            component,
        })
    }
}
