//! Applications (integrations v3, v5-signed): Duo's defaults for new integrations, types that
//! cannot be created through the API, the 100 groups-per-integration cap, secret keys answered
//! only by `/skey` (and in the clear by the legacy v1 listing, which leaves out Duo SSO
//! applications) and rotated by `reset_secret_key`.

use rand::Rng;
use serde_json::{Value, json};

use crate::api::{ApiError, Params, Reply, Result, Route, flag, list_param, page, param};
use crate::store::{self, Integration, Tenant};

/// The `adminapi_*` permission flags of an Admin API integration.
pub const ADMINAPI_FLAGS: &[&str] = &[
    "adminapi_admins",
    "adminapi_admins_read",
    "adminapi_info",
    "adminapi_integrations",
    "adminapi_read_log",
    "adminapi_read_resource",
    "adminapi_settings",
    "adminapi_write_resource",
];

/// The Admin API permission each `adminapi_*` flag grants, as `Options::grants` names them.
/// `adminapi_admins_read` grants reading administrators only ([`permits`]).
const FLAG_GRANTS: &[(&str, &str)] = &[
    ("adminapi_admins", "administrators"),
    ("adminapi_admins_read", "read_administrators"),
    ("adminapi_info", "read_information"),
    ("adminapi_integrations", "applications"),
    ("adminapi_read_log", "read_log"),
    ("adminapi_read_resource", "read_resource"),
    ("adminapi_settings", "settings"),
    ("adminapi_write_resource", "write_resource"),
];

/// Who signs with an Admin API application made in the tenant, as Duo lets any of them call
/// the Admin API with its own permissions and networks.
pub struct Caller {
    pub secret_key: String,
    pub grants: Vec<String>,
    /// `networks_for_api_access`: empty for anywhere.
    pub networks: String,
    /// The child account the application belongs to (none: the parent's own).
    pub account: Option<String>,
}

/// The application with `ikey`, if the tenant has one. Only an Admin API application has
/// permissions: another type's key is refused by every endpoint, as Duo refuses it (403).
/// An application made in a child account acts on that child, without `account_id`.
pub fn caller(t: &Tenant, ikey: &str) -> Option<Caller> {
    caller_in(t, ikey, None).or_else(|| {
        t.children
            .values()
            .find_map(|c| caller_in(&c.tenant, ikey, Some(&c.account_id)))
    })
}

fn caller_in(t: &Tenant, ikey: &str, account: Option<&str>) -> Option<Caller> {
    let i = t.integrations.get(ikey)?;
    Some(Caller {
        secret_key: i.secret_key.clone(),
        grants: FLAG_GRANTS
            .iter()
            .filter(|(flag, _)| i.kind == "adminapi" && i.adminapi.iter().any(|f| f == flag))
            .map(|(_, grant)| (*grant).to_owned())
            .collect(),
        networks: i.networks_for_api_access.clone(),
        account: account.map(str::to_owned),
    })
}

/// Whether `grants` allow a `method` request to an endpoint that needs `needed`.
pub fn permits(grants: &[String], needed: &str, method: &str) -> bool {
    let has = |g: &str| grants.iter().any(|x| x == g);
    has(needed) || (needed == "administrators" && method == "GET" && has("read_administrators"))
}

/// Whether `ip` is one of `networks` (comma-separated addresses, `a-b` ranges and CIDR blocks;
/// empty for any address).
pub fn network_allows(networks: &str, ip: std::net::IpAddr) -> bool {
    let entries: Vec<&str> = networks
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    entries.is_empty() || entries.iter().any(|e| in_network(e, ip))
}

fn in_network(entry: &str, ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    let bits = |a: IpAddr| match a {
        IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    };
    let (n, width) = bits(ip);
    if let Some((from, to)) = entry.split_once('-') {
        return match (from.trim().parse(), to.trim().parse()) {
            (Ok(a), Ok(b)) => {
                let ((a, wa), (b, wb)) = (bits(a), bits(b));
                wa == width && wb == width && (a..=b).contains(&n)
            }
            _ => false,
        };
    }
    let (addr, prefix) = entry.split_once('/').unwrap_or((entry, ""));
    let Ok(base) = addr.parse::<IpAddr>() else {
        return false;
    };
    let (base, base_width) = bits(base);
    let prefix = if prefix.is_empty() {
        Some(base_width)
    } else {
        prefix.parse::<u32>().ok().filter(|p| *p <= base_width)
    };
    let Some(prefix) = prefix else { return false };
    if base_width != width {
        return false;
    }
    let shift = width - prefix;
    shift >= 128 || (n >> shift) == (base >> shift)
}

