//! `duo_integration`: one application (integration) on Duo's v3 API.
//!
//! The secret key is read from Duo (`/skey`, or the v1 listing when many are read) at create,
//! import and rotation, kept in state as a
//! sensitive attribute and never logged; changing `secret_key_rotation` rotates it in place.
//! A refresh reads it again only when the masked key Duo shows with the application no longer
//! ends like the one in state (it was rotated elsewhere), or always with `verify_secret_key`.
//! With `store_secret_key = false` it is never read and never in state; the ephemeral
//! `duo_integration_secret` reads it when a configuration needs it.
//! Attributes Duo does not document a default for are computed when omitted.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use super::{
    Action, Hint, Op, create_once, deleted, diagnose, diagnose_with, id, json_text_within, keep,
    matching,
};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    AttrPath, Diagnostic, Diagnostics, Failed, Managed, Obj, Resource, Schema, State, Take,
    Validator, Value,
};

/// What `duo_integration` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_integration",
    noun: "integration",
    plural: "integrations",
    read: Grant::Applications,
    write: None,
    read_by: &[
        "duo_integration",
        "duo_integrations",
        crate::ephemeral_resources::integration_secret::TYPE_NAME,
    ],
    natural_key: &[IntegrationState::name],
    unique_in_duo: false,
    import: ImportId::Prefixed("name"),
    export: Some(Naming {
        from: &[IntegrationState::name],
        prefix: "",
        user_side: false,
    }),
};

pub struct Integration;

pub const USER_ACCESS: &[&str] = &["NO_USERS", "ALL_USERS", "PERMITTED_GROUPS"];
/// The Admin API permissions an `adminapi` integration can hold: the attribute (which is also
/// Duo's parameter) and the field holding it.
type Flag = fn(&mut IntegrationState) -> &mut Option<bool>;
const ADMINAPI: [(&str, Flag); 8] = [
    (IntegrationState::adminapi_admins, |s| {
        &mut s.adminapi_admins
    }),
    (IntegrationState::adminapi_admins_read, |s| {
        &mut s.adminapi_admins_read
    }),
    (IntegrationState::adminapi_info, |s| &mut s.adminapi_info),
    (IntegrationState::adminapi_integrations, |s| {
        &mut s.adminapi_integrations
    }),
    (IntegrationState::adminapi_read_log, |s| {
        &mut s.adminapi_read_log
    }),
    (IntegrationState::adminapi_read_resource, |s| {
        &mut s.adminapi_read_resource
    }),
    (IntegrationState::adminapi_settings, |s| {
        &mut s.adminapi_settings
    }),
    (IntegrationState::adminapi_write_resource, |s| {
        &mut s.adminapi_write_resource
    }),
];

/// How an Admin API permission is described: the grant's name in the Admin Panel.
fn grant(name: &str) -> String {
    format!("`adminapi` only: the \"{name}\" permission.")
}
const MAX_GROUPS: usize = 100;

const HINTS: &[Hint] = &[
    Hint {
        field: "type",
        attr: IntegrationState::r#type,
        advice: "Duo cannot create integrations of this type through the API (e.g. `azure-ca` or Duo's own SSO \
                 applications); create it in the Admin Panel and import it.",
    },
    Hint {
        field: "groups_allowed",
        attr: IntegrationState::groups_allowed,
        advice: "Give at most 100 existing group IDs, with `user_access = \"PERMITTED_GROUPS\"`.",
    },
    Hint {
        field: "networks_for_api_access",
        attr: IntegrationState::networks_for_api_access,
        advice: "Only Admin API and Accounts API integrations can be limited to networks.",
    },
];

fn sso_validator() -> Validator {
    Validator::new(
        "A JSON object (`jsonencode({...})`).",
        |v| match serde_json::from_str::<Json>(v.as_str().unwrap_or_default()) {
            Ok(Json::Object(_)) => Ok(()),
            _ => Err("is not a JSON object; write it with jsonencode({ ... }).".to_owned()),
        },
    )
}

