//! `duo_policy` data source: one policy by `policy_key` or exact `policy_name`, or the global
//! policy with `global = true`.

use async_trait::async_trait;

use super::{exactly_one_of, single};
use crate::duo;
use crate::plugin::{DataSource, Diagnostics, Obj, Schema, State};
use crate::resources::policy::{PolicyLookupState, lookup_state};
use crate::resources::{Action, Op, diagnose};

pub struct PolicyLookup;

crate::plugin::state! {
    /// The key that asks for the global policy.
    struct Global {
        global: Option<bool> { .optional().describe("`true` for the global policy.") },
    }
}

const KEYS: &[&str] = &[
    PolicyLookupState::policy_key,
    PolicyLookupState::policy_name,
    Global::global,
];

#[async_trait]
impl DataSource<duo::Client> for PolicyLookup {
    fn type_name(&self) -> &'static str {
        "duo_policy"
    }

    fn schema(&self) -> Schema {
        Schema::new("Looks up one Duo policy.")
            .attrs(PolicyLookupState::attributes())
            .attrs(Global::attributes())
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        exactly_one_of(config, KEYS)
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let fail =
            |e: duo::Error| diagnose(Op::new(Action::Read, &crate::resources::policy::KIND), &e);
        let keys = PolicyLookupState::from_obj(config)?;
        let (matches, what, attr) = if Global::from_obj(config)?.global == Some(true) {
            (
                vec![duo.get_policy("global").await.map_err(fail)?],
                "global policy".to_owned(),
                Global::global,
            )
        } else if let Some(key) = &keys.policy_key {
            (
                duo::gone_is_none(duo.get_policy(key).await)
                    .map_err(fail)?
                    .into_iter()
                    .collect(),
                format!("policy with key {key:?}"),
                PolicyLookupState::policy_key,
            )
        } else {
            let name = keys.policy_name.clone().unwrap_or_default();
            let all = duo.list_policies().await.map_err(fail)?;
            (
                all.into_iter().filter(|p| p.policy_name == name).collect(),
                format!("policy named {name:?}"),
                PolicyLookupState::policy_name,
            )
        };
        let p = single(matches, |p: &duo::Policy| &p.policy_key, &what, attr)?;
        Ok(config.clone().merged(lookup_state(&p).to_obj()))
    }
}
