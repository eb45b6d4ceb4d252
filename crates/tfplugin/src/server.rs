//! The `tfplugin6.Provider` gRPC service: converts between the generated protocol types and
//! the framework's values, schemas and diagnostics, and dispatches to resources by type name.
//!
//! Every RPC runs in its own task so that a panic becomes one "this is a bug" diagnostic
//! instead of a dead plugin, and every failure is a diagnostic, never a gRPC status.
//!
//! Terraform refreshes every object it imports right after the import, in the same process.
//! The import has just read the object, so that refresh is answered with the imported state
//! instead of reading it again: importing a tenant costs one read per object, not two.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tonic::{Request, Response, Status};

use super::diag::{AttrPath, Diagnostic, Diagnostics, PathStep, Severity};
use super::framework::{
    self, DataSource, EphemeralResource, ListResource, Managed, Obj, Provider, Resource, Scope,
};
use super::proto::tfplugin6 as pb;
use super::schema::{Attribute, Block, BlockNesting, Identity, Mode, Nesting, Schema};
use super::value::{self, Type, Value};

/// The provider service, shared by every connection of the plugin process.
pub struct ProviderService<P: Provider> {
    inner: Arc<Inner<P>>,
}

struct Inner<P: Provider> {
    provider: P,
    provider_schema: Schema,
    /// The provider's scope attribute, added to every type's schema.
    scope: Option<Scope>,
    resources: HashMap<&'static str, ResourceEntry<P::Client>>,
    data_sources: HashMap<&'static str, DataSourceEntry<P::Client>>,
    ephemerals: HashMap<&'static str, EphemeralEntry<P::Client>>,
    lists: HashMap<&'static str, ListEntry<P::Client>>,
    client: RwLock<Option<Arc<P::Client>>>,
    /// The provider block held values Terraform did not know yet, so it was not configured.
    waiting_for_config: AtomicBool,
    /// States just imported and not yet refreshed, by type and `id`.
    imported: Mutex<HashMap<(String, String), Value>>,
    /// Objects Terraform's state holds, as far as this run has seen, by type and `id`: each
    /// object it refreshed, or planned or applied a change to (a replacement is planned as an
    /// update, then as a create, and destroyed by an apply). A creation guard does not count
    /// them as duplicates.
    managed: Mutex<HashSet<(String, String)>>,
    /// RPC handlers still running, even if the RPC that started one was abandoned.
    in_flight: Arc<InFlight>,
}

/// Counts running RPC handlers, so that a plugin whose Terraform is gone can let the requests
/// it already sent finish (and be logged) before it exits.
#[derive(Default)]
struct InFlight {
    running: Mutex<usize>,
    idle: tokio::sync::Notify,
}

/// Held by a running handler; the count goes down when the handler ends, however it ends.
struct Running(Arc<InFlight>);

impl InFlight {
    fn start(self: &Arc<Self>) -> Running {
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        Running(self.clone())
    }

    fn count(&self) -> usize {
        *self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut running = self
            .0
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *running = running.saturating_sub(1);
        if *running == 0 {
            self.0.idle.notify_waiters();
        }
    }
}

/// What the plugin's server needs when Terraform goes away without stopping it: the way to
/// stop the provider's work and to wait for what is already running.
pub(crate) struct Stopper<P: Provider> {
    inner: Arc<Inner<P>>,
}

impl<P: Provider> Stopper<P> {
    /// As `StopProvider`: nothing new is sent to the remote API.
    pub(crate) fn stop(&self) {
        if let Some(client) = self.inner.client() {
            self.inner.provider.stop(&client);
        }
    }

    /// How many RPC handlers are still running.
    pub(crate) fn running(&self) -> usize {
        self.inner.in_flight.count()
    }

    /// Waits until no RPC handler runs.
    pub(crate) async fn idle(&self) {
        loop {
            let idle = self.inner.in_flight.idle.notified();
            if self.running() == 0 {
                return;
            }
            idle.await;
        }
    }
}

impl<P: Provider> ProviderService<P> {
    pub fn new(provider: P) -> ProviderService<P> {
        let scope = provider.scope();
        // The scope's attribute on every type: forcing replacement on resources, and an
        // optional part of their identity.
        let scoped = |mut schema: Schema, has_state: bool, resource: bool| {
            if let Some(sc) = &scope
                && !schema.unscoped
            {
                schema.attributes.push(sc.attribute(has_state, resource));
                if let Some(identity) = schema.identity.as_mut() {
                    identity.optional.push(sc.name);
                    identity.version = identity.version.max(sc.identity_version);
                }
            }
            schema
        };
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                let mut schema = r.schema();
                schema.identity.get_or_insert_with(Identity::of_id);
                (r.type_name(), (r, scoped(schema, true, true)))
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                let schema = scoped(d.schema(), true, false);
                (d.type_name(), (d, schema))
            })
            .collect();
        let ephemerals = provider
            .ephemeral_resources()
            .into_iter()
            .map(|e| {
                let schema = scoped(e.schema(), true, false);
                (e.type_name(), (e, schema))
            })
            .collect();
        let lists = provider
            .list_resources()
            .into_iter()
            .map(|l| {
                let schema = scoped(l.schema(), false, false);
                (l.type_name(), (l, schema))
            })
            .collect();
        let provider_schema = provider.schema();
        ProviderService {
            inner: Arc::new(Inner {
                provider,
                provider_schema,
                scope,
                resources,
                data_sources,
                ephemerals,
                lists,
                client: RwLock::new(None),
                waiting_for_config: AtomicBool::new(false),
                imported: Mutex::new(HashMap::new()),
                managed: Mutex::default(),
                in_flight: Arc::default(),
            }),
        }
    }

    pub(crate) fn stopper(&self) -> Stopper<P> {
        Stopper {
            inner: self.inner.clone(),
        }
    }

    /// Runs an RPC body in its own task, counted while it runs; a panic becomes a diagnostic.
    async fn guarded<R: WithDiagnostics>(
        &self,
        body: impl Future<Output = R> + Send + 'static,
    ) -> Result<Response<R>, Status> {
        let running = self.inner.in_flight.start();
        guarded(P::DISPLAY_NAME, async move {
            let _running = running;
            body.await
        })
        .await
    }

    /// Every schema, sorted by type name, for documentation generators and tests.
    pub fn schemas(&self) -> Schemas {
        let mut resources: Vec<_> = self
            .inner
            .resources
            .iter()
            .map(|(k, (_, s))| (*k, s.clone()))
            .collect();
        let mut data_sources: Vec<_> = self
            .inner
            .data_sources
            .iter()
            .map(|(k, (_, s))| (*k, s.clone()))
            .collect();
        let mut ephemeral_resources: Vec<_> = self
            .inner
            .ephemerals
            .iter()
            .map(|(k, (_, s))| (*k, s.clone()))
            .collect();
        let mut list_resources: Vec<_> = self
            .inner
            .lists
            .iter()
            .map(|(k, (_, s))| (*k, s.clone()))
            .collect();
        resources.sort_by_key(|(k, _)| *k);
        data_sources.sort_by_key(|(k, _)| *k);
        ephemeral_resources.sort_by_key(|(k, _)| *k);
        list_resources.sort_by_key(|(k, _)| *k);
        Schemas {
            provider: self.inner.provider_schema.clone(),
            resources,
            data_sources,
            ephemeral_resources,
            list_resources,
        }
    }
}

/// All schemas of a provider.
pub struct Schemas {
    pub provider: Schema,
    pub resources: Vec<(&'static str, Schema)>,
    pub data_sources: Vec<(&'static str, Schema)>,
    pub ephemeral_resources: Vec<(&'static str, Schema)>,
    /// List resources' `config` block schemas.
    pub list_resources: Vec<(&'static str, Schema)>,
}

/// Responses that can carry diagnostics, so a panic can be reported in any of them.
trait WithDiagnostics: Default + Send + 'static {
    fn diagnostics(&mut self) -> &mut Vec<pb::Diagnostic>;
}

macro_rules! with_diagnostics {
    ($($t:ty),* $(,)?) => {$(
        impl WithDiagnostics for $t {
            fn diagnostics(&mut self) -> &mut Vec<pb::Diagnostic> { &mut self.diagnostics }
        }
    )*};
}

with_diagnostics!(
    pb::get_metadata::Response,
    pb::get_resource_identity_schemas::Response,
    pb::get_functions::Response,
    pb::upgrade_resource_identity::Response,
    pb::move_resource_state::Response,
    pb::generate_resource_config::Response,
    pb::validate_ephemeral_resource_config::Response,
    pb::open_ephemeral_resource::Response,
    pb::renew_ephemeral_resource::Response,
    pb::close_ephemeral_resource::Response,
    pb::validate_list_resource_config::Response,
    pb::validate_state_store::Response,
    pb::configure_state_store::Response,
    pb::lock_state::Response,
    pb::unlock_state::Response,
    pb::get_states::Response,
    pb::delete_state::Response,
    pb::plan_action::Response,
    pb::validate_action_config::Response,
    pb::get_provider_schema::Response,
    pb::validate_provider_config::Response,
    pb::validate_resource_config::Response,
    pb::validate_data_resource_config::Response,
    pb::upgrade_resource_state::Response,
    pb::configure_provider::Response,
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::read_data_source::Response,
);

/// `new` with the schema's local attributes as `from` holds them ([`Attribute::local`]).
fn keep_local(schema: &Schema, mut new: Obj, from: &Obj) -> Obj {
    for a in schema.attributes.iter().filter(|a| a.local) {
        new.set(&a.name, from.get(&a.name).clone());
    }
    new
}

/// Runs an RPC body in its own task, which runs to its end even when Terraform abandons the
/// RPC; a panic becomes a diagnostic.
async fn guarded<R: WithDiagnostics>(
    provider: &'static str,
    body: impl Future<Output = R> + Send + 'static,
) -> Result<Response<R>, Status> {
    match tokio::spawn(body).await {
        Ok(r) => Ok(Response::new(r)),
        Err(err) => {
            tracing::error!(error = %err, "RPC handler panicked");
            let mut r = R::default();
            r.diagnostics().push(diag_to_proto(&Diagnostic::error(
                format!("Internal error in the {provider} provider"),
                "The provider hit a bug and could not finish this operation. Nothing else was \
                 affected; run the command again. Please report this with the output of \
                 TF_LOG_PROVIDER=debug.",
            )));
            Ok(Response::new(r))
        }
    }
}

/// The answer to an RPC for a feature this provider does not have (ephemeral resources,
/// list resources, state stores, actions, moves): a diagnostic, not a gRPC error.
fn unsupported<R: WithDiagnostics>(provider: &str, rpc: &str) -> R {
    let mut r = R::default();
    r.diagnostics().push(diag_to_proto(&Diagnostic::error(
        format!("Not supported by the {provider} provider"),
        format!("This provider does not implement {rpc}; no configuration should lead Terraform to call it."),
    )));
    r
}

/// Implements RPCs with [`unsupported`]. Written in the shape `async_trait` gives trait
/// methods, since the attribute does not see inside macro invocations.
macro_rules! unsupported_rpcs {
    ($($method:ident($module:ident) = $rpc:literal;)*) => {$(
        fn $method<'life0, 'async_trait>(
            &'life0 self,
            _: Request<pb::$module::Request>,
        ) -> std::pin::Pin<Box<dyn Future<Output = Result<Response<pb::$module::Response>, Status>> + Send + 'async_trait>>
        where
            'life0: 'async_trait,
            Self: 'async_trait,
        {
            Box::pin(async move { Ok(Response::new(unsupported(P::DISPLAY_NAME, $rpc))) })
        }
    )*};
}

fn put_diags(out: &mut Vec<pb::Diagnostic>, diags: &Diagnostics) {
    out.extend(diags.0.iter().map(diag_to_proto));
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    unsupported_rpcs! {
        move_resource_state(move_resource_state) = "MoveResourceState";
        generate_resource_config(generate_resource_config) = "GenerateResourceConfig";
        validate_state_store_config(validate_state_store) = "ValidateStateStoreConfig";
        configure_state_store(configure_state_store) = "ConfigureStateStore";
        lock_state(lock_state) = "LockState";
        unlock_state(unlock_state) = "UnlockState";
        get_states(get_states) = "GetStates";
        delete_state(delete_state) = "DeleteState";
        plan_action(plan_action) = "PlanAction";
        validate_action_config(validate_action_config) = "ValidateActionConfig";
    }

    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            pb::get_metadata::Response {
                server_capabilities: Some(server_capabilities()),
                resources: inner
                    .resources
                    .keys()
                    .map(|k| pb::get_metadata::ResourceMetadata {
                        type_name: k.to_string(),
                    })
                    .collect(),
                data_sources: inner
                    .data_sources
                    .keys()
                    .map(|k| pb::get_metadata::DataSourceMetadata {
                        type_name: k.to_string(),
                    })
                    .collect(),
                ephemeral_resources: inner
                    .ephemerals
                    .keys()
                    .map(|k| pb::get_metadata::EphemeralMetadata {
                        type_name: k.to_string(),
                    })
                    .collect(),
                list_resources: inner
                    .lists
                    .keys()
                    .map(|k| pb::get_metadata::ListResourceMetadata {
                        type_name: k.to_string(),
                    })
                    .collect(),
                ..Default::default()
            }
        })
        .await
    }

