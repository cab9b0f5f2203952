//! `officine serve --config officine.toml`: the production configuration.
//!
//! ```toml
//! listen = "127.0.0.1:8443"
//! data = "/var/lib/officine"            # registry keys, component cache
//! database = "sqlite:///var/lib/officine/officine.db"   # default: DATA/officine.db
//!
//! [secrets]
//! pseudonym-key = "file:/run/secrets/officine-pseudonym"   # or "env:OFFICINE_PSEUDONYM_KEY"
//!
//! [[issuers]]
//! issuer = "https://auth.franceconnect.gouv.fr/api/v2"
//! audience = "officine"
//! population = "patient"
//! keys = { source = "file", path = "/etc/officine/franceconnect.jwks.json" }
//! ```
//!
//! Secrets are never written in the file itself: each names a file or an
//! environment variable that holds it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use crate::auth::IssuerConfig;
use crate::auth::sign_in::ProviderConfig;
use crate::sites::ServiceSites;

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("secret {name}: {problem}")]
    Secret { name: &'static str, problem: String },
}

/// Where a secret is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A file holding it (trailing whitespace ignored).
    File(PathBuf),
    /// An environment variable holding it.
    Env(String),
}

impl FromStr for SecretSource {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.split_once(':') {
            Some(("file", path)) if !path.is_empty() => Ok(SecretSource::File(path.into())),
            Some(("env", name)) if !name.is_empty() => Ok(SecretSource::Env(name.to_owned())),
            _ => Err(format!(
                "{text:?}: a secret is given as \"file:PATH\" or \"env:NAME\", never inline"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for SecretSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl SecretSource {
    /// Reads the secret; `name` says which, in errors (never its value).
    pub fn read(&self, name: &'static str) -> Result<String, ConfigError> {
        let value = match self {
            SecretSource::File(path) => {
                std::fs::read_to_string(path).map_err(|e| ConfigError::Secret {
                    name,
                    problem: format!("reading {}: {e}", path.display()),
                })?
            }
            SecretSource::Env(var) => std::env::var(var).map_err(|_| ConfigError::Secret {
                name,
                problem: format!("the environment variable {var} is not set"),
            })?,
        };
        let value = value.trim_end().to_owned();
        if value.is_empty() {
            return Err(ConfigError::Secret {
                name,
                problem: "it is empty".into(),
            });
        }
        Ok(value)
    }
}

/// Secrets, each from a file or the environment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Secrets {
    /// The key patients' per-service pseudonyms derive from (64 hex
    /// digits). Default: `DATA/pseudonym.key`, created on first start.
    pub pseudonym_key: Option<SecretSource>,
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The data directory: registry keys, component cache.
    pub data: PathBuf,
    /// The database URL. Default: the SQLite file `DATA/officine.db`.
    pub database: Option<String>,
    #[serde(default)]
    pub secrets: Secrets,
    /// The trusted issuers, one per population at least for the
    /// populations served.
    #[serde(default)]
    pub issuers: Vec<IssuerConfig>,
    /// Where services' own sites are: `<label>.<domain>`. Default:
    /// `http://<label>.svc.localhost`, which only a browser on this machine
    /// reaches.
    #[serde(default)]
    pub sites: ServiceSites,
    /// The audit record: the misuse rules' thresholds (`[audit.misuse]`).
    #[serde(default)]
    pub audit: AuditConfig,
    /// The platform's origin as browsers reach it, e.g.
    /// `https://officine.example.fr`: providers send signed-in browsers
    /// back there. Required with `[[sign-in]]`.
    pub public_url: Option<String>,
    /// The providers people sign in to the pages with.
    #[serde(default)]
    pub sign_in: Vec<ProviderConfig>,
}

/// `[audit]`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuditConfig {
    #[serde(default)]
    pub misuse: crate::audit::misuse::MisuseRules,
}

impl ServeConfig {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<ServeConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })
    }

    /// Parses and checks a configuration's text.
    pub fn parse(text: &str) -> Result<ServeConfig, String> {
        let config: ServeConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::HashSet::new();
        for issuer in &config.issuers {
            if !seen.insert(issuer.issuer.as_str()) {
                return Err(format!("issuer {:?} is configured twice", issuer.issuer));
            }
        }
        config.sites.check().map_err(|e| e.to_string())?;
        if let Some(url) = &config.database {
            check_database_url(url)?;
        }
        config.check_sign_in()?;
        if config.issuers.is_empty() {
            return Err(
                "no [[issuers]]: nobody could sign in (officine dev has a built-in one)".into(),
            );
        }
        Ok(config)
    }

    /// Sign-in providers: well formed, named once, each an issuer the
    /// configuration trusts, and an origin for browsers to come back to.
    fn check_sign_in(&self) -> Result<(), String> {
        let mut names = std::collections::HashSet::new();
        for provider in &self.sign_in {
            provider.check()?;
            if !names.insert(provider.name.as_str()) {
                return Err(format!("sign-in {:?} is configured twice", provider.name));
            }
            if !self.issuers.iter().any(|i| i.issuer == provider.issuer) {
                return Err(format!(
                    "sign-in {:?}: its issuer {:?} is not among [[issuers]], whose keys verify its ID tokens",
                    provider.name, provider.issuer
                ));
            }
        }
        match &self.public_url {
            None if !self.sign_in.is_empty() => Err(
                "[[sign-in]] needs public-url: where browsers come back after signing in".into(),
            ),
            Some(url) => public_origin(url).map(drop),
            None => Ok(()),
        }
    }

    /// The database URL, defaulting to the SQLite file in the data directory.
    /// A PostgreSQL URL carries no password: it comes from `PGPASSWORD` or
    /// a pgpass file, like every other secret never from this file.
    pub fn database_url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| crate::db::sqlite_url(&self.data.join("officine.db")))
    }
}

