//! The platform's HTTP front: the API on the platform's host, and each
//! listed service on a host of its own (`<label>.<domain>`, see
//! [`crate::sites`]), so that a service's pages never share the platform's
//! origin.
//!
//! On a service's host, a request acts for the patient of its session
//! cookie (set up by the store's redirect handshake); the development
//! server alone falls back to its demo patient when there is none.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use officine_registry::log::LogSigner;

use crate::api::store::SESSION_PATH;
use crate::audit::misuse::{self, MisuseRules};
use crate::audit::{SealPolicy, Sealer};
use crate::consent;
use crate::db::Db;
use crate::db::grants::StoredGrant;
use crate::killswitch::{self, KillSwitch};
use crate::listing::served::{ListingCheck, NotServable};
use crate::loaded::{LoadedServices, ServiceMap};
use crate::model::{PatientId, now_millis};
use crate::relay;
use crate::runtime::{CallContext, InvokeError, Runtime};
use crate::service::Service;
use crate::sessions;
use crate::sites::{self, Scheme, ServiceSites};

/// How often expired sessions and codes are removed.
const SWEEP_PERIOD: std::time::Duration = std::time::Duration::from_secs(600);

/// What a running platform serves.
pub struct Server {
    runtime: Arc<Runtime>,
    /// The HTTP API, on the platform's host only.
    api: Router,
    listing: ListingCheck,
    db: Db,
    /// Development only: who a service's page acts for without a session.
    demo_patient: Option<PatientId>,
    /// Services by host-name label, kept in step with the registry.
    services: Arc<LoadedServices>,
    sites: ServiceSites,
    /// Stops running invocations a decision no longer allows.
    _kill_switch: KillSwitch,
    /// Seals the audit log on its schedule.
    _sealer: Option<Sealer>,
    /// Evaluates the misuse rules on theirs.
    _watch: Option<misuse::Watch>,
    /// Removes expired sessions.
    _sweeper: sessions::Sweeper,
}

impl Server {
    pub fn new(
        runtime: Arc<Runtime>,
        api: Router,
        listing: ListingCheck,
        db: Db,
        services: ServiceMap,
        sites: ServiceSites,
        demo_patient: Option<PatientId>,
    ) -> Self {
        let kill_switch = killswitch::spawn(
            runtime.clone(),
            db.clone(),
            Some(listing.clone()),
            killswitch::PERIOD,
        );
        Server {
            _sweeper: sessions::Sweeper::spawn(db.clone(), SWEEP_PERIOD),
            services: Arc::new(LoadedServices::new(services, runtime.clone(), db.clone())),
            _kill_switch: kill_switch,
            runtime,
            api,
            listing,
            db,
            demo_patient,
            sites,
            _sealer: None,
            _watch: None,
        }
    }

    /// Evaluates the misuse rules every minute while this server lives.
    pub fn watching(mut self, rules: MisuseRules) -> Self {
        self._watch = Some(misuse::Watch::spawn(
            self.db.clone(),
            rules,
            std::time::Duration::from_secs(60),
        ));
        self
    }

    /// Seals the audit log with `signer` while this server lives.
    pub fn sealing(mut self, signer: Arc<LogSigner>, policy: SealPolicy) -> Self {
        self._sealer = Some(Sealer::spawn(self.db.clone(), signer, policy));
        self
    }

    /// The database it serves from.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Where the services' sites are.
    pub fn sites(&self) -> &ServiceSites {
        &self.sites
    }

    /// The router: the index and the API on the platform's host, each
    /// service on its own host.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new().fallback(dispatch).with_state(self)
    }

    /// The services served now, by site label.
    pub fn services(&self) -> Arc<ServiceMap> {
        self.services.snapshot()
    }
}

async fn dispatch(State(app): State<Arc<Server>>, request: Request) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    match app.sites.label_of(&host) {
        Some(label) => {
            let services = match services_naming(&app, label).await {
                Ok(services) => services,
                Err(response) => return response,
            };
            match services.get(label) {
                Some(service) if request.uri().path() == SESSION_PATH => {
                    let query = request.uri().query().unwrap_or_default().to_owned();
                    open_session(&app, service, &query).await
                }
                Some(service) => {
                    match session_patient(
                        &app,
                        service,
                        sessions::cookie(request.headers(), sessions::COOKIE).map(str::to_owned),
                    )
                    .await
                    {
                        Ok(holder) => invoke(&app, service, &holder, request).await,
                        Err(response) => response,
                    }
                }
                None => (StatusCode::NOT_FOUND, "no such service").into_response(),
            }
        }
        None if request.uri().path() == "/" => index(&app, &host),
        // Never on a service's host: its pages must not reach the API with
        // the platform's credentials.
        None => {
            use tower::ServiceExt as _;
            match app.api.clone().oneshot(request).await {
                Ok(response) => response,
                Err(infallible) => match infallible {},
            }
        }
    }
}

