//! The Terraform side of the protocol: starts a provider binary the way Terraform's plugin
//! client does (magic cookie, protocol versions, go-plugin handshake line) and calls its RPCs
//! with typed values.
//!
//! It exists so that tests and benchmarks can drive the built provider exactly as Terraform
//! would, where the installed Terraform cannot: features newer than it, and states too large
//! for Terraform's own graph work to finish in a session. Types come from the provider's own
//! `GetProviderSchema` answer, as Terraform takes them, not from the provider's code.
//! Compiled only with the `client` feature; the provider itself never needs it.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint, Uri};

use super::proto::goplugin;
use super::proto::tfplugin6 as pb;
use super::proto::tfplugin6::provider_client::ProviderClient;
use super::serve::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, MAX_MESSAGE};
use super::value::{self, Type, Value};

/// Why a call to the plugin failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot start the plugin: {0}")]
    Start(#[from] std::io::Error),
    #[error("the plugin's handshake line is not go-plugin's: {0:?}")]
    Handshake(String),
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
}

/// An object a resource RPC answered with: its state and the provider's private bytes.
#[derive(Debug, Clone)]
pub struct Object {
    pub type_name: String,
    pub state: Value,
    pub private: Vec<u8>,
}

/// A running provider plugin, connected.
pub struct Plugin {
    /// Taken only by [`Plugin::disconnect`].
    child: Option<Child>,
    channel: Channel,
    provider: Type,
    resources: HashMap<String, Type>,
}

impl Plugin {
    /// Starts `command` as Terraform starts a provider (without AutoMTLS), completes the
    /// handshake and reads the schemas.
    pub async fn start(mut command: Command) -> Result<Plugin, ClientError> {
        let mut child = command
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env_remove("PLUGIN_CLIENT_CERT")
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
        let socket = match line.trim_end().split('|').collect::<Vec<_>>()[..] {
            ["1", "6", "unix", addr, "grpc", _] => PathBuf::from(addr),
            _ => {
                let _ = child.kill();
                return Err(ClientError::Handshake(line));
            }
        };
        let channel = Endpoint::from_static("http://plugin")
            .connect_with_connector(tower::service_fn(move |_: Uri| {
                let socket = socket.clone();
                async move { UnixStream::connect(socket).await.map(TokioIo::new) }
            }))
            .await?;
        let mut plugin = Plugin {
            child: Some(child),
            channel,
            provider: Type::Dynamic,
            resources: HashMap::new(),
        };
        let schemas = plugin
            .client()
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await?
            .into_inner();
        check(&schemas.diagnostics)?;
        plugin.provider = schema_type(schemas.provider.as_ref())?;
        for (name, schema) in &schemas.resource_schemas {
            plugin
                .resources
                .insert(name.clone(), schema_type(Some(schema))?);
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

    fn resource_type(&self, name: &str) -> Result<&Type, ClientError> {
        self.resources
            .get(name)
            .ok_or_else(|| ClientError::UnknownType(name.to_owned()))
    }

    /// `ConfigureProvider` with `config` (an object of the provider's type).
    pub async fn configure(
        &self,
        terraform_version: &str,
        config: &Value,
    ) -> Result<(), ClientError> {
        let answer = self
            .client()
            .configure_provider(pb::configure_provider::Request {
                terraform_version: terraform_version.to_owned(),
                config: Some(dynamic(config, &self.provider)),
                client_capabilities: None,
            })
            .await?
            .into_inner();
        check(&answer.diagnostics)
    }

    /// `ImportResourceState`: the objects the provider says `id` stands for.
    pub async fn import(&self, type_name: &str, id: &str) -> Result<Vec<Object>, ClientError> {
        let answer = self
            .client()
            .import_resource_state(pb::import_resource_state::Request {
                type_name: type_name.to_owned(),
                id: id.to_owned(),
                ..Default::default()
            })
            .await?
            .into_inner();
        check(&answer.diagnostics)?;
        answer
            .imported_resources
            .into_iter()
            .map(|r| {
                let ty = self.resource_type(&r.type_name)?;
                Ok(Object {
                    state: undynamic(r.state.as_ref(), ty)?,
                    type_name: r.type_name,
                    private: r.private,
                })
            })
            .collect()
    }

    /// `ReadResource`: the object as it is now (`None` once it is gone).
    pub async fn read(&self, object: &Object) -> Result<Option<Object>, ClientError> {
        let ty = self.resource_type(&object.type_name)?;
        let answer = self
            .client()
            .read_resource(pb::read_resource::Request {
                type_name: object.type_name.clone(),
                current_state: Some(dynamic(&object.state, ty)),
                private: object.private.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        check(&answer.diagnostics)?;
        let state = undynamic(answer.new_state.as_ref(), ty)?;
        Ok((!state.is_null()).then(|| Object {
            type_name: object.type_name.clone(),
            state,
            private: answer.private,
        }))
    }

    /// `StopProvider`, then go-plugin's `Shutdown`, then waits for the process to exit.
    pub async fn shutdown(mut self) -> Result<(), ClientError> {
        self.client()
            .stop_provider(pb::stop_provider::Request {})
            .await?;
        let _ = goplugin::grpc_controller_client::GrpcControllerClient::new(self.channel.clone())
            .shutdown(goplugin::Empty {})
            .await;
        if let Some(mut child) = self.child.take() {
            child.wait()?;
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

fn dynamic(v: &Value, ty: &Type) -> pb::DynamicValue {
    pb::DynamicValue {
        msgpack: value::to_msgpack(v, ty),
        json: Vec::new(),
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
