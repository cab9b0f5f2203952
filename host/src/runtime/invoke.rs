//! Running one request through one fresh instance.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::db::Db;
use crate::db::grants::StoredGrant;
use crate::model::{ComponentDigest, PatientId, ServiceId};
use crate::platform::{Denied, Interface, Interfaces, Platform, PlatformLimits};
use crate::pseudonym::PseudonymKey;
use crate::runtime::bindings::handler::{Request, Response};
use crate::runtime::bindings::{self, ServicePre};
use crate::runtime::cache::{ComponentCache, Lookup};
use crate::runtime::component::{self, LoadError, LoadedComponent};
use crate::runtime::engine::{EpochTicker, RuntimeConfig, build_engine};
use crate::runtime::output::{LogOutput, Stream};

/// Why an invocation did not produce a response.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("the component cannot be linked: {0}")]
    Link(String),
    #[error("the invocation exceeded its {0:?} deadline")]
    Deadline(Duration),
    #[error("the component trapped: {0}")]
    Trap(String),
}

/// Everything one invocation acts on: the patient's grant to the service
/// says whose data, which service, and what it may reach.
#[derive(Debug, Clone)]
pub struct CallContext {
    pub db: Db,
    pub service_name: String,
    pub grant: Arc<StoredGrant>,
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

/// The per-invocation store data.
pub struct Invocation {
    wasi: WasiCtx,
    table: ResourceTable,
    platform: Platform,
    limits: StoreLimits,
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
    type Data<'a> = Denied;
}

fn denied(_: &mut Invocation) -> Denied {
    Denied
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
    limits: PlatformLimits,
    cache: Option<ComponentCache>,
    pseudonyms: PseudonymKey,
    linkers: RwLock<HashMap<Interfaces, Arc<Linker<Invocation>>>>,
    templates: RwLock<HashMap<(ComponentDigest, Interfaces), ServicePre<Invocation>>>,
    _ticker: EpochTicker,
}

impl Runtime {
    /// Builds the engine and starts its epoch ticker. With a cache,
    /// compiled components persist across restarts.
    pub fn new(
        config: RuntimeConfig,
        cache_dir: Option<&std::path::Path>,
    ) -> anyhow::Result<Runtime> {
        let engine = build_engine(&config)?;
        let cache = cache_dir
            .map(|dir| ComponentCache::open(dir, &engine))
            .transpose()?;
        let ticker = EpochTicker::start(engine.clone(), config.epoch_tick);
        Ok(Runtime {
            engine,
            config,
            limits: PlatformLimits::default(),
            cache,
            pseudonyms: PseudonymKey::random(),
            linkers: RwLock::default(),
            templates: RwLock::default(),
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
    pub async fn invoke(
        &self,
        component: &LoadedComponent,
        call: &CallContext,
        mut request: Request,
    ) -> Result<Response, InvokeError> {
        request.patient = self.pseudonyms.pseudonym(call.service(), call.patient());
        let request = &request;
        let template = self.template(component, call.interfaces())?;
        let mut store = self.new_store(component, call);
        let deadline = self.config.deadline;
        let run = async {
            let instance = template
                .instantiate_async(&mut store)
                .await
                .map_err(|e| self.trap_or_deadline(e))?;
            instance
                .officine_platform_handler()
                .call_handle(&mut store, request)
                .await
                .map_err(|e| self.trap_or_deadline(e))
        };
        // The epoch callback stops guest code at the deadline; this timeout
        // stops time spent awaiting the host (a slow storage call) as well.
        match tokio::time::timeout(deadline, run).await {
            Ok(result) => result,
            Err(_) => Err(InvokeError::Deadline(deadline)),
        }
    }

    fn new_store(&self, component: &LoadedComponent, call: &CallContext) -> Store<Invocation> {
        let service: Arc<str> = Arc::from(call.service().as_str());
        let wasi = WasiCtx::builder()
            .stdout(LogOutput::new(service.clone(), Stream::Stdout))
            .stderr(LogOutput::new(service, Stream::Stderr))
            .build();
        let platform = Platform::new(
            call.db.clone(),
            call.service_name.clone(),
            component.digest,
            self.limits,
            call.grant.clone(),
        );
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.config.memory_per_instance)
            .instances(16)
            .tables(16)
            .memories(4)
            .trap_on_grow_failure(true)
            .build();
        let mut store = Store::new(
            &self.engine,
            Invocation {
                wasi,
                table: ResourceTable::new(),
                platform,
                limits,
            },
        );
        store.limiter(|s| &mut s.limits);
        let until = Instant::now() + self.config.deadline;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= until {
                Ok(UpdateDeadline::Interrupt)
            } else {
                // Let other tasks run on this worker, then carry on.
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }

    fn trap_or_deadline(&self, error: wasmtime::Error) -> InvokeError {
        match error.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => InvokeError::Deadline(self.config.deadline),
            _ => InvokeError::Trap(format!("{error:?}")),
        }
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
