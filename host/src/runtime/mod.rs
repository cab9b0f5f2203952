//! The wasm side of the host: engine, component loading and caching, and
//! invocations.

pub mod bindings;
pub mod cache;
pub mod component;
pub mod engine;
pub mod fairness;
pub mod inflight;
pub mod invoke;
pub mod limits;
mod output;

pub use component::{LoadError, LoadedComponent};
pub use engine::RuntimeConfig;
pub use fairness::{Busy, FairnessConfig};
pub use inflight::{InFlight, Interruption, Running};
pub use invoke::{CallContext, InvokeError, Runtime};
