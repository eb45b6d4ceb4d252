//! The Terraform side of the protocol: starts a provider binary the way Terraform's plugin
//! client does (magic cookie, protocol versions, an AutoMTLS client certificate, the go-plugin
//! handshake line) and calls its RPCs with typed values, checking each answer as Terraform
//! does.
//!
//! It exists so that tests and benchmarks can drive the built provider exactly as Terraform
//! would, where the installed Terraform cannot: features newer than it (resource identity,
//! Terraform 1.12+), and states too large for Terraform's own graph work to finish in a
//! session. Types come from the provider's own `GetProviderSchema` and
//! `GetResourceIdentitySchemas` answers, as Terraform takes them, not from the provider's
//! code. Where Terraform refuses an answer (`internal/plugin6/grpc_provider.go`,
//! `internal/terraform/node_resource_abstract_instance.go` and `node_resource_plan_instance.go`
//! in Terraform 1.15), so does this, with Terraform's words: an object or identity that does
//! not fit its schema, an unknown identity where one must be known, an import that returns
//! other than one object or no identity when imported by one, a non-null write-only value, a
//! value applied other than planned. It also refuses an identity that changes across a
//! refresh of the same object, which a provider must never do.
//! Compiled only with the `client` feature; the provider itself never needs it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use base64::Engine;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint, Uri};

use super::proto::goplugin;
use super::proto::tfplugin6 as pb;
use super::proto::tfplugin6::provider_client::ProviderClient;
use super::serve::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, MAX_MESSAGE, Pinned};
use super::value::{self, Type, Value};

