//! `duo_group` data source: one group, found by `group_id` or by exact `name`.

use async_trait::async_trait;

use crate::duo;
use crate::plugin::{AttrPath, Attribute, DataSource, Diagnostic, Diagnostics, Obj, Schema};
use crate::resources::group::{Group, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct GroupLookup;

#[async_trait]
impl DataSource<duo::Client> for GroupLookup {
    fn type_name(&self) -> &'static str {
        "duo_group"
    }

    fn schema(&self) -> Schema {
        Group::schema()
            .as_data_source(
                "Looks up one Duo group by `group_id` or by exact, case-sensitive `name`. Requires the \
                 Admin API permission \"Grant read resource\".",
                &["name"],
            )
            .attr(Attribute::string("group_id").optional_computed().describe("The group's Duo ID. Give this or `name`."))
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        let given = ["group_id", "name"].map(|k| !config.get(k).is_null());
        match given {
            [true, true] => Diagnostic::error(
                "Conflicting lookup keys",
                "Give either `group_id` or `name`, not both.",
            )
            .at(AttrPath::root("name"))
            .into(),
            [false, false] => Diagnostic::error(
                "Missing lookup key",
                "Give `group_id` or `name` to find a group.",
            )
            .into(),
            _ => Diagnostics::default(),
        }
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let op = Op::new(Action::Read, "group");
        let group = if let Some(id) = config.str("group_id") {
            duo::gone_is_none(duo.get_group(id).await)
                .map_err(|e| diagnose(op, &e))?
                .ok_or_else(|| {
                    Diagnostic::error(
                        "Group not found",
                        format!("Duo has no group with ID {id:?}."),
                    )
                    .at(AttrPath::root("group_id"))
                })?
        } else {
            let name = config.str("name").unwrap_or_default();
            let mut matches: Vec<duo::Group> = duo
                .list_groups()
                .await
                .map_err(|e| diagnose(op, &e))?
                .into_iter()
                .filter(|g| g.name == name)
                .collect();
            match matches.len() {
                1 => matches.remove(0),
                0 => {
                    return Err(Diagnostic::error(
                        "Group not found",
                        format!("Duo has no group named {name:?}. Names are case-sensitive."),
                    )
                    .at(AttrPath::root("name"))
                    .into());
                }
                _ => {
                    let ids = matches
                        .iter()
                        .map(|g| g.group_id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(Diagnostic::error(
                        "Ambiguous group name",
                        format!("{} groups are named {name:?}: {ids}. Look the group up by `group_id` instead.", matches.len()),
                    )
                    .at(AttrPath::root("name"))
                    .into());
                }
            }
        };
        let id = group.group_id.clone();
        Ok(to_state(&group).with("group_id", id))
    }
}
