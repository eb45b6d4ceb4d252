//! `duo_admin_unit`: an administrative unit with its administrators, groups and
//! integrations, each set authoritative for the unit.

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::link::SetChanges;
use super::{Action, Op, create_once, deleted, diagnose, found, id, matching};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    Diagnostics, Failed, Managed, Obj, Resource, Schema, State, Take, Validator, Value,
};

/// What `duo_admin_unit` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_admin_unit",
    noun: "administrative unit",
    plural: "administrative units",
    read: Grant::Administrators,
    write: None,
    read_by: &[],
    natural_key: &[AdminUnitState::name],
    unique_in_duo: false,
    import: ImportId::Id,
    export: Some(Naming {
        from: &[AdminUnitState::name],
        prefix: "",
        user_side: false,
    }),
};

pub struct AdminUnit;

crate::plugin::state! {
    /// A `duo_admin_unit`'s state, plan and configuration.
    pub struct AdminUnitState {
        id: Option<String> {
            .computed().use_state_for_unknown().describe("The unit's Duo ID (`admin_unit_id`).")
        },
        name: Option<String> {
            .required().validate(Validator::length_between(1, 255)).describe("The unit's name.")
        },
        description: Option<String> {
            .required().validate(Validator::length_between(1, 1000)).describe("What the unit is for.")
        },
        restrict_by_groups: Option<bool> {
            .default(false).describe("Whether the unit's administrators manage only its groups.")
        },
        restrict_by_integrations: Option<bool> {
            .default(false).describe("Whether they manage only its applications.")
        },
        admins: Option<BTreeSet<String>> {
            .default(Value::Set(Vec::new()))
            .references(crate::resources::admin::KIND.type_name)
            .describe("The IDs of the administrators the unit scopes.")
        },
        groups: Option<BTreeSet<String>> {
            .default(Value::Set(Vec::new()))
            .references(crate::resources::group::KIND.type_name)
            .describe("The IDs of the groups in the unit.")
        },
        integrations: Option<BTreeSet<String>> {
            .default(Value::Set(Vec::new()))
            .references(crate::resources::integration::KIND.type_name)
            .describe("The integration keys of the applications in the unit.")
        },
        allow_duplicate_name: Option<bool> {
            .optional().local().describe(&super::allow_duplicate_text("administrative unit", "name"))
        },
    }
}

/// Each member set: what Duo calls the member, its attribute, and the field holding it.
type Members = fn(&AdminUnitState) -> &Option<BTreeSet<String>>;
const MEMBERS: [(duo::UnitMember, &str, Members); 3] = [
    (duo::UnitMember::Admin, AdminUnitState::admins, |u| {
        &u.admins
    }),
    (duo::UnitMember::Group, AdminUnitState::groups, |u| {
        &u.groups
    }),
    (
        duo::UnitMember::Integration,
        AdminUnitState::integrations,
        |u| &u.integrations,
    ),
];

impl AdminUnit {
    pub fn schema() -> Schema {
        Schema::new(
            "A Duo administrative unit: administrators restricted by units manage only its groups and \
             applications.",
        )
        .attrs(AdminUnitState::attributes())
    }
}

/// The only place `duo_admin_unit` values and Duo's unit meet.
pub fn to_state(u: &duo::AdminUnit) -> AdminUnitState {
    let set = |items: &[String]| Some(items.iter().cloned().collect());
    AdminUnitState {
        id: Some(u.admin_unit_id.clone()),
        name: Some(u.name.clone()),
        description: Some(u.description.clone()),
        restrict_by_groups: Some(u.restrict_by_groups.unwrap_or(false)),
        restrict_by_integrations: Some(u.restrict_by_integrations.unwrap_or(false)),
        admins: set(&u.admins),
        groups: set(&u.groups),
        integrations: set(&u.integrations),
        allow_duplicate_name: None,
    }
}

