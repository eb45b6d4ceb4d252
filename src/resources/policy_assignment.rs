//! `duo_policy_assignment`: one policy applied to one application, either to everyone using it
//! or only to members of some groups.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::{Value as Json, json};

use super::link::SetChanges;
use super::policy::HINTS;
use super::{Action, Op, diagnose, diagnose_with};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    Diagnostic, Diagnostics, Failed, Identity, Obj, Resource, Schema, State, Take, Value,
};

/// What `duo_policy_assignment` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_policy_assignment",
    noun: "policy assignment",
    plural: "policy assignments",
    read: Grant::Applications,
    write: None,
    read_by: &[],
    natural_key: &[],
    unique_in_duo: false,
    import: ImportId::Id,
    export: Some(Naming {
        from: &[
            AssignmentState::policy_key,
            AssignmentState::integration_key,
        ],
        prefix: "",
        user_side: false,
    }),
};

pub struct PolicyAssignment;

crate::plugin::state! {
    /// A `duo_policy_assignment`'s state, plan and configuration.
    pub struct AssignmentState {
        id: Option<String> {
            .computed().use_state_for_unknown().describe("`<policy_key>/<integration_key>`.")
        },
        policy_key: Option<String> {
            .required()
            .force_new()
            .references(crate::resources::policy::KIND.type_name)
            .describe("The policy applied.")
        },
        integration_key: Option<String> {
            .required()
            .force_new()
            .references(crate::resources::integration::KIND.type_name)
            .describe("The application it applies to.")
        },
        group_ids: Option<BTreeSet<String>> {
            .default(Value::Set(Vec::new()))
            .references(crate::resources::group::KIND.type_name)
            .describe("Apply only to members of these groups; empty applies to everyone using the application.")
        },
    }
}

impl AssignmentState {
    /// The policy, the application and the groups (none: the whole application).
    fn parts(&self) -> (String, String, BTreeSet<String>) {
        (
            self.policy_key.clone().unwrap_or_default(),
            self.integration_key.clone().unwrap_or_default(),
            self.group_ids.clone().unwrap_or_default(),
        )
    }
}

/// How the policy applies to the application, as Duo reports it: to the whole application,
/// to some groups in it, or not at all.
fn applied(p: &duo::Policy, ikey: &str) -> Option<BTreeSet<String>> {
    let mut found = None;
    for a in &p.policy_applies_to {
        if a["app_integration_key"].as_str() != Some(ikey) {
            continue;
        }
        match a["apply_type"].as_str() {
            Some("app") => return Some(BTreeSet::new()),
            _ => {
                let gids = a["group_id_list"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|g| g.as_str().map(str::to_owned));
                found.get_or_insert_with(BTreeSet::new).extend(gids);
            }
        }
    }
    found
}

fn state(policy: &str, ikey: &str, gids: &BTreeSet<String>) -> Obj {
    AssignmentState {
        id: Some(format!("{policy}/{ikey}")),
        policy_key: Some(policy.to_owned()),
        integration_key: Some(ikey.to_owned()),
        group_ids: Some(gids.clone()),
    }
    .to_obj()
}

/// The update body that moves the assignment from `from` to `to` (`None` = not applied, an
/// empty set = the whole application).
fn change(ikey: &str, from: Option<&BTreeSet<String>>, to: Option<&BTreeSet<String>>) -> Json {
    let whole = |s: Option<&BTreeSet<String>>| s.is_some_and(BTreeSet::is_empty);
    let gids = |s: Option<&BTreeSet<String>>| s.cloned().unwrap_or_default();
    let (before, after) = (gids(from), gids(to));
    let mut body = json!({
        "apply_to_apps": {
            "apply_list": if whole(to) && !whole(from) { vec![ikey] } else { vec![] },
            "unapply_list": if whole(from) && !whole(to) { vec![ikey] } else { vec![] },
        }
    });
    let SetChanges { remove, add } = SetChanges::between(&before, &after);
    if !add.is_empty() || !remove.is_empty() {
        body["apply_to_groups_in_apps"] = json!({
            "apply_group_policies_list": if add.is_empty() { json!([]) } else { json!([{"app_integration_key": ikey, "group_id_list": add}]) },
            "unapply_group_policies_list": if remove.is_empty() { json!([]) } else { json!([{"app_integration_key": ikey, "group_id_list": remove}]) },
        });
    }
    body
}

