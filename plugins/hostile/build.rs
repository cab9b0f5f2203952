//! Starts the component with 4 MiB of linear memory, so that a request never
//! grows it: see "Start with enough memory" in `docs/editors/sdk.md`.

fn main() {
    println!("cargo:rustc-link-arg-cdylib=--initial-memory=4194304");
}
