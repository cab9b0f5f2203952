//! Running one request through one fresh instance.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store, Trap, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::audit::{Event, InvocationId, Outcome, RecordError, Trail};
use crate::db::grants::StoredGrant;
use crate::db::{Db, GrantGuard};
use crate::model::{ComponentDigest, PatientId, ServiceId};
use crate::platform::{Denied, Interface, Interfaces, Platform};
use crate::pseudonym::PseudonymKey;
use crate::runtime::bindings::handler::{Request, Response};
use crate::runtime::bindings::{self, ServicePre};
use crate::runtime::cache::{ComponentCache, Lookup};
use crate::runtime::component::{self, LoadError, LoadedComponent};
use crate::runtime::engine::{Enforcement, EpochTicker, RuntimeConfig, build_engine_with};
use crate::runtime::fairness::{Busy, Fairness};
use crate::runtime::inflight::{InFlight, Interruption, Running};
use crate::runtime::limits::Effective;
use crate::runtime::output::{LogOutput, Stream};

/// Why an invocation did not produce a response. Each limit has its own
/// kind, so that the caller (and the operator) knows which one was hit.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("the component cannot be linked: {0}")]
    Link(String),
    #[error("the invocation exceeded its {0:?} deadline")]
    Deadline(Duration),
    #[error("the component asked for more than its {limit} bytes of memory")]
    Memory { limit: usize },
    #[error("the component overflowed its stack")]
    StackOverflow,
    #[error("the invocation ran out of fuel ({0} units)")]
    OutOfFuel(u64),
    #[error("the response is over {limit} bytes")]
    ResponseTooLarge { limit: usize },
    /// Refused before it started: the host is as busy as this service, or
    /// this patient, may make it.
    #[error("too busy: {0}")]
    Busy(Busy),
    /// Stopped while running: the service suspended, the grant revoked.
    #[error("the invocation was interrupted: {0}")]
    Interrupted(Interruption),
    /// Any other trap: a panic, an out-of-bounds access, an abort.
    #[error("the component trapped: {0}")]
    Trap(String),
    /// The invocation's audit record could not be written: its response
    /// is withheld.
    #[error(transparent)]
    Unrecorded(#[from] RecordError),
}

impl InvokeError {
    /// The error's kind, as the audit record names it: never its detail,
    /// which may quote what the component did.
    pub fn kind(&self) -> &'static str {
        match self {
            InvokeError::Link(_) => "link",
            InvokeError::Deadline(_) => "deadline",
            InvokeError::Memory { .. } => "memory limit",
            InvokeError::StackOverflow => "stack overflow",
            InvokeError::OutOfFuel(_) => "fuel limit",
            InvokeError::ResponseTooLarge { .. } => "response too large",
            InvokeError::Busy(_) => "busy",
            InvokeError::Interrupted(Interruption::Stopped(_)) => "interrupted: listing changed",
            InvokeError::Interrupted(Interruption::GrantEnded) => "interrupted: grant ended",
            InvokeError::Trap(_) => "trap",
            InvokeError::Unrecorded(_) => "unrecorded",
        }
    }
}

/// The limiter's refusal: the guest asked for more memory than its cap.
/// Raised as the trap of its `memory.grow`, so that a component that keeps
/// allocating is stopped at once, with this reason.
#[derive(Debug, thiserror::Error)]
#[error("memory limit of {limit} bytes reached")]
struct MemoryRefused {
    limit: usize,
}

/// Elements a table may hold; instances, tables and memories a component
/// may create (a Rust component needs a few of each).
const TABLE_ELEMENTS: usize = 100_000;
const INSTANCES: usize = 16;
const TABLES: usize = 16;
const MEMORIES: usize = 4;

/// The per-invocation resource caps.
struct Caps {
    memory: usize,
}

impl ResourceLimiter for Caps {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory {
            return Err(MemoryRefused { limit: self.memory }.into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        INSTANCES
    }

    fn tables(&self) -> usize {
        TABLES
    }

    fn memories(&self) -> usize {
        MEMORIES
    }
}

/// Everything one invocation acts on: the patient's grant to the service
/// says whose data, which service, and what it may reach.
#[derive(Debug, Clone)]
pub struct CallContext {
    pub db: Db,
    pub service_name: String,
    pub grant: Arc<StoredGrant>,
    /// The service's own limits (its manifest's `[limits]`).
    pub limits: officine_registry::Limits,
}

impl CallContext {
    pub fn patient(&self) -> &PatientId {
        self.grant.grant.patient()
    }

