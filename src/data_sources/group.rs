//! `duo_group` data source: one group, found by `group_id` or by exact `name`.

use super::lookup::{Added, Key, Lookup, by_id};
use crate::duo;
use crate::plugin::State;
use crate::resources::group::{Group, GroupState, KIND, to_state};

pub fn data_source() -> Lookup<duo::Group> {
    Lookup {
        type_name: KIND.type_name,
        description: "Looks up one Duo group by `group_id` or by exact, case-sensitive `name`.",
        kind: &KIND,
        resource: Group::schema,
        omit: &[],
        keys: &[
            Key {
                attr: "group_id",
                added: Some(Added::Text("The group's Duo ID. Give this or `name`.")),
                what: |id| format!("group with ID {id:?}"),
                find: |duo, id| Box::pin(by_id(duo.get_group(id))),
            },
            Key {
                attr: GroupState::name,
                added: None,
                what: |name| format!("group named {name:?} (names are case-sensitive)"),
                find: |duo, name| {
                    Box::pin(async move {
                        let all = duo.list_groups().await?;
                        Ok(all.into_iter().filter(|g| g.name == name).collect())
                    })
                },
            },
        ],
        id_of: |g| &g.group_id,
        to_state: |g| to_state(g).to_obj(),
    }
}
