//! `officine dev`: the embedded default, for trying Officine on one machine.
//!
//! DEVELOPMENT ONLY. Tokens come from a built-in issuer that signs for
//! anyone, and a service's pages act for the demo patient when no session
//! says otherwise: nothing here must be exposed beyond loopback.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use officine_registry::Manifest;

use crate::audit::SealPolicy;
use crate::auth::sign_in::Provider;
use crate::auth::{DevIssuer, Population, TrustedIssuer, Verifier, VerifierOptions};
use crate::consent;
use crate::db::{Db, grants, seed};
use crate::listing::served::ListingCheck;
use crate::listing::{Registry, RegistryKeys};
use crate::model::{PatientId, now_millis};
use crate::pseudonym::PseudonymKey;
use crate::runtime::{Runtime, RuntimeConfig};
use crate::server::Server;
use crate::service::Service;
use crate::sites::ServiceSites;
use crate::web::{Demo, Web};

/// Where `officine dev` keeps its data, and what it serves.
#[derive(Debug, Clone)]
pub struct DevOptions {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Extra services: (component, manifest).
    pub services: Vec<(PathBuf, PathBuf)>,
    /// Build and load the repository's example services.
    pub examples: bool,
    /// The database URL; `None` for the SQLite file in `data_dir`.
    pub database: Option<String>,
}

impl DevOptions {
    /// The database this development server uses.
    pub fn database_url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| crate::db::sqlite_url(&self.data_dir.join("officine.db")))
    }
}

/// The development server: the platform, prepared with demo data and the
/// example services, acting for the demo patient where no session says
/// otherwise.
pub type DevApp = Server;

impl Server {
    /// Prepares the data directory, database, demo data and services.
    pub async fn prepare(options: &DevOptions) -> anyhow::Result<DevApp> {
        crate::files::create_private_dir(&options.data_dir)?;
        let db = Db::connect(&options.database_url())
            .await
            .context("opening the database")?;
        let seeded = seed::seed_demo(&db, now_millis())
            .await
            .context("seeding demo data")?;
        let mut runtime = Runtime::new(
            RuntimeConfig::default(),
            Some(&options.data_dir.join("components")),
        )?;
        let key_path = options.data_dir.join("pseudonym.key");
        let key = PseudonymKey::load_or_create(&key_path)
            .with_context(|| format!("reading or creating {}", key_path.display()))?;
        runtime.set_pseudonym_key(key);

        let mut sources = options.services.clone();
        if options.examples {
            let workspace = crate::examples::workspace().context(
                "the example services are built from the Officine repository, which was not found; \
                 pass --no-examples and --service COMPONENT:MANIFEST instead",
            )?;
            for example in crate::examples::build(&workspace)? {
                sources.push((example.wasm, example.manifest));
            }
        }
        // Every service goes through the listing path, signed with a
        // development key: what is served is what the registry lists.
        let keys = RegistryKeys::load_or_create(&options.data_dir)?;
        let audit_signer = crate::audit::keys::load_or_create(&options.data_dir)?;
        let registry = Registry::new(db.clone(), keys.clone());
        for (wasm, manifest) in &sources {
            let manifest = Manifest::load(manifest)?;
            let bytes =
                std::fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
            registry
                .list_for_development(&runtime, &options.data_dir, manifest, &bytes)
                .await?;
        }
        let runtime = Arc::new(runtime);
        let services = crate::loaded::load_services(&runtime, &db).await?;
        for service in services.values() {
            seed_grant(&db, &seeded.patient, service).await?;
        }
        let mut issuer =
            DevIssuer::load_or_create(&options.data_dir, dev_issuer_url(options.listen))?;
        for population in Population::ALL {
            issuer = issuer.with_client(web_client(population));
        }
        let issuer = Arc::new(issuer);
        let api = crate::api::router(crate::api::ApiState {
            db: db.clone(),
            verifier: Arc::new(issuer.verifier(VerifierOptions::default())),
            registry: registry.clone(),
            runtime: runtime.clone(),
            sites: ServiceSites::default(),
            audit_log: audit_signer.verifier(),
            web: Arc::new(web(&issuer, options.listen)?),
        })
        .nest(DEV_ISSUER_PATH, issuer.clone().router());
        Ok(Server::new(
            runtime,
            api,
            ListingCheck::new(db.clone(), keys.root),
            db,
            services,
            ServiceSites::default(),
            Some(seeded.patient),
        )
        .sealing(audit_signer, SealPolicy::default())
        .watching(Default::default()))
    }
}