crate::plugin::state! {
    /// A `duo_integration`'s state, plan and configuration.
    pub struct IntegrationState {
        id: Option<String> { .computed().use_state_for_unknown().describe("The integration key.") },
        integration_key: Option<String> {
            .computed()
            .use_state_for_unknown()
            .describe("The integration key (`DI…`), which clients use with the secret key.")
        },
        name: Option<String> {
            .required().validate(Validator::length_between(1, 255)).describe("The integration's name.")
        },
        r#type: Option<String> {
            .required()
            .force_new()
            .validate(type_validator())
            .describe(
                "The integration type, e.g. `adminapi`, `authapi`, `websdk`, `rdp`, `sso-generic`. Duo's own SSO \
                 applications and `azure-ca` cannot be created through the API.",
            )
        },
        notes: Option<String> { .default("").describe("Notes shown in the Admin Panel.") },
        greeting: Option<String> { .default("").describe("The greeting read in voice calls.") },
        user_access: Option<String> {
            .optional_computed()
            .use_state_for_unknown()
            .validate(Validator::one_of(USER_ACCESS))
            .describe("Who may use the application. When omitted, Duo's value is kept.")
        },
        groups_allowed: Option<BTreeSet<String>> {
            .optional_computed()
            .references(crate::resources::group::KIND.type_name)
            .use_state_for_unknown()
            .describe("The groups whose members may use it, with `user_access = \"PERMITTED_GROUPS\"`; at most 100.")
        },
        adminapi_admins: Option<bool> { .default(false).describe(&grant("Grant administrators")) },
        adminapi_admins_read: Option<bool> {
            .default(false).describe(&grant("Grant read administrators"))
        },
        adminapi_info: Option<bool> { .default(false).describe(&grant("Grant read information")) },
        adminapi_integrations: Option<bool> {
            .default(false).describe(&grant("Grant applications"))
        },
        adminapi_read_log: Option<bool> { .default(false).describe(&grant("Grant read log")) },
        adminapi_read_resource: Option<bool> {
            .default(false).describe(&grant("Grant read resource"))
        },
        adminapi_settings: Option<bool> { .default(false).describe(&grant("Grant settings")) },
        adminapi_write_resource: Option<bool> {
            .default(false).describe(&grant("Grant write resource"))
        },
        networks_for_api_access: Option<BTreeSet<String>> {
            .optional_computed()
            .validate(Validator::each(Validator::cidr()))
            .use_state_for_unknown()
            .describe("`adminapi` and `accountsapi` only: the IP addresses, ranges or CIDRs the key may be used from.")
        },
        self_service_allowed: Option<bool> {
            .default(false)
            .describe("Whether users may manage their devices through the self-service portal.")
        },
        username_normalization_policy: Option<String> {
            .default("None")
            .validate(Validator::one_of(&["None", "Simple"]))
            .describe("`Simple` strips domains and lowercases usernames before matching Duo users.")
        },
        sso: Option<String> {
            .optional()
            .normalized(json_text_within)
            .validate(sso_validator())
            .describe(
                "`sso-*` types only: the SSO settings as JSON, e.g. `jsonencode({ saml_config = { entity_id = \"…\" } })`. \
                 Only the keys given are managed; keys Duo adds never show as a change.",
            )
        },
        policy_key: Option<String> {
            .default("")
            .references(crate::resources::policy::KIND.type_name)
            .describe("A custom policy applied to the application; `\"\"` for the global policy only.")
        },
        secret_key: Option<String> {
            .computed()
            .sensitive()
            .use_state_for_unknown()
            .describe("The secret key. Sensitive; never logged.")
        },
        secret_key_rotation: Option<String> {
            .optional()
            .describe("Any value; changing it rotates the secret key in place (the old key stops working at once).")
        },
        verify_secret_key: Option<bool> {
            .optional()
            .describe(
                "`true` reads the secret key from Duo at every refresh (one more request per \
                 application, or one listing of every application's key once that is cheaper). \
                 Otherwise it is read at create, import and rotation, and at a \
                 refresh only when the masked key Duo shows with the application stops matching \
                 the one in state, which is how a rotation outside Terraform is noticed.",
            )
        },
        store_secret_key: Option<bool> {
            .optional()
            .local()
            .describe(
                "`false` keeps the secret key out of state: `secret_key` stays null, Duo is not \
                 asked for it, and `secret_key_rotation` still rotates it. Read it when needed \
                 with the `duo_integration_secret` ephemeral resource (Terraform 1.10 and later). \
                 Defaults to `true`, which keeps it in state as a sensitive value.",
            )
        },
        allow_duplicate_name: Option<bool> {
            .optional().local().describe(&super::allow_duplicate_text("application", "name and type"))
        },
    }
}

/// Whether the secret key is kept in state (`store_secret_key`, true unless set false).
fn stores(s: &IntegrationState) -> bool {
    s.store_secret_key != Some(false)
}

