//! `duo_group` data source: one group, found by `group_id` or by exact `name`.

use async_trait::async_trait;

use super::{exactly_one_of, single};
use crate::duo;
use crate::plugin::{DataSource, Diagnostics, Obj, Schema, State};
use crate::resources::group::{Group, GroupState, KIND, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct GroupLookup;

crate::plugin::state! {
    /// What a group is looked up by besides the resource's `name`.
    struct Lookup {
        group_id: Option<String> {
            .optional_computed()
            .describe("The group's Duo ID. Give this or `name`.")
        },
    }
}

const KEYS: &[&str] = &[Lookup::group_id, GroupState::name];

#[async_trait]
impl DataSource<duo::Client> for GroupLookup {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        Group::schema()
            .as_data_source(
                "Looks up one Duo group by `group_id` or by exact, case-sensitive `name`.",
                &[GroupState::name],
            )
            .attrs(Lookup::attributes())
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        exactly_one_of(config, KEYS)
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let op = Op::new(Action::Read, &KIND);
        let key = Lookup::from_obj(config)?;
        let name = GroupState::from_obj(config)?.name.unwrap_or_default();
        let (matches, what, attr) = if let Some(id) = &key.group_id {
            let found = duo::gone_is_none(duo.get_group(id).await).map_err(|e| diagnose(op, &e))?;
            (
                found.into_iter().collect(),
                format!("group with ID {id:?}"),
                Lookup::group_id,
            )
        } else {
            let all = duo.list_groups().await.map_err(|e| diagnose(op, &e))?;
            (
                all.into_iter().filter(|g| g.name == name).collect(),
                format!("group named {name:?} (names are case-sensitive)"),
                GroupState::name,
            )
        };
        let group = single(matches, |g: &duo::Group| &g.group_id, &what, attr)?;
        let key = Lookup {
            group_id: Some(group.group_id.clone()),
        };
        Ok(to_state(&group).to_obj().merged(key.to_obj()))
    }
}
