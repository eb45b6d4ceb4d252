//! Terraform data sources, one file per `duo_*` type. Each reuses its resource's schema
//! (`Schema::as_data_source`) and mapping, so a data source and its resource cannot disagree.

pub mod group;

use crate::duo;
use crate::plugin::DataSource;

/// Every data source the provider serves.
pub fn all() -> Vec<Box<dyn DataSource<duo::Client>>> {
    vec![Box::new(group::GroupLookup)]
}
