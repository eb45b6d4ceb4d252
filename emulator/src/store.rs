//! The emulated tenant: every object type with its links, Duo's ID shapes and caps, and the
//! JSON shapes Duo answers with. Loaded from a seed file (or a dump) or empty; lives in memory.

use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Duo allows a user in at most this many groups.
pub const MAX_GROUPS_PER_USER: usize = 100;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    #[serde(default)]
    pub group_id: String,
    pub name: String,
    #[serde(default)]
    pub desc: String,
    #[serde(default = "active")]
    pub status: String,
    #[serde(default)]
    pub push_enabled: bool,
    #[serde(default)]
    pub sms_enabled: bool,
    #[serde(default)]
    pub voice_enabled: bool,
    #[serde(default)]
    pub mobile_otp_enabled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User {
    #[serde(default)]
    pub user_id: String,
    pub username: String,
    #[serde(default)]
    pub realname: Option<String>,
    #[serde(default)]
    pub firstname: Option<String>,
    #[serde(default)]
    pub lastname: Option<String>,
    #[serde(default)]
    pub email: String,
    #[serde(default = "active")]
    pub status: String,
    #[serde(default)]
    pub notes: String,
    /// The legacy positional aliases `alias1`…`alias4`.
    #[serde(default)]
    pub aliases: [Option<String>; 4],
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub last_login: Option<i64>,
    #[serde(default)]
    pub is_enrolled: bool,
    /// Set for users a directory sync manages; Duo refuses to delete them through the API.
    #[serde(default)]
    pub directory_key: Option<String>,
    /// Group IDs (or, in a seed file, group names).
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub tokens: Vec<String>,
}

impl User {
    /// Duo's `username` filter matches the username or any alias, ignoring case.
    pub fn answers_to(&self, name: &str) -> bool {
        self.username.eq_ignore_ascii_case(name)
            || self
                .aliases
                .iter()
                .flatten()
                .any(|a| a.eq_ignore_ascii_case(name))
    }
}

fn active() -> String {
    "active".to_owned()
}

/// The whole tenant. Ordered maps keep list order stable, as Duo's is.
///
/// Its serde form is the emulator's own dump: every object with its ID, links and the secrets Duo
/// answers with (not a token's, which Duo never shows), so
/// a tenant can be saved and restored exactly (the states of released versions are kept with
/// the tenant they describe this way; see `acceptance-tests/released_states.rs`). Seed files,
/// which users write, are `Seed`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Tenant {
    pub groups: BTreeMap<String, Group>,
    pub users: BTreeMap<String, User>,
    pub phones: BTreeMap<String, Phone>,
    pub tokens: BTreeMap<String, Token>,
    pub bypass_codes: BTreeMap<String, BypassCode>,
    pub integrations: BTreeMap<String, Integration>,
    pub admins: BTreeMap<String, Admin>,
    pub admin_units: BTreeMap<String, AdminUnit>,
    pub policies: BTreeMap<String, Policy>,
    /// Account settings that differ from Duo's defaults.
    pub settings: serde_json::Map<String, Value>,
    /// Admin authentication methods that differ from Duo's defaults.
    pub allowed_auth_methods: serde_json::Map<String, Value>,
    /// The account's edition (`ENTERPRISE`, `PLATFORM` or `BEYOND`); none is `ENTERPRISE`.
    pub edition: Option<String>,
    /// Telephony credits left; none is [`DEFAULT_CREDITS`].
    pub telephony_credits: Option<i64>,
    /// An MSP parent's child accounts, by account ID. A child has none of its own.
    pub children: BTreeMap<String, Child>,
}

/// The telephony credits an account starts with.
pub const DEFAULT_CREDITS: i64 = 1000;

/// The editions Duo sells, lowest first (Essentials, Advantage, Premier).
pub const EDITIONS: &[&str] = &["ENTERPRISE", "PLATFORM", "BEYOND"];

/// A child account of an MSP parent: a complete tenant of its own.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Child {
    pub account_id: String,
    pub name: String,
    /// Answers every Admin API request with Duo's 400, as a child on another Duo deployment
    /// than its parent does (only Duo support can move it).
    pub other_deployment: bool,
    pub tenant: Tenant,
}

