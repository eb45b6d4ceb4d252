//! `duo_admin`: one administrator of the Duo account.
//!
//! A new administrator is `Pending Activation` until they activate; Duo sends the activation
//! email only when `send_activation_email` is true. `status` is computed when omitted, so
//! Duo's lifecycle never shows as a diff; set it to `Active` or `Disabled` to manage it.

use async_trait::async_trait;

use super::phone::{number_validator, same_number};
use super::{Action, Hint, Op, create_once, deleted, found, id, keep_spelling, matching, written};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    AttrPath, Attribute, Diagnostic, Diagnostics, Failed, Obj, Resource, Schema, Validator, Value,
};

/// What `duo_admin` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_admin",
    noun: "administrator",
    plural: "administrators",
    read: Grant::Administrators,
    write: None,
    data_sources: &["duo_admin", "duo_admins"],
    natural_key: &["email"],
    import: ImportId::Prefixed("email"),
    export: Some(Naming {
        from: &["email"],
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
        attr: "status",
        advice: "An Owner cannot be disabled: change the role first, or keep the administrator active.",
    },
    Hint {
        field: "restricted_by_admin_units",
        attr: "restricted_by_admin_units",
        advice: "An Owner cannot be restricted by administrative units: choose another role.",
    },
    Hint {
        field: "email",
        attr: "email",
        advice: "Another administrator has this email; import it with `terraform import` instead.",
    },
    Hint {
        field: "phone",
        attr: "phone",
        advice: "Give the phone in E.164 form, e.g. \"+15555550100\".",
    },
    Hint {
        field: "token_id",
        attr: "token_id",
        advice: "Duo has no hardware token with this ID.",
    },
];

impl Admin {
    pub fn schema() -> Schema {
        Schema::new(
            "A Duo administrator. Non-Owner \
             roles take effect only on editions with administrative roles.",
        )
        .attr(Attribute::string("id").computed().use_state_for_unknown().describe("The administrator's Duo ID (`admin_id`)."))
        .attr(Attribute::string("email").required().force_new().validate(Validator::email()).describe("The administrator's email, which they log in with. Duo cannot change it, so changing it replaces the administrator."))
        .attr(Attribute::string("name").required().validate(Validator::length_between(1, 255)).describe("The administrator's name."))
        .attr(Attribute::string("phone").default("").normalized(same_number).validate(number_validator()).describe("The administrator's phone number, in E.164 form (`+15555550100`)."))
        .attr(Attribute::string("role").default("Owner").validate(Validator::one_of(ROLES)).describe("The administrative role, spelled exactly as Duo does."))
        .attr(
            Attribute::string("status")
                .optional_computed()
                .use_state_for_unknown()
                .validate(Validator::one_of(&["Active", "Disabled", PENDING, "Expired"]))
                .describe(
                    "`Active` or `Disabled`. When omitted, Duo's status is kept (`Pending Activation` for a new \
                     administrator, `Expired` after inactivity); those two may be written only to keep them, \
                     as generated configuration does. An Owner cannot be disabled.",
                ),
        )
        .attr(Attribute::bool("restricted_by_admin_units").default(false).describe("Whether the administrator may only manage their administrative units' objects (not for Owners)."))
        .attr(Attribute::bool("password_change_required").optional_computed().use_state_for_unknown().describe("Whether the administrator must change their password at next login."))
        .attr(Attribute::string("token_id").default("").references("duo_hardware_token").describe("The ID of a hardware token the administrator logs in with; `\"\"` for none."))
        .attr(Attribute::bool("send_activation_email").default(false).describe("Whether Duo emails an activation link when the administrator is created. Only used at creation."))
        .attr(Attribute::number("created").computed().use_state_for_unknown().describe("When the administrator was created (Unix seconds)."))
        .attr(Attribute::number("last_login").computed().describe("When the administrator last logged in (Unix seconds); null if never."))
    }
}

