//! `duo_integration`: one application (integration) on Duo's v3 API.
//!
//! The secret key is read from `/skey` once (at create, import or rotation), kept in state as a
//! sensitive attribute and never logged; changing `secret_key_rotation` rotates it in place.
//! Attributes Duo does not document a default for are computed when omitted.

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use super::{
    Action, Hint, Op, create_once, deleted, diagnose, diagnose_with, id, json_text_within,
    keep_spelling, matching,
};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    AttrPath, Attribute, Diagnostic, Diagnostics, Failed, Obj, Resource, Schema, Type, Validator,
    Value,
};

/// What `duo_integration` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_integration",
    noun: "integration",
    plural: "integrations",
    read: Grant::Applications,
    write: None,
    data_sources: &["duo_integration", "duo_integrations"],
    natural_key: &["name"],
    import: ImportId::Prefixed("name"),
    export: Some(Naming {
        from: &["name"],
        prefix: "",
        user_side: false,
    }),
};

pub struct Integration;

pub const USER_ACCESS: &[&str] = &["NO_USERS", "ALL_USERS", "PERMITTED_GROUPS"];
/// The Admin API permissions an `adminapi` integration can hold, with the grant's name in the
/// Admin Panel.
pub const ADMINAPI: [(&str, &str); 8] = [
    ("adminapi_admins", "Grant administrators"),
    ("adminapi_admins_read", "Grant read administrators"),
    ("adminapi_info", "Grant read information"),
    ("adminapi_integrations", "Grant applications"),
    ("adminapi_read_log", "Grant read log"),
    ("adminapi_read_resource", "Grant read resource"),
    ("adminapi_settings", "Grant settings"),
    ("adminapi_write_resource", "Grant write resource"),
];
const MAX_GROUPS: usize = 100;

const HINTS: &[Hint] = &[
    Hint {
        field: "type",
        attr: "type",
        advice: "Duo cannot create integrations of this type through the API (e.g. `azure-ca` or Duo's own SSO \
                 applications); create it in the Admin Panel and import it.",
    },
    Hint {
        field: "groups_allowed",
        attr: "groups_allowed",
        advice: "Give at most 100 existing group IDs, with `user_access = \"PERMITTED_GROUPS\"`.",
    },
    Hint {
        field: "networks_for_api_access",
        attr: "networks_for_api_access",
        advice: "Only Admin API and Accounts API integrations can be limited to networks.",
    },
];

