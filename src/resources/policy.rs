//! `duo_policy`: a custom policy, and what it shares with `duo_global_policy`: sections as
//! JSON that only say what the user cares about.
//!
//! Duo completes each section with its defaults and answers keys in its own order, so the
//! configured JSON counts as unchanged while every key it sets has the same value in Duo
//! (lists compared as sets). A key changed outside Terraform shows as a change.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::{Map, Value as Json, json};

use super::{
    Action, Hint, Op, create_once, diagnose, diagnose_with, found, id, json_text_within, keep,
    matching, written,
};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    AttrPath, Attribute, Block, BlockNesting, Diagnostic, Diagnostics, Failed, Managed, Obj,
    Resource, Schema, State, Take, Type, Validator, Value,
};

/// What `duo_policy` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_policy",
    noun: "policy",
    plural: "policies",
    read: Grant::Applications,
    write: None,
    read_by: &["duo_policy", "duo_policies"],
    natural_key: &[PolicyState::policy_name],
    unique_in_duo: false,
    import: ImportId::Prefixed("name"),
    export: Some(Naming {
        from: &[PolicyState::policy_name],
        prefix: "",
        user_side: false,
    }),
};

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
        attr: PolicyState::sections,
        advice: "Some sections need a higher Duo edition than ENTERPRISE (Duo Essentials): \
                 user_location, authorized_networks, anonymous_networks and duo_desktop need \
                 PLATFORM (Duo Advantage) or BEYOND (Duo Premier); trusted_endpoints needs BEYOND. \
                 Remove the section, or raise the account's edition (a child account's is \
                 `duo_child_account`'s `edition`).",
    },
    Hint {
        field: "policy_key",
        attr: PolicyState::policy_name,
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

crate::plugin::state! {
    /// A `duo_policy`'s attributes; its section blocks are declared by [`TYPED`].
    pub struct PolicyState {
        id: Option<String> { .computed().use_state_for_unknown().describe("The policy key (`PO…`).") },
        policy_name: Option<String> {
            .required().validate(Validator::length_between(1, 255)).describe("The policy's name.")
        },
        sections: Option<String> {
            .default("{}")
            .normalized(same_sections)
            .validate(sections_validator())
            .describe(
                "The policy's sections as JSON, e.g. `jsonencode({ new_user = { new_user_behavior = \"deny\" } })`. \
                 Only the keys given are managed: Duo completes each section with its defaults, which never \
                 show as a change. Removing a section from the JSON removes it from the policy. The well-known sections can also be written as blocks (not both).",
            )
        },
        allow_duplicate_name: Option<bool> {
            .optional().local().describe(&super::allow_duplicate_text("policy", "name"))
        },
    }
}

crate::plugin::state! {
    /// A policy as the `duo_policy` and `duo_policies` data sources show it.
    pub struct PolicyLookupState {
        policy_key: Option<String> {
            .optional_computed().describe("The policy key. Give this, `policy_name` or `global`.")
        },
        policy_name: Option<String> { .optional_computed().describe("The exact policy name.") },
        is_global_policy: Option<bool> {
            .computed().describe("Whether this is the global policy.")
        },
        sections: Option<String> {
            .computed().describe("Every section as Duo holds it, as JSON.")
        },
    }
}

impl Policy {
    pub fn schema() -> Schema {
        let mut s = Schema::new("A custom Duo policy. Apply it with `duo_policy_assignment`.")
            .attrs(PolicyState::attributes());
        for (section, description, keys) in TYPED {
            let mut block = Schema::new(description);
            for (key, kind, text) in *keys {
                let attr = match kind {
                    Key::Text(values) => Attribute::string(key).validate(Validator::one_of(values)),
                    Key::Flag => Attribute::bool(key),
                    Key::Count => Attribute::number(key),
                    Key::TextSet => Attribute::set_of(key, Type::String),
                };
                block = block.attr(attr.optional().describe(text));
            }
            s = s.block(Block {
                name: (*section).to_owned(),
                nesting: BlockNesting::Single,
                min_items: 0,
                max_items: 0,
                schema: block,
            });
        }
        s
    }
}

/// How a key of a typed section block is typed.
enum Key {
    /// A string, one of these values.
    Text(&'static [&'static str]),
    Flag,
    Count,
    TextSet,
}

type Keys = &'static [(&'static str, Key, &'static str)];

