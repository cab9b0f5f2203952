//! A service the host can run: its manifest and its accepted component.

use std::path::{Path, PathBuf};

use officine_registry::{Manifest, ManifestError};

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
}

/// A manifest and the component it describes.
#[derive(Clone)]
pub struct Service {
    pub manifest: Manifest,
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
        let component = runtime
            .load(&bytes)
            .map_err(|source| ServiceError::Component {
                path: wasm.to_owned(),
                source,
            })?;
        Ok(Service {
            manifest,
            component,
        })
    }
}