    pub fn service(&self) -> &ServiceId {
        self.grant.grant.service()
    }

    /// The platform interfaces the grant opens; the others are linked to
    /// [`Denied`].
    pub fn interfaces(&self) -> Interfaces {
        Interfaces::granted(self.grant.grant.scopes())
    }
}

/// An invocation's id and the audit events its platform calls leave.
struct Recording {
    invocation: InvocationId,
    trail: Trail,
}

/// The per-invocation store data.
pub struct Invocation {
    wasi: WasiCtx,
    table: ResourceTable,
    platform: Platform,
    caps: Caps,
}

impl WasiView for Invocation {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

struct HasPlatform;

impl HasData for HasPlatform {
    type Data<'a> = &'a mut Platform;
}

struct HasDenied;

impl HasData for HasDenied {
    type Data<'a> = Denied<'a>;
}

fn denied(t: &mut Invocation) -> Denied<'_> {
    Denied(&mut t.platform)
}

struct HasTable;

impl HasData for HasTable {
    type Data<'a> = &'a mut ResourceTable;
}

/// The runtime: one engine per process, compiled components, and linked
/// instance templates ready to instantiate.
pub struct Runtime {
    engine: Engine,
    config: RuntimeConfig,
    cache: Option<ComponentCache>,
    pseudonyms: PseudonymKey,
    linkers: RwLock<HashMap<Interfaces, Arc<Linker<Invocation>>>>,
    templates: RwLock<HashMap<(ComponentDigest, Interfaces), ServicePre<Invocation>>>,
    inflight: InFlight,
    fairness: Fairness,
    enforcement: Enforcement,
    _ticker: EpochTicker,
}

impl Runtime {
    /// Builds the engine and starts its epoch ticker. With a cache,
    /// compiled components persist across restarts.
    pub fn new(
        config: RuntimeConfig,
        cache_dir: Option<&std::path::Path>,
    ) -> anyhow::Result<Runtime> {
        Runtime::build(config, cache_dir, Enforcement::On)
    }

    /// The same runtime without any of its limits — no deadline, memory
    /// cap, epoch checks, fuel, response cap, admission or kill switch — to
    /// measure what they cost. Benchmarks only: a build that serves has no
    /// such runtime.
    #[cfg(feature = "unlimited-for-benchmarks")]
    pub fn unlimited(config: RuntimeConfig) -> anyhow::Result<Runtime> {
        Runtime::build(config, None, Enforcement::Off)
    }

    fn build(
        config: RuntimeConfig,
        cache_dir: Option<&std::path::Path>,
        enforcement: Enforcement,
    ) -> anyhow::Result<Runtime> {
        let engine = build_engine_with(&config, enforcement)?;
        let cache = cache_dir
            .map(|dir| ComponentCache::open(dir, &engine))
            .transpose()?;
        let ticker = EpochTicker::start(engine.clone(), config.epoch_tick);
        Ok(Runtime {
            engine,
            fairness: Fairness::new(config.fairness),
            config,
            cache,
            pseudonyms: PseudonymKey::random(),
            linkers: RwLock::default(),
            templates: RwLock::default(),
            inflight: InFlight::default(),
            enforcement,
            _ticker: ticker,
        })
    }

