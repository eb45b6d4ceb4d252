//! `duo_phones` data source: every phone, or the one with a given number.

use super::listing::{Filter, Listing};
use crate::duo;
use crate::plugin::State;
use crate::resources::phone::{Phone, normalize_number, to_state};

pub fn data_source() -> Listing<duo::Phone> {
    Listing {
        type_name: "duo_phones",
        description: "Lists Duo phones, all of them or those with a given number.",
        attr: "phones",
        attr_description: "The phones, with the attributes of `duo_phone`.",
        kind: &crate::resources::phone::KIND,
        resource: Phone::schema,
        omit: &[],
        filter: Some(Filter {
            arg: "number",
            description: "Only phones with this number (compared as Duo normalises numbers).",
            keep: same_number,
        }),
        list: |duo| Box::pin(duo.list_phones()),
        to_state: |p| to_state(p).to_obj(),
    }
}

/// Numbers compare as Duo normalises them; one that cannot be normalised matches nothing.
fn same_number(p: &duo::Phone, given: &str) -> bool {
    let wanted = normalize_number(given);
    wanted.is_some() && wanted == p.number.as_deref().and_then(normalize_number)
}