/// The only place `duo_admin` values and Duo's administrator meet (`send_activation_email` is
/// carried by the caller: Duo does not return it).
pub fn to_state(a: &duo::Admin) -> Obj {
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::from);
    Obj::default()
        .with("id", a.admin_id.as_str())
        .with("email", a.email.as_str())
        .with("name", a.name.as_str())
        .with("phone", a.phone.clone().unwrap_or_default())
        .with("role", Value::opt_string(a.role.clone()))
        .with("status", Value::opt_string(a.status.clone()))
        .with(
            "restricted_by_admin_units",
            a.restricted_by_admin_units.unwrap_or(false),
        )
        .with(
            "password_change_required",
            a.password_change_required.map_or(Value::Null, Value::Bool),
        )
        .with(
            "token_id",
            a.hardtoken
                .as_ref()
                .map(|t| t.token_id.clone())
                .unwrap_or_default(),
        )
        .with("send_activation_email", Value::Null)
        .with("created", int(a.created))
        .with("last_login", int(a.last_login))
}

/// Duo's answer, in the plan's spelling where it means the same, with what Duo does not return.
fn finish(mut o: Obj, plan: &Obj) -> Obj {
    keep_spelling(&mut o, plan, "phone", same_number);
    keep_spelling(&mut o, plan, "role", |a, b| a.eq_ignore_ascii_case(b));
    let send = plan.get("send_activation_email").clone();
    o.with(
        "send_activation_email",
        if send.is_null() {
            Value::Bool(false)
        } else {
            send
        },
    )
}

fn params(plan: &Obj) -> duo::AdminParams {
    let s = |k: &str| plan.str(k).map(str::to_owned);
    duo::AdminParams {
        name: s("name"),
        phone: s("phone"),
        role: s("role"),
        restricted_by_admin_units: plan.bool("restricted_by_admin_units"),
        token_id: s("token_id"),
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
        let wanted = planned.str("status");
        let kept = match prior {
            Some(p) => p.str("status") == wanted,
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
            .at(AttrPath::root("status"))
            .into(),
            _ => Diagnostics::default(),
        }
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let create = duo::AdminParams {
            email: plan.str("email").map(str::to_owned),
            send_email: plan.bool("send_activation_email"),
            ..params(plan)
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
                .str("status")
                .filter(|s| created.str("status") != Some(*s))
                .map(str::to_owned),
            password_change_required: plan
                .bool("password_change_required")
                .filter(|p| created.bool("password_change_required") != Some(*p)),
            ..duo::AdminParams::default()
        };
        if follow_up == duo::AdminParams::default() {
            return Ok(finish(created, plan));
        }
        let admin_id = id(&created).to_owned();
        match written(
            Op::new(Action::Update, &KIND),
            HINTS,
            duo.modify_admin(&admin_id, &follow_up),
            to_state,
        )
        .await
        {
            Ok(o) => Ok(finish(o, plan)),
            Err(f) => Err(Failed {
                diags: f.diags,
                partial: Some(finish(created, plan)),
            }),
        }
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let o = found(&KIND, duo.get_admin(id(state)), to_state).await?;
        Ok(o.map(|o| finish(o, state)))
    }

    async fn list(&self, duo: &duo::Client) -> Result<Vec<Obj>, Diagnostics> {
        super::listed(&KIND, duo.list_admins(), |a| {
            finish(to_state(a), &Obj::default())
        })
        .await
    }

    /// An administrator ID, or `email:<address>`.
    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        super::import_by_natural_key(self, &KIND, duo, id).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let p = duo::AdminParams {
            status: plan
                .str("status")
                .filter(|s| prior.str("status") != Some(*s))
                .map(str::to_owned),
            password_change_required: plan.bool("password_change_required"),
            ..params(plan)
        };
        let o = written(
            Op::new(Action::Update, &KIND),
            HINTS,
            duo.modify_admin(id(prior), &p),
            to_state,
        )
        .await?;
        Ok(finish(o, plan))
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        deleted(&KIND, duo.delete_admin(id(state))).await
    }
}
