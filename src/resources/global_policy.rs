//! `duo_global_policy`: the account's global policy, which always exists. Manages only the
//! section keys it sets, remembers what they were before (`original_sections`), and on
//! destroy puts them back, leaving the tenant as it was.

use async_trait::async_trait;
use serde_json::{Map, Value as Json, json};

use super::policy::{HINTS, parse_sections, sections_validator, sections_within};
use super::{Action, Op, diagnose, diagnose_with, keep};
use crate::duo;
use crate::kinds::{Grant, Kind};
use crate::plugin::{Diagnostic, Diagnostics, Failed, Obj, Resource, Schema, State, Take};

/// What `duo_global_policy` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind =
    Kind::account_wide("duo_global_policy", "global policy", Grant::Applications);

pub struct GlobalPolicy;

const ID: &str = "global";

/// The values `duo` holds for the keys `keys` sets.
fn project(duo: &Map<String, Json>, keys: &Map<String, Json>) -> Map<String, Json> {
    keys.iter()
        .filter_map(|(name, section)| {
            let duo_section = duo.get(name)?.as_object()?;
            let kept: Map<String, Json> = section
                .as_object()?
                .keys()
                .filter_map(|k| Some((k.clone(), duo_section.get(k)?.clone())))
                .collect();
            Some((name.clone(), Json::Object(kept)))
        })
        .collect()
}