/// Why a call to the plugin failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot start the plugin: {0}")]
    Start(#[from] std::io::Error),
    #[error("the plugin's handshake line is not go-plugin's: {0:?}")]
    Handshake(String),
    #[error("cannot set up AutoMTLS: {0}")]
    Tls(String),
    #[error("cannot connect to the plugin: {0}")]
    Connect(#[from] tonic::transport::Error),
    #[error("RPC failed: {0}")]
    Rpc(#[from] tonic::Status),
    #[error("the plugin's schema is invalid: {0}")]
    Schema(String),
    #[error("value does not decode: {0}")]
    Value(#[from] value::CodecError),
    #[error("no schema for resource type {0:?}")]
    UnknownType(String),
    #[error("{0}")]
    Diagnostics(String),
    /// An answer Terraform itself would refuse, in Terraform's words.
    #[error("{0}")]
    Refused(String),
}

/// An object a resource RPC answered with: its state, the provider's private bytes and its
/// identity (Terraform 1.12+; `None` from a provider without identities).
#[derive(Debug, Clone)]
pub struct Object {
    pub type_name: String,
    pub state: Value,
    pub private: Vec<u8>,
    pub identity: Option<Value>,
}

/// What `PlanResourceChange` answered.
#[derive(Debug, Clone)]
pub struct Planned {
    pub state: Value,
    /// The top-level attributes whose change replaces the object.
    pub requires_replace: Vec<String>,
    pub private: Vec<u8>,
    pub identity: Option<Value>,
}

/// One object a list resource streamed, as Terraform keeps it for `terraform query`.
#[derive(Debug, Clone)]
pub struct Listed {
    pub display_name: String,
    pub identity: Value,
    /// With `include_resource_object` only.
    pub state: Option<Value>,
}

/// What Terraform knows of a resource type from the provider's schemas.
struct ResourceType {
    ty: Type,
    /// The schema version states of this type are stored with.
    version: i64,
    /// Top-level attributes Terraform lets the provider compute (kept from prior state in a
    /// proposed new state when the configuration leaves them null).
    computed: HashSet<String>,
    write_only: HashSet<String>,
    identity: Option<Type>,
}

/// A running provider plugin, connected.
pub struct Plugin {
    /// Taken only by [`Plugin::disconnect`].
    child: Option<Child>,
    channel: Channel,
    provider: Type,
    resources: HashMap<String, ResourceType>,
    /// List resources' `config` types.
    lists: HashMap<String, Type>,
}

impl Plugin {
    /// Starts `command` as Terraform starts a provider, AutoMTLS included (Terraform's
    /// client certificate in `PLUGIN_CLIENT_CERT`, the plugin's pinned from its handshake
    /// line), and reads the schemas as Terraform does: `GetProviderSchema`, then
    /// `GetResourceIdentitySchemas` (UNIMPLEMENTED meaning none).
    pub async fn start(mut command: Command) -> Result<Plugin, ClientError> {
        let ours = ClientCert::generate()?;
        let mut child = command
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env("PLUGIN_CLIENT_CERT", &ours.pem)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let mut out = BufReader::new(out);
            out.read_line(&mut line)?;
            // Whatever the plugin prints later is drained, so it never writes to a closed pipe.
            std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        }
        let (socket, theirs) = match line.trim_end().split('|').collect::<Vec<_>>()[..] {
            ["1", "6", "unix", addr, "grpc", cert] if !cert.is_empty() => {
                (PathBuf::from(addr), cert.to_owned())
            }
            _ => {
                let _ = child.kill();
                return Err(ClientError::Handshake(line));
            }
        };
        let tls = ours.connector(&theirs)?;
        let channel = Endpoint::from_static("http://plugin")
            .connect_with_connector(tower::service_fn(move |_: Uri| {
                let (socket, tls) = (socket.clone(), tls.clone());
                async move {
                    let stream = UnixStream::connect(socket).await?;
                    let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
                    tls.connect(name, stream).await.map(TokioIo::new)
                }
            }))
            .await?;
        let mut plugin = Plugin {
            child: Some(child),
            channel,
            provider: Type::Dynamic,
            resources: HashMap::new(),
            lists: HashMap::new(),
        };
        let schemas = plugin
            .client()
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await?
            .into_inner();
        check(&schemas.diagnostics)?;
        let identities = match plugin
            .client()
            .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
            .await
        {
            Ok(answer) => {
                let answer = answer.into_inner();
                check(&answer.diagnostics)?;
                answer.identity_schemas
            }
            Err(status) if status.code() == tonic::Code::Unimplemented => HashMap::new(),
            Err(status) => return Err(status.into()),
        };
        plugin.provider = schema_type(schemas.provider.as_ref())?;
        for (name, schema) in &schemas.list_resource_schemas {
            plugin
                .lists
                .insert(name.clone(), schema_type(Some(schema))?);
        }
        for (name, schema) in &schemas.resource_schemas {
            let attributes = schema
                .block
                .as_ref()
                .map(|b| b.attributes.as_slice())
                .unwrap_or_default();
            let named = |keep: fn(&pb::schema::Attribute) -> bool| {
                attributes
                    .iter()
                    .filter(|a| keep(a))
                    .map(|a| a.name.clone())
                    .collect()
            };
            let identity = identities.get(name).map(identity_type).transpose()?;
            plugin.resources.insert(
                name.clone(),
                ResourceType {
                    ty: schema_type(Some(schema))?,
                    version: schema.version,
                    computed: named(|a| a.computed),
                    write_only: named(|a| a.write_only),
                    identity,
                },
            );
        }
        Ok(plugin)
    }

    fn client(&self) -> ProviderClient<Channel> {
        ProviderClient::new(self.channel.clone())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE)
    }

    /// The provider configuration's type, for building a `configure` value.
    pub fn provider_type(&self) -> &Type {
        &self.provider
    }

    fn resource(&self, name: &str) -> Result<&ResourceType, ClientError> {
        self.resources
            .get(name)
            .ok_or_else(|| ClientError::UnknownType(name.to_owned()))
    }

    /// A resource type's object type, for building configurations.
    pub fn resource_type(&self, name: &str) -> Result<&Type, ClientError> {
        Ok(&self.resource(name)?.ty)
    }

    /// Every resource type, sorted.
    pub fn resource_types(&self) -> Vec<String> {
        let mut names: Vec<String> = self.resources.keys().cloned().collect();
        names.sort();
        names
    }

    /// The schema version a resource type's states are stored with.
    pub fn schema_version(&self, name: &str) -> Result<i64, ClientError> {
        Ok(self.resource(name)?.version)
    }

    /// A resource type's identity type; `None` when it has no identity.
    pub fn identity_type(&self, name: &str) -> Result<Option<&Type>, ClientError> {
        Ok(self.resource(name)?.identity.as_ref())
    }

    /// `ValidateProviderConfig`, then `ConfigureProvider`, with `config` (an object of the
    /// provider's type), as every Terraform walk does before using a provider, with the
    /// capabilities a Terraform release has (write-only attributes; no deferrals).
    pub async fn configure(
        &self,
        terraform_version: &str,
        config: &Value,
    ) -> Result<(), ClientError> {
        let valid = self
            .client()
            .validate_provider_config(pb::validate_provider_config::Request {
                config: Some(dynamic(config, &self.provider)),
            })
            .await?
            .into_inner();
        check(&valid.diagnostics)?;
        let answer = self
            .client()
            .configure_provider(pb::configure_provider::Request {
                terraform_version: terraform_version.to_owned(),
                config: Some(dynamic(config, &self.provider)),
                client_capabilities: Some(capabilities()),
            })
            .await?
            .into_inner();
        check(&answer.diagnostics)
    }

    /// `ImportResourceState`: the objects the provider says `id` stands for.
    pub async fn import(&self, type_name: &str, id: &str) -> Result<Vec<Object>, ClientError> {
        self.import_request(pb::import_resource_state::Request {
            type_name: type_name.to_owned(),
            id: id.to_owned(),
            client_capabilities: Some(capabilities()),
            ..Default::default()
        })
        .await
    }

    /// What an `import` block does (`to` a resource, by `id` or, Terraform 1.12+, by
    /// `identity`): the import, which must give exactly one object (with its identity when
    /// imported by one), then the refresh of it, which must find it.
    pub async fn import_block(
        &self,
        type_name: &str,
        id: Option<&str>,
        identity: Option<&Value>,
    ) -> Result<Object, ClientError> {
        let rt = self.resource(type_name)?;
        let identity_dv = match (identity, &rt.identity) {
            (Some(given), Some(ty)) => Some(identity_data(given, ty)),
            (Some(_), None) => {
                return Err(ClientError::Refused(format!(
                    "Invalid import identity argument: {type_name} has no identity schema"
                )));
            }
            (None, _) => None,
        };
        let what = match (id, identity) {
            (_, Some(i)) => format!("Identity {i:?}"),
            (id, None) => format!("ID {:?}", id.unwrap_or_default()),
        };
        let mut imported = self
            .import_request(pb::import_resource_state::Request {
                type_name: type_name.to_owned(),
                id: id.unwrap_or_default().to_owned(),
                identity: identity_dv,
                client_capabilities: Some(capabilities()),
            })
            .await?;
        let object = match imported.len() {
            1 => imported.remove(0),
            0 => {
                return Err(ClientError::Refused(format!(
                    "Import returned no resources: while attempting to import with {what}, the \
                     provider returned no instance states."
                )));
            }
            _ => {
                return Err(ClientError::Refused(format!(
                    "Multiple import states not supported: while attempting to import with \
                     {what}, the provider returned multiple resource instance states."
                )));
            }
        };
        if identity.is_some() && object.identity.is_none() {
            return Err(ClientError::Refused(format!(
                "import of {type_name} didn't return an identity"
            )));
        }
        self.no_write_only(
            type_name,
            &object.state,
            "Import returned a non-null value for a write-only attribute",
        )?;
        self.read(&object).await?.ok_or_else(|| {
            ClientError::Refused(format!(
                "Cannot import non-existent remote object: while attempting to import an \
                 existing object to {type_name}, the provider detected that no object exists \
                 with the given {what}."
            ))
        })
    }

    async fn import_request(
        &self,
        request: pb::import_resource_state::Request,
    ) -> Result<Vec<Object>, ClientError> {
        let answer = self
            .client()
            .import_resource_state(request)
            .await?
            .into_inner();
        check(&answer.diagnostics)?;
        answer
            .imported_resources
            .into_iter()
            .map(|r| {
                let rt = self.resource(&r.type_name)?;
                let identity = self.identity_answer(&r.type_name, r.identity.as_ref(), true)?;
                Ok(Object {
                    state: undynamic(r.state.as_ref(), &rt.ty)?,
                    type_name: r.type_name,
                    private: r.private,
                    identity,
                })
            })
            .collect()
    }

    /// `ReadResource`: the object as it is now (`None` once it is gone). Its identity must
    /// be the one it had.
    pub async fn read(&self, object: &Object) -> Result<Option<Object>, ClientError> {
        let rt = self.resource(&object.type_name)?;
        let current_identity = match (&object.identity, &rt.identity) {
            (Some(i), Some(ty)) => Some(identity_data(i, ty)),
            _ => None,
        };
        let answer = self
            .client()
            .read_resource(pb::read_resource::Request {
                type_name: object.type_name.clone(),
                current_state: Some(dynamic(&object.state, &rt.ty)),
                private: object.private.clone(),
                client_capabilities: Some(capabilities()),
                current_identity,
                ..Default::default()
            })
            .await?
            .into_inner();
        check(&answer.diagnostics)?;
        let state = undynamic(answer.new_state.as_ref(), &rt.ty)?;
        let identity =
            self.identity_answer(&object.type_name, answer.new_identity.as_ref(), true)?;
        if state.is_null() {
            return Ok(None);
        }
        if let (Some(before), Some(after)) = (&object.identity, &identity)
            && before != after
        {
            return Err(ClientError::Refused(format!(
                "Unexpected Identity Change: the refresh of a {} changed its identity from \
                 {before:?} to {after:?}; an object's identity never changes.",
                object.type_name
            )));
        }
        self.no_write_only(
            &object.type_name,
            &state,
            "Provider returned a value for a write-only attribute",
        )?;
        Ok(Some(Object {
            type_name: object.type_name.clone(),
            state,
            private: answer.private,
            identity: identity.or_else(|| object.identity.clone()),
        }))
    }

    /// `ValidateResourceConfig`, as Terraform's validate walk sends it before any plan.
    pub async fn validate(&self, type_name: &str, config: &Value) -> Result<(), ClientError> {
        let rt = self.resource(type_name)?;
        let answer = self
            .client()
            .validate_resource_config(pb::validate_resource_config::Request {
                type_name: type_name.to_owned(),
                config: Some(dynamic(config, &rt.ty)),
                client_capabilities: Some(capabilities()),
            })
            .await?
            .into_inner();
        check(&answer.diagnostics)
    }

    /// `PlanResourceChange` of `config` (an object of the resource's type) over `prior`
    /// (`None` to create), with the proposed new state Terraform would send: the
    /// configuration, with computed attributes it leaves null taken from `prior`.
    pub async fn plan(
        &self,
        type_name: &str,
        prior: Option<&Object>,
        config: &Value,
    ) -> Result<Planned, ClientError> {
        let rt = self.resource(type_name)?;
        let prior_state = prior.map_or(Value::Null, |p| p.state.clone());
        let proposed = proposed_new(rt, &prior_state, config);
        let answer = self
            .client()
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: type_name.to_owned(),
                prior_state: Some(dynamic(&prior_state, &rt.ty)),
                proposed_new_state: Some(dynamic(&proposed, &rt.ty)),
                config: Some(dynamic(config, &rt.ty)),
                prior_private: prior.map(|p| p.private.clone()).unwrap_or_default(),
                prior_identity: match (prior.and_then(|p| p.identity.as_ref()), &rt.identity) {
                    (Some(i), Some(ty)) => Some(identity_data(i, ty)),
                    _ => None,
                },
                client_capabilities: Some(capabilities()),
                ..Default::default()
            })
            .await?
            .into_inner();
        check(&answer.diagnostics)?;
        let state = undynamic(answer.planned_state.as_ref(), &rt.ty)?;
        let requires_replace: Vec<String> = answer
            .requires_replace
            .iter()
            .filter_map(
                |p| match p.steps.first().and_then(|s| s.selector.as_ref()) {
                    Some(pb::attribute_path::step::Selector::AttributeName(n)) => Some(n.clone()),
                    _ => None,
                },
            )
            .collect();
        // An update must know the identity; a create or replacement may learn it at apply.
        let changes_object = prior.is_none() || !requires_replace.is_empty();
        let identity =
            self.identity_answer(type_name, answer.planned_identity.as_ref(), !changes_object)?;
        self.no_write_only(
            type_name,
            &state,
            "Provider returned a value for a write-only attribute",
        )?;
        Ok(Planned {
            state,
            requires_replace,
            private: answer.planned_private,
            identity,
        })
    }

    /// `ApplyResourceChange` of `planned` (a plan of `config` over `prior`; a null planned
    /// state destroys): the new object, `None` once destroyed. Every value the plan knew must
    /// be what was applied.
    pub async fn apply(
        &self,
        type_name: &str,
        prior: Option<&Object>,
        planned: &Planned,
        config: &Value,
    ) -> Result<Option<Object>, ClientError> {
        let rt = self.resource(type_name)?;
        let prior_state = prior.map_or(Value::Null, |p| p.state.clone());
        let answer = self
            .client()
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: type_name.to_owned(),
                prior_state: Some(dynamic(&prior_state, &rt.ty)),
                planned_state: Some(dynamic(&planned.state, &rt.ty)),
                config: Some(dynamic(config, &rt.ty)),
                planned_private: planned.private.clone(),
                planned_identity: match (&planned.identity, &rt.identity) {
                    (Some(i), Some(ty)) => Some(identity_data(i, ty)),
                    _ => None,
                },
                ..Default::default()
            })
            .await?
            .into_inner();
        check(&answer.diagnostics)?;
        let state = undynamic(answer.new_state.as_ref(), &rt.ty)?;
        let identity = self.identity_answer(type_name, answer.new_identity.as_ref(), true)?;
        if state.is_null() {
            return Ok(None);
        }
        if let (Value::Object(plan), Value::Object(new)) = (&planned.state, &state) {
            for (name, want) in plan {
                let got = new.get(name).unwrap_or(&Value::Null);
                if !want.contains_unknown() && want != got {
                    return Err(ClientError::Refused(format!(
                        "Provider produced inconsistent result after apply: when applying \
                         changes to {type_name}, .{name} was {want:?}, but now {got:?}."
                    )));
                }
            }
        }
        self.no_write_only(
            type_name,
            &state,
            "Provider returned a value for a write-only attribute",
        )?;
        Ok(Some(Object {
            type_name: type_name.to_owned(),
            state,
            private: answer.private,
            identity,
        }))
    }

    /// Every list resource type, sorted.
    pub fn list_types(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lists.keys().cloned().collect();
        names.sort();
        names
    }

    /// A list resource's `config` type, for building its configuration.
    pub fn list_config_type(&self, name: &str) -> Result<&Type, ClientError> {
        self.lists
            .get(name)
            .ok_or_else(|| ClientError::UnknownType(name.to_owned()))
    }

    /// What a `list` block does in `terraform query`: `ValidateListResourceConfig`, then
    /// `ListResource`, receiving no more than `limit` events. As Terraform, it needs the
    /// resource of the same name to have an identity, stops at the first error diagnostic,
    /// skips an event with warnings and no identity, and refuses one without identity or
    /// with an identity or object that does not fit its schema.
    pub async fn list(
        &self,
        type_name: &str,
        config: &Value,
        include_resource_object: bool,
        limit: i64,
    ) -> Result<Vec<Listed>, ClientError> {
        let config_ty = self.list_config_type(type_name)?;
        let rt = self.resource(type_name)?;
        let Some(identity_ty) = &rt.identity else {
            return Err(ClientError::Refused(format!(
                "Identity schema not found for resource type {type_name}; this is a bug in \
                 the provider"
            )));
        };
        let answer = self
            .client()
            .validate_list_resource_config(pb::validate_list_resource_config::Request {
                type_name: type_name.to_owned(),
                config: Some(dynamic(config, config_ty)),
                include_resource_object: Some(dynamic(
                    &Value::Bool(include_resource_object),
                    &Type::Bool,
                )),
                limit: Some(dynamic(
                    &Value::Number(value::Number::Int(limit)),
                    &Type::Number,
                )),
            })
            .await?
            .into_inner();
        check(&answer.diagnostics)?;
        let mut stream = self
            .client()
            .list_resource(pb::list_resource::Request {
                type_name: type_name.to_owned(),
                config: Some(dynamic(config, config_ty)),
                include_resource_object,
                limit,
            })
            .await?
            .into_inner();
        let mut found = Vec::new();
        while i64::try_from(found.len()).unwrap_or(i64::MAX) < limit {
            let Some(event) = stream.message().await? else {
                break;
            };
            check(&event.diagnostic)?;
            let data = event
                .identity
                .as_ref()
                .and_then(|i| i.identity_data.as_ref());
            let Some(data) = data else {
                if !event.diagnostic.is_empty() {
                    continue; // warnings only
                }
                return Err(ClientError::Refused(format!(
                    "missing identity data in ListResource event for {type_name}"
                )));
            };
            let identity = value::from_msgpack(&data.msgpack, identity_ty)?;
            let state = match (&event.resource_object, include_resource_object) {
                (Some(object), true) => Some(value::from_msgpack(&object.msgpack, &rt.ty)?),
                _ => None,
            };
            found.push(Listed {
                display_name: event.display_name,
                identity,
                state,
            });
        }
        Ok(found)
    }

    /// `UpgradeResourceState` of a state stored as `json` by schema `version`.
    pub async fn upgrade_state(
        &self,
        type_name: &str,
        version: i64,
        json: &str,
    ) -> Result<Value, ClientError> {
        let rt = self.resource(type_name)?;
        let answer = self
            .client()
            .upgrade_resource_state(pb::upgrade_resource_state::Request {
                type_name: type_name.to_owned(),
                version,
                raw_state: Some(pb::RawState {
                    json: json.as_bytes().to_vec(),
                    ..Default::default()
                }),
            })
            .await?
            .into_inner();
        check(&answer.diagnostics)?;
        let state = undynamic(answer.upgraded_state.as_ref(), &rt.ty)?;
        if state.contains_unknown() {
            return Err(ClientError::Refused(format!(
                "Invalid resource state upgrade: the upgraded state of {type_name} contains \
                 unknown values."
            )));
        }
        Ok(state)
    }

    /// `UpgradeResourceIdentity` of an identity stored as `json` by identity `version`.
    pub async fn upgrade_identity(
        &self,
        type_name: &str,
        version: i64,
        json: &str,
    ) -> Result<Value, ClientError> {
        let Some(ty) = &self.resource(type_name)?.identity else {
            return Err(ClientError::Refused(format!(
                "unknown resource identity type {type_name:?}"
            )));
        };
        let answer = self
            .client()
            .upgrade_resource_identity(pb::upgrade_resource_identity::Request {
                type_name: type_name.to_owned(),
                version,
                raw_identity: Some(pb::RawState {
                    json: json.as_bytes().to_vec(),
                    ..Default::default()
                }),
            })
            .await?
            .into_inner();
        check(&answer.diagnostics)?;
        let dv = answer
            .upgraded_identity
            .as_ref()
            .and_then(|i| i.identity_data.as_ref());
        let identity = undynamic(dv, ty)?;
        if identity.contains_unknown() {
            return Err(ClientError::Refused(format!(
                "Invalid resource identity upgrade: the upgraded identity of {type_name} \
                 contains unknown values."
            )));
        }
        Ok(identity)
    }

    /// An identity in an answer, checked as Terraform checks it: it fits the identity
    /// schema and, where `known` says it must be, holds no unknown value.
    fn identity_answer(
        &self,
        type_name: &str,
        data: Option<&pb::ResourceIdentityData>,
        known: bool,
    ) -> Result<Option<Value>, ClientError> {
        let Some(dv) = data.and_then(|d| d.identity_data.as_ref()) else {
            return Ok(None);
        };
        let Some(ty) = &self.resource(type_name)?.identity else {
            return Err(ClientError::Refused(format!(
                "unknown identity type {type_name:?}"
            )));
        };
        let identity = value::from_msgpack(&dv.msgpack, ty).map_err(|e| {
            ClientError::Refused(format!(
                "Provider produced an identity that doesn't match the schema: {type_name}: {e}"
            ))
        })?;
        if identity.is_null() {
            return Ok(None);
        }
        if known && identity.contains_unknown() {
            return Err(ClientError::Refused(format!(
                "Provider produced invalid identity: an identity with unknown values for \
                 {type_name}"
            )));
        }
        Ok(Some(identity))
    }

    /// Write-only attributes are never returned (Terraform refuses it, `summary` says how).
    fn no_write_only(
        &self,
        type_name: &str,
        state: &Value,
        summary: &str,
    ) -> Result<(), ClientError> {
        let (rt, Value::Object(attrs)) = (self.resource(type_name)?, state) else {
            return Ok(());
        };
        match rt
            .write_only
            .iter()
            .find(|a| attrs.get(*a).is_some_and(|v| !v.is_null()))
        {
            Some(a) => Err(ClientError::Refused(format!("{summary}: {type_name}.{a}"))),
            None => Ok(()),
        }
    }

    /// `StopProvider`, then go-plugin's `Shutdown`, then waits for the process to exit.
    pub async fn shutdown(mut self) -> Result<(), ClientError> {
        self.client()
            .stop_provider(pb::stop_provider::Request {})
            .await?;
        let _ = goplugin::grpc_controller_client::GrpcControllerClient::new(self.channel.clone())
            .shutdown(goplugin::Empty {})
            .await;
        // Waited for without blocking: the plugin's graceful stop waits for this side of the
        // connection, which the runtime must keep driving (on a single-threaded runtime a
        // blocking wait would never let it finish).
        if let Some(mut child) = self.child.take() {
            while child.try_wait()?.is_none() {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        Ok(())
    }

    /// Closes the connection without `StopProvider` or `Shutdown`, as a Terraform that dies
    /// does: the plugin's process, still running.
    pub async fn disconnect(mut self) -> Option<Child> {
        let child = self.child.take();
        drop(self);
        child
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child
            && let Ok(None) = child.try_wait()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What a Terraform release tells providers it can do.
fn capabilities() -> pb::ClientCapabilities {
    pb::ClientCapabilities {
        deferral_allowed: false,
        write_only_attributes_allowed: true,
    }
}

/// Terraform's `objchange.ProposedNew` for top-level attributes: the configuration, with a
/// computed attribute it leaves null taken from the prior state (nested values as
/// configured).
fn proposed_new(rt: &ResourceType, prior: &Value, config: &Value) -> Value {
    let (Value::Object(config), prior) = (config, prior) else {
        return config.clone();
    };
    let prior = match prior {
        Value::Object(p) => Some(p),
        _ => None,
    };
    Value::Object(
        config
            .iter()
            .map(|(name, v)| {
                let from_prior = v.is_null() && rt.computed.contains(name);
                let value = match prior.and_then(|p| p.get(name)) {
                    Some(p) if from_prior => p.clone(),
                    _ => v.clone(),
                };
                (name.clone(), value)
            })
            .collect(),
    )
}

/// Terraform's AutoMTLS client certificate, made as go-plugin makes it (`mtls.go`): a
/// self-signed ECDSA P-521 CA certificate for `localhost`, organisation HashiCorp, for client
/// and server authentication.
struct ClientCert {
    pem: String,
    der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl ClientCert {
    fn generate() -> Result<ClientCert, ClientError> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let tls = |e: rcgen::Error| ClientError::Tls(e.to_string());
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).map_err(tls)?;
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).map_err(tls)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "HashiCorp");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let cert = params.self_signed(&key).map_err(tls)?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(cert.der());
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        Ok(ClientCert {
            pem: format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                lines.join("\n")
            ),
            der: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }

    /// A TLS connector presenting this certificate and trusting exactly the one the plugin
    /// announced (base64 DER, go-plugin's encoding).
    fn connector(&self, announced: &str) -> Result<tokio_rustls::TlsConnector, ClientError> {
        let tls = |e: &dyn std::fmt::Display| ClientError::Tls(e.to_string());
        let theirs = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(announced.trim_end_matches('='))
            .map_err(|e| tls(&e))?;
        let crypto = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = Pinned::new(
            CertificateDer::from(theirs),
            "the certificate the plugin announced",
            &crypto,
        );
        let mut config = rustls::ClientConfig::builder_with_provider(crypto)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls(&e))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_client_auth_cert(
                vec![self.der.clone()],
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )
            .map_err(|e| tls(&e))?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
    }
}

