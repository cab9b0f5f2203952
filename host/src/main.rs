//! The `officine` command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use officine_host::dev::{self, DevOptions};
use officine_host::harness::{self, RunOptions};
use tracing_subscriber::EnvFilter;

#[derive(Parser, Debug)]
#[command(
    name = "officine",
    version,
    about = "The Officine runtime for listed health services"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run Officine on its embedded default: a SQLite file, demo data and the
    /// example services, on loopback. Development only: no authentication.
    Dev {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Directory for the database and the component cache.
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
        /// Also serve this service, given as COMPONENT.wasm:MANIFEST.toml (repeatable).
        #[arg(long = "service", value_parser = parse_service)]
        services: Vec<(PathBuf, PathBuf)>,
        /// Do not build and load the repository's example services.
        #[arg(long)]
        no_examples: bool,
    },
    /// Run one request through a component against a throwaway database
    /// seeded with demo data, and print the response.
    Run {
        /// The component (.wasm) to run.
        component: PathBuf,
        /// The service's manifest.
        #[arg(long, default_value = "officine.toml")]
        manifest: PathBuf,
        #[arg(long, default_value = "GET")]
        method: String,
        /// Path, optionally with a query string (`/api/summary?days=30`).
        #[arg(long, default_value = "/")]
        path: String,
        /// Request header as `name: value` (repeatable).
        #[arg(long = "header", short = 'H', value_parser = parse_header)]
        headers: Vec<(String, String)>,
        /// Request body.
        #[arg(long, default_value = "")]
        body: String,
    },
}

fn parse_service(s: &str) -> Result<(PathBuf, PathBuf), String> {
    let (wasm, manifest) = s
        .split_once(':')
        .ok_or_else(|| "expected COMPONENT.wasm:MANIFEST.toml".to_owned())?;
    Ok((wasm.into(), manifest.into()))
}

fn parse_header(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| "expected `name: value`".to_owned())?;
    Ok((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_filter = match cli.command {
        Command::Dev { .. } => "info",
        Command::Run { .. } => "warn,officine::component=info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: starting the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Dev {
            listen,
            data,
            services,
            no_examples,
        } => {
            dev::serve(DevOptions {
                data_dir: data,
                listen,
                services,
                examples: !no_examples,
            })
            .await
        }
        Command::Run {
            component,
            manifest,
            method,
            path,
            headers,
            body,
        } => {
            let (path, query) = path.split_once('?').unwrap_or((&path, ""));
            let response = harness::run(&RunOptions {
                component,
                manifest,
                method,
                path: path.to_owned(),
                query: query.to_owned(),
                headers,
                body: body.into_bytes(),
            })
            .await?;
            print!("{}", harness::render(&response));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn headers_and_services_parse() {
        assert_eq!(
            parse_header("Content-Type: text/plain").unwrap(),
            ("content-type".into(), "text/plain".into())
        );
        assert!(parse_header("nocolon").is_err());
        assert_eq!(
            parse_service("a.wasm:b.toml").unwrap(),
            ("a.wasm".into(), "b.toml".into())
        );
    }
}
