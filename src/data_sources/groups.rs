//! `duo_groups` data source: every group (read in pages of 500).

use async_trait::async_trait;

use super::{object_list, row};
use crate::duo;
use crate::plugin::{DataSource, Diagnostics, Obj, Schema};
use crate::resources::group::{Group, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct Groups;

#[async_trait]
impl DataSource<duo::Client> for Groups {
    fn type_name(&self) -> &'static str {
        "duo_groups"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Lists every Duo group. Requires the Admin API permission \"Grant read resource\".",
        )
        .attr(object_list(
            "groups",
            "Every group, with the attributes of `duo_group`.",
            &Group::schema(),
            &[],
        ))
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let groups = duo
            .list_groups()
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, "groups"), &e))?;
        Ok(config.clone().with(
            "groups",
            crate::plugin::Value::List(groups.iter().map(|g| row(to_state(g), &[])).collect()),
        ))
    }
}