/// The services, loaded again first if `label` names none of them and the
/// registry moved since they were loaded: a service listed through another
/// host is served here from its first request.
async fn services_naming(app: &Server, label: &str) -> Result<Arc<ServiceMap>, Response> {
    let services = app.services.snapshot();
    if services.contains_key(label) {
        return Ok(services);
    }
    let unavailable = |error: &dyn std::fmt::Display| {
        tracing::error!(%error, "looking for a newly listed service failed");
        (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable").into_response()
    };
    let generation = app
        .listing
        .generation()
        .await
        .map_err(|e| unavailable(&e))?;
    if app.services.is_current(generation) {
        return Ok(services);
    }
    app.services
        .refresh(generation)
        .await
        .map_err(|e| unavailable(&e))?;
    Ok(app.services.snapshot())
}

/// Trades a handshake code for a session cookie on the service's host.
async fn open_session(app: &Server, service: &Service, query: &str) -> Response {
    let code = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "code").map(|(_, v)| v));
    let Some(code) = code else {
        return (StatusCode::BAD_REQUEST, "no code").into_response();
    };
    match sessions::redeem(&app.db, &code, service.manifest.id(), now_millis()).await {
        Ok(Some(opened)) => {
            // Over HTTPS the cookie never travels in clear.
            let secure = match app.sites.scheme() {
                Scheme::Https => "; Secure",
                Scheme::Http => "",
            };
            let cookie = format!(
                "{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                sessions::COOKIE,
                opened.token,
                sessions::SESSION_LIFETIME.as_secs()
            );
            (
                StatusCode::SEE_OTHER,
                [
                    (header::SET_COOKIE, cookie),
                    (header::LOCATION, opened.next),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
            )
                .into_response()
        }
        Ok(None) => (
            StatusCode::UNAUTHORIZED,
            "This link has expired or was already used: open the service again from the store.\n",
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "opening a session failed");
            (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable").into_response()
        }
    }
}

/// Who a request on a service's host acts for: the patient of its session
/// cookie; without a cookie, in development only, the demo patient.
async fn session_patient(
    app: &Server,
    service: &Service,
    token: Option<String>,
) -> Result<sessions::Holder, Response> {
    let Some(token) = token else {
        let demo = app.demo_patient.clone().map(|patient| sessions::Holder {
            patient,
            launch: None,
        });
        return demo.ok_or_else(|| {
            (
                StatusCode::UNAUTHORIZED,
                "Open this service from the store to start a session.\n",
            )
                .into_response()
        });
    };
    match sessions::patient(&app.db, &token, service.manifest.id(), now_millis()).await {
        Ok(Some(holder)) => Ok(holder),
        Ok(None) => Err((
            StatusCode::UNAUTHORIZED,
            "Your session with this service has ended: open it again from the store.\n",
        )
            .into_response()),
        Err(error) => {
            tracing::error!(%error, "reading a session failed");
            Err((StatusCode::SERVICE_UNAVAILABLE, "storage unavailable").into_response())
        }
    }
}

