//! Policies v2 (v5-signed, JSON): the global policy present from the start and undeletable,
//! sections Duo fills with its defaults and answers in its own key order, sections the
//! edition lacks, policies applied to applications and to groups within them, and the
//! effective policy for a user and an application.

use serde_json::{Map, Value, json};

use crate::api::{ApiError, Params, Reply, Result, Route, page, param};
use crate::store::{self, Policy, Tenant};

pub const GLOBAL_KEY: &str = "POGLOBALPOLICY000001";

/// Duo's defaults per section; a section given partly is completed with them.
fn section_defaults(name: &str) -> Option<Map<String, Value>> {
    let v = match name {
        "authentication_methods" => json!({
            "allowed_auth_list": ["duo-push", "duo-passcode", "webauthn-platform", "webauthn-roaming", "hardware-token", "phonecall", "sms"],
            "blocked_auth_list": [],
            "require_verified_push": false,
            "verified_push_digits": 6
        }),
        "authentication_policy" => json!({"user_auth_behavior": "enforce"}),
        "new_user" => json!({"new_user_behavior": "enroll"}),
        "browsers" => json!({"blocked_browsers_list": [], "browser_max_out_of_date_days": 0}),
        "remembered_devices" => {
            json!({"browser_apps": {"enabled": false, "max_time_units": "days", "max_time_value": 1}})
        }
        "screen_lock" => json!({"require_screen_lock": false}),
        "mobile_device_biometrics" => json!({"require_biometrics": false}),
        "full_disk_encryption" => json!({"require_encryption": false}),
        "operating_systems" => json!({}),
        "plugins" => json!({"flash": "allow", "java": "allow"}),
        "user_location" => json!({"default_action": "allow", "countries": {}}),
        "authorized_networks" => json!({"networks": [], "require_mfa": true}),
        "anonymous_networks" => json!({"action": "allow"}),
        "duo_desktop" => {
            json!({"requires_duo_desktop": false, "enforce_encryption": [], "enforce_firewall": []})
        }
        "trusted_endpoints" => json!({"trusted_endpoint_checking": "allow-all"}),
        _ => return None,
    };
    v.as_object().cloned()
}

/// Sections that need more than Duo's lowest edition, with the lowest edition that has each
/// (Advantage is `PLATFORM`, Premier `BEYOND`). Duo publishes the editions' features, not this
/// table per API section [U]: it is the emulator's reading of them.
const EDITION_SECTIONS: &[(&str, &str)] = &[
    ("user_location", "PLATFORM"),
    ("authorized_networks", "PLATFORM"),
    ("anonymous_networks", "PLATFORM"),
    ("duo_desktop", "PLATFORM"),
    ("trusted_endpoints", "BEYOND"),
];

/// Whether an account of `edition` has section `name`.
fn edition_has(edition: &str, name: &str) -> bool {
    let rank = |e: &str| store::EDITIONS.iter().position(|x| *x == e).unwrap_or(0);
    EDITION_SECTIONS
        .iter()
        .find(|(section, _)| *section == name)
        .is_none_or(|(_, needs)| rank(edition) >= rank(needs))
}

fn ensure_global(t: &mut Tenant) {
    if t.policies.values().any(|p| p.is_global) {
        return;
    }
    let sections: Map<String, Value> = [
        "authentication_methods",
        "authentication_policy",
        "new_user",
        "browsers",
    ]
    .iter()
    .filter_map(|n| Some(((*n).to_owned(), Value::Object(section_defaults(n)?))))
    .collect();
    let global = Policy {
        policy_key: GLOBAL_KEY.into(),
        policy_name: "Global Policy".into(),
        is_global: true,
        sections,
        ..Policy::default()
    };
    t.policies.insert(global.policy_key.clone(), global);
}

fn json_param(p: &Params, key: &str) -> Result<Option<Value>> {
    param(p, key)
        .map(|raw| serde_json::from_str(raw).map_err(|_| ApiError::invalid(key)))
        .transpose()
}

