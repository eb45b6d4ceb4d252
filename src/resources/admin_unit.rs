//! `duo_admin_unit`: an administrative unit with its administrators, groups and
//! integrations, each set authoritative for the unit.

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::link::SetChanges;
use super::{Action, Op, create_once, deleted, diagnose, found, id, matching};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    Attribute, Diagnostics, Failed, Obj, Resource, Schema, Type, Validator, Value,
};

/// What `duo_admin_unit` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_admin_unit",
    noun: "administrative unit",
    plural: "administrative units",
    read: Grant::Administrators,
    write: None,
    data_sources: &[],
    natural_key: &["name"],
    import: ImportId::Id,
    export: Some(Naming {
        from: &["name"],
        prefix: "",
        user_side: false,
    }),
};

pub struct AdminUnit;

const MEMBERS: [(&str, duo::UnitMember, &str, &str); 3] = [
    (
        "admins",
        duo::UnitMember::Admin,
        "duo_admin",
        "The IDs of the administrators the unit scopes.",
    ),
    (
        "groups",
        duo::UnitMember::Group,
        "duo_group",
        "The IDs of the groups in the unit.",
    ),
    (
        "integrations",
        duo::UnitMember::Integration,
        "duo_integration",
        "The integration keys of the applications in the unit.",
    ),
];

impl AdminUnit {
    pub fn schema() -> Schema {
        let mut s = Schema::new(
            "A Duo administrative unit: administrators restricted by units manage only its groups and \
             applications.",
        )
        .attr(Attribute::string("id").computed().use_state_for_unknown().describe("The unit's Duo ID (`admin_unit_id`)."))
        .attr(Attribute::string("name").required().validate(Validator::length_between(1, 255)).describe("The unit's name."))
        .attr(Attribute::string("description").required().validate(Validator::length_between(1, 1000)).describe("What the unit is for."))
        .attr(Attribute::bool("restrict_by_groups").default(false).describe("Whether the unit's administrators manage only its groups."))
        .attr(Attribute::bool("restrict_by_integrations").default(false).describe("Whether they manage only its applications."));
        for (name, _, target, description) in MEMBERS {
            s = s.attr(
                Attribute::set_of(name, Type::String)
                    .default(Value::Set(Vec::new()))
                    .references(target)
                    .describe(description),
            );
        }
        s
    }
}

/// The only place `duo_admin_unit` values and Duo's unit meet.
pub fn to_state(u: &duo::AdminUnit) -> Obj {
    let set =
        |items: &[String]| Value::Set(items.iter().map(|i| Value::from(i.as_str())).collect());
    Obj::default()
        .with("id", u.admin_unit_id.as_str())
        .with("name", u.name.as_str())
        .with("description", u.description.as_str())
        .with("restrict_by_groups", u.restrict_by_groups.unwrap_or(false))
        .with(
            "restrict_by_integrations",
            u.restrict_by_integrations.unwrap_or(false),
        )
        .with("admins", set(&u.admins))
        .with("groups", set(&u.groups))
        .with("integrations", set(&u.integrations))
}

impl AdminUnit {
    /// Adds and removes members until the unit holds the planned sets; on failure the state is
    /// what Duo holds then.
    async fn sync_members(
        &self,
        duo: &duo::Client,
        unit: &str,
        now: Obj,
        plan: &Obj,
        action: Action,
    ) -> Result<Obj, Failed> {
        for (name, kind, _, _) in MEMBERS {
            let (current, desired): (BTreeSet<String>, BTreeSet<String>) =
                (now.get(name).strings(), plan.get(name).strings());
            for (member, add) in SetChanges::between(&current, &desired).in_order() {
                if let Err(e) = duo.admin_unit_member(unit, kind, member, add).await {
                    // The unit exists whatever happened to its members: keep it in state,
                    // as Duo has it or at least as it was, so the next plan finishes the job.
                    let partial = duo.get_admin_unit(unit).await.map_or(now, |u| to_state(&u));
                    let d = diagnose(Op::new(action, &KIND), &e)
                        .at(crate::plugin::AttrPath::root(name));
                    return Err(Failed {
                        diags: d.into(),
                        partial: Some(partial),
                    });
                }
            }
        }
        match duo.get_admin_unit(unit).await {
            Ok(unit) => Ok(to_state(&unit)),
            Err(e) => Err(Failed {
                diags: diagnose(Op::new(Action::Read, &KIND), &e).into(),
                partial: Some(now),
            }),
        }
    }
}

#[async_trait]
impl Resource<duo::Client> for AdminUnit {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        AdminUnit::schema()
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let (name, desc) = (
            plan.str("name").unwrap_or_default(),
            plan.str("description").unwrap_or_default(),
        );
        let (g, i) = (
            plan.bool("restrict_by_groups").unwrap_or(false),
            plan.bool("restrict_by_integrations").unwrap_or(false),
        );
        let created = create_once(
            Op::new(Action::Create, &KIND),
            &[],
            &KIND.key_text(&[name]),
            || duo.create_admin_unit(name, desc, g, i),
            || matching(duo.list_admin_units(), |u| u.name == name),
            |u: &duo::AdminUnit| u.description == desc,
            |u| &u.admin_unit_id,
        )
        .await?;
        let state = to_state(&created);
        self.sync_members(duo, &created.admin_unit_id, state, plan, Action::Create)
            .await
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        found(&KIND, duo.get_admin_unit(id(state)), to_state).await
    }

    async fn list(&self, duo: &duo::Client) -> Result<Vec<Obj>, Diagnostics> {
        super::listed(&KIND, duo.list_admin_units(), to_state).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let (name, desc) = (
            plan.str("name").unwrap_or_default(),
            plan.str("description").unwrap_or_default(),
        );
        let (g, i) = (
            plan.bool("restrict_by_groups").unwrap_or(false),
            plan.bool("restrict_by_integrations").unwrap_or(false),
        );
        let updated = duo
            .modify_admin_unit(id(prior), name, desc, g, i)
            .await
            .map_err(|e| diagnose(Op::new(Action::Update, &KIND), &e))?;
        self.sync_members(duo, id(prior), to_state(&updated), plan, Action::Update)
            .await
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        deleted(&KIND, duo.delete_admin_unit(id(state))).await
    }
}
