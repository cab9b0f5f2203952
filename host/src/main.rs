//! The `officine` command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use officine_host::consent;
use officine_host::db::{Db, grants};
use officine_host::dev::{self, DevOptions};
use officine_host::harness::{self, RunOptions};
use officine_host::model::{PatientId, ServiceId, now_millis};
use officine_policy::{GrantStatus, Scope};
use tracing_subscriber::EnvFilter;

mod audit_cli;
mod commands;

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
    #[command(args_conflicts_with_subcommands = true)]
    Dev {
        #[command(subcommand)]
        command: Option<DevCommand>,
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
        /// Database URL (sqlite:… or postgres://…, no password: PGPASSWORD).
        /// Default: the SQLite file DATA/officine.db.
        #[arg(long)]
        database: Option<String>,
    },
    /// Serve the platform for real patients, as configured in FILE
    /// (listen address, data directory, database, secrets, trusted issuers).
    Serve {
        #[arg(long)]
        config: PathBuf,
    },
    /// Create a data directory: the database and the registry's log key and
    /// trusted root, with no demo data and no services.
    Init {
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
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
    /// Grant a service scopes of a patient's data (or change what it was
    /// granted). The scopes must be among what the service requests.
    Grant {
        /// The patient's internal id (`demo` in development).
        patient: String,
        /// The service id, e.g. fr.officine.weight-tracker.
        service: String,
        /// Scopes, as aliases (measures.read:weight) or canonical SMART v2
        /// scopes (patient/Observation.rs?code=http://loinc.org|29463-7).
        #[arg(required = true, value_parser = parse_scope)]
        scopes: Vec<Scope>,
        /// Last day of the grant (YYYY-MM-DD, inclusive, UTC). Default: one year.
        #[arg(long, value_parser = parse_until)]
        until: Option<i64>,
        /// Directory holding the database.
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Revoke a patient's grant to a service. Takes effect at the service's
    /// next platform call, including in a running invocation.
    Revoke {
        patient: String,
        service: String,
        /// Also erase what the service stored for the patient.
        #[arg(long)]
        erase: bool,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// List a patient's grants.
    Grants {
        patient: String,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Editors' signing keys: make one, register, rotate, revoke.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print the canonical JSON of a release (a manifest bound to its
    /// component): what an editor signs with any Sigstore client.
    Release {
        #[arg(long, default_value = "officine.toml")]
        manifest: PathBuf,
        #[arg(long)]
        component: PathBuf,
    },
    /// Sign a release with an editor key, writing a Sigstore bundle.
    Sign {
        /// The editor's private key (from `officine keys new`).
        #[arg(long)]
        key: PathBuf,
        #[arg(long, default_value = "officine.toml")]
        manifest: PathBuf,
        #[arg(long)]
        component: PathBuf,
        /// Where to write the bundle. Default: COMPONENT.sigstore.json.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Submit a signed release for listing.
    Submit {
        #[arg(long, default_value = "officine.toml")]
        manifest: PathBuf,
        #[arg(long)]
        component: PathBuf,
        /// The Sigstore bundle. Default: COMPONENT.sigstore.json.
        #[arg(long)]
        bundle: Option<PathBuf>,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Review submitted releases: list, show, admit, reject, start, decide.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Suspend a listed release: hosts stop serving it at once.
    Suspend(StateChange),
    /// List a suspended release again.
    Reinstate(StateChange),
    /// Withdraw a listed or suspended release, for good.
    Withdraw(StateChange),
    /// The registry's transparency log.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// The audit log: every access to patients' data.
    Audit {
        #[command(subcommand)]
        command: audit_cli::AuditCommand,
    },
}

#[derive(Subcommand, Debug)]
enum DevCommand {
    /// Print a token from the development issuer, to paste into curl
    /// (`-H "Authorization: Bearer $TOKEN"`). Give exactly one identity.
    Token {
        /// A patient, by internal id (`demo`).
        #[arg(long, group = "who")]
        patient: Option<String>,
        /// A professional, as RPPS[:PROFESSION] (11 digits).
        #[arg(long, group = "who")]
        professional: Option<String>,
        /// An editor, by legal id (siret:… or finess:…).
        #[arg(long, group = "who")]
        editor: Option<String>,
        /// A regulator, by subject.
        #[arg(long, group = "who")]
        regulator: Option<String>,
        /// How long the token is valid, in minutes.
        #[arg(long, default_value_t = 60)]
        minutes: u64,
        /// The address `officine dev` listens on (it is part of the issuer).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
}

/// A regulator's change to a listed release.
#[derive(clap::Args, Debug)]
struct StateChange {
    /// The release, as SERVICE@VERSION.
    release: String,
    /// Why: published with the change.
    #[arg(long)]
    reason: String,
    #[arg(long, default_value = "officine-data")]
    data: PathBuf,
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Make a new editor key: KEY (private, owner-only) and KEY.pub.
    New {
        #[arg(long, default_value = "editor.key")]
        out: PathBuf,
    },
    /// Register an editor's public key (with --replaces: rotate to it).
    Add {
        /// The editor's legal id, as its manifests give it (siret:… or finess:…).
        editor: String,
        /// The public key, PEM (KEY.pub from `officine keys new`).
        public_key: PathBuf,
        /// The editor's active key this one replaces, revoked in the same step.
        #[arg(long)]
        replaces: Option<String>,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Revoke a key: what it signed is no longer served.
    Revoke {
        key: String,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Let certificates naming SUBJECT, issued on ISSUER's word by an
    /// authority of the trusted root, sign for an editor.
    Identity {
        editor: String,
        #[arg(long)]
        subject: String,
        #[arg(long)]
        issuer: String,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Trust the certificate authority and logs of a Sigstore trusted root
    /// (a deployment's own Sigstore instance), for certificate identities.
    Trust {
        /// A Sigstore trusted_root.json.
        trusted_root: PathBuf,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// List registered keys.
    List {
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ReviewCommand {
    /// List releases and their state.
    List {
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Show a release: manifest, signer, state, decision.
    Show {
        release: String,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Declare a submitted release admissible.
    Admit {
        release: String,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Declare a submitted release inadmissible.
    Reject {
        release: String,
        /// Why (repeatable; at least one).
        #[arg(long = "reason", required = true)]
        reasons: Vec<String>,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Start reviewing an admissible release.
    Start {
        release: String,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Decide a release in review from a verdict file (TOML).
    Decide {
        release: String,
        verdicts: PathBuf,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Print a verdict file to fill in for a release: every requirement
    /// that applies to it, none met yet.
    Template {
        release: String,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Print the requirement set releases are reviewed against.
    Requirements,
}

#[derive(Subcommand, Debug)]
enum LogCommand {
    /// Check every entry and signed checkpoint of the log; print the latest
    /// checkpoint, to keep and pass to --since later.
    Verify {
        /// Also prove that this entry is in the log.
        #[arg(long)]
        inclusion: Option<u64>,
        /// A checkpoint kept earlier: prove the log only grew since.
        #[arg(long)]
        since: Option<PathBuf>,
        /// The trusted root naming the log's key. Default: DATA/trusted_root.json.
        #[arg(long)]
        trusted_root: Option<PathBuf>,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Print one entry of the log.
    Show {
        index: u64,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
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

fn parse_scope(s: &str) -> Result<Scope, String> {
    s.parse()
        .map_err(|e: officine_policy::ScopeError| e.to_string())
}

/// A last day, inclusive: the grant ends at the next midnight, UTC.
fn parse_until(s: &str) -> Result<i64, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(s, format)
        .map_err(|_| format!("{s:?} is not a date written YYYY-MM-DD"))?;
    let next = day.next_day().ok_or("date out of range")?;
    Ok(next.midnight().assume_utc().unix_timestamp() * 1000)
}

fn parse_patient(s: &str) -> anyhow::Result<PatientId> {
    anyhow::ensure!(
        !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_graphic()),
        "{s:?} is not a patient id"
    );
    Ok(PatientId::new(s))
}

fn parse_service_id(s: &str) -> anyhow::Result<ServiceId> {
    ServiceId::new(s).map_err(|e| anyhow::anyhow!("service id {s:?} {e}"))
}

/// The database URL `OFFICINE_DATABASE` names, if it names one.
fn database_from_env() -> Option<String> {
    std::env::var("OFFICINE_DATABASE")
        .ok()
        .filter(|url| !url.is_empty())
}

/// The database these commands work on: the one `OFFICINE_DATABASE` names
/// (a PostgreSQL URL, say), or else the SQLite file of an existing data
/// directory, which they never create.
async fn open_data(data: &std::path::Path) -> anyhow::Result<Db> {
    if let Some(url) = database_from_env() {
        return Db::connect(&url)
            .await
            .context("opening the database named by OFFICINE_DATABASE");
    }
    let path = data.join("officine.db");
    anyhow::ensure!(
        path.exists(),
        "no database at {} (run `officine dev` first, or pass --data)",
        path.display()
    );
    Db::open_sqlite(&path)
        .await
        .with_context(|| format!("opening {}", path.display()))
}

fn day(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| ms.to_string())
}

fn scope_list(scopes: &[Scope]) -> String {
    if scopes.is_empty() {
        return "(none)".to_owned();
    }
    let texts: Vec<String> = scopes.iter().map(Scope::to_string).collect();
    texts.join(", ")
}

/// Every request allocates small, short-lived objects on two or more
/// threads; mimalloc makes them cheaper than glibc's allocator (about a
/// tenth more pages a second, `BENCHMARKS.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_filter = match cli.command {
        Command::Dev { .. } | Command::Serve { .. } => "info",
        Command::Run { .. } => "warn,officine::component=info",
        _ => "warn",
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
            command:
                Some(DevCommand::Token {
                    patient,
                    professional,
                    editor,
                    regulator,
                    minutes,
                    listen,
                    data,
                }),
            ..
        } => {
            let hint = match (patient, professional, editor, regulator) {
                (Some(id), None, None, None) => format!("patient:{id}"),
                (None, Some(rpps), None, None) => format!("professional:{rpps}"),
                (None, None, Some(editor), None) => format!("editor:{editor}"),
                (None, None, None, Some(subject)) => format!("regulator:{subject}"),
                _ => {
                    anyhow::bail!("give one of --patient, --professional, --editor or --regulator")
                }
            };
            let identity = officine_host::auth::dev_issuer::parse_login_hint(&hint, None)
                .map_err(anyhow::Error::msg)?;
            officine_host::files::create_private_dir(&data)?;
            let issuer =
                officine_host::auth::DevIssuer::load_or_create(&data, dev::dev_issuer_url(listen))?;
            println!(
                "{}",
                issuer.mint(&identity, std::time::Duration::from_secs(minutes * 60))
            );
            Ok(())
        }
        Command::Dev {
            command: None,
            listen,
            data,
            services,
            no_examples,
            database,
        } => {
            dev::serve(DevOptions {
                data_dir: data,
                listen,
                services,
                examples: !no_examples,
                database,
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
        Command::Grant {
            patient,
            service,
            scopes,
            until,
            data,
        } => {
            let (patient, service) = (parse_patient(&patient)?, parse_service_id(&service)?);
            let db = open_data(&data).await?;
            let now = now_millis();
            let until = until.unwrap_or(now + consent::DEFAULT_DURATION_MS);
            let stored = consent::grant(&db, &patient, &service, scopes, now, until).await?;
            let grant = &stored.grant;
            println!(
                "{service} may now use, for {patient}, until {}: {}",
                day(grant.period().end()),
                scope_list(grant.scopes())
            );
            Ok(())
        }
        Command::Revoke {
            patient,
            service,
            erase,
            data,
        } => {
            let (patient, service) = (parse_patient(&patient)?, parse_service_id(&service)?);
            let db = open_data(&data).await?;
            let revoked = consent::revoke(&db, &patient, &service, erase, now_millis()).await?;
            println!("revoked grant {} of {service} for {patient}", revoked.grant);
            if erase {
                println!("erased {} storage key(s)", revoked.erased_keys);
            }
            Ok(())
        }
        Command::Serve { config } => {
            let config = officine_host::config::ServeConfig::load(&config)?;
            officine_host::serve::serve(config).await
        }
        Command::Init { data } => commands::init(&data).await,
        Command::Keys { command } => commands::keys(command).await,
        Command::Release {
            manifest,
            component,
        } => {
            let (release, _) = commands::read_release(&manifest, &component)?;
            println!("{}", release.canonical_json());
            Ok(())
        }
        Command::Sign {
            key,
            manifest,
            component,
            out,
        } => commands::sign(&key, &manifest, &component, out),
        Command::Submit {
            manifest,
            component,
            bundle,
            data,
        } => commands::submit(&manifest, &component, bundle, &data).await,
        Command::Review { command } => commands::review(command).await,
        Command::Suspend(change) => {
            commands::change(officine_host::listing::releases::Change::Suspend, change).await
        }
        Command::Reinstate(change) => {
            commands::change(officine_host::listing::releases::Change::Reinstate, change).await
        }
        Command::Withdraw(change) => {
            commands::change(officine_host::listing::releases::Change::Withdraw, change).await
        }
        Command::Log { command } => commands::log(command).await,
        Command::Audit { command } => audit_cli::run(command).await,
        Command::Grants { patient, data } => {
            let patient = parse_patient(&patient)?;
            let db = open_data(&data).await?;
            let now = now_millis();
            let all = grants::for_patient(&db, &patient).await?;
            if all.is_empty() {
                println!("{patient} has granted nothing");
            }
            for stored in all {
                let grant = &stored.grant;
                let state = match (grant.status(), grant.in_force(now)) {
                    (GrantStatus::Revoked { at }, _) => format!("revoked {}", day(at)),
                    (_, Ok(())) => format!("in force until {}", day(grant.period().end())),
                    (_, Err(reason)) => reason.to_string(),
                };
                println!("{}  ({state})", grant.service());
                println!("  version {}, grant {}", grant.version(), grant.id());
                println!("  scopes: {}", scope_list(grant.scopes()));
                if grant.status() == GrantStatus::Active
                    && let Some(record) = grants::service(&db, grant.service()).await?
                {
                    let pending = consent::pending(grant, &record);
                    if !pending.is_empty() {
                        println!(
                            "  version {} also requests, not granted: {}",
                            record.version,
                            scope_list(&pending)
                        );
                    }
                }
            }
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
