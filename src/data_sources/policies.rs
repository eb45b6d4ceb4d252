//! `duo_policies` data source: every policy, the global one included.

use super::listing::Listing;
use crate::duo;
use crate::plugin::{Schema, State};
use crate::resources::policy::{KIND, PolicyLookupState, lookup_state};

pub fn data_source() -> Listing<duo::Policy> {
    Listing {
        type_name: "duo_policies",
        description: "Lists every Duo policy.",
        attr: "policies",
        attr_description: "Every policy; `sections` is JSON.",
        kind: &KIND,
        resource: || Schema::new("").attrs(PolicyLookupState::attributes()),
        omit: &[],
        filter: None,
        list: |duo| Box::pin(duo.list_policies()),
        to_state: |p| lookup_state(p).to_obj(),
    }
}