impl Tenant {
    pub fn edition(&self) -> &str {
        self.edition.as_deref().unwrap_or(EDITIONS[0])
    }

    pub fn credits(&self) -> i64 {
        self.telephony_credits.unwrap_or(DEFAULT_CREDITS)
    }

    /// A child as the Accounts API answers it; `host` is the API hostname every account is
    /// served on.
    pub fn child_json(c: &Child, host: &str) -> Value {
        json!({"account_id": c.account_id, "name": c.name, "api_hostname": host})
    }
}

/// A policy: named sections of settings, applied to applications or to groups within them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Policy {
    pub policy_key: String,
    pub policy_name: String,
    pub is_global: bool,
    pub sections: serde_json::Map<String, Value>,
    /// Integration keys the policy applies to.
    pub apps: Vec<String>,
    /// Integration key → groups the policy applies to within that application.
    pub group_apps: BTreeMap<String, Vec<String>>,
}

/// An administrative unit: the admins it scopes and the groups and integrations in it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AdminUnit {
    pub admin_unit_id: String,
    pub name: String,
    pub description: String,
    pub restrict_by_groups: bool,
    pub restrict_by_integrations: bool,
    pub admins: Vec<String>,
    pub groups: Vec<String>,
    pub integrations: Vec<String>,
}

/// An administrator.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Admin {
    #[serde(default)]
    pub admin_id: String,
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default = "owner")]
    pub role: String,
    #[serde(default = "pending")]
    pub status: String,
    #[serde(default)]
    pub restricted_by_admin_units: bool,
    #[serde(default)]
    pub password_change_required: bool,
    #[serde(default)]
    pub token_id: String,
    #[serde(default)]
    pub created: i64,
}

fn owner() -> String {
    "Owner".to_owned()
}

fn pending() -> String {
    "Pending Activation".to_owned()
}

/// An application (integration). The secret key is answered only by `/skey`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Integration {
    #[serde(default)]
    pub integration_key: String,
    #[serde(default)]
    pub secret_key: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub greeting: String,
    /// `adminapi_*` permission flags that are on.
    #[serde(default)]
    pub adminapi: Vec<String>,
    #[serde(default)]
    pub groups_allowed: Vec<String>,
    #[serde(default)]
    pub user_access: String,
    #[serde(default)]
    pub networks_for_api_access: String,
    #[serde(default)]
    pub self_service_allowed: bool,
    #[serde(default)]
    pub username_normalization_policy: String,
    #[serde(default)]
    pub policy_key: String,
    /// SSO settings of `sso-*` integrations.
    #[serde(default)]
    pub sso: Option<Value>,
}

/// A phone. `type` and `platform` are stored lowercase, as sent, and answered in Title Case,
/// as Duo does.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Phone {
    #[serde(default)]
    pub phone_id: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub extension: String,
    #[serde(default)]
    pub name: String,
    #[serde(default = "unknown", rename = "type")]
    pub kind: String,
    #[serde(default = "unknown")]
    pub platform: String,
    #[serde(default)]
    pub predelay: Option<i64>,
    #[serde(default)]
    pub postdelay: Option<i64>,
    #[serde(default)]
    pub activated: bool,
}

fn unknown() -> String {
    "unknown".to_owned()
}

/// A hardware token. Secrets are kept only to show they are never answered.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Token {
    #[serde(default)]
    pub token_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub serial: String,
    #[serde(default)]
    pub totp_step: Option<i64>,
    #[serde(default, skip_serializing)]
    pub secret: String,
}

/// One bypass code of a user. The code itself is answered once, at creation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BypassCode {
    pub bypass_code_id: String,
    pub user_id: String,
    pub code: String,
    pub created: i64,
    pub expiration: Option<i64>,
    pub reuse_count: Option<i64>,
}

/// The seed file format: `{"groups": [...], "users": [...]}`; IDs are generated when absent,
/// and a user's `groups` may name groups by ID or by name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub phones: Vec<Phone>,
    #[serde(default)]
    pub tokens: Vec<Token>,
    #[serde(default)]
    pub admins: Vec<Admin>,
    /// Child accounts (an MSP parent's), each a tenant of its own.
    #[serde(default)]
    pub children: Vec<ChildSeed>,
}

