//! `duo_integrations` data source: every application, without secret keys.

use super::integration::SECRET;
use super::listing::Listing;
use crate::duo;
use crate::plugin::State;
use crate::resources::integration::{Integration, to_state};

pub fn data_source() -> Listing<duo::Integration> {
    Listing {
        type_name: "duo_integrations",
        description: "Lists every Duo application, without secret keys.",
        attr: "integrations",
        attr_description: "Every application, with the attributes of `duo_integration` but the secret key.",
        kind: &crate::resources::integration::KIND,
        resource: Integration::schema,
        omit: SECRET,
        filter: None,
        list: |duo| Box::pin(duo.list_integrations()),
        to_state: |i| to_state(i).to_obj(),
    }
}
