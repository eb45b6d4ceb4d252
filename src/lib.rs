//! terraform-provider-duo: a Terraform provider for the Duo Security Admin API.
//!
//! # Layout
//! - [`plugin`]: the Terraform plugin protocol, values, schemas and plan logic. Knows nothing
//!   of Duo.
//! - [`duo`]: the Duo Admin API client. Knows nothing of Terraform.
//! - [`resources`] and [`data_sources`]: one file per `duo_*` type, mapping one to the other.
//! - [`provider`]: the provider block and the registry of types.
//!
//! The binary (`src/main.rs`) only starts the plugin server; this library also serves the
//! docs generator and the tests.

pub mod data_sources;
pub mod duo;
pub mod plugin;
pub mod provider;
pub mod resources;