/// A child account in a seed file: `{"name": "Acme", "edition": "PLATFORM", "tenant": {...}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildSeed {
    /// Generated when absent.
    #[serde(default)]
    pub account_id: String,
    pub name: String,
    #[serde(default)]
    pub edition: Option<String>,
    #[serde(default)]
    pub telephony_credits: Option<i64>,
    /// See [`Child::other_deployment`].
    #[serde(default)]
    pub other_deployment: bool,
    #[serde(default)]
    pub tenant: Seed,
}

/// A Duo-shaped ID: two-letter prefix and 18 uppercase letters or digits.
pub fn new_id(prefix: &str) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..18)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

impl Tenant {
    pub fn from_seed(seed: Seed) -> Result<Tenant, String> {
        let mut t = Tenant::default();
        for c in seed.children {
            if !c.tenant.children.is_empty() {
                return Err(format!(
                    "child account {:?} has children: a child account has no children of its own",
                    c.name
                ));
            }
            if let Some(e) = c.edition.as_deref().filter(|e| !EDITIONS.contains(e)) {
                return Err(format!(
                    "child account {:?}: unknown edition {e:?}; use {}",
                    c.name,
                    EDITIONS.join(", ")
                ));
            }
            let account_id = if c.account_id.is_empty() {
                new_id("DA")
            } else {
                c.account_id
            };
            let mut tenant = Tenant::from_seed(c.tenant)?;
            tenant.edition = c.edition;
            tenant.telephony_credits = c.telephony_credits;
            let child = Child {
                account_id: account_id.clone(),
                name: c.name,
                other_deployment: c.other_deployment,
                tenant,
            };
            t.children.insert(account_id, child);
        }
        for mut g in seed.groups {
            if g.group_id.is_empty() {
                g.group_id = new_id("DG");
            }
            t.groups.insert(g.group_id.clone(), g);
        }
        for mut p in seed.phones {
            if p.phone_id.is_empty() {
                p.phone_id = new_id("DP");
            }
            t.phones.insert(p.phone_id.clone(), p);
        }
        for mut k in seed.tokens {
            if k.token_id.is_empty() {
                k.token_id = new_id("DH");
            }
            t.tokens.insert(k.token_id.clone(), k);
        }
        for mut a in seed.admins {
            if a.admin_id.is_empty() {
                a.admin_id = new_id("DE");
            }
            t.admins.insert(a.admin_id.clone(), a);
        }
        for mut u in seed.users {
            if u.user_id.is_empty() {
                u.user_id = new_id("DU");
            }
            let mut ids = Vec::new();
            for g in &u.groups {
                let id = if t.groups.contains_key(g) {
                    g.clone()
                } else {
                    t.groups
                        .values()
                        .find(|x| &x.name == g)
                        .map(|x| x.group_id.clone())
                        .ok_or_else(|| format!("user {:?} names unknown group {g:?}", u.username))?
                };
                ids.push(id);
            }
            u.groups = ids;
            t.users.insert(u.user_id.clone(), u);
        }
        Ok(t)
    }

    /// A group as Duo's get and create endpoints return it.
    pub fn group_json(g: &Group) -> Value {
        json!({
            "group_id": g.group_id,
            "name": g.name,
            "desc": g.desc,
            "status": g.status,
            "push_enabled": g.push_enabled,
            "sms_enabled": g.sms_enabled,
            "voice_enabled": g.voice_enabled,
            "mobile_otp_enabled": g.mobile_otp_enabled,
        })
    }

    /// Duo's list endpoints have been seen answering `"Active"` where get says `"active"`.
    pub fn group_list_json(g: &Group) -> Value {
        let mut v = Tenant::group_json(g);
        v["status"] = Value::from(title_case(&g.status));
        v
    }

    pub fn phone_json(&self, p: &Phone, with_users: bool) -> Value {
        let mut v = json!({
            "phone_id": p.phone_id,
            "number": p.number,
            "extension": p.extension,
            "name": p.name,
            "type": title_case(&p.kind),
            "platform": platform_title(&p.platform),
            "predelay": p.predelay.map(|d| d.to_string()),
            "postdelay": p.postdelay.map(|d| d.to_string()),
            "activated": p.activated,
            "sms_passcodes_sent": false,
            "capabilities": if p.kind == "mobile" { json!(["auto", "push", "sms", "phone", "mobile_otp"]) } else { json!(["auto", "phone"]) },
            "last_seen": "",
            "model": "",
        });
        if with_users {
            v["users"] = self.reduced_users(|u| u.phones.contains(&p.phone_id));
        }
        v
    }

