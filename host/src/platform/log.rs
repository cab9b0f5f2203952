//! `officine:platform/log`: a component's logs, into the host's tracing.

use super::Platform;
use crate::runtime::bindings::log::{Host, Level};

const MAX_MESSAGE: usize = 1024;
const MAX_FIELDS: usize = 16;
const MAX_FIELD: usize = 256;

impl Host for Platform {
    async fn write(&mut self, level: Level, message: String, fields: Vec<(String, String)>) {
        if self.enter("log.write").is_err() {
            return;
        }
        let message = truncate(&message, MAX_MESSAGE);
        let fields = fields
            .iter()
            .take(MAX_FIELDS)
            .map(|(k, v)| format!("{}={}", truncate(k, MAX_FIELD), truncate(v, MAX_FIELD)))
            .collect::<Vec<_>>()
            .join(" ");
        let service = self.service().as_str();
        // The target is fixed so operators can filter component logs apart
        // from the platform's own.
        match level {
            Level::Trace => {
                tracing::trace!(target: "officine::component", service, fields, "{message}")
            }
            Level::Debug => {
                tracing::debug!(target: "officine::component", service, fields, "{message}")
            }
            Level::Info => {
                tracing::info!(target: "officine::component", service, fields, "{message}")
            }
            Level::Warn => {
                tracing::warn!(target: "officine::component", service, fields, "{message}")
            }
            Level::Error => {
                tracing::error!(target: "officine::component", service, fields, "{message}")
            }
        }
    }
}

/// At most `max` bytes, cut on a character boundary, control characters
/// replaced so a component cannot forge log lines.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_characters_and_strips_controls() {
        assert_eq!(truncate("poids\nfaux", 64), "poids faux");
        assert_eq!(truncate("éé", 3), "é");
    }
}
