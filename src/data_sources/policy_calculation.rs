//! `duo_policy_calculation` data source: the policy in effect for one user signing in to one
//! application, so CI can assert policy (e.g. "contractors are denied on the VPN").

use async_trait::async_trait;

use crate::duo;
use crate::kinds::{Grant, ImportId, Kind};
use serde_json::Value as Json;

use crate::plugin::{DataSource, Diagnostics, Obj, Schema, State};
use crate::resources::{Action, Op, diagnose};

/// What `duo_policy_calculation` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_policy_calculation",
    noun: "policy calculation",
    plural: "policy calculations",
    read: Grant::Applications,
    write: None,
    read_by: &[],
    natural_key: &[],
    unique_in_duo: false,
    import: ImportId::Id,
    export: None,
};

pub struct PolicyCalculation;

crate::plugin::state! {
    /// `duo_policy_calculation`'s question and Duo's answer.
    struct Calculation {
        integration_key: Option<String> { .required().describe("The application.") },
        user_id: Option<String> { .required().describe("The user.") },
        sections: Option<String> {
            .computed().describe("The effective sections as JSON; read them with `jsondecode`.")
        },
        policy_keys: Option<Vec<String>> {
            .computed().describe("The policies that contributed, global first.")
        },
    }
}

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
        .attrs(Calculation::attributes())
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let asked = Calculation::from_obj(config)?;
        let calc = duo
            .calculate_policy(
                asked.integration_key.as_deref().unwrap_or_default(),
                asked.user_id.as_deref().unwrap_or_default(),
            )
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        Ok(answer(asked, &Json::Object(calc)).to_obj())
    }
}

/// Duo's calculation: its sections, and the keys of the policies that made them.
fn answer(asked: Calculation, calc: &Json) -> Calculation {
    let sections = match &calc["sections"] {
        Json::Null => serde_json::json!({}),
        s => s.clone(),
    };
    let keys = calc["policy_elements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["policy_key"].as_str().map(str::to_owned))
        .collect();
    Calculation {
        sections: Some(sections.to_string()),
        policy_keys: Some(keys),
        ..asked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_lists_the_contributing_policies_in_order() {
        let asked = Calculation {
            integration_key: Some("DIA".into()),
            user_id: Some("DU1".into()),
            ..Calculation::default()
        };
        let calc = serde_json::json!({
            "sections": {"new_user": {"new_user_behavior": "deny"}},
            "policy_elements": [{"policy_key": "POG"}, {"policy_key": "PO1"}, {"other": 1}]
        });
        let got = answer(asked.clone(), &calc);
        assert_eq!(got.policy_keys, Some(vec!["POG".into(), "PO1".into()]));
        assert_eq!(got.integration_key.as_deref(), Some("DIA"));
        assert!(got.sections.as_deref().is_some_and(|s| s.contains("deny")));
        let nothing = answer(asked, &serde_json::json!({}));
        assert_eq!(nothing.sections.as_deref(), Some("{}"));
    }
}
