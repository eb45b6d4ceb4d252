//! `duo_admin`: one administrator of the Duo account.
//!
//! A new administrator is `Pending Activation` until they activate; Duo sends the activation
//! email only when `send_activation_email` is true. `status` is computed when omitted, so
//! Duo's lifecycle never shows as a diff; set it to `Active` or `Disabled` to manage it.

use async_trait::async_trait;

use super::phone::{number_validator, same_number};
use super::{
    Action, Hint, Op, create_once, deleted, diagnose_with, found, id, keep, matching,
    same_ignoring_case, written,
};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    AttrPath, Diagnostic, Diagnostics, Failed, Managed, Obj, Resource, Schema, State, Take,
    Validator,
};

/// What `duo_admin` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_admin",
    noun: "administrator",
    plural: "administrators",
    read: Grant::Administrators,
    write: None,
    read_by: &["duo_admin", "duo_admins"],
    natural_key: &[AdminState::email],
    unique_in_duo: true,
    import: ImportId::Prefixed("email"),
    export: Some(Naming {
        from: &[AdminState::email],
        prefix: "",
        user_side: false,
    }),
};

/// A new administrator's status until they activate.
const PENDING: &str = "Pending Activation";

pub struct Admin;

pub const ROLES: &[&str] = &[
    "Owner",
    "Administrator",
    "Application Manager",
    "User Manager",
    "Help Desk",
    "Billing",
    "Phishing Manager",
    "Read-only",
];

const HINTS: &[Hint] = &[
    Hint {
        field: "status",
        attr: AdminState::status,
        advice: "An Owner cannot be disabled: change the role first, or keep the administrator active.",
    },
    Hint {
        field: "restricted_by_admin_units",
        attr: AdminState::restricted_by_admin_units,
        advice: "An Owner cannot be restricted by administrative units: choose another role.",
    },
    Hint {
        field: "email",
        attr: AdminState::email,
        advice: "Another administrator has this email; import it with `terraform import` instead.",
    },
    Hint {
        field: "phone",
        attr: AdminState::phone,
        advice: "Give the phone in E.164 form, e.g. \"+15555550100\".",
    },
    Hint {
        field: "token_id",
        attr: AdminState::token_id,
        advice: "Duo has no hardware token with this ID.",
    },
];

crate::plugin::state! {
    /// A `duo_admin`'s state, plan and configuration.
    pub struct AdminState {
        id: Option<String> {
            .computed().use_state_for_unknown().describe("The administrator's Duo ID (`admin_id`).")
        },
        email: Option<String> {
            .required()
            .force_new()
            .validate(Validator::email())
            .describe("The administrator's email, which they log in with. Duo cannot change it, so changing it replaces the administrator.")
        },
        name: Option<String> {
            .required().validate(Validator::length_between(1, 255)).describe("The administrator's name.")
        },
        phone: Option<String> {
            .default("")
            .normalized(same_number)
            .validate(number_validator())
            .describe("The administrator's phone number, in E.164 form (`+15555550100`).")
        },
        role: Option<String> {
            .default("Owner")
            .validate(Validator::one_of(ROLES))
            .describe("The administrative role, spelled exactly as Duo does.")
        },
        status: Option<String> {
            .optional_computed()
            .use_state_for_unknown()
            .validate(Validator::one_of(&["Active", "Disabled", PENDING, "Expired"]))
            .describe(
                "`Active` or `Disabled`. When omitted, Duo's status is kept (`Pending Activation` for a new \
                 administrator, `Expired` after inactivity); those two may be written only to keep them, \
                 as generated configuration does. An Owner cannot be disabled.",
            )
        },
        restricted_by_admin_units: Option<bool> {
            .default(false)
            .describe("Whether the administrator may only manage their administrative units' objects (not for Owners).")
        },
        password_change_required: Option<bool> {
            .optional_computed()
            .use_state_for_unknown()
            .describe("Whether the administrator must change their password at next login.")
        },
        token_id: Option<String> {
            .default("")
            .references(crate::resources::hardware_token::KIND.type_name)
            .describe("The ID of a hardware token the administrator logs in with; `\"\"` for none.")
        },
        send_activation_email: Option<bool> {
            .default(false)
            .describe("Whether Duo emails an activation link when the administrator is created. Only used at creation.")
        },
        created: Option<i64> {
            .computed().use_state_for_unknown().describe("When the administrator was created (Unix seconds).")
        },
        last_login: Option<i64> {
            .computed().describe("When the administrator last logged in (Unix seconds); null if never.")
        },
    }
}

