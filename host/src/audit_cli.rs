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