/// The secret key to keep in state for `plan`: read from Duo when it is kept.
async fn kept_secret_key(
    duo: &duo::Client,
    plan: &IntegrationState,
    integration_key: &str,
) -> Result<Option<String>, Diagnostic> {
    if stores(plan) {
        secret_key(duo, integration_key).await.map(Some)
    } else {
        Ok(None)
    }
}

impl Integration {
    pub fn schema() -> Schema {
        Schema::new("A Duo application (integration), managed through the v3 integrations API.")
            .attrs(IntegrationState::attributes())
    }
}

fn type_validator() -> Validator {
    Validator::new("Lowercase, e.g. `authapi`.", |v| match v.as_str() {
        Some(t)
            if !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') =>
        {
            Ok(())
        }
        Some(t) => Err(format!(
            "{t:?} is not an integration type; types are lowercase, e.g. \"authapi\"."
        )),
        None => Ok(()),
    })
}

/// The only place `duo_integration` values and Duo's integration meet (the secret key and its
/// rotation trigger are carried by the caller).
pub fn to_state(i: &duo::Integration) -> IntegrationState {
    let mut o = IntegrationState {
        id: Some(i.integration_key.clone()),
        integration_key: Some(i.integration_key.clone()),
        name: Some(i.name.clone()),
        r#type: Some(i.kind.clone()),
        notes: Some(i.notes.clone().unwrap_or_default()),
        greeting: Some(i.greeting.clone().unwrap_or_default()),
        user_access: i.user_access.clone(),
        groups_allowed: Some(i.groups_allowed.iter().cloned().collect()),
        networks_for_api_access: Some(i.networks().into_iter().collect()),
        self_service_allowed: Some(i.self_service_allowed.unwrap_or(false)),
        username_normalization_policy: Some(
            i.username_normalization_policy
                .clone()
                .unwrap_or_else(|| "None".to_owned()),
        ),
        policy_key: Some(i.policy_key.clone().unwrap_or_default()),
        sso: i.sso.as_ref().map(Json::to_string),
        ..IntegrationState::default()
    };
    for (flag, field) in ADMINAPI {
        *field(&mut o) = Some(i.flag(flag));
    }
    o
}

/// Duo's answer with the configured SSO JSON kept where Duo's says the same, and the
/// rotation trigger and secret key Duo does not return.
fn finish(
    mut o: IntegrationState,
    plan: &IntegrationState,
    secret_key: Option<String>,
) -> IntegrationState {
    keep(&mut o.sso, &plan.sso, json_text_within);
    o.secret_key_rotation = plan.secret_key_rotation.clone();
    o.verify_secret_key = plan.verify_secret_key;
    o.secret_key = secret_key;
    o
}

/// The JSON body for create or modify: every known value of the plan.
fn body(plan: &IntegrationState, create: bool) -> Map<String, Json> {
    let mut m = Map::new();
    let mut plan = plan.clone();
    let texts = [
        (IntegrationState::name, &plan.name),
        (
            IntegrationState::r#type,
            if create { &plan.r#type } else { &None },
        ),
        (IntegrationState::notes, &plan.notes),
        (IntegrationState::greeting, &plan.greeting),
        (IntegrationState::user_access, &plan.user_access),
        (
            IntegrationState::username_normalization_policy,
            &plan.username_normalization_policy,
        ),
        (IntegrationState::policy_key, &plan.policy_key),
    ];
    for (k, v) in texts {
        if let Some(v) = v {
            m.insert(k.to_owned(), Json::from(v.as_str()));
        }
    }
    let one_or_zero = |b: bool| Json::from(if b { "1" } else { "0" });
    if let Some(b) = plan.self_service_allowed {
        m.insert(
            IntegrationState::self_service_allowed.to_owned(),
            one_or_zero(b),
        );
    }
    // Admin API flags only exist on adminapi integrations; send them only where they apply.
    if plan.r#type.as_deref() == Some("adminapi") {
        for (flag, field) in ADMINAPI {
            if let Some(b) = *field(&mut plan) {
                m.insert(flag.to_owned(), one_or_zero(b));
            }
        }
    }
    if let Some(sso) = plan
        .sso
        .as_deref()
        .and_then(|s| serde_json::from_str::<Json>(s).ok())
    {
        m.insert(IntegrationState::sso.to_owned(), sso);
    }
    for (k, v) in [
        (IntegrationState::groups_allowed, &plan.groups_allowed),
        (
            IntegrationState::networks_for_api_access,
            &plan.networks_for_api_access,
        ),
    ] {
        if let Some(items) = v {
            let joined: Vec<&str> = items.iter().map(String::as_str).collect();
            m.insert(k.to_owned(), Json::from(joined.join(",")));
        }
    }
    m
}

