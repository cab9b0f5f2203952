//! Where services' own sites live.
//!
//! A service's pages are third-party content, so each service is served
//! from a host of its own, `<label>.<domain>`, never from the platform's
//! origin: `weight-tracker.svc.localhost` in development, a domain of the
//! operator's in production (`[sites]` in `officine.toml`).

use std::fmt;

use serde::Deserialize;

/// The scheme browsers reach the sites with (TLS ends in front of Officine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// The domain services' sites are named under, and how they are reached.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSites {
    /// `svc.localhost` gives `weight-tracker.svc.localhost`.
    domain: String,
    /// Default `https` once a domain is configured.
    #[serde(default = "https")]
    scheme: Scheme,
    /// The port in the sites' URLs; `None` keeps the port the platform was
    /// reached on (development), or none at all.
    #[serde(default)]
    port: Option<u16>,
}

fn https() -> Scheme {
    Scheme::Https
}

impl Default for ServiceSites {
    fn default() -> Self {
        ServiceSites {
            domain: "svc.localhost".to_owned(),
            scheme: Scheme::Http,
            port: None,
        }
    }
}

/// Why a `[sites]` setting is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sites.domain {0:?}: expected a lowercase DNS name such as \"svc.example.fr\"")]
pub struct BadDomain(String);

impl ServiceSites {
    pub fn new(domain: &str, scheme: Scheme, port: Option<u16>) -> Result<Self, BadDomain> {
        let sites = ServiceSites {
            domain: domain.to_owned(),
            scheme,
            port,
        };
        sites.check()?;
        Ok(sites)
    }

    /// Checks a deserialized setting.
    pub fn check(&self) -> Result<(), BadDomain> {
        let valid = self.domain.len() <= 200
            && self.domain.split('.').count() >= 2
            && self.domain.split('.').all(|part| {
                !part.is_empty()
                    && part.len() <= 63
                    && !part.starts_with('-')
                    && !part.ends_with('-')
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        if valid {
            Ok(())
        } else {
            Err(BadDomain(self.domain.clone()))
        }
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The service label a `Host` header names (`<label>.<domain>[:port]`),
    /// if it names a service's site at all.
    pub fn label_of<'h>(&self, host: &'h str) -> Option<&'h str> {
        let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
        let label = name.strip_suffix(self.domain.as_str())?.strip_suffix('.')?;
        (!label.is_empty() && !label.contains('.')).then_some(label)
    }

    /// The origin of the service labelled `label`. `reached_on` is the port
    /// the platform itself was reached on, used when no port is configured.
    pub fn origin(&self, label: &str, reached_on: Option<u16>) -> String {
        let scheme = self.scheme.as_str();
        let domain = &self.domain;
        match self.port.or(reached_on) {
            Some(port) => format!("{scheme}://{label}.{domain}:{port}"),
            None => format!("{scheme}://{label}.{domain}"),
        }
    }
}

impl fmt::Display for ServiceSites {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://<service>.{}", self.scheme.as_str(), self.domain)
    }
}

/// The label a service is served under: the last part of its id
/// (`fr.officine.weight-tracker` → `weight-tracker`).
pub fn label(id: &str) -> &str {
    id.rsplit('.').next().unwrap_or(id)
}

/// The port a `Host` header names, if any.
pub fn port_of(host: &str) -> Option<u16> {
    host.rsplit_once(':')
        .and_then(|(_, port)| port.parse::<u16>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_name_a_service_only_under_the_domain() {
        let sites = ServiceSites::default();
        assert_eq!(
            sites.label_of("weight-tracker.svc.localhost:8080"),
            Some("weight-tracker")
        );
        assert_eq!(
            sites.label_of("weight-tracker.svc.localhost"),
            Some("weight-tracker")
        );
        assert_eq!(sites.label_of("127.0.0.1:8080"), None);
        assert_eq!(sites.label_of("svc.localhost"), None);
        assert_eq!(sites.label_of("a.b.svc.localhost"), None);
        assert_eq!(sites.label_of("weight-trackersvc.localhost"), None);

        let prod = ServiceSites::new("svc.sante.example.fr", Scheme::Https, None).unwrap();
        assert_eq!(prod.label_of("weight-tracker.svc.localhost"), None);
        assert_eq!(
            prod.label_of("weight-tracker.svc.sante.example.fr"),
            Some("weight-tracker")
        );
        assert_eq!(
            prod.origin("weight-tracker", None),
            "https://weight-tracker.svc.sante.example.fr"
        );
        assert_eq!(
            sites.origin("weight-tracker", Some(8080)),
            "http://weight-tracker.svc.localhost:8080"
        );
        let pinned = ServiceSites::new("svc.example.fr", Scheme::Https, Some(8443)).unwrap();
        assert_eq!(
            pinned.origin("x", Some(8080)),
            "https://x.svc.example.fr:8443"
        );
    }

    #[test]
    fn a_domain_that_is_not_a_dns_name_is_refused() {
        for bad in [
            "",
            "localhost",
            ".svc.example.fr",
            "svc..example.fr",
            "Svc.example.fr",
            "svc.example.fr:80",
            "svc.exa mple.fr",
            "-svc.example.fr",
        ] {
            assert!(
                ServiceSites::new(bad, Scheme::Https, None).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn labels_are_the_last_part_of_the_id() {
        assert_eq!(label("fr.officine.weight-tracker"), "weight-tracker");
        assert_eq!(port_of("a.svc.localhost:8080"), Some(8080));
        assert_eq!(port_of("a.svc.localhost"), None);
    }
}