/// Merges `given` sections into `into`: each section completed with Duo's defaults, keys given
/// win. Unknown and higher-edition sections are refused, naming the section.
fn merge_sections(edition: &str, into: &mut Map<String, Value>, given: &Value) -> Result<()> {
    let Some(given) = given.as_object() else {
        return Err(ApiError::invalid("sections"));
    };
    for (name, keys) in given {
        if !edition_has(edition, name) {
            return Err(ApiError {
                code: 40002,
                message: format!("The {name} section is not available on this account's edition"),
                detail: Some("sections".into()),
            });
        }
        let Some(defaults) = section_defaults(name) else {
            return Err(ApiError {
                code: 40002,
                message: format!("Unknown policy section {name}"),
                detail: Some("sections".into()),
            });
        };
        let Some(keys) = keys.as_object() else {
            return Err(ApiError::invalid("sections"));
        };
        let mut merged = match into.remove(name) {
            Some(Value::Object(existing)) => existing,
            _ => defaults,
        };
        for (k, v) in keys {
            merged.insert(k.clone(), v.clone());
        }
        into.insert(name.clone(), Value::Object(merged));
    }
    Ok(())
}

fn apply_assignments(t: &Tenant, policy: &mut Policy, p: &Params) -> Result<()> {
    if let Some(apps) = json_param(p, "apply_to_apps")? {
        if policy.is_global {
            return Err(ApiError::invalid("apply_to_apps"));
        }
        let list = |k: &str| -> Vec<String> {
            apps[k]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        for ikey in list("apply_list") {
            if !t.integrations.contains_key(&ikey) {
                return Err(ApiError::invalid("apply_to_apps"));
            }
            if !policy.apps.contains(&ikey) {
                policy.apps.push(ikey);
            }
        }
        let remove = list("unapply_list");
        policy.apps.retain(|a| !remove.contains(a));
    }
    if let Some(groups) = json_param(p, "apply_to_groups_in_apps")? {
        if policy.is_global {
            return Err(ApiError::invalid("apply_to_groups_in_apps"));
        }
        let entries = |k: &str| groups[k].as_array().cloned().unwrap_or_default();
        for e in entries("apply_group_policies_list") {
            let ikey = e["app_integration_key"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let gids: Vec<String> = e["group_id_list"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if !t.integrations.contains_key(&ikey) || gids.iter().any(|g| !t.groups.contains_key(g))
            {
                return Err(ApiError::invalid("apply_to_groups_in_apps"));
            }
            let slot = policy.group_apps.entry(ikey).or_default();
            for g in gids {
                if !slot.contains(&g) {
                    slot.push(g);
                }
            }
        }
        for e in entries("unapply_group_policies_list") {
            let ikey = e["app_integration_key"].as_str().unwrap_or_default();
            let gids: Vec<String> = e["group_id_list"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(slot) = policy.group_apps.get_mut(ikey) {
                slot.retain(|g| !gids.contains(g));
            }
        }
        policy.group_apps.retain(|_, g| !g.is_empty());
    }
    Ok(())
}

pub fn policy_json(p: &Policy) -> Value {
    let applies: Vec<Value> = p
        .apps
        .iter()
        .map(|a| json!({"app_integration_key": a, "apply_type": "app"}))
        .chain(p.group_apps.iter().map(
            |(a, g)| json!({"app_integration_key": a, "apply_type": "group", "group_id_list": g}),
        ))
        .collect();
    json!({
        "policy_key": p.policy_key,
        "policy_name": p.policy_name,
        "is_global_policy": p.is_global,
        "sections": p.sections,
        "policy_applies_to": applies,
    })
}

fn find<'a>(t: &'a Tenant, key: &str) -> Option<&'a Policy> {
    if key == "global" {
        t.policies.values().find(|p| p.is_global)
    } else {
        t.policies.get(key)
    }
}

pub fn handle(t: &mut Tenant, route: &Route, p: &Params) -> Result<Reply> {
    ensure_global(t);
    let edition = t.edition().to_owned();
    match route {
        Route::ListPolicies => page(t.policies.values().map(policy_json).collect(), p, 100, 100),
        Route::CreatePolicy => {
            let name = param(p, "policy_name")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ApiError::missing("policy_name"))?;
            let mut policy = Policy {
                policy_key: store::new_id("PO"),
                policy_name: name.to_owned(),
                ..Policy::default()
            };
            if let Some(sections) = json_param(p, "sections")? {
                merge_sections(&edition, &mut policy.sections, &sections)?;
            }
            apply_assignments(t, &mut policy, p)?;
            let json = policy_json(&policy);
            t.policies.insert(policy.policy_key.clone(), policy);
            Ok(Reply::of(json))
        }
        Route::GetPolicy(key) => find(t, key)
            .map(|p| Reply::of(policy_json(p)))
            .ok_or_else(ApiError::not_found),
        Route::UpdatePolicy(key) => {
            let mut policy = find(t, key).cloned().ok_or_else(ApiError::not_found)?;
            if let Some(name) = param(p, "policy_name") {
                if name.is_empty() {
                    return Err(ApiError::invalid("policy_name"));
                }
                policy.policy_name = name.to_owned();
            }
            if let Some(sections) = json_param(p, "sections")? {
                merge_sections(&edition, &mut policy.sections, &sections)?;
            }
            if let Some(Value::Array(names)) = json_param(p, "sections_to_delete")? {
                if policy.is_global && !names.is_empty() {
                    return Err(ApiError {
                        code: 40002,
                        message: "The global policy's sections cannot be removed".into(),
                        detail: Some("sections_to_delete".into()),
                    });
                }
                for n in names {
                    policy.sections.remove(n.as_str().unwrap_or_default());
                }
            }
            apply_assignments(t, &mut policy, p)?;
            let json = policy_json(&policy);
            t.policies.insert(policy.policy_key.clone(), policy);
            Ok(Reply::of(json))
        }
        Route::DeletePolicy(key) => {
            let policy = find(t, key).ok_or_else(ApiError::not_found)?;
            if policy.is_global {
                return Err(ApiError {
                    code: 40002,
                    message: "The global policy cannot be deleted".into(),
                    detail: Some("policy_key".into()),
                });
            }
            if !policy.apps.is_empty() || !policy.group_apps.is_empty() {
                return Err(ApiError {
                    code: 40002,
                    message: "The policy is still applied to applications".into(),
                    detail: Some("policy_key".into()),
                });
            }
            let key = policy.policy_key.clone();
            t.policies.remove(&key);
            Ok(Reply::of(json!("")))
        }
        Route::PolicySummary => {
            let policies: Vec<Value> = t.policies.values().map(policy_json).collect();
            Ok(Reply::of(
                json!({"policies": policies, "policy_count": t.policies.len(), "response_is_truncated": false, "warnings": []}),
            ))
        }
        Route::CalculatePolicy => {
            let ikey =
                param(p, "integration_key").ok_or_else(|| ApiError::missing("integration_key"))?;
            let uid = param(p, "user_id").ok_or_else(|| ApiError::missing("user_id"))?;
            if !t.integrations.contains_key(ikey) {
                return Err(ApiError::invalid("integration_key"));
            }
            let user = t
                .users
                .get(uid)
                .ok_or_else(|| ApiError::invalid("user_id"))?;
            let global = t
                .policies
                .values()
                .find(|p| p.is_global)
                .cloned()
                .unwrap_or_default();
            let mut sections = global.sections.clone();
            let mut elements =
                vec![json!({"policy_key": global.policy_key, "policy_name": global.policy_name})];
            let app = t
                .policies
                .values()
                .find(|p| p.apps.iter().any(|a| a == ikey));
            let group = t.policies.values().find(|p| {
                p.group_apps
                    .get(ikey)
                    .is_some_and(|g| g.iter().any(|g| user.groups.contains(g)))
            });
            for policy in app.into_iter().chain(group) {
                for (name, keys) in &policy.sections {
                    sections.insert(name.clone(), keys.clone());
                }
                elements.push(
                    json!({"policy_key": policy.policy_key, "policy_name": policy.policy_name}),
                );
            }
            Ok(Reply::of(
                json!({"policy_elements": elements, "sections": sections}),
            ))
        }
        _ => Err(ApiError::not_found()),
    }
}