impl Admin {
    pub fn schema() -> Schema {
        Schema::new(
            "A Duo administrator. Non-Owner \
             roles take effect only on editions with administrative roles.",
        )
        .attrs(AdminState::attributes())
    }
}

/// The only place `duo_admin` values and Duo's administrator meet (`send_activation_email` is
/// carried by the caller: Duo does not return it).
pub fn to_state(a: &duo::Admin) -> AdminState {
    AdminState {
        id: Some(a.admin_id.clone()),
        email: Some(a.email.clone()),
        name: Some(a.name.clone()),
        phone: Some(a.phone.clone().unwrap_or_default()),
        role: a.role.clone(),
        status: a.status.clone(),
        restricted_by_admin_units: Some(a.restricted_by_admin_units.unwrap_or(false)),
        password_change_required: a.password_change_required,
        token_id: Some(
            a.hardtoken
                .as_ref()
                .map(|t| t.token_id.clone())
                .unwrap_or_default(),
        ),
        send_activation_email: None,
        created: a.created,
        last_login: a.last_login,
    }
}

/// Duo's answer, in the plan's spelling where it means the same, with what Duo does not return.
fn finish(mut o: AdminState, plan: &AdminState) -> AdminState {
    keep(&mut o.phone, &plan.phone, same_number);
    keep(&mut o.role, &plan.role, same_ignoring_case);
    o.send_activation_email = Some(plan.send_activation_email.unwrap_or(false));
    o
}

fn params(plan: &AdminState) -> duo::AdminParams {
    duo::AdminParams {
        name: plan.name.clone(),
        phone: plan.phone.clone(),
        role: plan.role.clone(),
        restricted_by_admin_units: plan.restricted_by_admin_units,
        token_id: plan.token_id.clone(),
        ..duo::AdminParams::default()
    }
}

