//! `duo_policy`: a custom policy, and what it shares with `duo_global_policy`: sections as
//! JSON that only say what the user cares about.
//!
//! Duo completes each section with its defaults and answers keys in its own order, so the
//! configured JSON counts as unchanged while every key it sets has the same value in Duo
//! (lists compared as sets). A key changed outside Terraform shows as a change.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::{Map, Value as Json, json};

use super::{Action, Hint, Op, diagnose_with, found, id, json_text_within, keep_spelling, written};
use crate::duo;
use crate::plugin::{Attribute, Diagnostics, Failed, Obj, Resource, Schema, Validator};

pub struct Policy;

/// The section names Duo documents.
pub const SECTIONS: &[&str] = &[
    "authentication_methods",
    "authentication_policy",
    "new_user",
    "browsers",
    "duo_desktop",
    "remembered_devices",
    "trusted_endpoints",
    "user_location",
    "authorized_networks",
    "anonymous_networks",
    "operating_systems",
    "full_disk_encryption",
    "screen_lock",
    "mobile_device_biometrics",
    "plugins",
];

pub const HINTS: &[Hint] = &[
    Hint {
        field: "sections",
        attr: "sections",
        advice: "Some sections need a higher Duo edition (e.g. trusted_endpoints, duo_desktop, user_location); \
                 remove the section or upgrade the edition.",
    },
    Hint {
        field: "policy_key",
        attr: "policy_name",
        advice: "The policy is still applied to applications or groups: remove its `duo_policy_assignment` \
                 resources (or unassign it in the Admin Panel) first.",
    },
];

/// The configured sections, parsed; `None` if not a JSON object of objects.
pub fn parse_sections(text: &str) -> Option<Map<String, Json>> {
    match serde_json::from_str::<Json>(text).ok()? {
        Json::Object(m) if m.values().all(Json::is_object) => Some(m),
        _ => None,
    }
}

/// A custom policy's sections mean the same: the same sections, and every key `ours` sets has
/// the same value in `theirs` (which Duo completed with defaults).
pub fn same_sections(ours: &str, theirs: &str) -> bool {
    let names = |s: &str| parse_sections(s).map(|m| m.keys().cloned().collect::<BTreeSet<_>>());
    names(ours).is_some() && names(ours) == names(theirs) && sections_within(ours, theirs)
}

/// Every key `ours` sets has the same value in `theirs` (lists as sets).
pub fn sections_within(ours: &str, theirs: &str) -> bool {
    parse_sections(ours).is_some()
        && parse_sections(theirs).is_some()
        && json_text_within(ours, theirs)
}

pub fn sections_validator() -> Validator {
    Validator::new(
        "A JSON object of sections, each a JSON object of settings (`jsonencode({...})`).",
        |v| {
            let text = v.as_str().unwrap_or_default();
            let Some(sections) = parse_sections(text) else {
                return Err("is not a JSON object of sections, e.g. jsonencode({ new_user = { new_user_behavior = \"deny\" } }).".to_owned());
            };
            match sections.keys().find(|s| !SECTIONS.contains(&s.as_str())) {
                Some(unknown) => Err(format!(
                    "has an unknown section {unknown:?}; Duo's sections are {}.",
                    SECTIONS.join(", ")
                )),
                None => Ok(()),
            }
        },
    )
}

impl Policy {
    pub fn schema() -> Schema {
        Schema::new(
            "A custom Duo policy. Apply it with `duo_policy_assignment`. Requires the Admin API permission \
             \"Grant applications\".",
        )
        .attr(Attribute::string("id").computed().use_state_for_unknown().describe("The policy key (`PO…`)."))
        .attr(Attribute::string("policy_name").required().validate(Validator::length_between(1, 255)).describe("The policy's name."))
        .attr(
            Attribute::string("sections")
                .default("{}")
                .normalized(same_sections)
                .validate(sections_validator())
                .describe(
                    "The policy's sections as JSON, e.g. `jsonencode({ new_user = { new_user_behavior = \"deny\" } })`. \
                     Only the keys given are managed: Duo completes each section with its defaults, which never \
                     show as a change. Removing a section from the JSON removes it from the policy.",
                ),
        )
    }
}

/// The only place `duo_policy` values and Duo's policy meet.
pub fn to_state(p: &duo::Policy) -> Obj {
    Obj::default()
        .with("id", p.policy_key.as_str())
        .with("policy_name", p.policy_name.as_str())
        .with("sections", Json::Object(p.sections.clone()).to_string())
}

fn respell(mut o: Obj, plan: &Obj) -> Obj {
    keep_spelling(&mut o, plan, "sections", same_sections);
    o
}

fn sections_of(o: &Obj) -> Map<String, Json> {
    o.str("sections")
        .and_then(parse_sections)
        .unwrap_or_default()
}

#[async_trait]
impl Resource<duo::Client> for Policy {
    fn type_name(&self) -> &'static str {
        "duo_policy"
    }

    fn schema(&self) -> Schema {
        Policy::schema()
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let body = json!({"policy_name": plan.str("policy_name"), "sections": sections_of(plan)});
        let o = written(
            Op::new(Action::Create, "policy"),
            HINTS,
            duo.create_policy(&body),
            to_state,
        )
        .await?;
        Ok(respell(o, plan))
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let o = found("policy", duo.get_policy(id(state)), to_state).await?;
        Ok(o.map(|o| respell(o, state)))
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let (before, after) = (sections_of(prior), sections_of(plan));
        let removed: Vec<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
        let body = json!({"policy_name": plan.str("policy_name"), "sections": after, "sections_to_delete": removed});
        let o = written(
            Op::new(Action::Update, "policy"),
            HINTS,
            duo.update_policy(id(prior), &body),
            to_state,
        )
        .await?;
        Ok(respell(o, plan))
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        match duo.delete_policy(id(state)).await {
            Err(e) if !e.is_not_found() => {
                Err(diagnose_with(Op::new(Action::Delete, "policy"), &e, HINTS).into())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_keys_within_duos_answer_mean_no_change() {
        let ours = r#"{"authentication_methods":{"blocked_auth_list":["sms","phonecall"]}}"#;
        let duos = r#"{"authentication_methods":{"allowed_auth_list":["duo-push"],"blocked_auth_list":["phonecall","sms"],"verified_push_digits":6}}"#;
        assert!(sections_within(ours, duos));
        assert!(!sections_within(
            r#"{"authentication_methods":{"verified_push_digits":4}}"#,
            duos
        ));
        assert!(!sections_within(
            r#"{"new_user":{"new_user_behavior":"deny"}}"#,
            duos
        ));
        assert!(!sections_within("not json", duos));
        assert!(
            !same_sections(
                r#"{"authentication_methods":{}}"#,
                r#"{"authentication_methods":{},"new_user":{}}"#
            ),
            "a removed section is a change"
        );
    }
}
