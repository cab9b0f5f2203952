//! The limits one invocation runs under: the service's own (`[limits]` in
//! its manifest, within the platform's caps) where it asks, the platform's
//! defaults (`RuntimeConfig`) elsewhere.

use std::time::Duration;

use officine_registry::Limits;

use crate::platform::PlatformLimits;
use crate::runtime::RuntimeConfig;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// What one invocation may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effective {
    pub deadline: Duration,
    /// Linear memory, in bytes.
    pub memory: usize,
    /// Response body and headers, in bytes.
    pub response: usize,
    pub platform: PlatformLimits,
    pub fuel: Option<u64>,
}

impl Effective {
    pub fn of(config: &RuntimeConfig, asked: &Limits) -> Effective {
        let bytes = |n: Option<u32>, unit: usize| n.map(|n| n as usize * unit);
        Effective {
            deadline: asked
                .deadline_ms
                .map_or(config.deadline, |ms| Duration::from_millis(u64::from(ms))),
            memory: bytes(asked.memory_mib, MIB).unwrap_or(config.memory_per_instance),
            response: bytes(asked.response_kib, KIB).unwrap_or(config.response_limit),
            platform: PlatformLimits {
                calls: asked.platform_calls.unwrap_or(config.platform.calls),
                storage_quota: bytes(asked.storage_kib, KIB)
                    .map_or(config.platform.storage_quota, |b| b as u64),
            },
            fuel: config.fuel,
        }
    }
}

/// The largest linear memory any service may ask for: the size of the
/// pool's memory slots.
pub fn memory_cap() -> usize {
    officine_registry::limits::cap("memory-mib") as usize * MIB
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_s_own_limits_replace_the_defaults_it_names_only() {
        let config = RuntimeConfig::default();
        assert_eq!(
            Effective::of(&config, &Limits::default()),
            Effective {
                deadline: Duration::from_secs(1),
                memory: 64 * MIB,
                response: MIB,
                platform: PlatformLimits::default(),
                fuel: None,
            }
        );
        let asked = Limits {
            deadline_ms: Some(250),
            memory_mib: Some(16),
            storage_kib: Some(4096),
            ..Limits::default()
        };
        let effective = Effective::of(&config, &asked);
        assert_eq!(effective.deadline, Duration::from_millis(250));
        assert_eq!(effective.memory, 16 * MIB);
        assert_eq!(effective.response, MIB);
        assert_eq!(effective.platform.calls, 10_000);
        assert_eq!(effective.platform.storage_quota, 4 * MIB as u64);
    }
}