    /// Every resource's identity (Terraform 1.12+; older Terraform never asks).
    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            pb::get_resource_identity_schemas::Response {
                identity_schemas: inner
                    .resources
                    .iter()
                    .filter_map(|(k, (_, s))| Some((k.to_string(), identity_to_proto(s)?)))
                    .collect(),
                diagnostics: Vec::new(),
            }
        })
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::upgrade_resource_identity::Response::default();
            match inner.upgrade_identity(&req) {
                Ok(v) => resp.upgraded_identity = Some(identity_data(v)),
                Err(d) => resp.diagnostics.push(diag_to_proto(&d)),
            }
            resp
        })
        .await
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        Ok(Response::new(pb::call_function::Response {
            error: Some(pb::FunctionError {
                text: format!(
                    "The {} provider has no function {:?}.",
                    P::DISPLAY_NAME,
                    req.get_ref().name
                ),
                function_argument: None,
            }),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            pb::get_provider_schema::Response {
                provider: Some(schema_to_proto(&inner.provider_schema)),
                resource_schemas: inner
                    .resources
                    .iter()
                    .map(|(k, (_, s))| (k.to_string(), schema_to_proto(s)))
                    .collect(),
                data_source_schemas: inner
                    .data_sources
                    .iter()
                    .map(|(k, (_, s))| (k.to_string(), schema_to_proto(s)))
                    .collect(),
                ephemeral_resource_schemas: inner
                    .ephemerals
                    .iter()
                    .map(|(k, (_, s))| (k.to_string(), schema_to_proto(s)))
                    .collect(),
                list_resource_schemas: inner
                    .lists
                    .iter()
                    .map(|(k, (_, s))| (k.to_string(), schema_to_proto(s)))
                    .collect(),
                server_capabilities: Some(server_capabilities()),
                ..Default::default()
            }
        })
        .await
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let mut resp = pb::validate_provider_config::Response::default();
            let schema = &inner.provider_schema;
            let diags = validate_config(schema, req.get_ref().config.as_ref(), |c| {
                inner.provider.validate(c)
            });
            put_diags(&mut resp.diagnostics, &diags);
            resp
        })
        .await
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let mut resp = pb::configure_provider::Response::default();
            let req = req.into_inner();
            let config = match decode_obj(req.config.as_ref(), &inner.provider_schema) {
                Ok(c) => c,
                Err(d) => {
                    resp.diagnostics.push(diag_to_proto(&d));
                    return resp;
                }
            };
            // A provider block fed by what is not known yet (a resource still to be created,
            // an ephemeral value opened only at apply) is configured once Terraform knows it;
            // until then, planning what needs no remote works and the rest says why not.
            if config.clone().into_value().contains_unknown() {
                tracing::debug!("provider configuration not known yet; not configured");
                inner.waiting_for_config.store(true, Ordering::Relaxed);
                return resp;
            }
            match inner
                .provider
                .configure(&config, &req.terraform_version)
                .await
            {
                Ok(client) => {
                    if let Ok(mut slot) = inner.client.write() {
                        *slot = Some(Arc::new(client));
                    }
                }
                Err(diags) => put_diags(&mut resp.diagnostics, &diags),
            }
            resp
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::validate_resource_config::Response::default();
            let allowed = req
                .client_capabilities
                .as_ref()
                .is_some_and(|c| c.write_only_attributes_allowed);
            let diags = match inner.resource(&req.type_name) {
                Ok((r, schema)) => validate_config(schema, req.config.as_ref(), |c| {
                    let mut d = framework::check_write_only(schema, c, allowed);
                    d.extend(r.validate(c));
                    d
                }),
                Err(d) => d.into(),
            };
            put_diags(&mut resp.diagnostics, &diags);
            resp
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::validate_data_resource_config::Response::default();
            let diags = match inner.data_source(&req.type_name) {
                Ok((ds, schema)) => {
                    validate_config(schema, req.config.as_ref(), |c| ds.validate(c))
                }
                Err(d) => d.into(),
            };
            put_diags(&mut resp.diagnostics, &diags);
            resp
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::upgrade_resource_state::Response::default();
            match inner.upgrade(&req) {
                Ok(v) => resp.upgraded_state = Some(v),
                Err(d) => resp.diagnostics.push(diag_to_proto(&d)),
            }
            resp
        })
        .await
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::read_resource::Response {
                private: req.private.clone(),
                ..Default::default()
            };
            match inner.read(&req).await {
                Ok((state, identity)) => {
                    resp.new_state = Some(state);
                    resp.new_identity = identity;
                }
                Err(diags) => {
                    put_diags(&mut resp.diagnostics, &diags);
                    resp.new_state = req.current_state;
                    resp.new_identity = req.current_identity;
                }
            }
            resp
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::plan_resource_change::Response::default();
            match inner.plan(&req).await {
                Ok((planned, replace, identity)) => {
                    resp.planned_state = Some(planned);
                    resp.requires_replace = replace.iter().map(path_to_proto).collect();
                    resp.planned_private = req.prior_private;
                    resp.planned_identity = identity;
                }
                Err(diags) => put_diags(&mut resp.diagnostics, &diags),
            }
            resp
        })
        .await
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::apply_resource_change::Response::default();
            let (state, identity, diags) = inner.apply(&req).await;
            resp.new_state = state;
            resp.new_identity = identity;
            put_diags(&mut resp.diagnostics, &diags);
            resp
        })
        .await
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::import_resource_state::Response::default();
            match inner.import(&req).await {
                Ok((state, identity)) => {
                    resp.imported_resources
                        .push(pb::import_resource_state::ImportedResource {
                            type_name: req.type_name,
                            state: Some(state),
                            identity,
                            ..Default::default()
                        })
                }
                Err(diags) => put_diags(&mut resp.diagnostics, &diags),
            }
            resp
        })
        .await
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::read_data_source::Response::default();
            match inner.read_data(&req).await {
                Ok(state) => resp.state = Some(state),
                Err(diags) => put_diags(&mut resp.diagnostics, &diags),
            }
            resp
        })
        .await
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::validate_ephemeral_resource_config::Response::default();
            let diags = match inner.ephemeral(&req.type_name) {
                Ok((e, schema)) => validate_config(schema, req.config.as_ref(), |c| e.validate(c)),
                Err(d) => d.into(),
            };
            put_diags(&mut resp.diagnostics, &diags);
            resp
        })
        .await
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::open_ephemeral_resource::Response::default();
            match inner.open(&req).await {
                Ok(result) => resp.result = Some(result),
                Err(diags) => put_diags(&mut resp.diagnostics, &diags),
            }
            resp
        })
        .await
    }

    /// Nothing this provider opens asks to be renewed (no `renew_at`), so Terraform does not
    /// call this; answered without a new `renew_at` should it.
    async fn renew_ephemeral_resource(
        &self,
        _: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    /// Terraform closes every instance it opened; nothing is held open, so nothing is done.
    async fn close_ephemeral_resource(
        &self,
        _: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        Ok(Response::new(Default::default()))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let inner = self.inner.clone();
        self.guarded(async move {
            let req = req.into_inner();
            let mut resp = pb::validate_list_resource_config::Response::default();
            let diags = match inner.list_entry(&req.type_name) {
                Ok((l, schema)) => validate_config(schema, req.config.as_ref(), |c| l.validate(c)),
                Err(d) => d.into(),
            };
            put_diags(&mut resp.diagnostics, &diags);
            resp
        })
        .await
    }

    /// Streams what the list resource finds, one event per object (with its identity, and
    /// its state when asked), or one event with the diagnostics that stopped it.
    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Result<Response<ListStream>, Status> {
        let inner = self.inner.clone();
        let events = self
            .guarded(async move { ListEvents(inner.list(&req.into_inner()).await) })
            .await?
            .into_inner()
            .0;
        let stream = tokio_stream::iter(events.into_iter().map(Ok));
        Ok(Response::new(Box::pin(stream)))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        self.stopper().stop();
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}

fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        ..Default::default()
    }
}

type ResourceEntry<C> = (Box<dyn Resource<C>>, Schema);
type DataSourceEntry<C> = (Box<dyn DataSource<C>>, Schema);
type EphemeralEntry<C> = (Box<dyn EphemeralResource<C>>, Schema);
type ListEntry<C> = (Box<dyn ListResource<C>>, Schema);