/// The well-known sections, as blocks: section, description, keys.
const TYPED: &[(&str, &str, Keys)] = &[
    (
        "authentication_methods",
        "Which authentication methods users may use.",
        &[
            (
                "allowed_auth_list",
                Key::TextSet,
                "Methods allowed, e.g. `duo-push`, `webauthn-roaming`, `hardware-token`.",
            ),
            (
                "blocked_auth_list",
                Key::TextSet,
                "Methods blocked, e.g. `sms`, `phonecall`.",
            ),
            (
                "require_verified_push",
                Key::Flag,
                "Whether Duo Push must be verified with a code.",
            ),
            (
                "verified_push_digits",
                Key::Count,
                "Digits of the Verified Push code.",
            ),
        ],
    ),
    (
        "authentication_policy",
        "Whether users must authenticate with Duo.",
        &[(
            "user_auth_behavior",
            Key::Text(&["enforce", "bypass", "deny"]),
            "`enforce` two-factor authentication, `bypass` it, or `deny` access.",
        )],
    ),
    (
        "new_user",
        "What happens to users Duo does not know yet.",
        &[(
            "new_user_behavior",
            Key::Text(&["enroll", "no-mfa", "deny"]),
            "`enroll` them, let them in without two-factor authentication (`no-mfa`), or `deny` them.",
        )],
    ),
    (
        "browsers",
        "Which browsers may be used.",
        &[
            (
                "blocked_browsers_list",
                Key::TextSet,
                "Browsers blocked, e.g. `ie`.",
            ),
            (
                "browser_max_out_of_date_days",
                Key::Count,
                "How out of date a browser may be, in days; 0 for no limit.",
            ),
        ],
    ),
];

fn to_json(v: &Value) -> Option<Json> {
    Some(match v {
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(_) => Json::from(v.as_i64()?),
        Value::String(s) => Json::from(s.as_str()),
        Value::Set(items) | Value::List(items) => {
            Json::Array(items.iter().filter_map(to_json).collect())
        }
        _ => return None,
    })
}

