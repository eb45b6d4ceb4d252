//! `duo_policies` data source: every policy, the global one included.

use async_trait::async_trait;

use super::computed_objects;
use crate::duo;
use crate::plugin::{DataSource, Diagnostics, Obj, Schema, Type, Value};
use crate::resources::{Action, Op, diagnose};

pub struct Policies;

#[async_trait]
impl DataSource<duo::Client> for Policies {
    fn type_name(&self) -> &'static str {
        "duo_policies"
    }

    fn schema(&self) -> Schema {
        Schema::new("Lists every Duo policy.").attr(computed_objects(
            "policies",
            "Every policy; `sections` is JSON.",
            [
                ("policy_key", Type::String),
                ("policy_name", Type::String),
                ("is_global_policy", Type::Bool),
                ("sections", Type::String),
            ],
        ))
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let all = duo
            .list_policies()
            .await
            .map_err(|e| diagnose(Op::all(Action::Read, &crate::resources::policy::KIND), &e))?;
        let rows = all
            .iter()
            .map(|p| crate::resources::policy::lookup_state(p).into_value());
        Ok(config.clone().with("policies", Value::List(rows.collect())))
    }
}
