//! The Terraform plugin layer: protocol 6 over gRPC, values, schemas, diagnostics and the
//! plan logic every resource shares.
//!
//! **Invariant:** nothing here knows about Duo, and the crate has no dependency that could: a
//! provider plugs in through the [`Provider`], [`Resource`], [`DataSource`] and [`EphemeralResource`]
//! traits, generic
//! over its own client type, and names itself ([`Provider::DISPLAY_NAME`]) in what users read.
//! Generated protocol types never leave this crate.

#[cfg(feature = "client")]
pub mod client;
mod diag;
mod framework;
pub mod hcl;
pub mod log;
mod proto;
mod schema;
mod serve;
mod server;
mod typed;
mod value;

pub use diag::{AttrPath, Diagnostic, Diagnostics, PathStep, Severity};
pub use framework::{
    DataSource, EphemeralResource, Failed, Found, ID, ListResource, Managed, Obj, Plan, Provider,
    Resource, Scope, Take, import_by_id, plan,
};
pub use schema::{Attribute, Block, BlockNesting, Identity, Mode, Nesting, Schema, Validator};
pub use serve::{ServeError, serve, serve_debug};
pub use server::{ProviderService, Schemas};
pub use typed::{AttrType, IntoObj, State, attr_name};
pub use value::{CodecError, Number, Type, Value, from_json, from_msgpack, to_json, to_msgpack};