    /// Sets the secret patients' pseudonyms are derived from. Until set, a
    /// random one: pseudonyms are then stable for this process only.
    pub fn set_pseudonym_key(&mut self, key: PseudonymKey) {
        self.pseudonyms = key;
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    pub fn cache(&self) -> Option<&ComponentCache> {
        self.cache.as_ref()
    }

    /// The invocations running now.
    pub fn inflight(&self) -> &InFlight {
        &self.inflight
    }

    /// Loads a component from its bytes: from the cache when it was compiled
    /// before, otherwise compiled and cached. Refused if it is not a
    /// component of the `service` world.
    pub fn load(&self, bytes: &[u8]) -> Result<LoadedComponent, LoadError> {
        component::check_bytes(bytes)?;
        let digest = ComponentDigest::of(bytes);
        let cached = match &self.cache {
            Some(cache) => match cache.lookup(&self.engine, &digest) {
                Lookup::Hit(component) => Some(component),
                Lookup::Miss => None,
            },
            None => None,
        };
        let (component, fresh) = match cached {
            Some(component) => (component, false),
            None => (component::compile(&self.engine, bytes)?, true),
        };
        component::check_world(&self.engine, &component)?;
        if fresh && let Some(cache) = &self.cache {
            // A cache failure costs a recompile next time, nothing more.
            if let Err(error) = cache.store(&digest, &component) {
                tracing::warn!(%error, "could not cache the compiled component");
            }
        }
        Ok(LoadedComponent {
            digest,
            component,
            from_cache: !fresh,
        })
    }

    /// Runs `request` through a fresh instance of `component` for one
    /// patient, under the patient's grant. The store, and with it every
    /// trace of this invocation's state, is dropped when the call ends,
    /// whatever the outcome. The request's `patient` is set here, to the
    /// service's pseudonym of the patient.
    ///
    /// What the invocation read, changed and was refused is on the audit
    /// record before this returns, whatever the outcome; if it cannot be
    /// recorded, the response is withheld ([`InvokeError::Unrecorded`]).
    pub async fn invoke(
        &self,
        component: &LoadedComponent,
        call: &CallContext,
        request: Request,
    ) -> Result<Response, InvokeError> {
        let recording = Recording {
            invocation: InvocationId::new(),
            trail: Trail::default(),
        };
        let result = self.invoke_once(component, call, request, &recording).await;
        let mut events = recording.trail.take();
        if let Err(error) = &result
            && !matches!(error, InvokeError::Busy(_) | InvokeError::Link(_))
        {
            // The invocation itself ended early: a limit, a trap, a stop.
            events.push(Event::by_component(
                call.service(),
                &component.digest,
                &GrantGuard::of(&call.grant),
                recording.invocation,
                "handler.handle",
                0,
                Outcome::Failed {
                    reason: error.kind().to_owned(),
                },
            ));
        }
        call.db.audit().record(events).await?;
        result
    }

    async fn invoke_once(
        &self,
        component: &LoadedComponent,
        call: &CallContext,
        mut request: Request,
        recording: &Recording,
    ) -> Result<Response, InvokeError> {
        request.patient = self.pseudonyms.pseudonym(call.service(), call.patient());
        let request = &request;
        if self.enforcement == Enforcement::Off {
            // Nothing but the instance and the call.
            let limits = Effective::of(&self.config, &call.limits);
            return self.run(component, call, request, &limits, recording).await;
        }
        let _admitted = self
            .fairness
            .admit(call.service(), call.patient())
            .map_err(InvokeError::Busy)?;
        let registration = self.inflight.register(Running {
            service: call.service().clone(),
            component: component.digest,
            patient: call.patient().clone(),
            grant: call.grant.grant.id().clone(),
            revision: call.grant.revision,
        });
        let limits = Effective::of(&self.config, &call.limits);
        let deadline = limits.deadline;
        let run = self.run(component, call, request, &limits, recording);
        // The epoch callback stops guest code at the deadline; this timeout
        // stops time spent awaiting the host (a slow storage call) as well.
        // An interruption drops the call wherever it is: guest code yields
        // every epoch tick, and platform calls are await points.
        let response = tokio::select! {
            biased;
            reason = registration.interrupted() => return Err(InvokeError::Interrupted(reason)),
            result = tokio::time::timeout(deadline, run) => match result {
                Ok(result) => result?,
                Err(_) => return Err(InvokeError::Deadline(deadline)),
            },
        };
        // Lifted from a memory capped at `memory_per_instance`: the copy is
        // bounded; what goes on to the client is bounded here.
        let limit = limits.response;
        if response_size(&response) > limit {
            return Err(InvokeError::ResponseTooLarge { limit });
        }
        Ok(response)
    }

    /// A fresh instance of `component` in a store of its own, and the call.
    async fn run(
        &self,
        component: &LoadedComponent,
        call: &CallContext,
        request: &Request,
        limits: &Effective,
        recording: &Recording,
    ) -> Result<Response, InvokeError> {
        let template = self.template(component, call.interfaces())?;
        let mut store = self.new_store(component, call, limits, recording);
        let instance = template
            .instantiate_async(&mut store)
            .await
            .map_err(|e| classify(e, limits))?;
        instance
            .officine_platform_handler()
            .call_handle(&mut store, request)
            .await
            .map_err(|e| classify(e, limits))
    }

    fn new_store(
        &self,
        component: &LoadedComponent,
        call: &CallContext,
        limits: &Effective,
        recording: &Recording,
    ) -> Store<Invocation> {
        let service: Arc<str> = Arc::from(call.service().as_str());
        let wasi = WasiCtx::builder()
            .stdout(LogOutput::new(service.clone(), Stream::Stdout))
            .stderr(LogOutput::new(service, Stream::Stderr))
            .build();
        let platform = Platform::new(
            call.db.clone(),
            call.service_name.clone(),
            component.digest,
            limits.platform,
            call.grant.clone(),
            recording.invocation,
            recording.trail.clone(),
        );
        let caps = Caps {
            memory: limits.memory,
        };
        let mut store = Store::new(
            &self.engine,
            Invocation {
                wasi,
                table: ResourceTable::new(),
                platform,
                caps,
            },
        );
        if self.enforcement == Enforcement::Off {
            return store;
        }
        store.limiter(|s| &mut s.caps);
        if let Some(fuel) = limits.fuel {
            store
                .set_fuel(fuel)
                .expect("fuel is enabled whenever it is configured");
        }
        let started = Instant::now();
        let until = started + limits.deadline;
        let mut pacer = self.fairness.pacer(started);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= until {
                Ok(UpdateDeadline::Interrupt)
            } else {
                // Let other tasks run on this worker, then carry on (in the
                // long-running lane once past its threshold).
                Ok(pacer.tick())
            }
        });
        store
    }

