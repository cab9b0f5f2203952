//! `officine audit`: check the audit log, seal what waits, show an event.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use officine_host::audit::{self, keys, verify};

use super::open_data;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check every event and signed checkpoint of the audit log; print the
    /// latest checkpoint, to keep elsewhere and pass to --since later.
    Verify {
        /// Also prove that this event is in the log.
        #[arg(long)]
        inclusion: Option<u64>,
        /// A checkpoint kept earlier: prove the log only grew since.
        #[arg(long)]
        since: Option<PathBuf>,
        /// The log's public key. Default: DATA/audit-log.pub.
        #[arg(long)]
        key: Option<PathBuf>,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Place the events recorded since the last seal in the log and sign
    /// its checkpoint now (a running server does so every second).
    Seal {
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// A component's accesses per day and per call: calls, records,
    /// refusals and failures, and how many patients it reached.
    Report {
        /// The service id.
        service: String,
        /// First day, YYYY-MM-DD (UTC). Default: 30 days before --until.
        #[arg(long)]
        since: Option<String>,
        /// Last day, included, YYYY-MM-DD (UTC). Default: today.
        #[arg(long)]
        until: Option<String>,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// The services the misuse rules put in the regulators' queue.
    Alerts {
        /// Closed alerts too.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Close an alert, with a note for the record.
    Close {
        id: String,
        #[arg(long)]
        note: String,
        /// Who closes it (the regulator's name or identifier).
        #[arg(long)]
        by: String,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
    /// Print one event of the log.
    Show {
        index: u64,
        #[arg(long, default_value = "officine-data")]
        data: PathBuf,
    },
}

pub async fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify {
            inclusion,
            since,
            key,
            data,
        } => {
            let db = open_data(&data).await?;
            let key = key.unwrap_or_else(|| keys::public_key_path(&data));
            let verifier = keys::verifier(&key)?;
            let since = since
                .map(|path| {
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))
                })
                .transpose()?;
            let check = verify::Check {
                since: since.as_deref(),
                inclusion,
            };
            let report = verify::verify(&db, &verifier, check)
                .await
                .context("the audit log does not verify")?;
            println!(
                "the audit log verifies: {} events, {} checkpoints signed by {}",
                report.size,
                report.checkpoints,
                verifier.key().id()
            );
            if report.unsealed > 0 {
                println!(
                    "{} more events are recorded and wait for the next seal",
                    report.unsealed
                );
            }
            if let Some(proof) = &report.consistency {
                println!(
                    "it extends the kept checkpoint (consistency proof of {} hashes)",
                    proof.len()
                );
            }
            if let (Some(index), Some(proof)) = (inclusion, &report.inclusion) {
                println!(
                    "event {index} is included (inclusion proof of {} hashes)",
                    proof.len()
                );
            }
            if !report.checkpoint.is_empty() {
                println!("latest checkpoint (keep it to check later with --since):");
                print!("{}", report.checkpoint);
            }
            Ok(())
        }
        AuditCommand::Seal { data } => {
            let db = open_data(&data).await?;
            let signer = keys::load_or_create(&data)?;
            let placed = audit::seal::seal_all(&db, &signer).await?;
            println!("{placed} events placed in the audit log");
            Ok(())
        }
        AuditCommand::Report {
            service,
            since,
            until,
            data,
        } => {
            let db = open_data(&data).await?;
            let now = officine_host::model::now_millis();
            let (since, until) = audit::view::period(since.as_deref(), until.as_deref(), now)?;
            let report = audit::view::component_report(&db, &service, since, until).await?;
            println!(
                "{service}: {} calls, {} refused, {} failed, {} patients",
                report.calls, report.denied, report.failed, report.patients
            );
            for line in &report.days {
                println!(
                    "  {}  {:<18} {:>7} calls {:>9} records {:>5} refused {:>5} failed",
                    line.day, line.call, line.calls, line.records, line.denied, line.failed
                );
            }
            for (reason, count) in &report.denials {
                println!("  refused {count} times: {reason}");
            }
            Ok(())
        }
        AuditCommand::Alerts { all, data } => {
            let db = open_data(&data).await?;
            let alerts = audit::misuse::alerts(&db, !all).await?;
            if alerts.is_empty() {
                println!("no alert");
            }
            for alert in alerts {
                let state = match (&alert.closed_at, &alert.closed_by) {
                    (Some(_), Some(by)) => format!("closed by {by}"),
                    _ => "open".to_owned(),
                };
                println!(
                    "{}  {}  {}  ({state})\n  evidence: {}",
                    alert.id,
                    alert.service,
                    alert.rule.as_str(),
                    alert.evidence
                );
            }
            Ok(())
        }
        AuditCommand::Close { id, note, by, data } => {
            anyhow::ensure!(
                !note.trim().is_empty(),
                "--note must say what was found and done"
            );
            let db = open_data(&data).await?;
            let closed = audit::misuse::close(&db, &id, &by, note.trim()).await?;
            anyhow::ensure!(closed, "no open alert {id}");
            println!("alert {id} closed");
            Ok(())
        }
        AuditCommand::Show { index, data } => {
            let db = open_data(&data).await?;
            let event = audit::verify::event(&db, index)
                .await?
                .with_context(|| format!("the audit log has no event {index}"))?;
            println!("{event}");
            Ok(())
        }
    }
}