impl<P: Provider> Inner<P> {
    fn resource(&self, type_name: &str) -> Result<&ResourceEntry<P::Client>, Diagnostic> {
        self.resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown resource type",
                format!("This provider has no resource type {type_name:?}."),
            )
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&DataSourceEntry<P::Client>, Diagnostic> {
        self.data_sources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source",
                format!("This provider has no data source {type_name:?}."),
            )
        })
    }

    fn ephemeral(&self, type_name: &str) -> Result<&EphemeralEntry<P::Client>, Diagnostic> {
        self.ephemerals.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown ephemeral resource",
                format!("This provider has no ephemeral resource type {type_name:?}."),
            )
        })
    }

    fn list_entry(&self, type_name: &str) -> Result<&ListEntry<P::Client>, Diagnostic> {
        self.lists.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown list resource",
                format!("This provider has no list resource type {type_name:?}."),
            )
        })
    }

    /// The events of one `ListResource` call: at most `limit`, each object's identity from
    /// its resource's schema (as every other RPC gives it), its state only when asked.
    async fn list(&self, req: &pb::list_resource::Request) -> Vec<pb::list_resource::Event> {
        let failed = |diags: &Diagnostics| {
            let mut event = pb::list_resource::Event::default();
            put_diags(&mut event.diagnostic, diags);
            vec![event]
        };
        let limit = usize::try_from(req.limit.max(0)).unwrap_or(usize::MAX);
        let found = async {
            let (l, config_schema) = self.list_entry(&req.type_name)?;
            let (_, schema) = self.resource(&req.type_name)?;
            let config = decode_obj(req.config.as_ref(), config_schema)?;
            let (client, scope) = self.config_client(schema, &config).await?;
            let found = l.list(&client, &config, limit).await?;
            let found: Vec<_> = found
                .into_iter()
                .map(|f| framework::Found {
                    state: self.with_scope(schema, f.state, scope.clone()),
                    ..f
                })
                .collect();
            Ok::<_, Diagnostics>((schema, found))
        };
        let (schema, found) = match found.await {
            Ok(f) => f,
            Err(diags) => return failed(&diags),
        };
        let mut events = Vec::new();
        for f in found.into_iter().take(limit) {
            let state = framework::without_write_only(schema, f.state).into_value();
            let object = if req.include_resource_object {
                match encode_checked(P::DISPLAY_NAME, &state, schema) {
                    Ok(dv) => Some(dv),
                    Err(d) => return failed(&d.into()),
                }
            } else {
                None
            };
            events.push(pb::list_resource::Event {
                identity: identity_of(schema, &state),
                display_name: f.display_name,
                resource_object: object,
                diagnostic: Vec::new(),
            });
        }
        events
    }

    fn client(&self) -> Option<Arc<P::Client>> {
        self.client.read().ok().and_then(|c| c.clone())
    }

    fn configured(&self) -> Result<Arc<P::Client>, Diagnostic> {
        self.client().ok_or_else(|| {
            if self.waiting_for_config.load(Ordering::Relaxed) {
                return Diagnostic::error(
                    "Provider configuration not known yet",
                    "This provider block uses values Terraform learns only during apply (from an \
                     object this configuration creates, or an ephemeral value that depends on \
                     one), so nothing can be read through it while planning. Give a data source \
                     read through it `depends_on` naming the objects those values come from: \
                     Terraform then reads it during apply. Objects already in state are read \
                     once the values are known (apply the objects they come from first, e.g. \
                     with `-target`).",
                );
            }
            Diagnostic::error(
                "Provider not configured",
                "The provider configuration was not accepted or depends on values that are not known \
                 yet. Fix the provider block (see the errors above, if any) and run again.",
            )
        })
    }

    /// The scope `obj` names, if the provider has one and the value is known.
    fn scope_in(&self, schema: &Schema, obj: &Obj) -> Option<String> {
        self.scope_of(schema)
            .and_then(|sc| obj.str(sc.name))
            .map(str::to_owned)
    }

    /// The provider's scope, if `schema`'s type is within it.
    fn scope_of(&self, schema: &Schema) -> Option<&Scope> {
        self.scope.as_ref().filter(|_| !schema.unscoped)
    }

    /// The provider's default scope, once it is configured.
    fn default_scope(&self) -> Option<String> {
        self.client().and_then(|c| self.provider.default_scope(&c))
    }

    /// The client for a call of a `schema` type in `scope`: the one the provider gives for
    /// it, or for its default when none is named; an unscoped type's, the provider's own.
    async fn client_in(
        &self,
        schema: &Schema,
        scope: Option<&str>,
    ) -> Result<Arc<P::Client>, Diagnostics> {
        let base = self.configured()?;
        if self.scope.is_none() || schema.unscoped {
            return Ok(base);
        }
        let chosen = scope
            .map(str::to_owned)
            .or_else(|| self.provider.default_scope(&base));
        self.provider.scoped(&base, chosen.as_deref()).await
    }

    /// `obj` with the scope set to `value` (what a type's own code never sets).
    fn with_scope(&self, schema: &Schema, mut obj: Obj, value: Value) -> Obj {
        if let Some(sc) = self.scope_of(schema) {
            obj.set(sc.name, value);
        }
        obj
    }

    /// A known scope `value` as a state holds it.
    fn scope_value(value: Option<String>) -> Value {
        value.map_or(Value::Null, Value::from)
    }

    fn upgrade(
        &self,
        req: &pb::upgrade_resource_state::Request,
    ) -> Result<pb::DynamicValue, Diagnostic> {
        let (_, schema) = self.resource(&req.type_name)?;
        if req.version > schema.version {
            return Err(Diagnostic::error(
                "State written by a newer provider",
                format!(
                    "This {} state has schema version {}, but this provider understands up to {}. \
                     Upgrade the provider.",
                    req.type_name, req.version, schema.version
                ),
            ));
        }
        let raw = req
            .raw_state
            .as_ref()
            .map(|r| r.json.as_slice())
            .unwrap_or_default();
        if raw.is_empty() {
            return Err(Diagnostic::error(
                "Unsupported state format",
                "The stored state has no JSON form (flatmap state from Terraform 0.11 is not supported).",
            ));
        }
        let json: serde_json::Value = serde_json::from_slice(raw).map_err(|e| {
            Diagnostic::error(
                "Corrupt state",
                format!("The stored state is not JSON: {e}"),
            )
        })?;
        let ty = schema.object_type();
        let value = value::from_json(&json, &ty).map_err(|e| {
            Diagnostic::error(
                "Corrupt state",
                format!("The stored state does not fit the schema: {e}"),
            )
        })?;
        Ok(encode(&value, &ty))
    }

    /// Identities, stored by an older version of this provider, in the current one: this
    /// first version of each only checks that the stored one fits it.
    fn upgrade_identity(
        &self,
        req: &pb::upgrade_resource_identity::Request,
    ) -> Result<pb::DynamicValue, Diagnostic> {
        let (_, schema) = self.resource(&req.type_name)?;
        let identity = schema_identity(schema);
        if req.version > identity.version {
            return Err(Diagnostic::error(
                "Identity written by a newer provider",
                format!(
                    "This {} identity has version {}, but this provider understands up to {}. \
                     Upgrade the provider.",
                    req.type_name, req.version, identity.version
                ),
            ));
        }
        let raw = req
            .raw_identity
            .as_ref()
            .map(|r| r.json.as_slice())
            .unwrap_or_default();
        let corrupt = |why: String| {
            Diagnostic::error(
                "Corrupt resource identity",
                format!("The stored identity of this {} {why}.", req.type_name),
            )
        };
        let mut json: serde_json::Value =
            serde_json::from_slice(raw).map_err(|e| corrupt(format!("is not JSON: {e}")))?;
        // Optional attributes added since (the scope) are null in identities stored before.
        if let serde_json::Value::Object(given) = &mut json {
            for a in &identity.optional {
                given.entry(*a).or_insert(serde_json::Value::Null);
            }
        }
        let ty = identity.object_type(schema);
        let value = value::from_json(&json, &ty)
            .map_err(|e| corrupt(format!("does not fit its identity schema: {e}")))?;
        let complete = Obj::from_value(value.clone()).is_some_and(|given| {
            identity
                .attributes
                .iter()
                .all(|a| given.str(a).is_some_and(|v| !v.is_empty()))
        });
        if !complete {
            return Err(corrupt(format!(
                "lacks one of {}",
                identity.attributes.join(", ")
            )));
        }
        Ok(encode(&value, &ty))
    }

    async fn read(
        &self,
        req: &pb::read_resource::Request,
    ) -> Result<(pb::DynamicValue, Option<pb::ResourceIdentityData>), Diagnostics> {
        let (r, schema) = self.resource(&req.type_name)?;
        self.configured()?;
        let state = decode_obj(req.current_state.as_ref(), schema)?;
        self.note_managed(&req.type_name, Some(&state));
        if let Some(imported) = self.just_imported(&req.type_name, &state) {
            let identity = identity_of(schema, &imported);
            return Ok((encode(&imported, &schema.object_type()), identity));
        }
        let scope = self.scope_in(schema, &state);
        let client = self.client_in(schema, scope.as_deref()).await?;
        let new = r.read(&client, &state).await?;
        let value = new.map_or(Value::Null, |n| {
            let n = self.with_scope(schema, n, Self::scope_value(scope));
            framework::without_write_only(schema, keep_local(schema, n, &state)).into_value()
        });
        let identity = identity_of(schema, &value);
        Ok((encode_checked(P::DISPLAY_NAME, &value, schema)?, identity))
    }

    async fn plan(&self, req: &pb::plan_resource_change::Request) -> Result<Planned, Diagnostics> {
        let (r, schema) = self.resource(&req.type_name)?;
        let ty = schema.object_type();
        let proposed = decode(req.proposed_new_state.as_ref(), &ty)?;
        let prior = decode(req.prior_state.as_ref(), &ty)?;
        let config = decode(req.config.as_ref(), &ty)?;
        let Some(proposed) = Obj::from_value(proposed) else {
            return Ok((encode(&Value::Null, &ty), Vec::new(), None)); // destroy
        };
        let config = Obj::from_value(config).unwrap_or_default();
        let prior = Obj::from_value(prior);
        self.note_managed(&req.type_name, prior.as_ref());
        let mut p = framework::plan(schema, prior.as_ref(), proposed, &config);
        let scope = self.plan_scope(schema, prior.as_ref(), &config, &mut p);
        // The resource's own checks see the configured write-only values; the plan sent back
        // never holds them.
        p.planned = framework::with_write_only(schema, p.planned, &config);
        let mut diags = r.modify_plan(prior.as_ref(), &mut p.planned);
        // A creation guard asks the remote, in the scope the object will be made in (not yet
        // known when it comes from an object this apply makes).
        if prior.is_none()
            && !diags.has_errors()
            && self.client().is_some()
            && let Some(scope) = scope
        {
            match self.client_in(schema, scope.as_deref()).await {
                Ok(client) => {
                    let managed = |id: &str| {
                        self.managed_lock()
                            .contains(&(req.type_name.clone(), id.to_owned()))
                    };
                    diags.extend(r.check_create(&client, &p.planned, Managed(&managed)).await);
                }
                Err(d) => diags.extend(d),
            }
        }
        if diags.has_errors() {
            return Err(diags);
        }
        let planned = framework::without_write_only(schema, p.planned).into_value();
        let identity = identity_of(schema, &planned);
        Ok((encode(&planned, &ty), p.requires_replace, identity))
    }

    /// Plans the scope: the configured one, else the prior state's, else (for an object not
    /// made yet) the provider's default; a known change replaces the object. `Some(scope)`
    /// once known (`Some(None)`: the provider's own), `None` while unknown.
    fn plan_scope(
        &self,
        schema: &Schema,
        prior: Option<&Obj>,
        config: &Obj,
        p: &mut framework::Plan,
    ) -> Option<Option<String>> {
        let Some(sc) = self.scope_of(schema) else {
            return Some(None);
        };
        let configured = config.get(sc.name);
        let known_default = self.client().is_some();
        let value = match (configured, prior.map(|p| p.get(sc.name))) {
            (Value::Unknown, _) => Value::Unknown,
            (Value::Null, Some(kept)) if kept.is_null() || !known_default => kept.clone(),
            // Not configured: where the provider points now (a change moves the object).
            (Value::Null, _) if known_default => Self::scope_value(self.default_scope()),
            (Value::Null, _) => Value::Unknown,
            (given, _) => given.clone(),
        };
        let path = AttrPath::root(sc.name);
        p.requires_replace.retain(|r| r != &path);
        if let Some(prior) = prior
            && !prior.get(sc.name).is_null()
            && !value.is_unknown()
            && &value != prior.get(sc.name)
        {
            p.requires_replace.push(path);
        }
        p.planned.set(sc.name, value.clone());
        match value {
            Value::Unknown => None,
            Value::String(s) => Some(Some(s)),
            _ => Some(None),
        }
    }

    /// The new state, its identity (the prior one's when nothing changed) and what went wrong.
    async fn apply(
        &self,
        req: &pb::apply_resource_change::Request,
    ) -> (
        Option<pb::DynamicValue>,
        Option<pb::ResourceIdentityData>,
        Diagnostics,
    ) {
        let (state, diags) = self.apply_state(req).await;
        let identity = self.resource(&req.type_name).ok().and_then(|(_, schema)| {
            let value = decode(state.as_ref(), &schema.object_type()).ok()?;
            identity_of(schema, &value)
        });
        (state, identity, diags)
    }

    async fn apply_state(
        &self,
        req: &pb::apply_resource_change::Request,
    ) -> (Option<pb::DynamicValue>, Diagnostics) {
        let prior_dv = req.prior_state.clone();
        let entry = match self.resource(&req.type_name) {
            Ok(e) => e,
            Err(d) => return (prior_dv, d.into()),
        };
        let (r, schema) = entry;
        let ty = schema.object_type();
        if let Err(d) = self.configured() {
            return (prior_dv, d.into());
        }
        let decoded = decode(req.prior_state.as_ref(), &ty).and_then(|p| {
            let n = decode(req.planned_state.as_ref(), &ty)?;
            Ok((p, n, decode(req.config.as_ref(), &ty)?))
        });
        let (prior, mut planned, config) = match decoded {
            Ok((p, n, c)) => (
                Obj::from_value(p),
                Obj::from_value(n),
                Obj::from_value(c).unwrap_or_default(),
            ),
            Err(d) => return (prior_dv, d.into()),
        };
        // Where the change happens: as planned, or (learnt only now) as configured, else the
        // provider's default; a deletion where the object is.
        let scope = match (&planned, &prior) {
            (Some(plan), _) => {
                let known = self
                    .scope_of(schema)
                    .and_then(|sc| match plan.get(sc.name) {
                        Value::Unknown => Some(
                            self.scope_in(schema, &config)
                                .or_else(|| self.default_scope()),
                        ),
                        _ => None,
                    });
                match known {
                    Some(value) => {
                        let value = Self::scope_value(value);
                        planned = planned.map(|p| self.with_scope(schema, p, value));
                        planned.as_ref().and_then(|p| self.scope_in(schema, p))
                    }
                    None => self.scope_in(schema, plan),
                }
            }
            (None, Some(prior)) => self.scope_in(schema, prior),
            (None, None) => None,
        };
        let client = match self.client_in(schema, scope.as_deref()).await {
            Ok(c) => c,
            Err(d) => return (prior_dv, d),
        };
        self.note_managed(&req.type_name, prior.as_ref());
        let outcome = match (&prior, &planned) {
            (Some(prior), None) => {
                return match r.delete(&client, prior).await {
                    Ok(()) => (Some(encode(&Value::Null, &ty)), Diagnostics::default()),
                    Err(d) => (prior_dv, d),
                };
            }
            (None, Some(plan)) => {
                let plan = framework::with_write_only(schema, plan.clone(), &config);
                r.create(&client, &plan).await
            }
            (Some(prior), Some(plan)) => {
                let plan = framework::with_write_only(schema, plan.clone(), &config);
                r.update(&client, prior, &plan).await
            }
            (None, None) => return (Some(encode(&Value::Null, &ty)), Diagnostics::default()),
        };
        let planned = planned.unwrap_or_default();
        // What the service keeps, not the resource: local settings and the scope, as planned.
        let kept = |state: Obj| {
            let state = self.with_scope(schema, state, Self::scope_value(scope.clone()));
            framework::without_write_only(schema, keep_local(schema, state, &planned))
        };
        match outcome {
            Ok(state) => {
                let state = kept(state);
                match encode_checked(P::DISPLAY_NAME, &state.into_value(), schema) {
                    Ok(dv) => (Some(dv), Diagnostics::default()),
                    Err(d) => (prior_dv, d.into()),
                }
            }
            Err(failed) => {
                let state = match failed.partial {
                    Some(p) => encode_checked(P::DISPLAY_NAME, &kept(p).into_value(), schema).ok(),
                    None => prior_dv,
                };
                (state, failed.diags)
            }
        }
    }

    /// An import by ID, or (Terraform 1.12+) by identity: its values joined into the ID.
    async fn import(
        &self,
        req: &pb::import_resource_state::Request,
    ) -> Result<(pb::DynamicValue, Option<pb::ResourceIdentityData>), Diagnostics> {
        let (r, schema) = self.resource(&req.type_name)?;
        // The scope comes with the ID (`split_import_id`) or the identity, else the default.
        let (import_id, scope) = match req.identity.as_ref().and_then(|i| i.identity_data.as_ref())
        {
            Some(given) => import_id_of(&req.type_name, schema, given, self.scope_of(schema))?,
            None => match self.scope_of(schema) {
                Some(sc) => {
                    let (id, scope) = (sc.split_import_id)(&req.id);
                    (id.to_owned(), scope.map(str::to_owned))
                }
                None => (req.id.clone(), None),
            },
        };
        let base = self.configured()?;
        let scope = scope.or_else(|| self.provider.default_scope(&base));
        let client = self.client_in(schema, scope.as_deref()).await?;
        let state = r.import(&client, &import_id).await?;
        let state = framework::without_write_only(
            schema,
            self.with_scope(schema, state, Self::scope_value(scope)),
        );
        let id = state.str(framework::ID).map(str::to_owned);
        let value = state.into_value();
        let encoded = encode_checked(P::DISPLAY_NAME, &value, schema)?;
        let identity = identity_of(schema, &value);
        if let Some(id) = id {
            self.imported_lock()
                .insert((req.type_name.clone(), id), value);
        }
        Ok((encoded, identity))
    }

    /// Terraform's state holds `state` (see `managed`).
    fn note_managed(&self, type_name: &str, state: Option<&Obj>) {
        if let Some(id) = state.and_then(|s| s.str(framework::ID)) {
            self.managed_lock()
                .insert((type_name.to_owned(), id.to_owned()));
        }
    }

    fn managed_lock(&self) -> std::sync::MutexGuard<'_, HashSet<(String, String)>> {
        self.managed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn imported_lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Value>> {
        self.imported.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state an import of this object just returned, once, if `state` is still exactly
    /// it (Terraform's refresh right after the import).
    fn just_imported(&self, type_name: &str, state: &Obj) -> Option<Value> {
        let id = state.str(framework::ID)?;
        let mut imported = self.imported_lock();
        let key = (type_name.to_owned(), id.to_owned());
        let value = imported.remove(&key)?;
        (value == state.clone().into_value()).then_some(value)
    }

    async fn open(
        &self,
        req: &pb::open_ephemeral_resource::Request,
    ) -> Result<pb::DynamicValue, Diagnostics> {
        let (e, schema) = self.ephemeral(&req.type_name)?;
        let config = decode_obj(req.config.as_ref(), schema)?;
        let (client, scope) = self.config_client(schema, &config).await?;
        let result = e.open(&client, &config).await?;
        Ok(encode_checked(
            P::DISPLAY_NAME,
            &self
                .with_scope(schema, config.merged(result), scope)
                .into_value(),
            schema,
        )?)
    }

    async fn read_data(
        &self,
        req: &pb::read_data_source::Request,
    ) -> Result<pb::DynamicValue, Diagnostics> {
        let (ds, schema) = self.data_source(&req.type_name)?;
        let config = decode_obj(req.config.as_ref(), schema)?;
        let (client, scope) = self.config_client(schema, &config).await?;
        let state = ds.read(&client, &config).await?;
        Ok(encode_checked(
            P::DISPLAY_NAME,
            &self.with_scope(schema, state, scope).into_value(),
            schema,
        )?)
    }

    /// The client for what a configuration alone decides (a data source, an ephemeral or
    /// list resource), and the scope it acts in, as the result shows it.
    async fn config_client(
        &self,
        schema: &Schema,
        config: &Obj,
    ) -> Result<(Arc<P::Client>, Value), Diagnostics> {
        let base = self.configured()?;
        let scope = self
            .scope_in(schema, config)
            .or_else(|| self.provider.default_scope(&base));
        let client = self.client_in(schema, scope.as_deref()).await?;
        Ok((client, Self::scope_value(scope)))
    }
}

