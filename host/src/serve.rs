//! `officine serve --config FILE`: the platform for real patients.
//!
//! No demo data, no development issuer: identities come from the trusted
//! issuers of the configuration, services from the registry's listings, and
//! a service's pages act only for the patient of a session opened from the
//! store.

use std::sync::Arc;

use anyhow::Context as _;

use crate::api::{self, ApiState};
use crate::audit::SealPolicy;
use crate::auth::sign_in::Provider;
use crate::auth::{IssuerConfig, Verifier, VerifierOptions};
use crate::config::{ServeConfig, public_origin};
use crate::db::Db;
use crate::listing::served::ListingCheck;
use crate::listing::{Registry, RegistryKeys};
use crate::pseudonym::PseudonymKey;
use crate::runtime::{Runtime, RuntimeConfig};
use crate::server::Server;
use crate::sites::Scheme;
use crate::web::Web;

/// Everything `serve` needs, ready to listen.
pub async fn prepare(config: &ServeConfig) -> anyhow::Result<Server> {
    crate::files::create_private_dir(&config.data)?;
    let db = Db::connect(&config.database_url())
        .await
        .context("opening the database")?;
    let mut runtime = Runtime::new(
        RuntimeConfig::default(),
        Some(&config.data.join("components")),
    )?;
    let key = match &config.secrets.pseudonym_key {
        Some(source) => PseudonymKey::from_hex(&source.read("pseudonym-key")?)
            .context("secret pseudonym-key: expected 64 hexadecimal digits")?,
        None => {
            let path = config.data.join("pseudonym.key");
            PseudonymKey::load_or_create(&path)
                .with_context(|| format!("reading or creating {}", path.display()))?
        }
    };
    runtime.set_pseudonym_key(key);
    let keys = RegistryKeys::load_or_create(&config.data)?;
    let audit_signer = crate::audit::keys::load_or_create(&config.data)?;
    let verifier = Arc::new(
        Verifier::load(&config.issuers, VerifierOptions::default())
            .await
            .context("loading the trusted issuers")?,
    );
    // Key sets fetched from URLs are kept fresh for as long as we serve.
    crate::auth::refresh::spawn(verifier.clone(), &config.issuers);
    let runtime = Arc::new(runtime);
    let services = crate::loaded::load_services(&runtime, &db).await?;
    let api = api::router(ApiState {
        db: db.clone(),
        verifier,
        registry: Registry::new(db.clone(), keys.clone()),
        runtime: runtime.clone(),
        sites: config.sites.clone(),
        audit_log: audit_signer.verifier(),
        web: Arc::new(web(config).await?),
    });
    Ok(Server::new(
        runtime,
        api,
        ListingCheck::new(db.clone(), keys.root),
        db,
        services,
        config.sites.clone(),
        None,
    )
    .sealing(audit_signer, SealPolicy::default())
    .watching(config.audit.misuse))
}

/// The pages' settings: the configured origin and sign-in providers, their
/// endpoints discovered, their ID tokens verified with the keys of their
/// `[[issuers]]` entry (kept fresh like the API's).
async fn web(config: &ServeConfig) -> anyhow::Result<Web> {
    let mut providers = Vec::with_capacity(config.sign_in.len());
    let mut trusted = Vec::with_capacity(config.sign_in.len());
    for provider in &config.sign_in {
        providers.push(
            Provider::discover(provider)
                .await
                .with_context(|| format!("reaching sign-in provider {:?}", provider.name))?,
        );
        let issuer = config
            .issuers
            .iter()
            .find(|issuer| issuer.issuer == provider.issuer)
            .context("a sign-in provider's issuer is configured (checked on load)")?;
        trusted.push(IssuerConfig {
            issuer: provider.issuer.clone(),
            audience: provider.client_id.clone(),
            population: provider.population,
            keys: issuer.keys.clone(),
        });
    }
    let id_tokens = Arc::new(
        Verifier::load(&trusted, VerifierOptions::default())
            .await
            .context("loading the sign-in providers' keys")?,
    );
    crate::auth::refresh::spawn(id_tokens.clone(), &trusted);
    let origin = match &config.public_url {
        Some(url) => public_origin(url).map_err(anyhow::Error::msg)?,
        None => format!("https://{}", config.listen),
    };
    Ok(Web {
        origin,
        secure_cookies: true,
        providers,
        demo: Vec::new(),
        id_tokens,
        http: crate::auth::sign_in::http_client(),
    })
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let server = Arc::new(prepare(&config).await?);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    println!("Officine on http://{}/", listener.local_addr()?);
    println!("  services at {}", server.sites());
    // Behind a TLS proxy the listening port is not the sites' port.
    let port = (server.sites().scheme() == Scheme::Http).then_some(config.listen.port());
    for (label, service) in server.services().iter() {
        println!(
            "  {:<28} {}/",
            service.manifest.name(),
            server.sites().origin(label, port)
        );
    }
    axum::serve(listener, server.router())
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler installs");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
