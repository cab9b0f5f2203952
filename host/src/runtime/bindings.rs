//! Host bindings for the `officine:platform/service` world.
//!
//! One `bindgen!` for the whole package. Imports and exports are async so that
//! platform calls can await storage and the store can yield on epoch ticks.
//! The WASI interfaces the world includes are the ones `wasmtime-wasi`
//! already implements, so they are mapped onto its bindings.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "service",
    imports: { default: async },
    exports: { default: async },
    with: {
        "wasi": wasmtime_wasi::p2::bindings,
    },
});

pub use exports::officine::platform::handler;
pub use officine::platform::{agenda, dmp, log, measures, messaging, storage, types};