/// What `ListResource` streams.
type ListStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::list_resource::Event, Status>> + Send>,
>;

/// A list's events, as a guarded RPC body returns them: a panic becomes one event with the
/// diagnostic.
#[derive(Default)]
struct ListEvents(Vec<pb::list_resource::Event>);

impl WithDiagnostics for ListEvents {
    fn diagnostics(&mut self) -> &mut Vec<pb::Diagnostic> {
        if self.0.is_empty() {
            self.0.push(pb::list_resource::Event::default());
        }
        &mut self.0[0].diagnostic
    }
}

/// A planned state, the paths whose change replaces the object, and its planned identity.
type Planned = (
    pb::DynamicValue,
    Vec<AttrPath>,
    Option<pb::ResourceIdentityData>,
);

/// A resource schema's identity; the service gives every resource one.
fn schema_identity(schema: &Schema) -> Identity {
    schema.identity.clone().unwrap_or_else(Identity::of_id)
}

/// The identity of `state` (no identity for no object): its identity attributes, as they are
/// (unknown in the plan of an object not created yet).
fn identity_of(schema: &Schema, state: &Value) -> Option<pb::ResourceIdentityData> {
    let Value::Object(attrs) = state else {
        return None;
    };
    let identity = schema_identity(schema);
    let value = Value::Object(
        identity
            .all()
            .map(|a| (a.to_owned(), attrs.get(a).cloned().unwrap_or(Value::Null)))
            .collect(),
    );
    Some(identity_data(encode(&value, &identity.object_type(schema))))
}

fn identity_data(dv: pb::DynamicValue) -> pb::ResourceIdentityData {
    pb::ResourceIdentityData {
        identity_data: Some(dv),
    }
}

/// The import ID an identity given to import stands for: its values, in order, joined by `/`.
/// With a scope, also the scope the identity names.
fn import_id_of(
    type_name: &str,
    schema: &Schema,
    given: &pb::DynamicValue,
    scope: Option<&Scope>,
) -> Result<(String, Option<String>), Diagnostic> {
    let identity = schema_identity(schema);
    let given =
        Obj::from_value(decode(Some(given), &identity.object_type(schema))?).unwrap_or_default();
    let example = identity
        .attributes
        .iter()
        .map(|a| format!("{a} = \"…\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut parts = Vec::new();
    for &a in &identity.attributes {
        match given.str(a).map(str::trim) {
            Some(v) if !v.is_empty() && !v.contains('/') => parts.push(v.to_owned()),
            _ => {
                return Err(Diagnostic::error(
                    "Invalid import identity",
                    format!(
                        "Importing a {type_name} by identity needs its {}, each a non-empty \
                         ID without `/`: `identity = {{ {example} }}`.",
                        identity.attributes.join(" and "),
                    ),
                ));
            }
        }
    }
    let scope = scope
        .and_then(|sc| given.str(sc.name))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    Ok((parts.join("/"), scope))
}

/// A resource schema's identity as Terraform reads it; `None` for a schema without one.
fn identity_to_proto(schema: &Schema) -> Option<pb::ResourceIdentitySchema> {
    let identity = schema.identity.as_ref()?;
    let Type::Object(types) = identity.object_type(schema) else {
        return None;
    };
    Some(pb::ResourceIdentitySchema {
        version: identity.version,
        identity_attributes: identity
            .all()
            .map(|name| pb::resource_identity_schema::IdentityAttribute {
                name: name.to_owned(),
                r#type: types
                    .get(name)
                    .map(|t| t.to_json().to_string().into_bytes())
                    .unwrap_or_default(),
                required_for_import: identity.attributes.contains(&name),
                optional_for_import: identity.optional.contains(&name),
                description: schema
                    .attribute(name)
                    .map(|a| a.description.clone())
                    .unwrap_or_default(),
            })
            .collect(),
    })
}

fn decode(dv: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, Diagnostic> {
    let bad = |e: value::CodecError| {
        Diagnostic::error(
            "Unreadable value from Terraform",
            format!("The provider could not decode a value: {e}"),
        )
    };
    match dv {
        None => Ok(Value::Null),
        Some(dv) if !dv.msgpack.is_empty() => value::from_msgpack(&dv.msgpack, ty).map_err(bad),
        Some(dv) if !dv.json.is_empty() => {
            let json: serde_json::Value = serde_json::from_slice(&dv.json).map_err(|e| {
                bad(value::CodecError {
                    message: e.to_string(),
                })
            })?;
            value::from_json(&json, ty).map_err(bad)
        }
        Some(_) => Ok(Value::Null),
    }
}

/// Attribute validators, then the type's own checks, on a configuration.
fn validate_config(
    schema: &Schema,
    config: Option<&pb::DynamicValue>,
    custom: impl FnOnce(&Obj) -> Diagnostics,
) -> Diagnostics {
    match decode_obj(config, schema) {
        Ok(config) => {
            let mut d = framework::validate_attributes(schema, &config);
            d.extend(custom(&config));
            d
        }
        Err(d) => d.into(),
    }
}

fn decode_obj(dv: Option<&pb::DynamicValue>, schema: &Schema) -> Result<Obj, Diagnostic> {
    let v = decode(dv, &schema.object_type())?;
    Ok(Obj::from_value(v).unwrap_or_else(|| Obj::null_for(schema)))
}

fn encode(v: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: value::to_msgpack(v, ty),
        json: Vec::new(),
    }
}

/// Encodes a state, refusing one that still holds unknowns (a provider bug Terraform would
/// report less clearly).
fn encode_checked(
    provider: &str,
    v: &Value,
    schema: &Schema,
) -> Result<pb::DynamicValue, Diagnostic> {
    if v.contains_unknown() {
        return Err(Diagnostic::error(
            format!("Internal error in the {provider} provider"),
            "The provider produced a state with unknown values. Please report this bug.",
        ));
    }
    let ty = schema.object_type();
    Ok(encode(&conformed(v.clone(), &ty), &ty))
}

/// `v` without object attributes `ty` does not have, at any depth: a data source shows a
/// resource's state without the resource's [`Attribute::local`] settings.
fn conformed(v: Value, ty: &Type) -> Value {
    match (v, ty) {
        (Value::Object(m), Type::Object(attrs)) => Value::Object(
            m.into_iter()
                .filter_map(|(k, v)| {
                    let t = attrs.get(&k)?;
                    Some((k, conformed(v, t)))
                })
                .collect(),
        ),
        (Value::List(items), Type::List(t)) => {
            Value::List(items.into_iter().map(|i| conformed(i, t)).collect())
        }
        (Value::Set(items), Type::Set(t)) => {
            Value::Set(items.into_iter().map(|i| conformed(i, t)).collect())
        }
        (Value::Map(m), Type::Map(t)) => {
            Value::Map(m.into_iter().map(|(k, v)| (k, conformed(v, t))).collect())
        }
        (v, _) => v,
    }
}

pub(crate) fn diag_to_proto(d: &Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error as i32,
            Severity::Warning => pb::diagnostic::Severity::Warning as i32,
        },
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.path.as_ref().map(path_to_proto),
    }
}

