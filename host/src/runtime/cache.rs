//! Precompiled components on disk, so a restart does not recompile.
//!
//! A precompiled artifact is native code that wasmtime loads without
//! re-validating, so the cache is trusted: it lives in a directory only the
//! platform's user can read or write, artifacts are keyed by component digest
//! under a directory named after the engine's fingerprint, and each artifact
//! is loaded only if its hash matches the one recorded when it was compiled.
//! Anything that does not match is discarded and recompiled.
//!
//! The artifact hash is BLAKE3: it is on the start-up path, and hashing a
//! megabyte takes about 0.15 ms with it against 0.6 ms with SHA-256 here.
//! (Components themselves are named by SHA-256, the digest signatures use.)

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::model::ComponentDigest;
use crate::runtime::engine::engine_fingerprint;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("component cache {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "component cache {path} is not private (mode {mode:o}, owner {owner}): \
         it must belong to this user and allow no access to others"
    )]
    NotPrivate {
        path: PathBuf,
        mode: u32,
        owner: u32,
    },
    #[error("serialising a compiled component: {0}")]
    Serialize(String),
}

/// The on-disk cache of one engine configuration.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
}

/// What looking an artifact up found.
pub enum Lookup {
    Hit(Component),
    /// Nothing usable: absent, or discarded because it failed its check.
    Miss,
}

impl ComponentCache {
    /// Opens the cache under `root`, creating it owner-only if needed, and
    /// refuses a directory others can reach.
    pub fn open(root: &Path, engine: &Engine) -> Result<ComponentCache, CacheError> {
        let dir = root.join(engine_fingerprint(engine));
        for d in [root, dir.as_path()] {
            create_private_dir(d)?;
        }
        Ok(ComponentCache { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn artifact_path(&self, digest: &ComponentDigest) -> PathBuf {
        self.dir.join(format!("{}.cwasm", digest.to_hex()))
    }

    fn hash_path(&self, digest: &ComponentDigest) -> PathBuf {
        self.dir.join(format!("{}.blake3", digest.to_hex()))
    }

    /// Loads the artifact for `digest` if it is present and intact.
    pub fn lookup(&self, engine: &Engine, digest: &ComponentDigest) -> Lookup {
        let artifact = self.artifact_path(digest);
        let recorded = match fs::read_to_string(self.hash_path(digest)) {
            Ok(hash) => hash,
            Err(_) => return Lookup::Miss,
        };
        // Read once and load from these very bytes: checking a file and then
        // mapping it would leave a window to swap it in between.
        let bytes = match fs::read(&artifact) {
            Ok(bytes) => bytes,
            Err(_) => return Lookup::Miss,
        };
        if blake3::hash(&bytes).to_hex().as_str() != recorded.trim() {
            tracing::warn!(artifact = %artifact.display(), "cached component does not match its recorded hash; recompiling");
            self.discard(digest);
            return Lookup::Miss;
        }
        // SAFETY: the bytes are the output of `Component::serialize` by an
        // engine with this fingerprint, unchanged since (hash checked above),
        // read from a directory only this user can write.
        match unsafe { Component::deserialize(engine, &bytes) } {
            Ok(component) => Lookup::Hit(component),
            Err(error) => {
                tracing::warn!(artifact = %artifact.display(), %error, "cached component unusable; recompiling");
                self.discard(digest);
                Lookup::Miss
            }
        }
    }

    /// Stores a freshly compiled component. The artifact is written first and
    /// its hash last, each atomically, so a crash leaves no hash without its
    /// artifact.
    pub fn store(&self, digest: &ComponentDigest, component: &Component) -> Result<(), CacheError> {
        let bytes = component
            .serialize()
            .map_err(|e| CacheError::Serialize(e.to_string()))?;
        let hash = blake3::hash(&bytes).to_hex();
        write_atomic(&self.dir, &self.artifact_path(digest), &bytes)?;
        write_atomic(&self.dir, &self.hash_path(digest), hash.as_bytes())?;
        Ok(())
    }

    fn discard(&self, digest: &ComponentDigest) {
        let _ = fs::remove_file(self.hash_path(digest));
        let _ = fs::remove_file(self.artifact_path(digest));
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_owned(),
        source,
    }
}

fn create_private_dir(dir: &Path) -> Result<(), CacheError> {
    match fs::create_dir(dir) {
        Ok(()) => {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_error(dir))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_error(dir)(e)),
    }
    let meta = fs::symlink_metadata(dir).map_err(io_error(dir))?;
    let mode = meta.mode() & 0o777;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if !meta.is_dir() || mode & 0o077 != 0 || meta.uid() != me {
        return Err(CacheError::NotPrivate {
            path: dir.to_owned(),
            mode,
            owner: meta.uid(),
        });
    }
    Ok(())
}

fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io_error(dir))?;
    file.write_all(bytes).map_err(io_error(path))?;
    file.as_file().sync_all().map_err(io_error(path))?;
    file.persist(path).map_err(|e| io_error(path)(e.error))?;
    Ok(())
}
