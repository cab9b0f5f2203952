//! The example services shipped in this repository, built from source.

use std::path::{Path, PathBuf};
use std::process::Command;

/// An example service: its crate, built component and manifest.
#[derive(Debug, Clone)]
pub struct Example {
    pub package: &'static str,
    pub wasm: PathBuf,
    pub manifest: PathBuf,
}

/// The examples `officine dev` loads: (package, crate directory).
const EXAMPLES: [(&str, &str); 2] = [
    ("weight-tracker", "plugins/weight-tracker"),
    ("hello-measures", "examples/hello-measures"),
];

/// The workspace this binary was built from, if it is still there.
pub fn workspace() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.to_owned();
    dir.join("Cargo.toml").is_file().then_some(dir)
}

/// Where `cargo build --release --target wasm32-wasip2` puts the examples.
pub fn examples(workspace: &Path) -> Vec<Example> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), PathBuf::from);
    EXAMPLES
        .iter()
        .map(|(package, dir)| Example {
            package,
            wasm: target
                .join("wasm32-wasip2/release")
                .join(format!("{}.wasm", package.replace('-', "_"))),
            manifest: workspace.join(dir).join("officine.toml"),
        })
        .collect()
}

/// The target services are built for.
pub const WASM_TARGET: &str = "wasm32-wasip2";

/// Installs the wasm target with rustup if it is missing, so a fresh
/// machine needs no manual step. Without rustup, the build below reports
/// what to do.
pub fn ensure_wasm_target() {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    let Ok(installed) = installed else { return };
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|line| line.trim() == WASM_TARGET)
    {
        return;
    }
    eprintln!("installing the {WASM_TARGET} target: rustup target add {WASM_TARGET}");
    let _ = Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .status();
}

/// Builds the example components with cargo (incremental: fast when
/// nothing changed).
pub fn build(workspace: &Path) -> anyhow::Result<Vec<Example>> {
    ensure_wasm_target();
    let examples = examples(workspace);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args(["build", "--release", "--target", WASM_TARGET]);
    for example in &examples {
        command.args(["-p", example.package]);
    }
    let status = command
        .status()
        .map_err(|e| anyhow::anyhow!("running cargo: {e}"))?;
    if !status.success() {
        anyhow::bail!(
            "building the example services failed ({status}); is the wasm target installed? \
             Run `rustup target add wasm32-wasip2`"
        );
    }
    Ok(examples)
}
