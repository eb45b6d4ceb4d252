//! Terraform ephemeral resources (Terraform 1.10 and later), one file per `duo_*` type: values
//! opened for one Terraform run and used in configuration, never written to a plan or a state.
//! Older Terraform never asks for them, so serving them changes nothing there.

pub mod integration_secret;

use crate::duo;
use crate::plugin::EphemeralResource;

/// Every ephemeral resource the provider serves.
pub fn all() -> Vec<Box<dyn EphemeralResource<duo::Client>>> {
    vec![Box::new(integration_secret::IntegrationSecret)]
}