/// Types Duo refuses to create through the API.
const UNCREATABLE: &[&str] = &["azure-ca", "sso-duo", "duo-sso"];
const MAX_GROUPS: usize = 100;

pub fn handle(t: &mut Tenant, route: &Route, p: &Params) -> Result<Reply> {
    match route {
        Route::ListIntegrations => {
            let rows = t.integrations.values().map(integration_json).collect();
            page(rows, p, 100, 300)
        }
        Route::ListIntegrationsV1 => {
            let rows = t
                .integrations
                .values()
                .filter(|i| !i.kind.starts_with("sso-"))
                .map(|i| {
                    let mut v = integration_json(i);
                    v["secret_key"] = json!(i.secret_key);
                    v
                })
                .collect();
            page(rows, p, 100, 300)
        }
        Route::CreateIntegration => {
            let name = param(p, "name")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ApiError::missing("name"))?;
            let kind = param(p, "type")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ApiError::missing("type"))?;
            if UNCREATABLE.contains(&kind)
                || kind
                    .chars()
                    .any(|c| c.is_ascii_uppercase() || c.is_whitespace())
            {
                return Err(ApiError::new(
                    40002,
                    "Invalid request parameters: this integration type cannot be created",
                    Some("type"),
                ));
            }
            let mut i = Integration {
                integration_key: store::new_id("DI"),
                secret_key: new_secret(),
                name: name.to_owned(),
                kind: kind.to_owned(),
                user_access: "ALL_USERS".into(),
                username_normalization_policy: "None".into(),
                ..Integration::default()
            };
            apply(t, &mut i, p)?;
            let json = integration_json(&i);
            t.integrations.insert(i.integration_key.clone(), i);
            Ok(Reply::of(json))
        }
        Route::GetIntegration(k) => t
            .integrations
            .get(k)
            .map(|i| Reply::of(integration_json(i)))
            .ok_or_else(ApiError::not_found),
        Route::ModifyIntegration(k) => {
            let mut i = t
                .integrations
                .get(k)
                .cloned()
                .ok_or_else(ApiError::not_found)?;
            if let Some(name) = param(p, "name") {
                if name.is_empty() {
                    return Err(ApiError::invalid("name"));
                }
                i.name = name.to_owned();
            }
            if param(p, "type").is_some_and(|ty| ty != i.kind) {
                return Err(ApiError::invalid("type"));
            }
            apply(t, &mut i, p)?;
            if param(p, "reset_secret_key").is_some() {
                i.secret_key = new_secret();
            }
            let json = integration_json(&i);
            t.integrations.insert(i.integration_key.clone(), i);
            Ok(Reply::of(json))
        }
        Route::DeleteIntegration(k) => {
            t.integrations.remove(k).ok_or_else(ApiError::not_found)?;
            Ok(Reply::of(json!("")))
        }
        Route::IntegrationSecretKey(k) => t
            .integrations
            .get(k)
            .map(|i| Reply::of(json!({"secret_key": i.secret_key})))
            .ok_or_else(ApiError::not_found),
        _ => Err(ApiError::not_found()),
    }
}

fn new_secret() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

