//! `duo_groups` data source: every group (read in pages of 500).

use super::listing::Listing;
use crate::duo;
use crate::plugin::State;
use crate::resources::group::{Group, to_state};

pub fn data_source() -> Listing<duo::Group> {
    Listing {
        type_name: "duo_groups",
        description: "Lists every Duo group.",
        attr: "groups",
        attr_description: "Every group, with the attributes of `duo_group`.",
        kind: &crate::resources::group::KIND,
        resource: Group::schema,
        omit: &[],
        filter: None,
        list: |duo| Box::pin(duo.list_groups()),
        to_state: |g| to_state(g).to_obj(),
    }
}