    pub fn token_json(&self, k: &Token, with_users: bool) -> Value {
        let mut v = json!({"token_id": k.token_id, "type": k.kind, "serial": k.serial, "totp_step": k.totp_step});
        if with_users {
            v["users"] = self.reduced_users(|u| u.tokens.contains(&k.token_id));
        }
        v
    }

    fn reduced_users(&self, pick: impl Fn(&User) -> bool) -> Value {
        self.users
            .values()
            .filter(|u| pick(u))
            .map(|u| json!({"user_id": u.user_id, "username": u.username, "realname": u.realname, "email": u.email, "status": u.status}))
            .collect()
    }

    pub fn user_json(&self, u: &User) -> Value {
        let groups: Vec<Value> = u
            .groups
            .iter()
            .filter_map(|id| self.groups.get(id))
            .map(Tenant::group_json)
            .collect();
        let aliases: serde_json::Map<String, Value> = u
            .aliases
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some((format!("alias{}", i + 1), Value::from(a.clone()?))))
            .collect();
        json!({
            "user_id": u.user_id,
            "username": u.username,
            "realname": u.realname,
            "firstname": u.firstname,
            "lastname": u.lastname,
            "email": u.email,
            "status": u.status,
            "notes": u.notes,
            "created": u.created,
            "last_login": u.last_login,
                        "last_directory_sync": u.directory_key.as_ref().map(|_| u.created),
            "directory_key": u.directory_key,
            "is_enrolled": u.is_enrolled,
            "alias1": u.aliases[0], "alias2": u.aliases[1], "alias3": u.aliases[2], "alias4": u.aliases[3],
            "aliases": aliases,
            "groups": groups,
            "phones": u.phones.iter().filter_map(|id| self.phones.get(id)).map(|p| self.phone_json(p, false)).collect::<Vec<_>>(),
            "tokens": u.tokens.iter().filter_map(|id| self.tokens.get(id)).map(|k| self.token_json(k, false)).collect::<Vec<_>>(),
        })
    }

    /// Everything, for tests and `GET /_emulator/tenant`.
    pub fn snapshot(&self) -> Value {
        json!({
            "groups": self.groups.values().map(Tenant::group_json).collect::<Vec<_>>(),
            "users": self.users.values().map(|u| self.user_json(u)).collect::<Vec<_>>(),
            "phones": self.phones.values().map(|p| self.phone_json(p, true)).collect::<Vec<_>>(),
            "tokens": self.tokens.values().map(|k| self.token_json(k, true)).collect::<Vec<_>>(),
                        "bypass_codes": self.bypass_codes.values().map(|b| json!({"bypass_code_id": b.bypass_code_id, "user_id": b.user_id})).collect::<Vec<_>>(),
                        "integrations": self.integrations.values().map(crate::integrations::integration_json).collect::<Vec<_>>(),
            "admins": self.admins.values().map(|a| crate::admins::admin_json(self, a)).collect::<Vec<_>>(),
            "settings": self.settings,
            "admin_units": self.admin_units.values().map(crate::admin_units::admin_unit_json).collect::<Vec<_>>(),
            "policies": self.policies.values().map(crate::policies::policy_json).collect::<Vec<_>>(),
            "edition": self.edition(),
            "telephony_credits": self.credits(),
            "children": self.children.values().map(|c| json!({
                "account_id": c.account_id, "name": c.name, "other_deployment": c.other_deployment,
                "edition": c.tenant.edition(), "telephony_credits": c.tenant.credits(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Duo's spelling of a platform (`apple ios` → `Apple iOS`).
fn platform_title(p: &str) -> String {
    match p {
        "apple ios" => "Apple iOS".to_owned(),
        "rim blackberry" => "RIM BlackBerry".to_owned(),
        "java j2me" => "Java J2ME".to_owned(),
        "palm webos" => "Palm WebOS".to_owned(),
        "symbian os" => "Symbian OS".to_owned(),
        other => other
            .split(' ')
            .map(title_case)
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn title_case(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