/// Trusts exactly the certificate on the plugin's handshake line, as go-plugin's client does
/// (it makes that certificate its only root).
impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}

fn dynamic(v: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: value::to_msgpack(v, ty),
        json: Vec::new(),
    }
}

fn identity_data(v: &Value, ty: &Type) -> pb::ResourceIdentityData {
    pb::ResourceIdentityData {
        identity_data: Some(dynamic(v, ty)),
    }
}

fn undynamic(dv: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, ClientError> {
    match dv {
        Some(dv) if !dv.msgpack.is_empty() => Ok(value::from_msgpack(&dv.msgpack, ty)?),
        _ => Ok(Value::Null),
    }
}

/// Error diagnostics as one error, as Terraform would print them (warnings pass).
fn check(diagnostics: &[pb::Diagnostic]) -> Result<(), ClientError> {
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ClientError::Diagnostics(errors.join("\n")))
    }
}

/// The object type a schema's block stands for, as Terraform derives it.
fn schema_type(schema: Option<&pb::Schema>) -> Result<Type, ClientError> {
    let block = schema
        .and_then(|s| s.block.as_ref())
        .ok_or_else(|| ClientError::Schema("a schema without a block".into()))?;
    block_type(block)
}

fn block_type(block: &pb::schema::Block) -> Result<Type, ClientError> {
    let mut attrs = BTreeMap::new();
    for a in &block.attributes {
        attrs.insert(a.name.clone(), attribute_type(a)?);
    }
    for nested in &block.block_types {
        let inner = nested
            .block
            .as_ref()
            .ok_or_else(|| ClientError::Schema(format!("block {} has no body", nested.type_name)))
            .and_then(block_type)?;
        use pb::schema::nested_block::NestingMode as N;
        let ty = match N::try_from(nested.nesting) {
            Ok(N::Single | N::Group) => inner,
            Ok(N::List) => Type::List(Box::new(inner)),
            Ok(N::Set) => Type::Set(Box::new(inner)),
            Ok(N::Map) => Type::Map(Box::new(inner)),
            _ => {
                return Err(ClientError::Schema(format!(
                    "block {} has no nesting mode",
                    nested.type_name
                )));
            }
        };
        attrs.insert(nested.type_name.clone(), ty);
    }
    Ok(Type::Object(attrs))
}