    /// The linked template for this component and interface set, built once.
    fn template(
        &self,
        component: &LoadedComponent,
        interfaces: Interfaces,
    ) -> Result<ServicePre<Invocation>, InvokeError> {
        let key = (component.digest, interfaces);
        if let Some(pre) = self
            .templates
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(pre.clone());
        }
        let linker = self
            .linker(interfaces)
            .map_err(|e| InvokeError::Link(format!("{e:#}")))?;
        let pre = linker
            .instantiate_pre(&component.component)
            .and_then(ServicePre::new)
            .map_err(|e| InvokeError::Link(format!("{e:#}")))?;
        self.templates
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, pre.clone());
        Ok(pre)
    }

    fn linker(&self, interfaces: Interfaces) -> wasmtime::Result<Arc<Linker<Invocation>>> {
        if let Some(linker) = self
            .linkers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&interfaces)
        {
            return Ok(linker.clone());
        }
        let linker = Arc::new(build_linker(&self.engine, interfaces)?);
        self.linkers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(interfaces, linker.clone());
        Ok(linker)
    }
}

/// Names the limit a trap comes from, if one does.
fn classify(error: wasmtime::Error, limits: &Effective) -> InvokeError {
    if error.is::<wasmtime::PoolConcurrencyLimitError>() {
        return InvokeError::Busy(Busy::Pool);
    }
    if let Some(refused) = error.downcast_ref::<MemoryRefused>() {
        return InvokeError::Memory {
            limit: refused.limit,
        };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => InvokeError::Deadline(limits.deadline),
        Some(Trap::StackOverflow) => InvokeError::StackOverflow,
        Some(Trap::OutOfFuel) => InvokeError::OutOfFuel(limits.fuel.unwrap_or_default()),
        _ => InvokeError::Trap(format!("{error:?}")),
    }
}

/// The bytes a response carries: its body and its headers.
fn response_size(response: &Response) -> usize {
    let headers: usize = response
        .headers
        .iter()
        .map(|(name, value)| name.len() + value.len())
        .sum();
    response.body.len() + headers
}

