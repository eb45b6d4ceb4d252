//! `duo_admins` data source: every administrator.

use async_trait::async_trait;

use super::admin::NOT_READ;
use super::{object_list, row};
use crate::duo;
use crate::plugin::{DataSource, Diagnostics, Obj, Schema, Value};
use crate::resources::admin::{Admin, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct Admins;

#[async_trait]
impl DataSource<duo::Client> for Admins {
    fn type_name(&self) -> &'static str {
        "duo_admins"
    }

    fn schema(&self) -> Schema {
        Schema::new("Lists every Duo administrator. Requires the Admin API permission \"Grant administrators\".")
            .attr(object_list("admins", "Every administrator, with the attributes of `duo_admin`.", &Admin::schema(), NOT_READ))
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let all = duo
            .list_admins()
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, "administrators"), &e))?;
        Ok(config.clone().with(
            "admins",
            Value::List(all.iter().map(|a| row(to_state(a), NOT_READ)).collect()),
        ))
    }
}