#[async_trait]
impl Resource<duo::Client> for PolicyAssignment {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Applies a custom policy to an application: to everyone using it, or (with `group_ids`) only to \
             members of those groups. Import with \
             `<policy_key>/<integration_key>`.",
        )
        .attrs(AssignmentState::attributes())
        .identity(Identity::new(&[
            AssignmentState::policy_key,
            AssignmentState::integration_key,
        ]))
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let (policy, ikey, gids) = AssignmentState::from_obj(plan)?.parts();
        let body = change(&ikey, None, Some(&gids));
        duo.update_policy(&policy, &body)
            .await
            .map_err(|e| diagnose_with(Op::new(Action::Create, &KIND), &e, HINTS))?;
        Ok(state(&policy, &ikey, &gids))
    }

    async fn read(&self, duo: &duo::Client, st: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let (policy, ikey, _) = AssignmentState::from_obj(st)?.parts();
        let found = duo::gone_is_none(duo.get_policy(&policy).await)
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        Ok(found
            .and_then(|p| applied(&p, &ikey))
            .map(|gids| state(&policy, &ikey, &gids)))
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let (policy, ikey, after) = AssignmentState::from_obj(plan)?.parts();
        let (_, _, before) = AssignmentState::from_obj(prior)?.parts();
        let body = change(&ikey, Some(&before), Some(&after));
        duo.update_policy(&policy, &body)
            .await
            .map_err(|e| diagnose_with(Op::new(Action::Update, &KIND), &e, HINTS))?;
        Ok(state(&policy, &ikey, &after))
    }

    async fn delete(&self, duo: &duo::Client, st: &Obj) -> Result<(), Diagnostics> {
        let (policy, ikey, gids) = AssignmentState::from_obj(st)?.parts();
        let body = change(&ikey, Some(&gids), None);
        match duo.update_policy(&policy, &body).await {
            Err(e) if !e.is_not_found() => Err(diagnose(Op::new(Action::Delete, &KIND), &e).into()),
            _ => Ok(()),
        }
    }

    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        let (policy, ikey) = super::split_import_id(
            id,
            AssignmentState::policy_key,
            AssignmentState::integration_key,
        )?;
        self.read(duo, &state(policy, ikey, &BTreeSet::new()))
            .await?
            .ok_or_else(|| {
                Diagnostic::error(
                    "Cannot import a missing assignment",
                    format!("Policy {policy:?} is not applied to {ikey:?}."),
                )
                .into()
            })
    }

    /// Every application (or groups within it) each custom policy applies to.
    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        let policies = duo
            .list_policies()
            .await
            .map_err(|e| diagnose(Op::all(Action::Read, &crate::resources::policy::KIND), &e))?;
        let mut out = Vec::new();
        for p in policies.iter().filter(|p| !p.is_global_policy) {
            let apps: BTreeSet<&str> = p
                .policy_applies_to
                .iter()
                .filter_map(|a| a["app_integration_key"].as_str())
                .collect();
            for ikey in apps {
                if let Some(gids) = applied(p, ikey) {
                    out.push(state(&p.policy_key, ikey, &gids));
                }
            }
        }
        Ok(take.from_all(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duos_policy_says_where_it_applies_and_a_change_says_what_to_send() {
        let p: duo::Policy = serde_json::from_value(json!({
            "policy_key": "PO1", "policy_name": "Strict", "is_global_policy": false,
            "policy_applies_to": [
                {"app_integration_key": "DIA", "apply_type": "app"},
                {"app_integration_key": "DIB", "apply_type": "group", "group_id_list": ["DG1"]},
                {"app_integration_key": "DIB", "apply_type": "group", "group_id_list": ["DG2"]}
            ],
            "sections": {}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(applied(&p, "DIA"), Some(BTreeSet::new()));
        let groups: BTreeSet<String> = ["DG1".into(), "DG2".into()].into();
        assert_eq!(applied(&p, "DIB"), Some(groups.clone()));
        assert_eq!(applied(&p, "DIC"), None);
        let state = AssignmentState::from_obj(&state("PO1", "DIB", &groups)).unwrap_or_default();
        assert_eq!(state.id.as_deref(), Some("PO1/DIB"));
        assert_eq!(state.parts(), ("PO1".into(), "DIB".into(), groups.clone()));
        // From two groups to the whole application: apply to the app, unapply the groups.
        let body = change("DIB", Some(&groups), Some(&BTreeSet::new()));
        assert_eq!(body["apply_to_apps"]["apply_list"], json!(["DIB"]));
        assert_eq!(
            body["apply_to_groups_in_apps"]["unapply_group_policies_list"][0]["group_id_list"],
            json!(["DG1", "DG2"])
        );
    }
}