impl Integration {
    pub fn schema() -> Schema {
        let mut s = Schema::new(
            "A Duo application (integration), managed through the v3 integrations API.",
        )
        .attr(Attribute::string("id").computed().use_state_for_unknown().describe("The integration key."))
        .attr(Attribute::string("integration_key").computed().use_state_for_unknown().describe("The integration key (`DI…`), which clients use with the secret key."))
        .attr(Attribute::string("name").required().validate(Validator::length_between(1, 255)).describe("The integration's name."))
        .attr(Attribute::string("type").required().force_new().validate(type_validator()).describe(
            "The integration type, e.g. `adminapi`, `authapi`, `websdk`, `rdp`, `sso-generic`. Duo's own SSO \
             applications and `azure-ca` cannot be created through the API.",
        ))
        .attr(Attribute::string("notes").default("").describe("Notes shown in the Admin Panel."))
        .attr(Attribute::string("greeting").default("").describe("The greeting read in voice calls."))
        .attr(
            Attribute::string("user_access")
                .optional_computed()
                .use_state_for_unknown()
                .validate(Validator::one_of(USER_ACCESS))
                .describe("Who may use the application. When omitted, Duo's value is kept."),
        )
        .attr(
            Attribute::set_of("groups_allowed", Type::String)
                .optional_computed()
                .references("duo_group")
                .use_state_for_unknown()
                .describe("The groups whose members may use it, with `user_access = \"PERMITTED_GROUPS\"`; at most 100."),
        );
        for (flag, grant) in ADMINAPI {
            s = s.attr(
                Attribute::bool(flag)
                    .default(false)
                    .describe(&format!("`adminapi` only: the \"{grant}\" permission.")),
            );
        }
        s.attr(
            Attribute::set_of("networks_for_api_access", Type::String)
                .optional_computed()
                .validate(Validator::each(Validator::cidr()))
                .use_state_for_unknown()
                .describe("`adminapi` and `accountsapi` only: the IP addresses, ranges or CIDRs the key may be used from."),
        )
        .attr(Attribute::bool("self_service_allowed").default(false).describe("Whether users may manage their devices through the self-service portal."))
        .attr(
            Attribute::string("username_normalization_policy")
                .default("None")
                .validate(Validator::one_of(&["None", "Simple"]))
                .describe("`Simple` strips domains and lowercases usernames before matching Duo users."),
        )
                .attr(
            Attribute::string("sso")
                .optional()
                .normalized(json_text_within)
                .validate(Validator::new("A JSON object (`jsonencode({...})`).", |v| match serde_json::from_str::<Json>(v.as_str().unwrap_or_default()) {
                    Ok(Json::Object(_)) => Ok(()),
                    _ => Err("is not a JSON object; write it with jsonencode({ ... }).".to_owned()),
                }))
                .describe(
                    "`sso-*` types only: the SSO settings as JSON, e.g. `jsonencode({ saml_config = { entity_id = \"…\" } })`. \
                     Only the keys given are managed; keys Duo adds never show as a change.",
                ),
        )
        .attr(Attribute::string("policy_key").default("").references("duo_policy").describe("A custom policy applied to the application; `\"\"` for the global policy only."))
        .attr(Attribute::string("secret_key").computed().sensitive().use_state_for_unknown().describe("The secret key. Sensitive; never logged."))
        .attr(Attribute::string("secret_key_rotation").optional().describe(
            "Any value; changing it rotates the secret key in place (the old key stops working at once).",
        ))
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
pub fn to_state(i: &duo::Integration) -> Obj {
    let mut o = Obj::default()
        .with("id", i.integration_key.as_str())
        .with("integration_key", i.integration_key.as_str())
        .with("name", i.name.as_str())
        .with("type", i.kind.as_str())
        .with("notes", i.notes.clone().unwrap_or_default())
        .with("greeting", i.greeting.clone().unwrap_or_default())
        .with("user_access", Value::opt_string(i.user_access.clone()))
        .with(
            "groups_allowed",
            Value::string_set(i.groups_allowed.clone()),
        )
        .with("networks_for_api_access", Value::string_set(i.networks()))
        .with(
            "self_service_allowed",
            i.self_service_allowed.unwrap_or(false),
        )
        .with(
            "username_normalization_policy",
            i.username_normalization_policy
                .clone()
                .unwrap_or_else(|| "None".to_owned()),
        )
        .with("policy_key", i.policy_key.clone().unwrap_or_default())
        .with(
            "sso",
            i.sso
                .as_ref()
                .map_or(Value::Null, |s| Value::from(s.to_string())),
        )
        .with("secret_key", Value::Null)
        .with("secret_key_rotation", Value::Null);
    for (flag, _) in ADMINAPI {
        o.set(flag, i.flag(flag));
    }
    o
}

/// Duo's answer with the configured SSO JSON kept where Duo's says the same.
fn respell(mut o: Obj, plan: &Obj) -> Obj {
    keep_spelling(&mut o, plan, "sso", json_text_within);
    o
}

/// The JSON body for create or modify: every known value of the plan.
fn body(plan: &Obj, create: bool) -> Map<String, Json> {
    let mut m = Map::new();
    let texts: &[&str] = if create {
        &[
            "name",
            "type",
            "notes",
            "greeting",
            "user_access",
            "username_normalization_policy",
            "policy_key",
        ]
    } else {
        &[
            "name",
            "notes",
            "greeting",
            "user_access",
            "username_normalization_policy",
            "policy_key",
        ]
    };
    for k in texts {
        if let Some(v) = plan.str(k) {
            m.insert((*k).to_owned(), Json::from(v));
        }
    }
    let flags = ADMINAPI
        .iter()
        .map(|(f, _)| *f)
        .chain(["self_service_allowed"]);
    for k in flags {
        // Admin API flags only exist on adminapi integrations; send them only where they apply.
        if k.starts_with("adminapi_") && plan.str("type") != Some("adminapi") {
            continue;
        }
        if let Some(b) = plan.bool(k) {
            m.insert(k.to_owned(), Json::from(if b { "1" } else { "0" }));
        }
    }
    if let Some(sso) = plan
        .str("sso")
        .and_then(|s| serde_json::from_str::<Json>(s).ok())
    {
        m.insert("sso".to_owned(), sso);
    }
    for k in ["groups_allowed", "networks_for_api_access"] {
        if !plan.get(k).is_unknown() && !plan.get(k).is_null() {
            m.insert(
                k.to_owned(),
                Json::from(plan.get(k).strings::<Vec<String>>().join(",")),
            );
        }
    }
    m
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
        let groups = config.get("groups_allowed");
        if !groups.contains_unknown() && groups.strings::<Vec<String>>().len() > MAX_GROUPS {
            diags.push(
                Diagnostic::error(
                    "Too many groups",
                    format!("Duo allows at most {MAX_GROUPS} groups per integration."),
                )
                .at(AttrPath::root("groups_allowed")),
            );
        }
        if !groups.strings::<Vec<String>>().is_empty()
            && config
                .str("user_access")
                .is_some_and(|a| a != "PERMITTED_GROUPS")
        {
            diags.push(
                Diagnostic::error("groups_allowed needs PERMITTED_GROUPS", "Set `user_access = \"PERMITTED_GROUPS\"` to limit the application to `groups_allowed`.")
                    .at(AttrPath::root("groups_allowed")),
            );
        }
        if let Some(kind) = config.str("type").filter(|t| !t.starts_with("sso-"))
            && !config.get("sso").is_null()
        {
            diags.push(
                Diagnostic::error(
                    "sso needs an sso-* integration",
                    format!("SSO settings do not apply to a `{kind}` integration."),
                )
                .at(AttrPath::root("sso")),
            );
        }
        if let Some(kind) = config.str("type").filter(|t| *t != "adminapi") {
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

    /// A changed rotation trigger renews the secret key, so the plan cannot know it.
    fn modify_plan(&self, prior: Option<&Obj>, planned: &mut Obj) -> Diagnostics {
        if let Some(prior) = prior
            && planned.get("secret_key_rotation") != prior.get("secret_key_rotation")
            && !planned.get("secret_key_rotation").is_null()
        {
            planned.set("secret_key", Value::Unknown);
        }
        Diagnostics::default()
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let (name, kind) = (
            plan.str("name").unwrap_or_default(),
            plan.str("type").unwrap_or_default(),
        );
        let fields = body(plan, true);
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
        let state = respell(to_state(&created), plan).with(
            "secret_key_rotation",
            plan.get("secret_key_rotation").clone(),
        );
        match duo.integration_secret_key(&created.integration_key).await {
            Ok(skey) => Ok(state.with("secret_key", skey)),
            // Created, but its key could not be read: keep it in state, and say so.
            Err(e) => Err(Failed {
                diags: diagnose(
                    Op::new(Action::Read, &KIND).on("integration secret key"),
                    &e,
                )
                .into(),
                partial: Some(state),
            }),
        }
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let found = duo::gone_is_none(duo.get_integration(id(state)).await)
            .map_err(|e| diagnose(Op::new(Action::Read, &KIND), &e))?;
        let Some(i) = found else { return Ok(None) };
        let skey = match state.str("secret_key") {
            Some(k) => k.to_owned(),
            None => duo
                .integration_secret_key(&i.integration_key)
                .await
                .map_err(|e| {
                    diagnose(
                        Op::new(Action::Read, &KIND).on("integration secret key"),
                        &e,
                    )
                })?,
        };
        Ok(Some(
            respell(to_state(&i), state).with("secret_key", skey).with(
                "secret_key_rotation",
                state.get("secret_key_rotation").clone(),
            ),
        ))
    }

    /// Every integration with its secret key (one `/skey` call each).
    async fn list(&self, duo: &duo::Client) -> Result<Vec<Obj>, Diagnostics> {
        let mut out = Vec::new();
        for state in super::listed(&KIND, duo.list_integrations(), to_state).await? {
            let skey = duo.integration_secret_key(id(&state)).await.map_err(|e| {
                diagnose(
                    Op::new(Action::Read, &KIND).on("integration secret key"),
                    &e,
                )
            })?;
            out.push(state.with("secret_key", skey));
        }
        Ok(out)
    }

    /// An integration key, or `name:<name>` when that name is unique.
    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        super::import_by_natural_key(self, &KIND, duo, id).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let rotate = plan.get("secret_key_rotation") != prior.get("secret_key_rotation")
            && !plan.get("secret_key_rotation").is_null();
        let mut fields = body(plan, false);
        if rotate {
            fields.insert("reset_secret_key".into(), Json::from("1"));
        }
        let updated = duo
            .modify_integration(id(prior), &fields)
            .await
            .map_err(|e| diagnose_with(Op::new(Action::Update, &KIND), &e, HINTS))?;
        let state = respell(to_state(&updated), plan).with(
            "secret_key_rotation",
            plan.get("secret_key_rotation").clone(),
        );
        let skey = if rotate {
            duo.integration_secret_key(id(prior))
                .await
                .map_err(|e| Failed {
                    diags: diagnose(
                        Op::new(Action::Read, &KIND).on("integration secret key"),
                        &e,
                    )
                    .into(),
                    partial: Some(
                        state
                            .clone()
                            .with("secret_key", prior.get("secret_key").clone()),
                    ),
                })?
        } else {
            prior.str("secret_key").unwrap_or_default().to_owned()
        };
        Ok(state.with("secret_key", skey))
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        deleted(&KIND, duo.delete_integration(id(state))).await
    }
}
