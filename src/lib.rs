//! terraform-provider-duo: a Terraform provider for the Duo Security Admin API.
//!
//! # Layout
//! - [`plugin`]: the Terraform plugin protocol, values, schemas and plan logic: the `tfplugin`
//!   crate (`crates/tfplugin`), which has no Duo dependency.
//! - [`duo`]: the Duo Admin API client: the `duo-admin` crate (`crates/duo-admin`), which has no
//!   Terraform dependency.
//! - [`resources`], [`data_sources`] and [`ephemeral_resources`]: one file per `duo_*` type,
//!   mapping one to the other; [`list_resources`]: each listable type's resource listing,
//!   filtered, for `terraform query`.
//! - [`provider`]: the provider block and the registry of types.
//! - [`export`]: the `export` subcommand, which writes a whole account as Terraform.
//!
//! The binary (`src/main.rs`) starts the plugin server or runs `export`; this library also serves the
//! docs generator and the tests.

pub mod data_sources;
pub mod ephemeral_resources;
pub use duo_admin as duo;
pub mod export;
pub mod kinds;
pub mod list_resources;
pub use tfplugin as plugin;
pub mod provider;
pub mod resources;
