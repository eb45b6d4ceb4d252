//! `duo_policies` data source: every policy, the global one included.

use async_trait::async_trait;

use super::computed_objects;
use crate::duo;
use crate::plugin::{DataSource, Diagnostics, Obj, Schema, State, Value};
use crate::resources::policy::{PolicyLookupState, lookup_state};
use crate::resources::{Action, Op, diagnose};

pub struct Policies;

/// The computed list.
const POLICIES: &str = "policies";

#[async_trait]
impl DataSource<duo::Client> for Policies {
    fn type_name(&self) -> &'static str {
        "duo_policies"
    }

    fn schema(&self) -> Schema {
        let fields = PolicyLookupState::attributes();
        Schema::new("Lists every Duo policy.").attr(computed_objects(
            POLICIES,
            "Every policy; `sections` is JSON.",
            fields.iter().map(|a| (a.name.as_str(), a.ty.clone())),
        ))
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let all = duo
            .list_policies()
            .await
            .map_err(|e| diagnose(Op::all(Action::Read, &crate::resources::policy::KIND), &e))?;
        let rows = all.iter().map(|p| lookup_state(p).to_obj().into_value());
        Ok(config.clone().with(POLICIES, Value::List(rows.collect())))
    }
}