/// The first time only, grants the demo patient all a service requests: a
/// later revocation or narrowing made with `officine revoke` or
/// `officine grant` is the patient's choice, and stays.
async fn seed_grant(db: &Db, patient: &PatientId, service: &Service) -> anyhow::Result<()> {
    let record = consent::register(db, service).await?;
    let ever_granted = grants::for_patient(db, patient)
        .await?
        .iter()
        .any(|stored| stored.grant.service() == &record.id);
    if !ever_granted {
        consent::grant_requested(db, patient, &record, now_millis())
            .await
            .with_context(|| format!("granting {} to the demo patient", record.id))?;
    }
    Ok(())
}

/// The pages' client id at the development issuer for `population`: one
/// per population, so that an ID token's audience says whom it signs in.
fn web_client(population: Population) -> String {
    format!("officine-web-{population}")
}

/// The pages' settings in development: the origin `listen` gives, no
/// `Secure` cookies (plain HTTP on loopback), the development issuer as
/// provider for every population, and the demonstration identities.
fn web(issuer: &DevIssuer, listen: SocketAddr) -> anyhow::Result<Web> {
    let trusted = Population::ALL
        .into_iter()
        .map(|population| {
            TrustedIssuer::new(
                issuer.issuer(),
                web_client(population),
                population,
                issuer.key_set(),
            )
        })
        .collect();
    let providers = Population::ALL
        .into_iter()
        .map(|population| {
            Provider::known(
                format!("dev-{population}"),
                format!("Développement ({population})"),
                population,
                issuer.issuer(),
                web_client(population),
            )
        })
        .collect();
    let demo = [
        (
            format!("patient:{}", seed::DEMO_PATIENT),
            "Camille Martin — patiente de démonstration",
            Population::Patient,
        ),
        (
            "professional:10000000001:10".to_owned(),
            "Dr Claire Bernard — médecin de démonstration",
            Population::Professional,
        ),
        (
            "professional:10000000005:70".to_owned(),
            "Hugo Petit — kinésithérapeute de démonstration",
            Population::Professional,
        ),
        (
            "regulator:demo".to_owned(),
            "Régulateur de démonstration",
            Population::Regulator,
        ),
    ]
    .into_iter()
    .map(|(login_hint, label, population)| Demo {
        login_hint,
        label: label.to_owned(),
        population,
    })
    .collect();
    Ok(Web {
        origin: format!("http://{listen}"),
        secure_cookies: false,
        providers,
        demo,
        id_tokens: Arc::new(Verifier::new(trusted, VerifierOptions::default())?),
        http: crate::auth::sign_in::http_client(),
    })
}

/// Where the development issuer is served, on the platform's host.
pub const DEV_ISSUER_PATH: &str = "/dev-issuer";

/// The development issuer's URL (its `iss`) for a server listening on `listen`.
pub fn dev_issuer_url(listen: SocketAddr) -> String {
    format!("http://{listen}{DEV_ISSUER_PATH}")
}

/// Runs the development server until Ctrl-C.
pub async fn serve(mut options: DevOptions) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("listening on {}", options.listen))?;
    // The address browsers come back to after signing in: the real port.
    let addr = listener.local_addr()?;
    options.listen = addr;
    let app = Arc::new(DevApp::prepare(&options).await?);
    println!("Officine (development mode: built-in token issuer, demo patient)");
    println!("  data:      {}", options.data_dir.display());
    println!("  platform:  http://{addr}/");
    println!("  catalogue: http://{addr}/catalogue");
    println!("  sign in:   http://{addr}/connexion");
    for (label, service) in app.services().iter() {
        println!(
            "  {:<28} {}/",
            service.manifest.name(),
            app.sites().origin(label, Some(addr.port()))
        );
    }
    axum::serve(listener, app.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