/// What create and update send: name, description and the two restrictions.
fn to_params(plan: &AdminUnitState) -> (&str, &str, bool, bool) {
    (
        plan.name.as_deref().unwrap_or_default(),
        plan.description.as_deref().unwrap_or_default(),
        plan.restrict_by_groups.unwrap_or(false),
        plan.restrict_by_integrations.unwrap_or(false),
    )
}

impl AdminUnit {
    /// Adds and removes members until the unit holds the planned sets; on failure the state is
    /// what Duo holds then.
    async fn sync_members(
        &self,
        duo: &duo::Client,
        unit: &str,
        now: AdminUnitState,
        plan: &AdminUnitState,
        action: Action,
    ) -> Result<Obj, Failed> {
        for (kind, name, field) in MEMBERS {
            let current = field(&now).clone().unwrap_or_default();
            let desired = field(plan).clone().unwrap_or_default();
            for (member, add) in SetChanges::between(&current, &desired).in_order() {
                if let Err(e) = duo.admin_unit_member(unit, kind, member, add).await {
                    // The unit exists whatever happened to its members: keep it in state,
                    // as Duo has it or at least as it was, so the next plan finishes the job.
                    let partial = duo.get_admin_unit(unit).await.map_or(now, |u| to_state(&u));
                    let d = diagnose(Op::new(action, &KIND), &e)
                        .at(crate::plugin::AttrPath::root(name));
                    return Err(Failed {
                        diags: d.into(),
                        partial: Some(partial.to_obj()),
                    });
                }
            }
        }
        match duo.get_admin_unit(unit).await {
            Ok(unit) => Ok(to_state(&unit).to_obj()),
            Err(e) => Err(Failed {
                diags: diagnose(Op::new(Action::Read, &KIND), &e).into(),
                partial: Some(now.to_obj()),
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

    /// Duo does not keep unit names unique.
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
            AdminUnitState::name,
            Some(AdminUnitState::allow_duplicate_name),
            |name| duo.existing_admin_units(move |g| g.name.eq_ignore_ascii_case(&name)),
            |g| &g.admin_unit_id,
        )
        .await
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let plan = AdminUnitState::from_obj(plan)?;
        let (name, desc, g, i) = to_params(&plan);
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
        self.sync_members(duo, &created.admin_unit_id, state, &plan, Action::Create)
            .await
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        found(&KIND, duo.get_admin_unit(id(state)), to_state).await
    }

    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        super::listed(&KIND, duo, take, duo.list_admin_units(), to_state).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let plan = AdminUnitState::from_obj(plan)?;
        let (name, desc, g, i) = to_params(&plan);
        let updated = duo
            .modify_admin_unit(id(prior), name, desc, g, i)
            .await
            .map_err(|e| diagnose(Op::new(Action::Update, &KIND), &e))?;
        self.sync_members(duo, id(prior), to_state(&updated), &plan, Action::Update)
            .await
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        deleted(&KIND, duo.delete_admin_unit(id(state))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duos_unit_becomes_state_and_the_state_what_is_sent() {
        let u: duo::AdminUnit = serde_json::from_value(serde_json::json!({
            "admin_unit_id": "DU1", "name": "EMEA", "description": "Europe",
            "restrict_by_groups": true, "groups": ["DG1", "DG2"], "admins": ["DE1"]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let state = to_state(&u);
        assert_eq!(state.restrict_by_integrations, Some(false));
        assert_eq!(state.integrations, Some(BTreeSet::new()));
        let stored = AdminUnitState::from_obj(&state.to_obj()).unwrap_or_default();
        assert_eq!(stored, state);
        assert_eq!(to_params(&stored), ("EMEA", "Europe", true, false));
        let groups = MEMBERS
            .iter()
            .find(|(kind, _, _)| *kind == duo::UnitMember::Group)
            .map(|(_, name, field)| (*name, field(&stored).clone()));
        assert_eq!(
            groups,
            Some(("groups", Some(["DG1".to_owned(), "DG2".to_owned()].into())))
        );
    }
}