/// A public URL as an origin (`scheme://host[:port]`, no path): HTTPS, or
/// HTTP on loopback only, since session cookies are `Secure`.
pub fn public_origin(url: &str) -> Result<String, String> {
    let parsed = crate::auth::keys::trusted_url(url).map_err(|e| format!("public-url: {e}"))?;
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "public-url {url:?}: an origin only, without path, query or fragment"
        ));
    }
    Ok(parsed.origin().ascii_serialization())
}

/// A database URL Officine can open, with no password in it.
fn check_database_url(url: &str) -> Result<(), String> {
    crate::db::Backend::of(url).map_err(|e| e.to_string())?;
    let credentials = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map(|(credentials, _)| credentials);
    if credentials.is_some_and(|c| c.contains(':')) {
        return Err(
            "the database URL carries a password: give it in PGPASSWORD or a \
                    pgpass file instead, never inline"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
listen = "127.0.0.1:8443"
data = "/var/lib/officine"

[secrets]
pseudonym-key = "env:OFFICINE_TEST_PSEUDONYM"

[[issuers]]
issuer = "https://patients.example"
audience = "officine"
population = "patient"
keys = { source = "file", path = "/etc/officine/patients.jwks.json" }
"#;

    #[test]
    fn a_configuration_parses_with_its_defaults() {
        let config = ServeConfig::parse(GOOD).unwrap();
        assert_eq!(config.listen.port(), 8443);
        assert_eq!(
            config.database_url(),
            "sqlite:///var/lib/officine/officine.db?mode=rwc"
        );
        assert_eq!(
            config.secrets.pseudonym_key,
            Some(SecretSource::Env("OFFICINE_TEST_PSEUDONYM".into()))
        );
        assert_eq!(config.issuers.len(), 1);
        assert_eq!(config.sites, ServiceSites::default());
    }

    const SIGN_IN: &str = r#"
[[sign-in]]
name = "patients"
label = "FranceConnect"
issuer = "https://patients.example"
client-id = "officine-pages"
client-secret = "env:OFFICINE_TEST_CLIENT_SECRET"
population = "patient"
"#;

    #[test]
    fn sign_in_providers_are_trusted_issuers_and_come_back_to_the_public_origin() {
        let with = |public: &str, sign_in: &str| {
            ServeConfig::parse(&format!("{public}\n{GOOD}\n{sign_in}"))
        };
        let config = with("public-url = \"https://sante.example.fr\"", SIGN_IN).unwrap();
        assert_eq!(config.sign_in.len(), 1);
        assert_eq!(config.sign_in[0].client_id, "officine-pages");
        assert_eq!(
            public_origin("https://sante.example.fr/").as_deref(),
            Ok("https://sante.example.fr")
        );
        for (public, sign_in, says) in [
            ("", SIGN_IN, "needs public-url"),
            ("public-url = \"http://sante.example.fr\"", SIGN_IN, "https"),
            (
                "public-url = \"https://sante.example.fr/pages\"",
                SIGN_IN,
                "an origin only",
            ),
            (
                "public-url = \"https://sante.example.fr\"",
                &SIGN_IN.replace("https://patients.example", "https://other.example"),
                "not among [[issuers]]",
            ),
            (
                "public-url = \"https://sante.example.fr\"",
                &format!("{SIGN_IN}{SIGN_IN}"),
                "configured twice",
            ),
            (
                "public-url = \"https://sante.example.fr\"",
                &SIGN_IN.replace("name = \"patients\"", "name = \"Patients!\""),
                "lowercase letters",
            ),
            (
                "public-url = \"https://sante.example.fr\"",
                &SIGN_IN.replace("client-secret = \"env:", "client-secret = \""),
                "never inline",
            ),
        ] {
            let error = with(public, sign_in).unwrap_err();
            assert!(error.contains(says), "{says}: {error}");
        }
    }

    #[test]
    fn services_sites_are_configured_under_a_domain_of_the_operators() {
        let sites = format!("{GOOD}\n[sites]\ndomain = \"svc.sante.example.fr\"\n");
        let config = ServeConfig::parse(&sites).unwrap();
        assert_eq!(
            config.sites.origin("weight-tracker", Some(8443)),
            "https://weight-tracker.svc.sante.example.fr:8443"
        );
        let bad = sites.replace("svc.sante.example.fr", "sante example");
        let error = ServeConfig::parse(&bad).unwrap_err();
        assert!(error.contains("sites.domain"), "{error}");
        let bad = format!("{sites}scheme = \"ftp\"\n");
        assert!(ServeConfig::parse(&bad).is_err());
    }

    #[test]
    fn the_misuse_rules_thresholds_are_configured_by_name() {
        let config = ServeConfig::parse(GOOD).unwrap();
        assert_eq!(
            config.audit.misuse,
            crate::audit::misuse::MisuseRules::default()
        );
        let tuned = format!("{GOOD}\n[audit.misuse]\ndenied = 10\nper-patient = 200\n");
        let config = ServeConfig::parse(&tuned).unwrap();
        assert_eq!(config.audit.misuse.denied, 10);
        assert_eq!(config.audit.misuse.per_patient, 200);
        assert_eq!(
            config.audit.misuse.window_secs, 3600,
            "the others keep their defaults"
        );
        let unknown = format!("{GOOD}\n[audit.misuse]\ndenials = 10\n");
        let error = ServeConfig::parse(&unknown).unwrap_err();
        assert!(error.contains("unknown field `denials`"), "{error}");
        let wrong = format!("{GOOD}\n[audit.misuse]\ndenied = \"many\"\n");
        assert!(ServeConfig::parse(&wrong).is_err());
    }

    #[test]
    fn inline_secrets_unknown_fields_and_no_issuer_are_refused() {
        let inline = GOOD.replace("env:OFFICINE_TEST_PSEUDONYM", "0123abcd");
        let error = ServeConfig::parse(&inline).unwrap_err();
        assert!(error.contains("never inline"), "{error}");
        let unknown = format!("{GOOD}\nport = 1\n");
        let error = ServeConfig::parse(&unknown).unwrap_err();
        assert!(error.contains("unknown field `port`"), "{error}");
        let none = GOOD.split("[[issuers]]").next().unwrap();
        let error = ServeConfig::parse(none).unwrap_err();
        assert!(error.contains("no [[issuers]]"), "{error}");
        let twice = format!("{GOOD}{}", &GOOD[GOOD.find("[[issuers]]").unwrap()..]);
        let error = ServeConfig::parse(&twice).unwrap_err();
        assert!(error.contains("configured twice"), "{error}");
    }

    #[test]
    fn a_database_url_is_sqlite_or_postgres_without_a_password() {
        let with = |url: &str| GOOD.replacen("\n", &format!("\ndatabase = \"{url}\"\n"), 1);
        for good in [
            "sqlite:///var/lib/officine/officine.db?mode=rwc",
            "postgres://officine@db.internal:5432/officine",
            "postgresql://db.internal/officine?sslmode=verify-full",
        ] {
            let config = ServeConfig::parse(&with(good)).unwrap();
            assert_eq!(config.database_url(), good);
        }
        let error = ServeConfig::parse(&with("mysql://db/officine")).unwrap_err();
        assert!(error.contains("unsupported database URL"), "{error}");
        let error =
            ServeConfig::parse(&with("postgres://officine:hunter2@db/officine")).unwrap_err();
        assert!(error.contains("PGPASSWORD"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn secrets_are_read_from_files_and_the_environment_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "s3cret\n").unwrap();
        assert_eq!(
            SecretSource::File(file.clone()).read("test").unwrap(),
            "s3cret"
        );
        std::fs::write(&file, "\n").unwrap();
        let error = SecretSource::File(file).read("test").unwrap_err();
        assert!(error.to_string().contains("empty"));
        let error = SecretSource::Env("OFFICINE_SURELY_UNSET_VARIABLE".into())
            .read("pseudonym-key")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "secret pseudonym-key: the environment variable OFFICINE_SURELY_UNSET_VARIABLE is not set"
        );
    }
}
