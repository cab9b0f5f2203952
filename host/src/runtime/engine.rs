//! The process's one wasm engine and its epoch ticker.

use std::hash::Hasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig,
};

use crate::platform::PlatformLimits;
use crate::runtime::fairness::FairnessConfig;

/// Limits and sizes of the runtime. The defaults are the platform's.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Wall-clock time an invocation may take, host calls included.
    pub deadline: Duration,
    /// Linear memory one instance may grow to.
    pub memory_per_instance: usize,
    /// Instances that may be alive at once in this process (pool slots).
    pub max_instances: u32,
    /// How often the epoch advances: the granularity of the deadline and of
    /// yields to the async runtime.
    pub epoch_tick: Duration,
    /// Bytes of a response (body and headers) a component may return.
    pub response_limit: usize,
    /// Fuel (roughly, wasm instructions) an invocation may burn, where
    /// metering is wanted; `None` runs without it (the deadline still holds).
    pub fuel: Option<u64>,
    /// Limits of the platform calls of one invocation.
    pub platform: PlatformLimits,
    /// How services, patients and long-running invocations share the host.
    pub fairness: FairnessConfig,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            deadline: Duration::from_secs(1),
            memory_per_instance: 64 * 1024 * 1024,
            max_instances: 256,
            epoch_tick: Duration::from_millis(1),
            response_limit: 1024 * 1024,
            fuel: None,
            platform: PlatformLimits::default(),
            fairness: FairnessConfig::default(),
        }
    }
}

/// Builds the pooling, epoch-interrupted engine every component runs on.
///
/// The pool reserves virtual address space up front: each memory slot is a
/// 4 GiB reservation plus guard regions (so bounds checks can be elided),
/// i.e. about `2 * max_instances * 4 GiB` of address space — not of RAM. Only
/// touched pages are resident; slots keep up to 4 MiB resident between
/// instances, zeroed on reuse, which saves page faults on the hot path.
pub fn build_engine(config: &RuntimeConfig) -> wasmtime::Result<Engine> {
    build_engine_with(config, Enforcement::On)
}

/// Whether an engine's code checks the epoch (and fuel, if configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Enforcement {
    On,
    /// Benchmarks only (feature `unlimited-for-benchmarks`).
    #[cfg_attr(not(feature = "unlimited-for-benchmarks"), allow(dead_code))]
    Off,
}

pub(crate) fn build_engine_with(
    config: &RuntimeConfig,
    enforcement: Enforcement,
) -> wasmtime::Result<Engine> {
    let enforced = enforcement == Enforcement::On;
    let slots = config.max_instances;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        // A Rust component holds a few core instances (its module plus
        // canonical-ABI shims) and one or two memories.
        .total_core_instances(slots * 8)
        .total_memories(slots * 2)
        .total_tables(slots * 4)
        .total_stacks(slots)
        // Slots fit the largest memory a service may ask for; each
        // invocation's own cap is the store limiter's.
        .max_memory_size(
            config
                .memory_per_instance
                .max(crate::runtime::limits::memory_cap()),
        )
        .linear_memory_keep_resident(4 * 1024 * 1024)
        .table_keep_resident(64 * 1024)
        // Where the kernel can say which pages an instance touched (Linux
        // 6.7+), only those are reset, not the whole resident size.
        .pagemap_scan(Enabled::Auto);

    let mut wasm = Config::new();
    wasm.wasm_component_model(true)
        .epoch_interruption(enforced)
        .consume_fuel(enforced && config.fuel.is_some())
        .cranelift_opt_level(OptLevel::Speed)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&wasm)
}

/// A short fingerprint of everything that makes a precompiled artifact
/// loadable by this engine (wasmtime version, target, settings).
pub fn engine_fingerprint(engine: &Engine) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
    hex::encode(&hasher.0.finalize()[..8])
}

/// Feeds `Hash` output into SHA-256 so the fingerprint is stable across
/// processes (the standard hasher is not meant to be).
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Advances the engine's epoch from a dedicated OS thread, so a guest that
/// spins the CPU is interrupted even when every async worker is busy.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub fn start(engine: Engine, tick: Duration) -> EpochTicker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("officine-epoch".to_owned())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        EpochTicker {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