/// An integration's secret key, read from Duo.
pub(crate) async fn secret_key(
    duo: &duo::Client,
    integration_key: &str,
) -> Result<String, Diagnostic> {
    duo.integration_secret_key(integration_key)
        .await
        .map_err(|e| {
            diagnose(
                Op::new(Action::Read, &KIND).on("integration secret key"),
                &e,
            )
        })
}

#[async_trait]
impl Resource<duo::Client> for Integration {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        Integration::schema()
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        let mut diags = Diagnostics::default();
        let groups = config.get(IntegrationState::groups_allowed);
        if !groups.contains_unknown() && groups.strings::<Vec<String>>().len() > MAX_GROUPS {
            diags.push(
                Diagnostic::error(
                    "Too many groups",
                    format!("Duo allows at most {MAX_GROUPS} groups per integration."),
                )
                .at(AttrPath::root(IntegrationState::groups_allowed)),
            );
        }
        if !groups.strings::<Vec<String>>().is_empty()
            && config
                .str(IntegrationState::user_access)
                .is_some_and(|a| a != "PERMITTED_GROUPS")
        {
            diags.push(
                Diagnostic::error("groups_allowed needs PERMITTED_GROUPS", "Set `user_access = \"PERMITTED_GROUPS\"` to limit the application to `groups_allowed`.")
                    .at(AttrPath::root(IntegrationState::groups_allowed)),
            );
        }
        if let Some(kind) = config
            .str(IntegrationState::r#type)
            .filter(|t| !t.starts_with("sso-"))
            && !config.get(IntegrationState::sso).is_null()
        {
            diags.push(
                Diagnostic::error(
                    "sso needs an sso-* integration",
                    format!("SSO settings do not apply to a `{kind}` integration."),
                )
                .at(AttrPath::root(IntegrationState::sso)),
            );
        }
        if let Some(kind) = config
            .str(IntegrationState::r#type)
            .filter(|t| *t != "adminapi")
        {
            for (flag, _) in ADMINAPI {
                if config.bool(flag) == Some(true) {
                    diags.push(
                        Diagnostic::error(
                            format!("{flag} needs an adminapi integration"),
                            format!(
                                "Admin API permissions do not apply to a `{kind}` integration."
                            ),
                        )
                        .at(AttrPath::root(flag)),
                    );
                }
            }
        }
        diags
    }

    /// A changed rotation trigger renews the secret key, so the plan cannot know it; a key
    /// not kept in state is null, and one kept again is read.
    fn modify_plan(&self, prior: Option<&Obj>, planned: &mut Obj) -> Diagnostics {
        let (rotation, key) = (
            IntegrationState::secret_key_rotation,
            IntegrationState::secret_key,
        );
        if planned.bool(IntegrationState::store_secret_key) == Some(false) {
            planned.set(key, Value::Null);
        } else if let Some(prior) = prior
            && ((planned.get(rotation) != prior.get(rotation) && !planned.get(rotation).is_null())
                || prior.get(key).is_null())
        {
            planned.set(key, Value::Unknown);
        }
        Diagnostics::default()
    }

    /// Duo does not keep application names unique, even within a type.
    async fn check_create(
        &self,
        duo: &duo::Client,
        planned: &Obj,
        managed: Managed<'_>,
    ) -> Diagnostics {
        let (Some(name), Some(kind)) = (
            planned.str(IntegrationState::name),
            planned.str(IntegrationState::r#type),
        ) else {
            return Diagnostics::default();
        };
        super::unique(
            &KIND,
            planned,
            managed,
            Some(IntegrationState::allow_duplicate_name),
            &format!("name {name:?} and type {kind:?}"),
            duo.existing_integrations(|i| i.kind == kind && i.name.eq_ignore_ascii_case(name)),
            |i| &i.integration_key,
        )
        .await
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let plan = IntegrationState::from_obj(plan)?;
        let (name, kind) = (
            plan.name.as_deref().unwrap_or_default(),
            plan.r#type.as_deref().unwrap_or_default(),
        );
        let fields = body(&plan, true);
        let created = create_once(
            Op::new(Action::Create, &KIND),
            HINTS,
            &KIND.key_text(&[name]),
            || duo.create_integration(&fields),
            || matching(duo.list_integrations(), |i| i.name == name),
            |i: &duo::Integration| i.kind == kind,
            |i| &i.integration_key,
        )
        .await?;
        let state = to_state(&created);
        match kept_secret_key(duo, &plan, &created.integration_key).await {
            Ok(skey) => Ok(finish(state, &plan, skey).to_obj()),
            // Created, but its key could not be read: keep it in state, and say so.
            Err(d) => Err(Failed {
                diags: d.into(),
                partial: Some(finish(state, &plan, None).to_obj()),
            }),
        }
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let found = duo::gone_is_none(duo.get_integration(id(state)).await)
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        let Some(i) = found else { return Ok(None) };
        let state = IntegrationState::from_obj(state)?;
        let skey = match &state.secret_key {
            _ if !stores(&state) => None,
            Some(k) if state.verify_secret_key != Some(true) && i.may_have_secret_key(k) => {
                Some(k.clone())
            }
            _ => Some(secret_key(duo, &i.integration_key).await?),
        };
        Ok(Some(finish(to_state(&i), &state, skey).to_obj()))
    }

    /// Integrations with their secret keys (from the v1 listing, as the client decides),
    /// read only for those taken (no filter looks at a secret).
    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        let found = super::listing(&KIND, duo, take, duo.list_integrations(), to_state).await?;
        let mut out = Vec::new();
        for i in &found {
            let skey = secret_key(duo, &i.integration_key).await?;
            out.push(finish(to_state(i), &IntegrationState::default(), Some(skey)).to_obj());
        }
        Ok(out)
    }

    /// An integration key, or `name:<name>` when that name is unique.
    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        super::import_by_natural_key(self, &KIND, duo, id).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let (was, plan) = (
            IntegrationState::from_obj(prior)?,
            IntegrationState::from_obj(plan)?,
        );
        let rotate = plan.secret_key_rotation != was.secret_key_rotation
            && plan.secret_key_rotation.is_some();
        let mut fields = body(&plan, false);
        if rotate {
            fields.insert("reset_secret_key".into(), Json::from("1"));
        }
        let updated = duo
            .modify_integration(id(prior), &fields)
            .await
            .map_err(|e| diagnose_with(Op::new(Action::Update, &KIND), &e, HINTS))?;
        let state = to_state(&updated);
        let skey = match &was.secret_key {
            Some(k) if !rotate && stores(&plan) => Some(k.clone()),
            _ => kept_secret_key(duo, &plan, id(prior))
                .await
                .map_err(|d| Failed {
                    diags: d.into(),
                    partial: Some(finish(state.clone(), &plan, None).to_obj()),
                })?,
        };
        Ok(finish(state, &plan, skey).to_obj())
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        deleted(&KIND, duo.delete_integration(id(state))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duos_integration_becomes_state_and_the_state_the_body_duo_is_sent() {
        let i: duo::Integration = serde_json::from_value(serde_json::json!({
            "integration_key": "DIA", "name": "Ops API", "type": "adminapi",
            "notes": "", "user_access": "ALL_USERS", "groups_allowed": [],
            "networks_for_api_access": "10.0.0.0/8, 192.0.2.1",
            "adminapi_read_resource": 1, "adminapi_settings": "0", "adminapi_info": true,
            "self_service_allowed": "0"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let plan = IntegrationState {
            secret_key_rotation: Some("1".into()),
            ..IntegrationState::default()
        };
        let state = finish(to_state(&i), &plan, Some("skey".into()));
        assert_eq!(
            (
                state.adminapi_read_resource,
                state.adminapi_settings,
                state.adminapi_info
            ),
            (Some(true), Some(false), Some(true))
        );
        assert_eq!(
            state.networks_for_api_access.as_ref().map(BTreeSet::len),
            Some(2)
        );
        assert_eq!(state.notes.as_deref(), Some(""));
        assert_eq!(state.username_normalization_policy.as_deref(), Some("None"));
        assert_eq!(
            (
                state.secret_key.as_deref(),
                state.secret_key_rotation.as_deref()
            ),
            (Some("skey"), Some("1"))
        );
        let stored = IntegrationState::from_obj(&state.to_obj()).unwrap_or_default();
        assert_eq!(stored, state);
        let create = body(&stored, true);
        assert_eq!(create["type"], "adminapi");
        assert_eq!(create["adminapi_read_resource"], "1");
        assert_eq!(create["networks_for_api_access"], "10.0.0.0/8,192.0.2.1");
        assert!(
            !body(&stored, false).contains_key("type"),
            "a type never changes"
        );
        // Admin API flags are not sent for other types.
        let web = IntegrationState {
            r#type: Some("websdk".into()),
            ..stored
        };
        assert!(!body(&web, true).contains_key("adminapi_read_resource"));
    }
}
