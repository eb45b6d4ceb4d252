//! `duo_group`: one Duo group.
//!
//! Membership is not an attribute here: Duo edits it through the user endpoints, and a fact
//! with two owners makes plans flap; the membership resources own it. The legacy per-group
//! factor switches are optional and computed: Duo does not document their defaults, so an
//! omitted switch takes whatever Duo chose and keeps it.

use async_trait::async_trait;

use super::{Action, Op, create_once, deleted, found, holds, id, matching, written};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{Diagnostics, Failed, Managed, Obj, Resource, Schema, State, Take, Validator};

/// What `duo_group` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_group",
    noun: "group",
    plural: "groups",
    read: Grant::ReadResource,
    write: Some(Grant::WriteResource),
    read_by: &["duo_group", "duo_groups"],
    natural_key: &[GroupState::name],
    unique_in_duo: false,
    import: ImportId::Prefixed("name"),
    export: Some(Naming {
        from: &[GroupState::name],
        prefix: "",
        user_side: true,
    }),
};

pub struct Group;

pub const STATUSES: &[&str] = &["active", "bypass", "disabled"];

/// How a legacy factor switch is described: what it allows.
fn switch(factor: &str) -> String {
    format!(
        "Legacy switch: whether members may use {factor}. Superseded by policies; when omitted, \
         Duo's value is kept."
    )
}

crate::plugin::state! {
    /// A `duo_group`'s state, plan and configuration.
    pub struct GroupState {
        id: Option<String> {
            .computed()
            .use_state_for_unknown()
            .describe("The group's Duo ID (`group_id`), e.g. `DGXXXXXXXXXXXXXXXXXX`.")
        },
        name: Option<String> {
            .required()
            .validate(Validator::length_between(1, 255))
            .describe("The group's name. Duo does not require names to be unique; the `duo_group` data source reports ambiguous names.")
        },
        desc: Option<String> { .default("").describe("A description of the group.") },
        status: Option<String> {
            .default("active")
            .validate(Validator::one_of(STATUSES))
            .describe(
                "Authentication status of the group's members: `active` (normal), `bypass` \
                 (members skip two-factor authentication) or `disabled` (members cannot \
                 authenticate).",
            )
        },
        push_enabled: Option<bool> {
            .optional_computed().use_state_for_unknown().describe(&switch("Duo Push"))
        },
        sms_enabled: Option<bool> {
            .optional_computed().use_state_for_unknown().describe(&switch("SMS passcodes"))
        },
        voice_enabled: Option<bool> {
            .optional_computed().use_state_for_unknown().describe(&switch("phone callback"))
        },
        mobile_otp_enabled: Option<bool> {
            .optional_computed().use_state_for_unknown().describe(&switch("Duo Mobile passcodes"))
        },
        allow_duplicate_name: Option<bool> {
            .optional().local().describe(&super::allow_duplicate_text("group", "name"))
        },
    }
}

impl Group {
    pub fn schema() -> Schema {
        Schema::new("A Duo group. Groups scope policies and applications to sets of users.")
            .attrs(GroupState::attributes())
    }
}

/// The only place `duo_group` values and Duo's group meet.
pub fn to_state(g: &duo::Group) -> GroupState {
    GroupState {
        id: Some(g.group_id.clone()),
        name: Some(g.name.clone()),
        desc: Some(g.desc.clone().unwrap_or_default()),
        status: g.status.clone(),
        push_enabled: g.push_enabled,
        sms_enabled: g.sms_enabled,
        voice_enabled: g.voice_enabled,
        mobile_otp_enabled: g.mobile_otp_enabled,
        allow_duplicate_name: None,
    }
}

fn to_params(plan: &GroupState) -> duo::GroupParams {
    duo::GroupParams {
        name: plan.name.clone(),
        desc: plan.desc.clone(),
        status: plan.status.clone(),
        push_enabled: plan.push_enabled,
        sms_enabled: plan.sms_enabled,
        voice_enabled: plan.voice_enabled,
        mobile_otp_enabled: plan.mobile_otp_enabled,
    }
}

#[async_trait]
impl Resource<duo::Client> for Group {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        Group::schema()
    }

    /// Duo does not keep group names unique.
    async fn check_create(
        &self,
        duo: &duo::Client,
        planned: &Obj,
        managed: Managed<'_>,
    ) -> Diagnostics {
        super::unique_name(
            &KIND,
            planned,
            managed,
            GroupState::name,
            Some(GroupState::allow_duplicate_name),
            |name| duo.existing_groups(move |g| g.name.eq_ignore_ascii_case(&name)),
            |g| &g.group_id,
        )
        .await
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let params = to_params(&GroupState::from_obj(plan)?);
        let name = params.name.as_deref().unwrap_or_default();
        let group = create_once(
            Op::new(Action::Create, &KIND),
            &[],
            &KIND.key_text(&[name]),
            || duo.create_group(&params),
            || matching(duo.list_groups(), |g| g.name == name),
            |g: &duo::Group| holds(params.desc.as_deref(), g.desc.as_deref()),
            |g| &g.group_id,
        )
        .await?;
        Ok(to_state(&group).to_obj())
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        found(&KIND, duo.get_group(id(state)), to_state).await
    }

    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        super::listed(&KIND, duo, take, duo.list_groups(), to_state).await
    }

    /// A group ID, or `name:<name>` when that name is unique.
    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        super::import_by_natural_key(self, &KIND, duo, id).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        written(
            Op::new(Action::Update, &KIND),
            &[],
            duo.modify_group(id(prior), &to_params(&GroupState::from_obj(plan)?)),
            to_state,
        )
        .await
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        deleted(&KIND, duo.delete_group(id(state))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Value;

    fn group() -> duo::Group {
        duo::Group {
            group_id: "DG1".into(),
            name: "eng".into(),
            desc: None,
            status: Some("active".into()),
            push_enabled: Some(true),
            sms_enabled: None,
            voice_enabled: Some(false),
            mobile_otp_enabled: None,
        }
    }

    #[test]
    fn duos_group_becomes_state_and_the_state_the_parameters_duo_was_sent() {
        let json = r#"{"group_id": "DG1", "name": "eng", "status": "Active",
            "push_enabled": true, "voice_enabled": false, "extra": 1}"#;
        let g: duo::Group = serde_json::from_str(json).unwrap_or_else(|_| group());
        let state = to_state(&g);
        assert_eq!(
            state.desc.as_deref(),
            Some(""),
            "an unset desc reads as empty"
        );
        assert_eq!(
            state.sms_enabled, None,
            "a switch Duo did not send stays unknown to us"
        );
        // Through the plugin layer's values and back, as Terraform stores it.
        let stored = GroupState::from_obj(&state.to_obj()).unwrap_or_default();
        assert_eq!(stored, state);
        let p = to_params(&stored);
        assert_eq!(
            (
                p.name.as_deref(),
                p.desc.as_deref(),
                p.push_enabled,
                p.voice_enabled,
                p.sms_enabled
            ),
            (Some("eng"), Some(""), Some(true), Some(false), None)
        );
    }

    #[test]
    fn unknown_switches_are_not_sent() {
        let plan = GroupState {
            name: Some("eng".into()),
            ..GroupState::default()
        }
        .to_obj()
        .with(GroupState::push_enabled, Value::Unknown);
        let plan = GroupState::from_obj(&plan).unwrap_or_default();
        assert_eq!(to_params(&plan).push_enabled, None);
        assert_eq!(to_state(&group()).mobile_otp_enabled, None);
    }
}