/// The grant a service opened by a professional runs under: the patient's,
/// narrowed by the habilitation matrix for the professional's profession;
/// or the refusal when the patient blocked them or closed their space.
async fn launched_grant(
    app: &Server,
    patient: &PatientId,
    launch: &sessions::Launch,
    grant: &Arc<StoredGrant>,
) -> Result<Arc<StoredGrant>, Response> {
    let refused = |why: &str| (StatusCode::FORBIDDEN, format!("{why}\n")).into_response();
    let (space, overrides) = crate::professionals::rules(&app.db, patient)
        .await
        .map_err(|error| {
            tracing::error!(%error, "reading the patient's overrides failed");
            (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable").into_response()
        })?;
    if space == officine_policy::habilitation::Space::Closed {
        return Err(refused("The patient closed their space."));
    }
    if overrides.is_blocked(&launch.rpps) {
        return Err(refused("The patient blocked this professional."));
    }
    let stored = &grant.grant;
    let consent = officine_policy::Consent {
        patient: stored.patient().clone(),
        service: stored.service().clone(),
        scopes: officine_policy::habilitation::narrowed_for(&launch.profession, stored.scopes()),
        period: stored.period(),
        version: stored.version().clone(),
        sheet: stored.sheet(),
    };
    Ok(Arc::new(StoredGrant {
        grant: officine_policy::Grant::restore(stored.id().clone(), consent, stored.status()),
        revision: grant.revision,
    }))
}

async fn invoke(
    app: &Server,
    service: &Service,
    holder: &sessions::Holder,
    request: Request<Body>,
) -> Response {
    let patient = &holder.patient;
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, relay::MAX_REQUEST_BODY).await {
        Ok(body) => body.to_vec(),
        Err(_) => {
            return (StatusCode::PAYLOAD_TOO_LARGE, "request body over 1 MiB").into_response();
        }
    };
    let id = service.manifest.id();
    // A suspension, a withdrawal or a revoked key stops the service at once.
    if let Err(refusal) = app.listing.check(id, &service.component.digest()).await {
        tracing::warn!(service = %id, %refusal, "not served");
        let status = match refusal {
            NotServable::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::FORBIDDEN,
        };
        return (status, format!("{id} is not served: {refusal}\n")).into_response();
    }
    // The registry moved (a release listed, replaced…): load what it lists
    // now, without holding this request.
    app.services.refresh_later(app.listing.generation_seen());
    let grant = match consent::for_invocation(&app.db, patient, id, now_millis()).await {
        Ok(Some(grant)) => grant,
        // This answer is read on the service's own origin, where its pages
        // could fetch it: it names neither the patient nor how to reach
        // their data, only what the patient can do.
        Ok(None) => {
            return (
                StatusCode::FORBIDDEN,
                format!(
                    "{id}: no grant in force. Grant it access again from your health space \
                     to use it.\n"
                ),
            )
                .into_response();
        }
        Err(error) => {
            tracing::error!(service = %id, %error, "reading the grant failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable").into_response();
        }
    };
    // Opened by a professional: their block or the space's closure stops
    // it, and it runs under the grant narrowed by the matrix.
    let grant = match &holder.launch {
        None => grant,
        Some(launch) => match launched_grant(app, patient, launch, &grant).await {
            Ok(narrowed) => narrowed,
            Err(response) => return response,
        },
    };
    let call = CallContext {
        db: app.db.clone(),
        service_name: service.manifest.name().to_owned(),
        grant,
        limits: *service.manifest.limits(),
    };
    let request = relay::to_component(&parts, body);
    let id = id.as_str();
    match app.runtime.invoke(&service.component, &call, request).await {
        Ok(response) => relay::from_component(id, response),
        // Refused before it started, the host at this service's or this
        // patient's share: try again shortly.
        Err(InvokeError::Busy(busy)) => {
            tracing::info!(service = id, %busy, "invocation refused");
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "1")],
                format!("{id} is busy: {busy}\n"),
            )
                .into_response()
        }
        // Stopped while running by a decision: as refused as a new request.
        Err(InvokeError::Interrupted(reason)) => {
            tracing::info!(service = id, %reason, "invocation interrupted");
            (StatusCode::FORBIDDEN, format!("{id}: {reason}\n")).into_response()
        }
        // What it accessed could not be put on record: nothing leaves.
        Err(InvokeError::Unrecorded(error)) => {
            tracing::error!(service = id, %error, "response withheld");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "1")],
                "the platform cannot serve this request just now\n",
            )
                .into_response()
        }
        Err(error) => {
            tracing::warn!(service = id, %error, "invocation failed");
            // The limit that stopped it is the service's fault, never the
            // patient's: a gateway error, naming which limit.
            let status = match error {
                InvokeError::Deadline(_) => StatusCode::GATEWAY_TIMEOUT,
                _ => StatusCode::BAD_GATEWAY,
            };
            (status, format!("the service failed: {error}\n")).into_response()
        }
    }
}

fn index(app: &Server, host: &str) -> Response {
    // The Host header is the client's to choose: only a port number goes into the page.
    let port = sites::port_of(host);
    let mut items = String::new();
    for (label, service) in app.services().iter() {
        let url = format!("{}/", app.sites.origin(label, port));
        items.push_str(&format!(
            "<li><a href=\"{url}\">{}</a> — {} <code>{}</code></li>\n",
            escape(service.manifest.name()),
            escape(service.manifest.description()),
            service.component.digest()
        ));
    }
    let (title, note) = if app.demo_patient.is_some() {
        (
            "Officine — mode développement",
            "Sans session, chaque service s'ouvre pour la patiente de démonstration.",
        )
    } else {
        (
            "Officine",
            "Ouvrez un service depuis le catalogue (/api/catalogue, /s/&lt;service&gt;).",
        )
    };
    Html(format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body><main><h1>{title}</h1>\n<p>{note}</p>\n\
         <p><a href=\"/catalogue\">Catalogue des services</a></p>\n<ul>\n{items}</ul></main></body></html>\n"
    ))
    .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