fn path_to_proto(p: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attr(a) => Selector::AttributeName(a.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub(crate) fn schema_to_proto(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block_to_proto(s)),
    }
}

fn block_to_proto(s: &Schema) -> pb::schema::Block {
    pb::schema::Block {
        version: s.version,
        attributes: s.attributes.iter().map(attribute_to_proto).collect(),
        block_types: s.blocks.iter().map(nested_block_to_proto).collect(),
        description: s.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        ..Default::default()
    }
}

fn nested_block_to_proto(b: &Block) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode as N;
    pb::schema::NestedBlock {
        type_name: b.name.clone(),
        block: Some(block_to_proto(&b.schema)),
        nesting: match b.nesting {
            BlockNesting::Single => N::Single,
            BlockNesting::List => N::List,
            BlockNesting::Set => N::Set,
        } as i32,
        min_items: b.min_items,
        max_items: b.max_items,
    }
}

fn attribute_to_proto(a: &Attribute) -> pb::schema::Attribute {
    use pb::schema::object::NestingMode as N;
    let (ty, nested_type) = match &a.nested {
        Some((nesting, attrs)) => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: attrs.iter().map(attribute_to_proto).collect(),
                nesting: match nesting {
                    Nesting::Single => N::Single,
                    Nesting::List => N::List,
                    Nesting::Set => N::Set,
                    Nesting::Map => N::Map,
                } as i32,
                ..Default::default()
            }),
        ),
        None => (a.ty.to_json().to_string().into_bytes(), None),
    };
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type,
        description: a.full_description(),
        required: a.mode == Mode::Required,
        optional: matches!(a.mode, Mode::Optional | Mode::OptionalComputed),
        computed: a.is_computed(),
        sensitive: a.sensitive,
        write_only: a.write_only,
        description_kind: pb::StringKind::Markdown as i32,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    //! The service driven directly with hand-built values, as Terraform would, with a fake
    //! provider whose "remote" is a map in memory.

    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::pb::provider_server::Provider as _;
    use super::*;
    use crate::framework::{Failed, Found};

    /// The memos by ID, and every write-only `pin` a create or update was given.
    #[derive(Default)]
    struct Remote(Mutex<BTreeMap<String, String>>, Mutex<Vec<String>>);

    struct Memo;

    #[async_trait]
    impl Resource<Remote> for Memo {
        fn type_name(&self) -> &'static str {
            "test_memo"
        }
        fn schema(&self) -> Schema {
            Schema::new("memo")
                .attr(Attribute::string("id").computed().use_state_for_unknown())
                .attr(Attribute::string("text").required())
                .attr(Attribute::string("kind").default("plain").force_new())
                .attr(Attribute::string("note").optional().local())
                .attr(Attribute::string("pin").optional().sensitive().write_only())
        }
        /// A text the remote already holds is refused, as a creation guard refuses a name.
        async fn check_create(
            &self,
            remote: &Remote,
            planned: &Obj,
            managed: Managed<'_>,
        ) -> Diagnostics {
            let text = planned.str("text").unwrap_or_default();
            let m = remote.0.lock().unwrap();
            match m.iter().any(|(id, t)| t == text && !managed.contains(id)) {
                true => Diagnostic::error("Taken", format!("{text:?} exists")).into(),
                false => Diagnostics::default(),
            }
        }
        // Like a real resource, create and read make state from the remote alone: the local
        // `note` is the service's to keep.
        async fn create(&self, remote: &Remote, plan: &Obj) -> Result<Obj, Failed> {
            let text = plan.str("text").unwrap_or_default().to_owned();
            if text == "panic" {
                panic!("the fake resource was told to panic");
            }
            if let Some(pin) = plan.str("pin") {
                remote.1.lock().unwrap().push(pin.to_owned());
            }
            let mut m = remote.0.lock().unwrap();
            let id = format!("M{}", m.len());
            m.insert(id.clone(), text);
            // Handed back as a careless resource might: the service never stores it.
            Ok(plan.clone().with("id", id).with("note", Value::Null))
        }
        async fn read(&self, remote: &Remote, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
            let m = remote.0.lock().unwrap();
            Ok(m.get(state.str("id").unwrap_or_default()).map(|t| {
                state
                    .clone()
                    .with("text", t.as_str())
                    .with("note", Value::Null)
            }))
        }
        async fn update(&self, remote: &Remote, _: &Obj, plan: &Obj) -> Result<Obj, Failed> {
            if let Some(pin) = plan.str("pin") {
                remote.1.lock().unwrap().push(pin.to_owned());
            }
            Ok(plan.clone())
        }
        async fn delete(&self, remote: &Remote, state: &Obj) -> Result<(), Diagnostics> {
            remote
                .0
                .lock()
                .unwrap()
                .remove(state.str("id").unwrap_or_default());
            Ok(())
        }
    }

    /// An ephemeral secret made from its name, as a remote would hand one out.
    struct Ticket;

    #[async_trait]
    impl EphemeralResource<Remote> for Ticket {
        fn type_name(&self) -> &'static str {
            "test_ticket"
        }
        fn schema(&self) -> Schema {
            Schema::new("ticket")
                .attr(Attribute::string("name").required())
                .attr(Attribute::string("secret").computed().sensitive())
        }
        fn validate(&self, config: &Obj) -> Diagnostics {
            match config.str("name") {
                Some("") => Diagnostic::error("Empty name", "Name the ticket.").into(),
                _ => Diagnostics::default(),
            }
        }
        async fn open(&self, _: &Remote, config: &Obj) -> Result<Obj, Diagnostics> {
            let name = config.str("name").unwrap_or_default();
            Ok(Obj::default().with("secret", format!("s3cret-{name}")))
        }
    }

    /// The memos whose text starts with `prefix`, as a remote lists them.
    struct Memos;

    #[async_trait]
    impl ListResource<Remote> for Memos {
        fn type_name(&self) -> &'static str {
            "test_memo"
        }
        fn schema(&self) -> Schema {
            Schema::new("memos").attr(Attribute::string("prefix").optional())
        }
        fn validate(&self, config: &Obj) -> Diagnostics {
            match config.str("prefix") {
                Some("") => Diagnostic::error("Empty prefix", "Leave it out instead.").into(),
                _ => Diagnostics::default(),
            }
        }
        async fn list(
            &self,
            remote: &Remote,
            config: &Obj,
            limit: usize,
        ) -> Result<Vec<Found>, Diagnostics> {
            let prefix = config.str("prefix").unwrap_or_default();
            if prefix == "fail" {
                return Err(Diagnostic::error("Cannot list", "The remote refused.").into());
            }
            let m = remote.0.lock().unwrap();
            Ok(m.iter()
                .filter(|(_, t)| t.starts_with(prefix))
                // More than asked for: the service still sends no more than the limit.
                .take(limit + 1)
                .map(|(id, t)| Found {
                    display_name: format!("memo {t}"),
                    state: Obj::null_for(&Memo.schema())
                        .with("id", id.as_str())
                        .with("text", t.as_str())
                        .with("kind", "plain")
                        .with("pin", "never sent"),
                })
                .collect())
        }
    }

    struct Fake;

    #[async_trait]
    impl Provider for Fake {
        type Client = Remote;
        const DISPLAY_NAME: &'static str = "Example";
        fn schema(&self) -> Schema {
            Schema::new("fake").attr(Attribute::string("endpoint").optional())
        }
        fn ephemeral_resources(&self) -> Vec<Box<dyn EphemeralResource<Remote>>> {
            vec![Box::new(Ticket)]
        }
        fn list_resources(&self) -> Vec<Box<dyn ListResource<Remote>>> {
            vec![Box::new(Memos)]
        }
        async fn configure(&self, _: &Obj, _: &str) -> Result<Remote, Diagnostics> {
            Ok(Remote::default())
        }
        fn resources(&self) -> Vec<Box<dyn Resource<Remote>>> {
            vec![Box::new(Memo)]
        }
        fn data_sources(&self) -> Vec<Box<dyn DataSource<Remote>>> {
            Vec::new()
        }
    }

    fn ty() -> Type {
        Memo.schema().object_type()
    }

    fn dv(pairs: &[(&str, Value)]) -> Option<pb::DynamicValue> {
        let mut o = Obj::null_for(&Memo.schema());
        for (k, v) in pairs {
            o.set(k, v.clone());
        }
        Some(encode(&o.into_value(), &ty()))
    }

    fn get(dv: &Option<pb::DynamicValue>) -> Obj {
        let v = value::from_msgpack(&dv.as_ref().unwrap().msgpack, &ty()).unwrap();
        Obj::from_value(v).unwrap()
    }

    async fn configured() -> ProviderService<Fake> {
        configured_with(Value::Null).await
    }

    /// The service configured with `endpoint` (unknown, to configure it with what Terraform
    /// does not know yet).
    async fn configured_with(endpoint: Value) -> ProviderService<Fake> {
        let svc = ProviderService::new(Fake);
        let req = pb::configure_provider::Request {
            config: Some(encode(
                &Obj::null_for(&Fake.schema())
                    .with("endpoint", endpoint)
                    .into_value(),
                &Fake.schema().object_type(),
            )),
            ..Default::default()
        };
        let resp = svc
            .configure_provider(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty());
        svc
    }

    #[tokio::test]
    async fn a_create_plan_with_unknown_config_keeps_it_unknown() {
        let svc = configured().await;
        let config = dv(&[("text", Value::Unknown)]);
        let resp = plan_of(&svc, Some(encode(&Value::Null, &ty())), config).await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let planned = get(&resp.planned_state);
        assert_eq!(planned.get("text"), &Value::Unknown);
        assert_eq!(planned.get("kind"), &Value::from("plain"));
        assert_eq!(planned.get("id"), &Value::Unknown);
    }

    #[tokio::test]
    async fn config_sent_as_json_is_accepted() {
        let svc = configured().await;
        let req = pb::validate_resource_config::Request {
            type_name: "test_memo".into(),
            config: Some(pb::DynamicValue {
                msgpack: Vec::new(),
                json: br#"{"text":"hi"}"#.to_vec(),
            }),
            ..Default::default()
        };
        let resp = svc
            .validate_resource_config(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    }

    #[tokio::test]
    async fn changing_a_force_new_attribute_is_reported_as_requiring_replacement() {
        let svc = configured().await;
        let prior = dv(&[
            ("id", "M0".into()),
            ("text", "a".into()),
            ("kind", "plain".into()),
        ]);
        let config = dv(&[("text", "a".into()), ("kind", "rich".into())]);
        let proposed = dv(&[
            ("id", "M0".into()),
            ("text", "a".into()),
            ("kind", "rich".into()),
        ]);
        let req = pb::plan_resource_change::Request {
            type_name: "test_memo".into(),
            prior_state: prior,
            proposed_new_state: proposed,
            config,
            ..Default::default()
        };
        let resp = svc
            .plan_resource_change(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            resp.requires_replace,
            vec![path_to_proto(&AttrPath::root("kind"))]
        );
    }

    /// `PlanResourceChange` of `config` from `prior`, as Terraform sends it.
    async fn plan_of(
        svc: &ProviderService<Fake>,
        prior: Option<pb::DynamicValue>,
        config: Option<pb::DynamicValue>,
    ) -> pb::plan_resource_change::Response {
        let req = pb::plan_resource_change::Request {
            type_name: "test_memo".into(),
            prior_state: prior,
            proposed_new_state: config.clone(),
            config,
            ..Default::default()
        };
        svc.plan_resource_change(Request::new(req))
            .await
            .unwrap()
            .into_inner()
    }

    async fn create(
        svc: &ProviderService<Fake>,
        text: &str,
    ) -> pb::apply_resource_change::Response {
        let planned = dv(&[
            ("text", text.into()),
            ("kind", "plain".into()),
            ("id", Value::Unknown),
        ]);
        apply(svc, Some(encode(&Value::Null, &ty())), planned).await
    }

    async fn apply(
        svc: &ProviderService<Fake>,
        prior: Option<pb::DynamicValue>,
        planned: Option<pb::DynamicValue>,
    ) -> pb::apply_resource_change::Response {
        apply_with(svc, prior, planned, None).await
    }

    async fn apply_with(
        svc: &ProviderService<Fake>,
        prior: Option<pb::DynamicValue>,
        planned: Option<pb::DynamicValue>,
        config: Option<pb::DynamicValue>,
    ) -> pb::apply_resource_change::Response {
        let req = pb::apply_resource_change::Request {
            type_name: "test_memo".into(),
            prior_state: prior,
            planned_state: planned,
            config,
            ..Default::default()
        };
        svc.apply_resource_change(Request::new(req))
            .await
            .unwrap()
            .into_inner()
    }

    #[tokio::test]
    async fn a_panicking_resource_becomes_a_diagnostic() {
        let svc = configured().await;
        let resp = create(&svc, "panic").await;
        assert_eq!(resp.diagnostics.len(), 1);
        assert_eq!(
            resp.diagnostics[0].summary,
            "Internal error in the Example provider"
        );
        // The service still works afterwards.
        let resp = create(&svc, "fine").await;
        assert!(resp.diagnostics.is_empty());
        assert_eq!(get(&resp.new_state).get("id"), &Value::from("M0"));
    }

    async fn read(
        svc: &ProviderService<Fake>,
        state: Option<pb::DynamicValue>,
    ) -> pb::read_resource::Response {
        let req = pb::read_resource::Request {
            type_name: "test_memo".into(),
            current_state: state,
            ..Default::default()
        };
        let resp = svc
            .read_resource(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        resp
    }

    async fn refresh(svc: &ProviderService<Fake>, state: Option<pb::DynamicValue>) -> Obj {
        get(&read(svc, state).await.new_state)
    }

    async fn import(svc: &ProviderService<Fake>, id: &str) -> Option<pb::DynamicValue> {
        let req = pb::import_resource_state::Request {
            type_name: "test_memo".into(),
            id: id.into(),
            ..Default::default()
        };
        let resp = svc
            .import_resource_state(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        resp.imported_resources[0].state.clone()
    }

    #[tokio::test]
    async fn a_local_attribute_is_kept_from_the_plan_on_create_and_from_state_on_read() {
        let svc = configured().await;
        let planned = dv(&[
            ("text", "hi".into()),
            ("kind", "plain".into()),
            ("note", "mine".into()),
            ("id", Value::Unknown),
        ]);
        let resp = apply(&svc, Some(encode(&Value::Null, &ty())), planned).await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let created = get(&resp.new_state);
        assert_eq!(created.str("note"), Some("mine"));
        let state = Some(encode(&created.into_value(), &ty()));
        assert_eq!(refresh(&svc, state).await.str("note"), Some("mine"));
    }

    #[tokio::test]
    async fn a_create_the_resource_refuses_fails_at_plan_unless_terraform_manages_the_object() {
        let svc = configured().await;
        create(&svc, "taken").await;
        let config = dv(&[("text", "taken".into())]);
        let plan = plan_of(&svc, Some(encode(&Value::Null, &ty())), config).await;
        assert_eq!(plan.diagnostics.len(), 1, "{:?}", plan.diagnostics);
        assert_eq!(plan.diagnostics[0].summary, "Taken");
        // An update is not a create: no check.
        let prior = dv(&[
            ("id", "M0".into()),
            ("text", "taken".into()),
            ("kind", "plain".into()),
        ]);
        let config = dv(&[("text", "taken".into())]);
        let update = plan_of(&svc, prior, config).await;
        assert!(update.diagnostics.is_empty(), "{:?}", update.diagnostics);
        // Planned with the object as prior state (as Terraform plans a replacement before the
        // create that replaces it), the object is one its state manages: not a duplicate.
        let config = dv(&[("text", "taken".into())]);
        let replace = plan_of(&svc, Some(encode(&Value::Null, &ty())), config.clone()).await;
        assert!(replace.diagnostics.is_empty(), "{:?}", replace.diagnostics);
        // So is an object Terraform refreshed (a tainted object is replaced by a planned
        // create, with `-refresh=false` too) or applied a change to (the apply that destroys
        // a replaced object before creating its successor).
        for seen in ["refreshed", "applied"] {
            let svc = configured().await;
            create(&svc, "taken").await;
            let state = dv(&[("id", "M0".into()), ("text", "taken".into())]);
            if seen == "refreshed" {
                refresh(&svc, state).await;
            } else {
                let resp = apply(&svc, state.clone(), state).await;
                assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
            }
            let replace = plan_of(&svc, Some(encode(&Value::Null, &ty())), config.clone()).await;
            assert!(
                replace.diagnostics.is_empty(),
                "{seen}: {:?}",
                replace.diagnostics
            );
        }
    }

    #[tokio::test]
    async fn the_refresh_right_after_an_import_is_answered_by_the_import() {
        let svc = configured().await;
        create(&svc, "hello").await;
        let imported = import(&svc, "M0").await;
        assert_eq!(get(&imported).str("text"), Some("hello"));
        // Changed behind the provider's back after the import: the refresh Terraform sends
        // right after it is answered by the import, every later one reads the remote.
        let remote = svc.inner.client().unwrap();
        remote
            .0
            .lock()
            .unwrap()
            .insert("M0".into(), "changed".into());
        assert_eq!(
            refresh(&svc, imported.clone()).await.str("text"),
            Some("hello")
        );
        assert_eq!(
            refresh(&svc, imported.clone()).await.str("text"),
            Some("changed")
        );

        // A state that is no longer what the import returned is read.
        import(&svc, "M0").await;
        let other = dv(&[
            ("id", "M0".into()),
            ("text", "stale".into()),
            ("kind", "plain".into()),
        ]);
        remote
            .0
            .lock()
            .unwrap()
            .insert("M0".into(), "newest".into());
        assert_eq!(refresh(&svc, other).await.str("text"), Some("newest"));
    }

    #[tokio::test]
    async fn an_object_gone_from_the_remote_reads_as_null() {
        let svc = configured().await;
        let gone = dv(&[
            ("id", "M9".into()),
            ("text", "x".into()),
            ("kind", "plain".into()),
        ]);
        let resp = read(&svc, gone).await;
        assert_eq!(resp.new_state.unwrap().msgpack, vec![0xc0]);
    }

    #[tokio::test]
    async fn old_state_with_a_removed_attribute_upgrades() {
        let svc = configured().await;
        let req = pb::upgrade_resource_state::Request {
            type_name: "test_memo".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: br#"{"id":"M1","text":"t","kind":"plain","gone":1}"#.to_vec(),
                ..Default::default()
            }),
        };
        let resp = svc
            .upgrade_resource_state(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty());
        assert_eq!(get(&resp.upgraded_state).get("id"), &Value::from("M1"));
        let req = pb::upgrade_resource_state::Request {
            type_name: "test_memo".into(),
            version: 7,
            ..Default::default()
        };
        let resp = svc
            .upgrade_resource_state(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            resp.diagnostics[0].summary,
            "State written by a newer provider"
        );
    }

    #[tokio::test]
    async fn unknown_types_and_unsupported_rpcs_answer_with_diagnostics() {
        let svc = configured().await;
        let req = pb::read_resource::Request {
            type_name: "test_nope".into(),
            ..Default::default()
        };
        let resp = svc
            .read_resource(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.diagnostics[0].summary, "Unknown resource type");
        let resp = svc
            .move_resource_state(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            resp.diagnostics[0].summary,
            "Not supported by the Example provider"
        );
        let resp = svc
            .get_metadata(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.resources[0].type_name, "test_memo");
    }

    #[tokio::test]
    async fn garbage_values_are_diagnostics_not_crashes() {
        let svc = configured().await;
        let req = pb::validate_resource_config::Request {
            type_name: "test_memo".into(),
            config: Some(pb::DynamicValue {
                msgpack: vec![0x82, 0xa4, b't'],
                json: Vec::new(),
            }),
            ..Default::default()
        };
        let resp = svc
            .validate_resource_config(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            resp.diagnostics[0].summary,
            "Unreadable value from Terraform"
        );
    }

    async fn validate_with(
        svc: &ProviderService<Fake>,
        config: Option<pb::DynamicValue>,
        write_only_allowed: Option<bool>,
    ) -> Vec<pb::Diagnostic> {
        let req = pb::validate_resource_config::Request {
            type_name: "test_memo".into(),
            config,
            client_capabilities: write_only_allowed.map(|allowed| pb::ClientCapabilities {
                write_only_attributes_allowed: allowed,
                ..Default::default()
            }),
        };
        svc.validate_resource_config(Request::new(req))
            .await
            .unwrap()
            .into_inner()
            .diagnostics
    }

    #[tokio::test]
    async fn a_write_only_value_reaches_create_and_update_and_never_a_plan_or_state() {
        let svc = configured().await;
        let config = dv(&[("text", "hi".into()), ("pin", "1234".into())]);
        let plan = plan_of(&svc, Some(encode(&Value::Null, &ty())), config.clone()).await;
        assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
        assert_eq!(get(&plan.planned_state).get("pin"), &Value::Null);
        let resp = apply_with(
            &svc,
            Some(encode(&Value::Null, &ty())),
            plan.planned_state,
            config,
        )
        .await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let created = get(&resp.new_state);
        assert_eq!(created.get("pin"), &Value::Null, "the state holds no pin");
        let remote = svc.inner.client().unwrap();
        assert_eq!(*remote.1.lock().unwrap(), ["1234"], "create was given it");
        // Another pin alone is no change: Terraform cannot compare what it never stored.
        let state = Some(encode(&created.clone().into_value(), &ty()));
        let config = dv(&[("text", "hi".into()), ("pin", "5678".into())]);
        let req = pb::plan_resource_change::Request {
            type_name: "test_memo".into(),
            prior_state: state.clone(),
            proposed_new_state: Some(encode(
                &created.clone().with("pin", "5678").into_value(),
                &ty(),
            )),
            config: config.clone(),
            ..Default::default()
        };
        let plan = svc
            .plan_resource_change(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(get(&plan.planned_state), created, "no change planned");
        // An update made for another reason is given the pin, and does not keep it either.
        let changed = dv(&[("text", "bye".into()), ("pin", "5678".into())]);
        let planned = Some(encode(
            &created.clone().with("text", "bye").into_value(),
            &ty(),
        ));
        let resp = apply_with(&svc, state, planned, changed).await;
        assert_eq!(get(&resp.new_state).get("pin"), &Value::Null);
        assert_eq!(*remote.1.lock().unwrap(), ["1234", "5678"]);
    }

    #[tokio::test]
    async fn a_write_only_value_from_a_terraform_that_would_store_it_is_refused() {
        let svc = configured().await;
        let config = dv(&[("text", "hi".into()), ("pin", "1234".into())]);
        for (allowed, errors) in [(None, 1), (Some(false), 1), (Some(true), 0)] {
            let diags = validate_with(&svc, config.clone(), allowed).await;
            assert_eq!(diags.len(), errors, "{allowed:?}: {diags:?}");
        }
        let diags = validate_with(&svc, config, None).await;
        assert_eq!(diags[0].summary, "Write-only argument needs Terraform 1.11");
        assert_eq!(
            diags[0].attribute,
            Some(path_to_proto(&AttrPath::root("pin")))
        );
        let without = dv(&[("text", "hi".into())]);
        assert!(validate_with(&svc, without, None).await.is_empty());
        let schemas = svc
            .get_provider_schema(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        let block = schemas.resource_schemas["test_memo"].block.clone().unwrap();
        let pin = block.attributes.iter().find(|a| a.name == "pin").unwrap();
        assert!(pin.write_only && pin.sensitive);
    }

    #[tokio::test]
    async fn a_provider_configured_with_unknown_values_waits_for_them() {
        let svc = configured_with(Value::Unknown).await;
        assert!(svc.inner.client().is_none(), "not configured yet");
        // A create plans without the remote ...
        let config = dv(&[("text", "hi".into())]);
        let plan = plan_of(&svc, Some(encode(&Value::Null, &ty())), config).await;
        assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
        // ... and what needs it says why it cannot.
        let req = pb::read_resource::Request {
            type_name: "test_memo".into(),
            current_state: dv(&[("id", "M0".into()), ("text", "x".into())]),
            ..Default::default()
        };
        let resp = svc
            .read_resource(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            resp.diagnostics[0].summary,
            "Provider configuration not known yet"
        );
        assert!(resp.diagnostics[0].detail.contains("depends_on"));
    }

    #[tokio::test]
    async fn an_ephemeral_resource_is_validated_opened_and_closed() {
        let svc = configured().await;
        let schemas = svc
            .get_provider_schema(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(
            schemas
                .ephemeral_resource_schemas
                .contains_key("test_ticket")
        );
        let meta = svc
            .get_metadata(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(meta.ephemeral_resources[0].type_name, "test_ticket");
        let ticket = Ticket.schema();
        let config = |name: &str| {
            Some(encode(
                &Obj::null_for(&ticket).with("name", name).into_value(),
                &ticket.object_type(),
            ))
        };
        let req = pb::validate_ephemeral_resource_config::Request {
            type_name: "test_ticket".into(),
            config: config(""),
        };
        let resp = svc
            .validate_ephemeral_resource_config(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.diagnostics[0].summary, "Empty name");
        let req = pb::open_ephemeral_resource::Request {
            type_name: "test_ticket".into(),
            config: config("a"),
            ..Default::default()
        };
        let resp = svc
            .open_ephemeral_resource(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert!(resp.renew_at.is_none(), "nothing to renew");
        let result =
            value::from_msgpack(&resp.result.unwrap().msgpack, &ticket.object_type()).unwrap();
        let result = Obj::from_value(result).unwrap();
        assert_eq!(
            (result.str("name"), result.str("secret")),
            (Some("a"), Some("s3cret-a")),
            "the configuration as given, the computed values filled in"
        );
        let resp = svc
            .close_ephemeral_resource(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty());
        let unconfigured = configured_with(Value::Unknown).await;
        let req = pb::open_ephemeral_resource::Request {
            type_name: "test_ticket".into(),
            config: config("a"),
            ..Default::default()
        };
        let resp = unconfigured
            .open_ephemeral_resource(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            resp.diagnostics[0].summary,
            "Provider configuration not known yet"
        );
    }

    /// An identity answer's values, as the identity schema types them.
    fn identity(data: &Option<pb::ResourceIdentityData>) -> Obj {
        let ty = Identity::of_id().object_type(&Memo.schema());
        let dv = data.as_ref().and_then(|d| d.identity_data.as_ref());
        Obj::from_value(value::from_msgpack(&dv.unwrap().msgpack, &ty).unwrap()).unwrap()
    }

    fn identity_dv(id: Value) -> Option<pb::ResourceIdentityData> {
        let ty = Identity::of_id().object_type(&Memo.schema());
        let v = Obj::default().with("id", id).into_value();
        Some(identity_data(encode(&v, &ty)))
    }

    #[tokio::test]
    async fn every_resource_has_an_identity_given_by_its_state_at_every_step() {
        let svc = configured().await;
        let schemas = svc
            .get_resource_identity_schemas(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        let memo = &schemas.identity_schemas["test_memo"];
        assert_eq!(memo.version, 0);
        assert_eq!(memo.identity_attributes.len(), 1);
        let id = &memo.identity_attributes[0];
        assert_eq!(
            (id.name.as_str(), id.r#type.as_slice()),
            ("id", &b"\"string\""[..])
        );
        assert!(id.required_for_import && !id.optional_for_import);

        // Planned: unknown until created; then what apply, read and import return.
        let config = dv(&[("text", "a".into())]);
        let planned = plan_of(&svc, Some(encode(&Value::Null, &ty())), config).await;
        assert_eq!(
            identity(&planned.planned_identity).get("id"),
            &Value::Unknown
        );
        let created = create(&svc, "a").await;
        assert_eq!(identity(&created.new_identity).str("id"), Some("M0"));
        let read_back = read(&svc, created.new_state.clone()).await;
        assert_eq!(identity(&read_back.new_identity).str("id"), Some("M0"));
        let update = plan_of(&svc, created.new_state.clone(), dv(&[("text", "b".into())])).await;
        assert_eq!(identity(&update.planned_identity).str("id"), Some("M0"));
        // A destroy has no identity after it.
        let gone = apply(&svc, created.new_state, Some(encode(&Value::Null, &ty()))).await;
        assert!(gone.new_identity.is_none());
    }

    async fn import_by_identity(
        svc: &ProviderService<Fake>,
        id: Value,
    ) -> pb::import_resource_state::Response {
        let req = pb::import_resource_state::Request {
            type_name: "test_memo".into(),
            identity: identity_dv(id),
            ..Default::default()
        };
        svc.import_resource_state(Request::new(req))
            .await
            .unwrap()
            .into_inner()
    }

    #[tokio::test]
    async fn an_import_by_identity_is_the_import_by_its_id() {
        let svc = configured().await;
        create(&svc, "hello").await;
        let by_identity = import_by_identity(&svc, "M0".into()).await;
        assert!(
            by_identity.diagnostics.is_empty(),
            "{:?}",
            by_identity.diagnostics
        );
        let imported = &by_identity.imported_resources[0];
        assert_eq!(get(&imported.state).str("text"), Some("hello"));
        assert_eq!(identity(&imported.identity).str("id"), Some("M0"));
        assert_eq!(get(&imported.state), get(&import(&svc, "M0").await));

        for bad in [Value::Null, "".into(), "M0/extra".into()] {
            let resp = import_by_identity(&svc, bad).await;
            assert!(resp.imported_resources.is_empty());
            assert_eq!(resp.diagnostics[0].summary, "Invalid import identity");
            assert!(
                resp.diagnostics[0]
                    .detail
                    .contains("identity = { id = \"…\" }"),
                "{:?}",
                resp.diagnostics[0]
            );
        }
    }

    async fn upgrade_identity(
        svc: &ProviderService<Fake>,
        version: i64,
        json: &str,
    ) -> pb::upgrade_resource_identity::Response {
        let req = pb::upgrade_resource_identity::Request {
            type_name: "test_memo".into(),
            version,
            raw_identity: Some(pb::RawState {
                json: json.as_bytes().to_vec(),
                ..Default::default()
            }),
        };
        svc.upgrade_resource_identity(Request::new(req))
            .await
            .unwrap()
            .into_inner()
    }

    #[tokio::test]
    async fn a_stored_identity_upgrades_and_a_bad_or_newer_one_is_explained() {
        let svc = ProviderService::new(Fake);
        let resp = upgrade_identity(&svc, 0, r#"{"id":"M7"}"#).await;
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        assert_eq!(identity(&resp.upgraded_identity).str("id"), Some("M7"));
        for (version, json, summary) in [
            (1, r#"{"id":"M7"}"#, "Identity written by a newer provider"),
            (0, "{", "Corrupt resource identity"),
            (0, r#"{"id":7}"#, "Corrupt resource identity"),
            (0, r#"{}"#, "Corrupt resource identity"),
        ] {
            let resp = upgrade_identity(&svc, version, json).await;
            assert!(resp.upgraded_identity.is_none());
            assert_eq!(resp.diagnostics[0].summary, summary, "{json}");
        }
    }

    async fn list(
        svc: &ProviderService<Fake>,
        prefix: Option<&str>,
        include: bool,
        limit: i64,
    ) -> Vec<pb::list_resource::Event> {
        use tokio_stream::StreamExt;
        let schema = Memos.schema();
        let config = Obj::null_for(&schema).with("prefix", prefix.map_or(Value::Null, Value::from));
        let req = pb::list_resource::Request {
            type_name: "test_memo".into(),
            config: Some(encode(&config.into_value(), &schema.object_type())),
            include_resource_object: include,
            limit,
        };
        let stream = svc
            .list_resource(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        stream.map(Result::unwrap).collect().await
    }

    #[tokio::test]
    async fn a_list_resource_streams_identities_display_names_and_objects_up_to_the_limit() {
        let svc = configured().await;
        for text in ["a1", "a2", "b1", "a3"] {
            create(&svc, text).await;
        }
        let schema = svc
            .get_provider_schema(Request::new(Default::default()))
            .await
            .unwrap()
            .into_inner();
        assert!(schema.list_resource_schemas.contains_key("test_memo"));

        let events = list(&svc, Some("a"), false, 100).await;
        let names: Vec<&str> = events.iter().map(|e| e.display_name.as_str()).collect();
        assert_eq!(names, ["memo a1", "memo a2", "memo a3"]);
        assert!(
            events
                .iter()
                .all(|e| e.resource_object.is_none() && e.diagnostic.is_empty())
        );
        assert_eq!(identity(&events[1].identity).str("id"), Some("M1"));

        let events = list(&svc, None, true, 2).await;
        assert_eq!(events.len(), 2, "the limit");
        let object = get(&events[0].resource_object);
        assert_eq!(object.str("text"), Some("a1"));
        assert!(
            object.get("pin").is_null(),
            "a write-only value is never listed"
        );

        let failed = list(&svc, Some("fail"), false, 10).await;
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].diagnostic[0].summary, "Cannot list");

        let req = pb::validate_list_resource_config::Request {
            type_name: "test_memo".into(),
            config: Some(encode(
                &Obj::null_for(&Memos.schema())
                    .with("prefix", "")
                    .into_value(),
                &Memos.schema().object_type(),
            )),
            ..Default::default()
        };
        let resp = svc
            .validate_list_resource_config(Request::new(req))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.diagnostics[0].summary, "Empty prefix");
    }
}

/// The provider scope ([`Scope`]) through the service: a fake provider whose objects live in
/// regions, each region's calls through its own client.
#[cfg(test)]
mod scope_tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

    use std::collections::{BTreeMap, HashMap};
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::pb::provider_server::Provider as _;
    use super::*;
    use crate::framework::Failed;

    /// Names by (region, id).
    type Things = Arc<Mutex<HashMap<(Option<String>, String), String>>>;

    /// A client acting in `region` (none: the default of none).
    #[derive(Default)]
    struct Regional {
        region: Option<String>,
        things: Things,
    }

    struct Thing;
    /// Lives outside any region.
    struct Global;
    struct Regions;

    #[async_trait]
    impl Resource<Regional> for Thing {
        fn type_name(&self) -> &'static str {
            "test_thing"
        }
        fn schema(&self) -> Schema {
            Schema::new("thing")
                .attr(Attribute::string("id").computed().use_state_for_unknown())
                .attr(Attribute::string("name").required())
        }
        async fn create(&self, c: &Regional, plan: &Obj) -> Result<Obj, Failed> {
            let mut things = c.things.lock().unwrap();
            let id = format!("T{}", things.len());
            things.insert(
                (c.region.clone(), id.clone()),
                plan.str("name").unwrap_or_default().to_owned(),
            );
            Ok(Obj::default()
                .with("id", id)
                .with("name", plan.get("name").clone()))
        }
        async fn read(&self, c: &Regional, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
            let id = state.str("id").unwrap_or_default().to_owned();
            let things = c.things.lock().unwrap();
            Ok(things
                .get(&(c.region.clone(), id.clone()))
                .map(|n| Obj::default().with("id", id).with("name", n.as_str())))
        }
        async fn update(&self, _: &Regional, _: &Obj, plan: &Obj) -> Result<Obj, Failed> {
            Ok(plan.clone())
        }
        async fn delete(&self, c: &Regional, state: &Obj) -> Result<(), Diagnostics> {
            let id = state.str("id").unwrap_or_default().to_owned();
            c.things.lock().unwrap().remove(&(c.region.clone(), id));
            Ok(())
        }
    }

    #[async_trait]
    impl Resource<Regional> for Global {
        fn type_name(&self) -> &'static str {
            "test_global"
        }
        fn schema(&self) -> Schema {
            Schema::new("global")
                .attr(Attribute::string("id").computed())
                .attr(Attribute::string("region").computed())
                .unscoped()
        }
        async fn create(&self, c: &Regional, _: &Obj) -> Result<Obj, Failed> {
            Ok(Obj::default()
                .with("id", "G")
                .with("region", c.region.clone().unwrap_or_else(|| "none".into())))
        }
        async fn read(&self, _: &Regional, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
            Ok(Some(state.clone()))
        }
        async fn update(&self, _: &Regional, _: &Obj, plan: &Obj) -> Result<Obj, Failed> {
            Ok(plan.clone())
        }
        async fn delete(&self, _: &Regional, _: &Obj) -> Result<(), Diagnostics> {
            Ok(())
        }
    }

    #[async_trait]
    impl Provider for Regions {
        type Client = Regional;
        const DISPLAY_NAME: &'static str = "Regions";
        fn schema(&self) -> Schema {
            Schema::new("regions").attr(Attribute::string("region").optional())
        }
        async fn configure(&self, config: &Obj, _: &str) -> Result<Regional, Diagnostics> {
            Ok(Regional {
                region: config.str("region").map(str::to_owned),
                ..Regional::default()
            })
        }
        fn scope(&self) -> Option<Scope> {
            Some(Scope {
                name: "region",
                description: "Where the object lives.".into(),
                identity_version: 1,
                split_import_id: |id| match id.rsplit_once('@') {
                    Some((own, region)) => (own, Some(region)),
                    None => (id, None),
                },
                validators: Vec::new(),
            })
        }
        fn default_scope(&self, client: &Regional) -> Option<String> {
            client.region.clone()
        }
        async fn scoped(
            &self,
            client: &Arc<Regional>,
            scope: Option<&str>,
        ) -> Result<Arc<Regional>, Diagnostics> {
            Ok(Arc::new(Regional {
                region: scope.map(str::to_owned),
                things: client.things.clone(),
            }))
        }
        fn resources(&self) -> Vec<Box<dyn Resource<Regional>>> {
            vec![Box::new(Thing), Box::new(Global)]
        }
        fn data_sources(&self) -> Vec<Box<dyn DataSource<Regional>>> {
            Vec::new()
        }
    }

    async fn service(default_region: Option<&str>) -> ProviderService<Regions> {
        let svc = ProviderService::new(Regions);
        let config = Obj::null_for(&Regions.schema())
            .with("region", default_region.map_or(Value::Null, Value::from));
        let resp = svc
            .configure_provider(Request::new(pb::configure_provider::Request {
                config: Some(encode(
                    &config.into_value(),
                    &Regions.schema().object_type(),
                )),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        svc
    }

    fn schema(svc: &ProviderService<Regions>, ty: &str) -> Schema {
        svc.inner.resources[ty].1.clone()
    }

    fn obj(svc: &ProviderService<Regions>, pairs: &[(&str, Value)]) -> pb::DynamicValue {
        let s = schema(svc, "test_thing");
        let mut o = Obj::null_for(&s);
        for (k, v) in pairs {
            o.set(k, v.clone());
        }
        encode(&o.into_value(), &s.object_type())
    }

    fn get(svc: &ProviderService<Regions>, dv: &Option<pb::DynamicValue>) -> Obj {
        let s = schema(svc, "test_thing");
        Obj::from_value(decode(dv.as_ref(), &s.object_type()).unwrap()).unwrap_or_default()
    }

    async fn plan(
        svc: &ProviderService<Regions>,
        prior: Option<pb::DynamicValue>,
        config: pb::DynamicValue,
    ) -> pb::plan_resource_change::Response {
        svc.plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: prior.or_else(|| {
                Some(encode(
                    &Value::Null,
                    &schema(svc, "test_thing").object_type(),
                ))
            }),
            proposed_new_state: Some(config.clone()),
            config: Some(config),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
    }

    async fn apply(
        svc: &ProviderService<Regions>,
        planned: Option<pb::DynamicValue>,
        config: pb::DynamicValue,
    ) -> Obj {
        let resp = svc
            .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: Some(encode(
                    &Value::Null,
                    &schema(svc, "test_thing").object_type(),
                )),
                planned_state: planned,
                config: Some(config),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        get(svc, &resp.new_state)
    }

    #[tokio::test]
    async fn every_scoped_type_gets_the_attribute_and_an_optional_identity_part() {
        let svc = service(None).await;
        let thing = schema(&svc, "test_thing");
        let region = thing.attribute("region").unwrap();
        assert!(region.force_new && region.is_computed() && region.mode != Mode::Required);
        let identity = thing.identity.clone().unwrap();
        assert_eq!(
            (
                identity.version,
                identity.attributes.clone(),
                identity.optional.clone()
            ),
            (1, vec!["id"], vec!["region"])
        );
        // An unscoped type keeps its own attribute of that name, and its identity.
        let global = schema(&svc, "test_global");
        assert_eq!(global.identity.as_ref().map(|i| i.version), Some(0));
        assert!(!global.attribute("region").unwrap().force_new);
    }

    #[tokio::test]
    async fn an_object_is_made_in_the_default_scope_kept_there_and_replaced_on_a_change() {
        let svc = service(Some("east")).await;
        let config = obj(&svc, &[("name", "a".into())]);
        let planned = plan(&svc, None, config.clone()).await;
        assert_eq!(
            get(&svc, &planned.planned_state).str("region"),
            Some("east")
        );
        let made = apply(&svc, planned.planned_state, config.clone()).await;
        assert_eq!(made.str("region"), Some("east"));
        let id = made.str("id").unwrap().to_owned();
        assert!(
            svc.inner
                .client()
                .unwrap()
                .things
                .lock()
                .unwrap()
                .contains_key(&(Some("east".into()), id.clone()))
        );
        let state = encode(
            &made.clone().into_value(),
            &schema(&svc, "test_thing").object_type(),
        );

        // Unchanged: no change, no replacement.
        let again = plan(&svc, Some(state.clone()), config).await;
        assert!(again.requires_replace.is_empty());
        assert_eq!(get(&svc, &again.planned_state), made);
        // Another region: replaced.
        let moved = obj(&svc, &[("name", "a".into()), ("region", "west".into())]);
        let replan = plan(&svc, Some(state.clone()), moved).await;
        assert_eq!(
            replan.requires_replace.len(),
            1,
            "{:?}",
            replan.requires_replace
        );
        // Read in its own region, whatever the default.
        let read = svc
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: "test_thing".into(),
                current_state: Some(state),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(get(&svc, &read.new_state).str("name"), Some("a"));
    }

    #[tokio::test]
    async fn a_state_from_before_the_scope_stays_as_it_is_and_reads_through_the_default() {
        let svc = service(Some("east")).await;
        svc.inner
            .client()
            .unwrap()
            .things
            .lock()
            .unwrap()
            .insert((Some("east".into()), "T9".into()), "old".into());
        let legacy = obj(&svc, &[("id", "T9".into()), ("name", "old".into())]);
        let config = obj(&svc, &[("name", "old".into())]);
        let planned = plan(&svc, Some(legacy.clone()), config).await;
        assert!(planned.requires_replace.is_empty());
        assert_eq!(
            get(&svc, &planned.planned_state).get("region"),
            &Value::Null
        );
        let read = svc
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: "test_thing".into(),
                current_state: Some(legacy),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        let read = get(&svc, &read.new_state);
        assert_eq!(
            (read.str("name"), read.get("region")),
            (Some("old"), &Value::Null)
        );
    }

    #[tokio::test]
    async fn an_import_names_its_scope_in_the_id_or_the_identity_and_old_identities_upgrade() {
        let svc = service(None).await;
        svc.inner
            .client()
            .unwrap()
            .things
            .lock()
            .unwrap()
            .insert((Some("west".into()), "T1".into()), "w".into());
        let import = |id: &str, identity: Option<Value>| {
            let ty = schema(&svc, "test_thing")
                .identity
                .unwrap()
                .object_type(&schema(&svc, "test_thing"));
            pb::import_resource_state::Request {
                type_name: "test_thing".into(),
                id: id.into(),
                identity: identity.map(|i| identity_data(encode(&i, &ty))),
                ..Default::default()
            }
        };
        for req in [
            import("T1@west", None),
            import(
                "",
                Some(Value::Object(BTreeMap::from([
                    ("id".to_owned(), Value::from("T1")),
                    ("region".to_owned(), Value::from("west")),
                ]))),
            ),
        ] {
            let resp = svc
                .import_resource_state(Request::new(req))
                .await
                .unwrap()
                .into_inner();
            assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
            let state = get(&svc, &resp.imported_resources[0].state);
            assert_eq!(
                (state.str("id"), state.str("region")),
                (Some("T1"), Some("west"))
            );
        }
        // Stored by identity version 0, before the scope: upgraded with it null.
        let resp = svc
            .upgrade_resource_identity(Request::new(pb::upgrade_resource_identity::Request {
                type_name: "test_thing".into(),
                version: 0,
                raw_identity: Some(pb::RawState {
                    json: br#"{"id":"T1"}"#.to_vec(),
                    ..Default::default()
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
        let s = schema(&svc, "test_thing");
        let upgraded = decode(
            resp.upgraded_identity
                .and_then(|i| i.identity_data)
                .as_ref(),
            &s.identity.clone().unwrap().object_type(&s),
        )
        .unwrap();
        assert_eq!(
            upgraded,
            Value::Object(BTreeMap::from([
                ("id".to_owned(), Value::from("T1")),
                ("region".to_owned(), Value::Null),
            ]))
        );
    }
}