/// `base` with every key of `over` set.
fn overlay(mut base: Map<String, Json>, over: &Map<String, Json>) -> Map<String, Json> {
    for (name, section) in over {
        let entry = base.entry(name.clone()).or_insert_with(|| json!({}));
        if let (Some(target), Some(keys)) = (entry.as_object_mut(), section.as_object()) {
            for (k, v) in keys {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    base
}

crate::plugin::state! {
    /// `duo_global_policy`'s state, plan and configuration.
    pub struct GlobalPolicyState {
        id: Option<String> { .computed().use_state_for_unknown().describe("Always `global`.") },
        policy_key: Option<String> {
            .computed().use_state_for_unknown().describe("The global policy's key.")
        },
        sections: Option<String> {
            .required()
            .normalized(sections_within)
            .validate(sections_validator())
            .describe("The section keys to set, as JSON, e.g. `jsonencode({ authentication_policy = { user_auth_behavior = \"enforce\" } })`.")
        },
        original_sections: Option<String> {
            .computed()
            .describe("What the managed keys were before Terraform set them, restored on destroy (JSON).")
        },
    }
}

/// Sections written as JSON text; none when there is none or it does not parse.
fn sections(text: &Option<String>) -> Map<String, Json> {
    text.as_deref().and_then(parse_sections).unwrap_or_default()
}

impl GlobalPolicy {
    fn state(
        global: &duo::Policy,
        spelled: &GlobalPolicyState,
        original: &Map<String, Json>,
    ) -> Obj {
        let mut o = GlobalPolicyState {
            id: Some(ID.to_owned()),
            policy_key: Some(global.policy_key.clone()),
            sections: Some(Json::Object(global.sections.clone()).to_string()),
            original_sections: Some(Json::Object(original.clone()).to_string()),
        };
        keep(&mut o.sections, &spelled.sections, sections_within);
        o.to_obj()
    }

    async fn put(
        &self,
        duo: &duo::Client,
        body: &Map<String, Json>,
        action: Action,
    ) -> Result<duo::Policy, Failed> {
        duo.update_policy(ID, &json!({"sections": body}))
            .await
            .map_err(|e| diagnose_with(Op::new(action, &KIND), &e, HINTS).into())
    }
}

#[async_trait]
impl Resource<duo::Client> for GlobalPolicy {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The account's global policy, which applies wherever no custom policy does. Manages only the \
             section keys given; destroying it restores the values those keys had before Terraform changed \
             them. Import with the ID `global` (an \
             imported global policy has nothing to restore).",
        )
        .attrs(GlobalPolicyState::attributes())
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let before = duo
            .get_policy(ID)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        let plan = GlobalPolicyState::from_obj(plan)?;
        let wanted = sections(&plan.sections);
        let original = project(&before.sections, &wanted);
        let after = self.put(duo, &wanted, Action::Create).await?;
        Ok(Self::state(&after, &plan, &original))
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let global = duo
            .get_policy(ID)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        let state = GlobalPolicyState::from_obj(state)?;
        Ok(Some(Self::state(
            &global,
            &state,
            &sections(&state.original_sections),
        )))
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let current = duo
            .get_policy(ID)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        let plan = GlobalPolicyState::from_obj(plan)?;
        let (was, wanted) = (
            sections(&GlobalPolicyState::from_obj(prior)?.original_sections),
            sections(&plan.sections),
        );
        // Keys no longer managed go back to what they were; newly managed ones are remembered.
        let remembered = overlay(project(&current.sections, &wanted), &project(&was, &wanted));
        let dropped: Map<String, Json> = was
            .iter()
            .filter_map(|(name, keys)| {
                let gone: Map<String, Json> = keys
                    .as_object()?
                    .iter()
                    .filter(|(k, _)| wanted.get(name).and_then(|s| s.get(k.as_str())).is_none())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                (!gone.is_empty()).then(|| (name.clone(), Json::Object(gone)))
            })
            .collect();
        let after = self
            .put(duo, &overlay(dropped, &wanted), Action::Update)
            .await?;
        Ok(Self::state(&after, &plan, &remembered))
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        let original = sections(&GlobalPolicyState::from_obj(state)?.original_sections);
        if original.is_empty() {
            return Ok(());
        }
        self.put(duo, &original, Action::Delete)
            .await
            .map(drop)
            .map_err(|f| f.diags)
    }

    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        if id != ID {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!("Import duo_global_policy with the ID \"global\", not {id:?}."),
            )
            .into());
        }
        let global = duo
            .get_policy(ID)
            .await
            .map_err(|e| diagnose(Op::new(Action::Import, &KIND), &e))?;
        Ok(Self::state(
            &global,
            &GlobalPolicyState::default(),
            &Map::new(),
        ))
    }

    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        Ok(take.from_all(vec![self.import(duo, ID).await?]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(j: Json) -> Map<String, Json> {
        j.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn only_the_managed_keys_are_remembered_and_the_planned_spelling_is_kept() {
        let duo_sections = map(json!({
            "authentication_policy": {"user_auth_behavior": "require", "other": 1},
            "browsers": {"blocked": []}
        }));
        let wanted = map(json!({"authentication_policy": {"user_auth_behavior": "enforce"}}));
        let original = project(&duo_sections, &wanted);
        assert_eq!(
            Json::Object(original.clone()),
            json!({"authentication_policy": {"user_auth_behavior": "require"}})
        );
        assert_eq!(
            overlay(duo_sections.clone(), &wanted)["authentication_policy"],
            json!({"user_auth_behavior": "enforce", "other": 1})
        );
        let global = duo::Policy {
            policy_key: "POG".into(),
            policy_name: "Global Policy".into(),
            is_global_policy: true,
            sections: overlay(duo_sections, &wanted),
            policy_applies_to: Vec::new(),
        };
        let spelled = GlobalPolicyState {
            sections: Some(
                r#"{ "authentication_policy" : { "user_auth_behavior" : "enforce" } }"#.into(),
            ),
            ..GlobalPolicyState::default()
        };
        let state = GlobalPolicyState::from_obj(&GlobalPolicy::state(&global, &spelled, &original))
            .unwrap_or_default();
        assert_eq!(
            state.sections, spelled.sections,
            "Duo's answer holds what was planned"
        );
        assert_eq!(sections(&state.original_sections), original);
        assert_eq!(state.policy_key.as_deref(), Some("POG"));
    }
}
