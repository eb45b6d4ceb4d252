//! `duo_policy` data source: one policy by `policy_key` or exact `policy_name`, or the global
//! policy with `global = true`.

use async_trait::async_trait;

use super::{exactly_one_of, single};
use crate::duo;
use crate::plugin::{Attribute, DataSource, Diagnostics, Obj, Schema};
use crate::resources::{Action, Op, diagnose};

pub struct PolicyLookup;

const KEYS: &[&str] = &["policy_key", "policy_name", "global"];

#[async_trait]
impl DataSource<duo::Client> for PolicyLookup {
    fn type_name(&self) -> &'static str {
        "duo_policy"
    }

    fn schema(&self) -> Schema {
        Schema::new("Looks up one Duo policy.")
            .attr(
                Attribute::string("policy_key")
                    .optional_computed()
                    .describe("The policy key. Give this, `policy_name` or `global`."),
            )
            .attr(
                Attribute::string("policy_name")
                    .optional_computed()
                    .describe("The exact policy name."),
            )
            .attr(
                Attribute::bool("global")
                    .optional()
                    .describe("`true` for the global policy."),
            )
            .attr(
                Attribute::bool("is_global_policy")
                    .computed()
                    .describe("Whether this is the global policy."),
            )
            .attr(
                Attribute::string("sections")
                    .computed()
                    .describe("Every section as Duo holds it, as JSON."),
            )
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        exactly_one_of(config, KEYS)
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let fail =
            |e: duo::Error| diagnose(Op::new(Action::Read, &crate::resources::policy::KIND), &e);
        let (matches, what, attr) = if config.bool("global") == Some(true) {
            (
                vec![duo.get_policy("global").await.map_err(fail)?],
                "global policy".to_owned(),
                "global",
            )
        } else if let Some(key) = config.str("policy_key") {
            (
                duo::gone_is_none(duo.get_policy(key).await)
                    .map_err(fail)?
                    .into_iter()
                    .collect(),
                format!("policy with key {key:?}"),
                "policy_key",
            )
        } else {
            let name = config.str("policy_name").unwrap_or_default();
            let all = duo.list_policies().await.map_err(fail)?;
            (
                all.into_iter().filter(|p| p.policy_name == name).collect(),
                format!("policy named {name:?}"),
                "policy_name",
            )
        };
        let p = single(matches, |p: &duo::Policy| &p.policy_key, &what, attr)?;
        Ok(config
            .clone()
            .merged(crate::resources::policy::lookup_state(&p)))
    }
}
