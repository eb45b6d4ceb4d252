//! `duo_group` data source: one group, found by `group_id` or by exact `name`.

use async_trait::async_trait;

use super::{exactly_one_of, single};
use crate::duo;
use crate::plugin::{Attribute, DataSource, Diagnostics, Obj, Schema};
use crate::resources::group::{Group, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct GroupLookup;

const KEYS: &[&str] = &["group_id", "name"];

#[async_trait]
impl DataSource<duo::Client> for GroupLookup {
    fn type_name(&self) -> &'static str {
        "duo_group"
    }

    fn schema(&self) -> Schema {
        Group::schema()
            .as_data_source(
                "Looks up one Duo group by `group_id` or by exact, case-sensitive `name`.",
                &["name"],
            )
            .attr(
                Attribute::string("group_id")
                    .optional_computed()
                    .describe("The group's Duo ID. Give this or `name`."),
            )
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        exactly_one_of(config, KEYS)
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let op = Op::new(Action::Read, &crate::resources::group::KIND);
        let matches = if let Some(id) = config.str("group_id") {
            duo::gone_is_none(duo.get_group(id).await)
                .map_err(|e| diagnose(op, &e))?
                .into_iter()
                .collect()
        } else {
            let name = config.str("name").unwrap_or_default();
            duo.list_groups()
                .await
                .map_err(|e| diagnose(op, &e))?
                .into_iter()
                .filter(|g| g.name == name)
                .collect()
        };
        let what = match config.str("group_id") {
            Some(id) => format!("group with ID {id:?}"),
            None => format!(
                "group named {:?} (names are case-sensitive)",
                config.str("name").unwrap_or_default()
            ),
        };
        let attr = if config.str("group_id").is_some() {
            "group_id"
        } else {
            "name"
        };
        let group = single(matches, |g: &duo::Group| &g.group_id, &what, attr)?;
        let id = group.group_id.clone();
        Ok(to_state(&group).with("group_id", id))
    }
}