fn from_json(kind: &Key, v: &Json) -> Value {
    match (kind, v) {
        (Key::Flag, Json::Bool(b)) => Value::Bool(*b),
        (Key::Count, Json::Number(n)) => n.as_i64().map_or(Value::Null, Value::from),
        (Key::Text(_), Json::String(s)) => Value::from(s.as_str()),
        (Key::TextSet, Json::Array(items)) => Value::Set(
            items
                .iter()
                .filter_map(|i| i.as_str().map(Value::from))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// The sections the typed blocks of `o` set: only their non-null keys.
fn block_sections(o: &Obj) -> Map<String, Json> {
    TYPED
        .iter()
        .filter_map(|(section, _, keys)| {
            let Value::Object(block) = o.get(section) else {
                return None;
            };
            let set: Map<String, Json> = keys
                .iter()
                .filter_map(|(k, _, _)| Some(((*k).to_owned(), to_json(block.get(*k)?)?)))
                .collect();
            Some(((*section).to_owned(), Json::Object(set)))
        })
        .collect()
}

/// Everything a plan asks of Duo: the JSON sections and the typed blocks.
fn wanted(plan: &Obj) -> Map<String, Json> {
    let mut all = sections_of(plan);
    all.extend(block_sections(plan));
    all
}

/// A policy as the `duo_policy` and `duo_policies` data sources show it: every section, typed or
/// not, in one `sections` JSON, since a lookup has no configuration to shape blocks after.
pub fn lookup_state(p: &duo::Policy) -> PolicyLookupState {
    PolicyLookupState {
        policy_key: Some(p.policy_key.clone()),
        policy_name: Some(p.policy_name.clone()),
        is_global_policy: Some(p.is_global_policy),
        sections: Some(Json::Object(p.sections.clone()).to_string()),
    }
}

/// The only place `duo_policy` values and Duo's policy meet. Sections that `shape` (the plan
/// or prior state) writes as blocks are shown as blocks, with the keys it sets; all others
/// are in the `sections` JSON, in `shape`'s spelling where Duo's answer means the same.
fn to_state(p: &duo::Policy, shape: &Obj) -> Obj {
    let mut json_sections = p.sections.clone();
    let mut blocks = Vec::new();
    for (section, _, keys) in TYPED {
        let Value::Object(configured) = shape.get(section) else {
            blocks.push((section, Value::Null));
            continue;
        };
        let Some(Json::Object(duo)) = json_sections.remove(*section) else {
            blocks.push((section, Value::Null));
            continue;
        };
        let block = keys
            .iter()
            .map(|(k, kind, _)| {
                let managed = configured.get(*k).is_some_and(|v| !v.is_null());
                let value = if managed {
                    duo.get(*k).map_or(Value::Null, |v| from_json(kind, v))
                } else {
                    Value::Null
                };
                ((*k).to_owned(), value)
            })
            .collect();
        blocks.push((section, Value::Object(block)));
    }
    let mut state = PolicyState {
        id: Some(p.policy_key.clone()),
        policy_name: Some(p.policy_name.clone()),
        sections: Some(Json::Object(json_sections).to_string()),
        allow_duplicate_name: None,
    };
    let spelled = shape.str(PolicyState::sections).map(str::to_owned);
    keep(&mut state.sections, &spelled, same_sections);
    let mut o = state.to_obj();
    for (section, block) in blocks {
        o.set(section, block);
    }
    o
}

fn sections_of(o: &Obj) -> Map<String, Json> {
    o.str(PolicyState::sections)
        .and_then(parse_sections)
        .unwrap_or_default()
}

#[async_trait]
impl Resource<duo::Client> for Policy {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        Policy::schema()
    }

    /// A section is written once: as JSON or as a block.
    fn validate(&self, config: &Obj) -> Diagnostics {
        let json = sections_of(config);
        let mut diags = Diagnostics::default();
        for (section, _, _) in TYPED {
            if json.contains_key(*section) && !config.get(section).is_null() {
                diags.push(
                    Diagnostic::error(
                        "Section given twice",
                        format!("`{section}` is both a block and a key of `sections`; keep one."),
                    )
                    .at(AttrPath::root(PolicyState::sections)),
                );
            }
        }
        diags
    }

    /// Duo does not keep policy names unique.
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
            PolicyState::policy_name,
            Some(PolicyState::allow_duplicate_name),
            |name| {
                duo.existing_policies(move |g| {
                    !g.is_global_policy && g.policy_name.eq_ignore_ascii_case(&name)
                })
            },
            |g| &g.policy_key,
        )
        .await
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let name = plan.str(PolicyState::policy_name).unwrap_or_default();
        let body = json!({"policy_name": name, "sections": wanted(plan)});
        let created = create_once(
            Op::new(Action::Create, &KIND),
            HINTS,
            &KIND.key_text(&[name]),
            || duo.create_policy(&body),
            || matching(duo.list_policies(), |p| p.policy_name == name),
            |_: &duo::Policy| true,
            |p| &p.policy_key,
        )
        .await?;
        Ok(to_state(&created, plan))
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        found(&KIND, duo.get_policy(id(state)), |p| to_state(p, state)).await
    }

    /// Custom policies; the global one is `duo_global_policy`.
    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        let stub = Obj::null_for(&self.schema());
        let all = duo
            .list_policies()
            .await
            .map_err(|e| diagnose(Op::all(Action::Read, &KIND), &e))?;
        let custom = all.iter().filter(|p| !p.is_global_policy);
        Ok(take.from_all(custom.map(|p| to_state(p, &stub)).collect()))
    }

    /// A policy key, or `name:<policy name>` when that name is unique.
    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        super::import_by_natural_key(self, &KIND, duo, id).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        let (before, after) = (wanted(prior), wanted(plan));
        let removed: Vec<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
        let body = json!({
            "policy_name": plan.str(PolicyState::policy_name),
            "sections": after,
            "sections_to_delete": removed,
        });
        written(
            Op::new(Action::Update, &KIND),
            HINTS,
            duo.update_policy(id(prior), &body),
            |p| to_state(p, plan),
        )
        .await
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        match duo.delete_policy(id(state)).await {
            Err(e) if !e.is_not_found() => {
                Err(diagnose_with(Op::new(Action::Delete, &KIND), &e, HINTS).into())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookup_shows_every_section_of_duos_answer_as_json() {
        let answer = br#"{"policy_key": "POK1", "policy_name": "Contractors", "is_global_policy": false,
            "sections": {"authentication_methods": {"blocked_auth_list": ["sms"]}, "new_user": {"new_user_behavior": "deny"}},
            "policy_applies_to": [], "a_field_from_next_year": 1}"#;
        let p: duo::Policy = match serde_json::from_slice(answer) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let o = lookup_state(&p);
        assert_eq!(o.policy_key.as_deref(), Some("POK1"));
        assert_eq!(o.policy_name.as_deref(), Some("Contractors"));
        assert_eq!(o.is_global_policy, Some(false));
        let sections: Json =
            serde_json::from_str(o.sections.as_deref().unwrap_or_default()).unwrap_or_default();
        assert_eq!(
            sections["authentication_methods"]["blocked_auth_list"][0],
            "sms"
        );
        assert_eq!(sections["new_user"]["new_user_behavior"], "deny");
    }

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
