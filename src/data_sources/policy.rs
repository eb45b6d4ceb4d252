//! `duo_policy` data source: one policy by `policy_key` or exact `policy_name`, or the global
//! policy with `global = true`.

use super::lookup::{Added, Key, Lookup, by_id};
use crate::duo;
use crate::plugin::{Schema, State};
use crate::resources::policy::{KIND, PolicyLookupState, lookup_state};

pub fn data_source() -> Lookup<duo::Policy> {
    Lookup {
        type_name: KIND.type_name,
        description: "Looks up one Duo policy.",
        kind: &KIND,
        resource: || Schema::new("").attrs(PolicyLookupState::attributes()),
        omit: &[],
        keys: &[
            Key {
                attr: PolicyLookupState::policy_key,
                added: None,
                what: |key| format!("policy with key {key:?}"),
                find: |duo, key| Box::pin(by_id(duo.get_policy(key))),
            },
            Key {
                attr: PolicyLookupState::policy_name,
                added: None,
                what: |name| format!("policy named {name:?}"),
                find: |duo, name| {
                    Box::pin(async move {
                        let all = duo.list_policies().await?;
                        Ok(all.into_iter().filter(|p| p.policy_name == name).collect())
                    })
                },
            },
            Key {
                attr: "global",
                added: Some(Added::Flag("`true` for the global policy.")),
                what: |_| "global policy".to_owned(),
                find: |duo, _| Box::pin(by_id(duo.get_policy("global"))),
            },
        ],
        id_of: |p| &p.policy_key,
        to_state: |p| lookup_state(p).to_obj(),
    }
}