#[async_trait]
impl Resource<duo::Client> for Admin {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        Admin::schema()
    }

    /// `Pending Activation` and `Expired` are Duo's to set: configuration may only keep them.
    fn modify_plan(&self, prior: Option<&Obj>, planned: &mut Obj) -> Diagnostics {
        let wanted = planned.str(AdminState::status);
        let kept = match prior {
            Some(p) => p.str(AdminState::status) == wanted,
            None => wanted == Some(PENDING),
        };
        match wanted {
            Some(s @ (PENDING | "Expired")) if !kept => Diagnostic::error(
                "Status only Duo sets",
                format!(
                    "Duo sets an administrator's status to {s:?} itself; `status` can only be set to \
                     \"Active\" or \"Disabled\". Remove `status` to keep Duo's, or choose one of those."
                ),
            )
            .at(AttrPath::root(AdminState::status))
            .into(),
            _ => Diagnostics::default(),
        }
    }

    /// Duo refuses a taken email; the plan says so first, with the import block.
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
            AdminState::email,
            None,
            |email| duo.existing_admins(move |a| a.email.eq_ignore_ascii_case(&email)),
            |a| &a.admin_id,
        )
        .await
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let plan = AdminState::from_obj(plan)?;
        let create = duo::AdminParams {
            email: plan.email.clone(),
            send_email: plan.send_activation_email,
            ..params(&plan)
        };
        let email = create.email.as_deref().unwrap_or_default();
        let created = create_once(
            Op::new(Action::Create, &KIND),
            HINTS,
            &KIND.key_text(&[email]),
            || duo.create_admin(&create),
            || matching(duo.list_admins(), |a| a.email.eq_ignore_ascii_case(email)),
            |_: &duo::Admin| true,
            |a| &a.admin_id,
        )
        .await
        .map(|a| to_state(&a))?;
        // Status and the password flag can only be set once the administrator exists.
        let follow_up = duo::AdminParams {
            status: plan
                .status
                .clone()
                .filter(|s| created.status.as_ref() != Some(s)),
            password_change_required: plan
                .password_change_required
                .filter(|p| created.password_change_required != Some(*p)),
            ..duo::AdminParams::default()
        };
        if follow_up == duo::AdminParams::default() {
            return Ok(finish(created, &plan).to_obj());
        }
        let admin_id = created.id.clone().unwrap_or_default();
        match duo.modify_admin(&admin_id, &follow_up).await {
            Ok(a) => Ok(finish(to_state(&a), &plan).to_obj()),
            Err(e) => Err(Failed {
                diags: diagnose_with(Op::new(Action::Update, &KIND), &e, HINTS).into(),
                partial: Some(finish(created, &plan).to_obj()),
            }),
        }
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let prior = AdminState::from_obj(state)?;
        found(&KIND, duo.get_admin(id(state)), |a| {
            finish(to_state(a), &prior)
        })
        .await
    }

    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        super::listed(&KIND, duo, take, duo.list_admins(), |a| {
            finish(to_state(a), &AdminState::default())
        })
        .await
    }

    /// An administrator ID, or `email:<address>`.
    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        super::import_by_natural_key(self, &KIND, duo, id).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let (was, plan) = (AdminState::from_obj(prior)?, AdminState::from_obj(plan)?);
        let p = duo::AdminParams {
            status: plan
                .status
                .clone()
                .filter(|s| was.status.as_ref() != Some(s)),
            password_change_required: plan.password_change_required,
            ..params(&plan)
        };
        written(
            Op::new(Action::Update, &KIND),
            HINTS,
            duo.modify_admin(id(prior), &p),
            |a| finish(to_state(a), &plan),
        )
        .await
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        deleted(&KIND, duo.delete_admin(id(state))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duos_administrator_becomes_state_in_the_plans_spelling_and_goes_back_as_parameters() {
        let a: duo::Admin = serde_json::from_value(serde_json::json!({
            "admin_id": "DE1", "email": "Help@Example.com", "name": "Help Desk",
            "phone": "+15555550100", "role": "help desk", "status": "Pending Activation",
            "hardtoken": {"token_id": "DH1", "serial": "1", "type": "h6"},
            "created": 1700000000, "last_login": null
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let plan = AdminState {
            phone: Some("555-555-0100".into()),
            role: Some("Help Desk".into()),
            send_activation_email: Some(true),
            ..AdminState::default()
        };
        let state = finish(to_state(&a), &plan);
        assert_eq!(
            (
                state.phone.as_deref(),
                state.role.as_deref(),
                state.token_id.as_deref()
            ),
            (Some("555-555-0100"), Some("Help Desk"), Some("DH1"))
        );
        assert_eq!(
            (state.send_activation_email, state.last_login),
            (Some(true), None)
        );
        let stored = AdminState::from_obj(&state.to_obj()).unwrap_or_default();
        assert_eq!(stored, state);
        let sent = params(&stored);
        assert_eq!(
            (sent.name.as_deref(), sent.token_id.as_deref(), sent.email),
            (Some("Help Desk"), Some("DH1"), None)
        );
        let imported = finish(to_state(&a), &AdminState::default());
        assert_eq!(imported.send_activation_email, Some(false));
        assert_eq!(imported.role.as_deref(), Some("help desk"));
    }
}
