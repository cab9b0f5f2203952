//! Keeping key sets fetched from URLs fresh, so that issuers can rotate
//! their keys.
//!
//! Each URL source is fetched again on its schedule, and sooner when a token
//! names a key no issuer has (the issuer may have published a new one) —
//! but never more than once every [`MIN_INTERVAL`], so a flood of tokens
//! with made-up key ids cannot turn the verifier against the issuer. A
//! failed fetch keeps the keys in force and is logged.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{IssuerConfig, Verifier};

/// The shortest time between two fetches of one key set.
pub const MIN_INTERVAL: Duration = Duration::from_secs(30);

/// Starts refreshing the URL key sets of `configs` into `verifier`. Returns
/// the task (none when no source is a URL); dropping it does not stop it:
/// abort it to.
pub fn spawn(verifier: Arc<Verifier>, configs: &[IssuerConfig]) -> Option<JoinHandle<()>> {
    spawn_with(verifier, configs, MIN_INTERVAL)
}

/// [`spawn`], with the minimum interval chosen (tests shorten it).
pub fn spawn_with(
    verifier: Arc<Verifier>,
    configs: &[IssuerConfig],
    min_interval: Duration,
) -> Option<JoinHandle<()>> {
    let sources: Vec<IssuerConfig> = configs
        .iter()
        .filter(|c| c.keys.refresh().is_some())
        .cloned()
        .collect();
    if sources.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut next: Vec<Instant> = sources
            .iter()
            .map(|c| Instant::now() + c.keys.refresh().unwrap_or_default())
            .collect();
        let mut last = Instant::now();
        loop {
            let due = *next.iter().min().expect("at least one source");
            let asked = tokio::select! {
                _ = tokio::time::sleep_until(due) => false,
                _ = verifier.unknown_key_seen() => true,
            };
            if asked {
                // Hold an unknown-key request until the minimum interval.
                tokio::time::sleep_until(last + min_interval).await;
            }
            let now = Instant::now();
            last = now;
            for (config, next) in sources.iter().zip(next.iter_mut()) {
                if !asked && *next > now {
                    continue;
                }
                *next = now + config.keys.refresh().unwrap_or_default();
                match config.keys.fetch().await {
                    Ok(keys) => {
                        if let Err(error) = verifier.replace_keys(&config.issuer, keys) {
                            tracing::warn!(issuer = %config.issuer, %error, "keys not replaced");
                        }
                    }
                    Err(error) => {
                        tracing::warn!(issuer = %config.issuer, %error, "keeping the current keys");
                    }
                }
            }
        }
    }))
}
