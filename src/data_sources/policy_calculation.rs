//! `duo_policy_calculation` data source: the policy in effect for one user signing in to one
//! application, so CI can assert policy (e.g. "contractors are denied on the VPN").

use async_trait::async_trait;

use crate::duo;
use crate::kinds::{Grant, ImportId, Kind};
use crate::plugin::{Attribute, DataSource, Diagnostics, Obj, Schema, Type, Value};
use crate::resources::{Action, Op, diagnose};

/// What `duo_policy_calculation` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_policy_calculation",
    noun: "policy calculation",
    plural: "policy calculations",
    read: Grant::Applications,
    write: None,
    data_sources: &[],
    natural_key: &[],
    import: ImportId::Id,
    export: None,
};

pub struct PolicyCalculation;

#[async_trait]
impl DataSource<duo::Client> for PolicyCalculation {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The policy Duo applies to one user signing in to one application: the global policy, overlaid \
             by the application's policy and by group policies.",
        )
        .attr(Attribute::string("integration_key").required().describe("The application."))
        .attr(Attribute::string("user_id").required().describe("The user."))
        .attr(Attribute::string("sections").computed().describe("The effective sections as JSON; read them with `jsondecode`."))
        .attr(Attribute::list_of("policy_keys", Type::String).computed().describe("The policies that contributed, global first."))
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let (ikey, uid) = (
            config.str("integration_key").unwrap_or_default(),
            config.str("user_id").unwrap_or_default(),
        );
        let calc = duo
            .calculate_policy(ikey, uid)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        let sections = calc
            .get("sections")
            .cloned()
            .unwrap_or_else(|| serde_json::json!({}));
        let keys = calc
            .get("policy_elements")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
            .filter_map(|e| e["policy_key"].as_str().map(Value::from))
            .collect();
        Ok(config
            .clone()
            .with("sections", sections.to_string())
            .with("policy_keys", Value::List(keys)))
    }
}