/// Links the WASI interfaces of the `service` world and every platform
/// interface — the granted ones to storage, the others to [`Denied`] —
/// and nothing else, so nothing else can be imported.
fn build_linker(engine: &Engine, interfaces: Interfaces) -> wasmtime::Result<Linker<Invocation>> {
    use wasmtime_wasi::cli::{WasiCli, WasiCliView};
    use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
    use wasmtime_wasi::p2::bindings::{cli, clocks, io, random};
    use wasmtime_wasi::random::{WasiRandom, WasiRandomView};

    let mut l = Linker::new(engine);
    io::error::add_to_linker::<_, HasTable>(&mut l, |t: &mut Invocation| &mut t.table)?;
    io::poll::add_to_linker::<_, HasTable>(&mut l, |t: &mut Invocation| &mut t.table)?;
    io::streams::add_to_linker::<_, HasTable>(&mut l, |t: &mut Invocation| &mut t.table)?;
    cli::environment::add_to_linker::<_, WasiCli>(&mut l, <Invocation as WasiCliView>::cli)?;
    cli::exit::add_to_linker::<_, WasiCli>(&mut l, <Invocation as WasiCliView>::cli)?;
    cli::stdin::add_to_linker::<_, WasiCli>(&mut l, <Invocation as WasiCliView>::cli)?;
    cli::stdout::add_to_linker::<_, WasiCli>(&mut l, <Invocation as WasiCliView>::cli)?;
    cli::stderr::add_to_linker::<_, WasiCli>(&mut l, <Invocation as WasiCliView>::cli)?;
    cli::terminal_input::add_to_linker::<_, WasiCli>(&mut l, <Invocation as WasiCliView>::cli)?;
    cli::terminal_output::add_to_linker::<_, WasiCli>(&mut l, <Invocation as WasiCliView>::cli)?;
    cli::terminal_stdin::add_to_linker::<_, WasiCli>(&mut l, <Invocation as WasiCliView>::cli)?;
    cli::terminal_stdout::add_to_linker::<_, WasiCli>(&mut l, <Invocation as WasiCliView>::cli)?;
    cli::terminal_stderr::add_to_linker::<_, WasiCli>(&mut l, <Invocation as WasiCliView>::cli)?;
    clocks::monotonic_clock::add_to_linker::<_, WasiClocks>(
        &mut l,
        <Invocation as WasiClocksView>::clocks,
    )?;
    clocks::wall_clock::add_to_linker::<_, WasiClocks>(
        &mut l,
        <Invocation as WasiClocksView>::clocks,
    )?;
    random::random::add_to_linker::<_, WasiRandom>(&mut l, <Invocation as WasiRandomView>::random)?;
    random::insecure::add_to_linker::<_, WasiRandom>(
        &mut l,
        <Invocation as WasiRandomView>::random,
    )?;
    random::insecure_seed::add_to_linker::<_, WasiRandom>(
        &mut l,
        <Invocation as WasiRandomView>::random,
    )?;

    fn platform(t: &mut Invocation) -> &mut Platform {
        &mut t.platform
    }
    bindings::types::add_to_linker::<_, HasPlatform>(&mut l, platform)?;
    bindings::log::add_to_linker::<_, HasPlatform>(&mut l, platform)?;
    for interface in Interface::ALL {
        let granted = interfaces.contains(interface);
        match (interface, granted) {
            (Interface::Measures, true) => {
                bindings::measures::add_to_linker::<_, HasPlatform>(&mut l, platform)?
            }
            (Interface::Measures, false) => {
                bindings::measures::add_to_linker::<_, HasDenied>(&mut l, denied)?
            }
            (Interface::Agenda, true) => {
                bindings::agenda::add_to_linker::<_, HasPlatform>(&mut l, platform)?
            }
            (Interface::Agenda, false) => {
                bindings::agenda::add_to_linker::<_, HasDenied>(&mut l, denied)?
            }
            (Interface::Dmp, true) => {
                bindings::dmp::add_to_linker::<_, HasPlatform>(&mut l, platform)?
            }
            (Interface::Dmp, false) => {
                bindings::dmp::add_to_linker::<_, HasDenied>(&mut l, denied)?
            }
            (Interface::Messaging, true) => {
                bindings::messaging::add_to_linker::<_, HasPlatform>(&mut l, platform)?
            }
            (Interface::Messaging, false) => {
                bindings::messaging::add_to_linker::<_, HasDenied>(&mut l, denied)?
            }
            (Interface::Storage, true) => {
                bindings::storage::add_to_linker::<_, HasPlatform>(&mut l, platform)?
            }
            (Interface::Storage, false) => {
                bindings::storage::add_to_linker::<_, HasDenied>(&mut l, denied)?
            }
        }
    }
    Ok(l)
}
