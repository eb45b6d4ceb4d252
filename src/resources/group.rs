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
use crate::plugin::{Attribute, Diagnostics, Failed, Obj, Resource, Schema, Validator, Value};

/// What `duo_group` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_group",
    noun: "group",
    plural: "groups",
    read: Grant::ReadResource,
    write: Some(Grant::WriteResource),
    data_sources: &["duo_group", "duo_groups"],
    natural_key: &["name"],
    import: ImportId::Prefixed("name"),
    export: Some(Naming {
        from: &["name"],
        prefix: "",
        user_side: true,
    }),
};

pub struct Group;

pub const STATUSES: &[&str] = &["active", "bypass", "disabled"];
const SWITCHES: [&str; 4] = [
    "push_enabled",
    "sms_enabled",
    "voice_enabled",
    "mobile_otp_enabled",
];
/// What each switch allows, for the docs.
const FACTORS: [&str; 4] = [
    "Duo Push",
    "SMS passcodes",
    "phone callback",
    "Duo Mobile passcodes",
];

impl Group {
    pub fn schema() -> Schema {
        let mut s = Schema::new(
            "A Duo group. Groups scope policies and applications to sets of users.",
        )
        .attr(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .describe("The group's Duo ID (`group_id`), e.g. `DGXXXXXXXXXXXXXXXXXX`."),
        )
        .attr(
            Attribute::string("name")
                .required()
                .validate(Validator::length_between(1, 255))
                .describe("The group's name. Duo does not require names to be unique; the `duo_group` data source reports ambiguous names."),
        )
        .attr(Attribute::string("desc").default("").describe("A description of the group."))
        .attr(
            Attribute::string("status")
                .default("active")
                .validate(Validator::one_of(STATUSES))
                .describe(
                    "Authentication status of the group's members: `active` (normal), `bypass` \
                     (members skip two-factor authentication) or `disabled` (members cannot \
                     authenticate).",
                ),
        );
        for (switch, factor) in SWITCHES.iter().zip(FACTORS) {
            s = s.attr(
                Attribute::bool(switch)
                    .optional_computed()
                    .use_state_for_unknown()
                    .describe(&format!(
                        "Legacy switch: whether members may use {factor}. Superseded by policies; when \
                         omitted, Duo's value is kept."
                    )),
            );
        }
        s
    }
}

/// The only place `duo_group` values and Duo's group meet.
pub fn to_state(g: &duo::Group) -> Obj {
    let mut o = Obj::default()
        .with("id", g.group_id.as_str())
        .with("name", g.name.as_str())
        .with("desc", g.desc.clone().unwrap_or_default())
        .with("status", Value::opt_string(g.status.clone()));
    for (name, value) in SWITCHES.iter().zip([
        g.push_enabled,
        g.sms_enabled,
        g.voice_enabled,
        g.mobile_otp_enabled,
    ]) {
        o.set(name, value.map_or(Value::Null, Value::Bool));
    }
    o
}

fn to_params(plan: &Obj) -> duo::GroupParams {
    duo::GroupParams {
        name: plan.str("name").map(str::to_owned),
        desc: plan.str("desc").map(str::to_owned),
        status: plan.str("status").map(str::to_owned),
        push_enabled: plan.bool("push_enabled"),
        sms_enabled: plan.bool("sms_enabled"),
        voice_enabled: plan.bool("voice_enabled"),
        mobile_otp_enabled: plan.bool("mobile_otp_enabled"),
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

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let params = to_params(plan);
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
        Ok(to_state(&group))
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        found(&KIND, duo.get_group(id(state)), to_state).await
    }

    async fn list(&self, duo: &duo::Client) -> Result<Vec<Obj>, Diagnostics> {
        super::listed(&KIND, duo.list_groups(), to_state).await
    }

    /// A group ID, or `name:<name>` when that name is unique.
    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        super::import_by_natural_key(self, &KIND, duo, id).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        written(
            Op::new(Action::Update, &KIND),
            &[],
            duo.modify_group(id(prior), &to_params(plan)),
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

    #[test]
    fn unset_desc_reads_as_empty_string_and_switches_as_given() {
        let g = duo::Group {
            group_id: "DG1".into(),
            name: "eng".into(),
            desc: None,
            status: Some("active".into()),
            push_enabled: Some(true),
            sms_enabled: None,
            voice_enabled: Some(false),
            mobile_otp_enabled: None,
        };
        let s = to_state(&g);
        assert_eq!(s.get("desc"), &Value::from(""));
        assert_eq!(s.get("push_enabled"), &Value::Bool(true));
        assert_eq!(s.get("sms_enabled"), &Value::Null);
        assert_eq!(to_params(&s).voice_enabled, Some(false));
    }

    #[test]
    fn unknown_switches_are_not_sent() {
        let plan = Obj::default()
            .with("name", "eng")
            .with("push_enabled", Value::Unknown);
        assert_eq!(to_params(&plan).push_enabled, None);
    }
}