fn apply(t: &Tenant, i: &mut Integration, p: &Params) -> Result<()> {
    for (key, field) in [
        ("notes", &mut i.notes),
        ("greeting", &mut i.greeting),
        ("policy_key", &mut i.policy_key),
    ] {
        if let Some(v) = param(p, key) {
            *field = v.to_owned();
        }
    }
    for key in ADMINAPI_FLAGS {
        if let Some(on) = flag(p, key)? {
            if on && i.kind != "adminapi" {
                return Err(ApiError::invalid(key));
            }
            i.adminapi.retain(|f| f != key);
            if on {
                i.adminapi.push((*key).to_owned());
            }
        }
    }
    if let Some(v) = flag(p, "self_service_allowed")? {
        i.self_service_allowed = v;
    }
    if let Some(v) = param(p, "username_normalization_policy") {
        if !["None", "Simple"].contains(&v) {
            return Err(ApiError::invalid("username_normalization_policy"));
        }
        i.username_normalization_policy = v.to_owned();
    }
    if let Some(v) = param(p, "user_access") {
        if !["NO_USERS", "ALL_USERS", "PERMITTED_GROUPS"].contains(&v) {
            return Err(ApiError::invalid("user_access"));
        }
        i.user_access = v.to_owned();
    }
    if let Some(groups) = list_param(p, "groups_allowed")? {
        if groups.len() > MAX_GROUPS {
            return Err(ApiError::new(
                40002,
                "An integration may allow at most 100 groups",
                Some("groups_allowed"),
            ));
        }
        if groups.iter().any(|g| !t.groups.contains_key(g)) {
            return Err(ApiError::invalid("groups_allowed"));
        }
        i.groups_allowed = groups;
    }
    if !i.groups_allowed.is_empty() && i.user_access != "PERMITTED_GROUPS" {
        return Err(ApiError::new(
            40002,
            "groups_allowed requires user_access PERMITTED_GROUPS",
            Some("groups_allowed"),
        ));
    }
    if let Some(raw) = param(p, "sso") {
        if !i.kind.starts_with("sso-") {
            return Err(ApiError::invalid("sso"));
        }
        let Ok(Value::Object(given)) = serde_json::from_str::<Value>(raw) else {
            return Err(ApiError::invalid("sso"));
        };
        let mut sso = match i.sso.take() {
            Some(Value::Object(existing)) => existing,
            // Duo answers keys of its own beside the ones given.
            _ => json!({"idp_metadata_url": format!("https://sso.emulator.invalid/{}/metadata", i.integration_key), "nameid_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        };
        sso.extend(given);
        i.sso = Some(Value::Object(sso));
    }
    if let Some(networks) = list_param(p, "networks_for_api_access")? {
        if !networks.is_empty() && !["adminapi", "accountsapi"].contains(&i.kind.as_str()) {
            return Err(ApiError::invalid("networks_for_api_access"));
        }
        i.networks_for_api_access = networks.join(",");
    }
    Ok(())
}

/// An integration as v3 answers it: the secret key obfuscated, flags as 0/1.
pub fn integration_json(i: &Integration) -> Value {
    let mut v = json!({
        "integration_key": i.integration_key,
        "secret_key": format!("{}{}", "*".repeat(36), &i.secret_key[i.secret_key.len().saturating_sub(4)..]),
        "name": i.name,
        "type": i.kind,
        "notes": i.notes,
        "greeting": i.greeting,
        "groups_allowed": i.groups_allowed,
        "user_access": i.user_access,
        "networks_for_api_access": i.networks_for_api_access,
        "self_service_allowed": i.self_service_allowed,
        "username_normalization_policy": i.username_normalization_policy,
        "policy_key": if i.policy_key.is_empty() { Value::Null } else { Value::from(i.policy_key.clone()) },
    });
    for key in ADMINAPI_FLAGS {
        v[*key] = json!(i32::from(i.adminapi.iter().any(|f| f == key)));
    }
    if let Some(sso) = &i.sso {
        v["sso"] = sso.clone();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_addresses_ranges_and_cidr_blocks() {
        let ip = |s: &str| {
            s.parse::<std::net::IpAddr>()
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let list = "10.0.0.0/8, 192.0.2.1,198.51.100.10-198.51.100.20,2001:db8::/32";
        for (addr, allowed) in [
            ("10.200.3.4", true),
            ("11.0.0.1", false),
            ("192.0.2.1", true),
            ("192.0.2.2", false),
            ("198.51.100.15", true),
            ("198.51.100.21", false),
            ("2001:db8::1", true),
            ("2001:db9::1", false),
        ] {
            assert_eq!(network_allows(list, ip(addr)), allowed, "{addr}");
        }
        assert!(network_allows("", ip("203.0.113.9")), "no list: anywhere");
        assert!(network_allows("0.0.0.0/0", ip("203.0.113.9")));
        assert!(!network_allows("not-an-address", ip("127.0.0.1")));
        assert!(!network_allows("10.0.0.0/40", ip("10.0.0.1")));
    }

    #[test]
    fn reading_administrators_is_granted_apart_from_managing_them() {
        let read = vec!["read_administrators".to_owned()];
        assert!(permits(&read, "administrators", "GET"));
        assert!(!permits(&read, "administrators", "POST"));
        assert!(permits(
            &["administrators".to_owned()],
            "administrators",
            "DELETE"
        ));
        assert!(!permits(&[], "read_resource", "GET"));
    }
}