fn attribute_type(a: &pb::schema::Attribute) -> Result<Type, ClientError> {
    let Some(nested) = &a.nested_type else {
        let json: serde_json::Value = serde_json::from_slice(&a.r#type)
            .map_err(|e| ClientError::Schema(format!("attribute {}: {e}", a.name)))?;
        return Ok(Type::from_json(&json)?);
    };
    let mut attrs = BTreeMap::new();
    for inner in &nested.attributes {
        attrs.insert(inner.name.clone(), attribute_type(inner)?);
    }
    let object = Type::Object(attrs);
    use pb::schema::object::NestingMode as N;
    match N::try_from(nested.nesting) {
        Ok(N::Single) => Ok(object),
        Ok(N::List) => Ok(Type::List(Box::new(object))),
        Ok(N::Set) => Ok(Type::Set(Box::new(object))),
        Ok(N::Map) => Ok(Type::Map(Box::new(object))),
        _ => Err(ClientError::Schema(format!(
            "attribute {} has no nesting mode",
            a.name
        ))),
    }
}

/// The object type an identity schema stands for.
fn identity_type(schema: &pb::ResourceIdentitySchema) -> Result<Type, ClientError> {
    let mut attrs = BTreeMap::new();
    for a in &schema.identity_attributes {
        let json: serde_json::Value = serde_json::from_slice(&a.r#type)
            .map_err(|e| ClientError::Schema(format!("identity attribute {}: {e}", a.name)))?;
        attrs.insert(a.name.clone(), Type::from_json(&json)?);
    }
    Ok(Type::Object(attrs))
}
