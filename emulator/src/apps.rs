//! Applications (integrations v3, v5-signed): Duo's defaults for new integrations, types that
//! cannot be created through the API, the 100 groups-per-integration cap, secret keys answered
//! only by `/skey` and rotated by `reset_secret_key`.

use rand::Rng;
use serde_json::{Value, json};

use crate::api::{ApiError, Params, Reply, Result, Route, page, param};
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

/// Types Duo refuses to create through the API.
const UNCREATABLE: &[&str] = &["azure-ca", "sso-duo", "duo-sso"];
const MAX_GROUPS: usize = 100;

pub fn handle(t: &mut Tenant, route: &Route, p: &Params) -> Result<Reply> {
    match route {
        Route::ListIntegrations => {
            let rows = t.integrations.values().map(integration_json).collect();
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
        _ => handle_account(t, route, p),
    }
}

fn new_secret() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// A list parameter: a JSON array (v5 bodies) or comma-separated values (forms).
fn list_param(p: &Params, key: &str) -> Result<Option<Vec<String>>> {
    let Some(raw) = param(p, key) else {
        return Ok(None);
    };
    if raw.trim_start().starts_with('[') {
        return serde_json::from_str(raw)
            .map(Some)
            .map_err(|_| ApiError::invalid(key));
    }
    Ok(Some(
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    ))
}

fn flag(p: &Params, key: &str) -> Result<Option<bool>> {
    match param(p, key).map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("1" | "true") => Ok(Some(true)),
        Some("0" | "false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid(key)),
    }
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

/// Duo's role names, exactly (`Read-Only` is accepted for `Read-only`).
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

pub fn admin_json(t: &Tenant, a: &store::Admin) -> Value {
    let token = t
        .tokens
        .get(&a.token_id)
        .map(|k| json!({"token_id": k.token_id, "type": k.kind, "serial": k.serial}));
    json!({
        "admin_id": a.admin_id,
        "email": a.email,
        "name": a.name,
        "phone": a.phone,
        "role": a.role,
        "status": a.status,
        "restricted_by_admin_units": a.restricted_by_admin_units,
        "password_change_required": a.password_change_required,
        "hardtoken": token,
        "admin_units": [],
        "created": a.created,
        "last_login": null,
    })
}

fn apply_admin(t: &Tenant, a: &mut store::Admin, p: &Params, create: bool) -> Result<()> {
    if let Some(name) = param(p, "name") {
        if name.is_empty() {
            return Err(ApiError::invalid("name"));
        }
        a.name = name.to_owned();
    }
    if let Some(phone) = param(p, "phone") {
        if !phone.is_empty() && crate::devices::normalize_number(phone).is_none() {
            return Err(ApiError::invalid("phone"));
        }
        a.phone = if phone.is_empty() {
            String::new()
        } else {
            crate::devices::normalize_number(phone).unwrap_or_default()
        };
    }
    if let Some(role) = param(p, "role") {
        let role = if role == "Read-Only" {
            "Read-only"
        } else {
            role
        };
        if !ROLES.contains(&role) {
            return Err(ApiError::invalid("role"));
        }
        a.role = role.to_owned();
    }
    if let Some(v) = flag(p, "restricted_by_admin_units")? {
        a.restricted_by_admin_units = v;
    }
    if a.restricted_by_admin_units && a.role == "Owner" {
        return Err(ApiError::new(
            40002,
            "An Owner cannot be restricted by administrative units",
            Some("restricted_by_admin_units"),
        ));
    }
    if let Some(v) = flag(p, "password_change_required")? {
        a.password_change_required = v;
    }
    if let Some(token) = param(p, "token_id") {
        if !token.is_empty() && !t.tokens.contains_key(token) {
            return Err(ApiError::invalid("token_id"));
        }
        a.token_id = token.to_owned();
    }
    if let Some(status) = param(p, "status") {
        if create || !["Active", "Disabled"].contains(&status) {
            return Err(ApiError::invalid("status"));
        }
        if status == "Disabled" && a.role == "Owner" {
            return Err(ApiError::new(
                40002,
                "An Owner cannot be disabled",
                Some("status"),
            ));
        }
        a.status = status.to_owned();
    }
    if a.status == "Disabled" && a.role == "Owner" {
        return Err(ApiError::new(
            40002,
            "An Owner cannot be disabled",
            Some("status"),
        ));
    }
    Ok(())
}

fn admins(t: &mut Tenant, route: &Route, p: &Params) -> Result<Reply> {
    match route {
        Route::ListAdmins => page(
            t.admins.values().map(|a| admin_json(t, a)).collect(),
            p,
            100,
            500,
        ),
        Route::CreateAdmin => {
            let email = param(p, "email")
                .filter(|e| e.contains('@'))
                .ok_or_else(|| ApiError::missing("email"))?;
            if t.admins
                .values()
                .any(|a| a.email.eq_ignore_ascii_case(email))
            {
                return Err(ApiError::new(
                    40002,
                    "An administrator with this email exists",
                    Some("email"),
                ));
            }
            param(p, "name")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ApiError::missing("name"))?;
            let mut a = store::Admin {
                admin_id: store::new_id("DE"),
                email: email.to_owned(),
                role: "Owner".into(),
                status: "Pending Activation".into(),
                created: crate::api::now(),
                ..store::Admin::default()
            };
            apply_admin(t, &mut a, p, true)?;
            let json = admin_json(t, &a);
            t.admins.insert(a.admin_id.clone(), a);
            Ok(Reply::of(json))
        }
        Route::GetAdmin(id) => t
            .admins
            .get(id)
            .map(|a| Reply::of(admin_json(t, a)))
            .ok_or_else(ApiError::not_found),
        Route::ModifyAdmin(id) => {
            let mut a = t.admins.get(id).cloned().ok_or_else(ApiError::not_found)?;
            apply_admin(t, &mut a, p, false)?;
            let json = admin_json(t, &a);
            t.admins.insert(a.admin_id.clone(), a);
            Ok(Reply::of(json))
        }
        Route::DeleteAdmin(id) => {
            t.admins.remove(id).ok_or_else(ApiError::not_found)?;
            Ok(Reply::of(json!("")))
        }
        _ => Err(ApiError::not_found()),
    }
}

/// Duo's account settings defaults (`duo-admin-api.md` §6.9), as the settings endpoint answers.
pub fn default_settings() -> serde_json::Map<String, Value> {
    let v = json!({
        "caller_id": "", "email_activity_notification_enabled": false, "enrollment_universal_prompt_enabled": true,
        "fraud_email": "", "fraud_email_enabled": false, "helpdesk_bypass": "allow", "helpdesk_bypass_expiration": 0,
        "helpdesk_can_send_enroll_email": false, "helpdesk_message": "", "inactive_user_expiration": 0,
        "keypress_confirm": "#", "keypress_fraud": "0", "language": "EN", "lockout_expire_duration": 0,
        "lockout_threshold": 10, "log_retention_days": 0, "minimum_password_length": 12, "name": "Emulated account",
        "password_requires_lower_alpha": false, "password_requires_numeric": false, "password_requires_special": false,
        "password_requires_upper_alpha": false, "push_activity_notification_enabled": false, "security_checkup_enabled": true,
        "sms_batch": 1, "sms_expiration": 0, "sms_message": "", "sms_refresh": false, "telephony_warning_min": 0,
        "timezone": "UTC", "unenrolled_user_lockout_threshold": 0, "user_managers_can_put_users_in_bypass": true,
        "user_telephony_cost_max": 20
    });
    v.as_object().cloned().unwrap_or_default()
}

pub fn default_allowed_auth_methods() -> serde_json::Map<String, Value> {
    let v = json!({
        "push_enabled": true, "sms_enabled": true, "voice_enabled": true, "mobile_otp_enabled": true,
        "yubikey_enabled": true, "hardware_token_enabled": true, "verified_push_enabled": false,
        "verified_push_length": 3, "webauthn_enabled": true
    });
    v.as_object().cloned().unwrap_or_default()
}

/// Merges `p` into a settings object shaped like `defaults`, typing each value like its default
/// and applying Duo's documented ranges.
fn set_fields(
    stored: &mut serde_json::Map<String, Value>,
    defaults: &serde_json::Map<String, Value>,
    p: &Params,
) -> Result<Value> {
    if p.is_empty() {
        return Err(ApiError::missing("settings"));
    }
    let mut merged = defaults.clone();
    merged.extend(stored.clone());
    for (k, raw) in p {
        let Some(default) = defaults.get(k) else {
            continue;
        };
        let value = match default {
            Value::Bool(_) => Value::Bool(flag(p, k)?.ok_or_else(|| ApiError::invalid(k))?),
            Value::Number(_) => Value::from(raw.parse::<i64>().map_err(|_| ApiError::invalid(k))?),
            _ => Value::from(raw.clone()),
        };
        let ok = match (k.as_str(), &value) {
            ("language", Value::String(s)) => ["EN", "DE", "FR"].contains(&s.as_str()),
            ("helpdesk_bypass", Value::String(s)) => {
                ["allow", "limit", "deny"].contains(&s.as_str())
            }
            ("inactive_user_expiration", Value::Number(n)) => n
                .as_i64()
                .is_some_and(|d| d == 0 || (30..=365).contains(&d)),
            ("lockout_expire_duration", Value::Number(n)) => n
                .as_i64()
                .is_some_and(|d| d == 0 || (5..=30000).contains(&d)),
            ("verified_push_length", Value::Number(n)) => {
                n.as_i64().is_some_and(|d| (3..=6).contains(&d))
            }
            _ => true,
        };
        if !ok {
            return Err(ApiError::invalid(k));
        }
        merged.insert(k.clone(), value);
    }
    *stored = merged.clone();
    Ok(Value::Object(merged))
}

fn current(
    stored: &serde_json::Map<String, Value>,
    defaults: serde_json::Map<String, Value>,
) -> Value {
    let mut merged = defaults;
    merged.extend(stored.clone());
    Value::Object(merged)
}

/// Admins, settings, admin authentication methods and account information.
pub fn handle_account(t: &mut Tenant, route: &Route, p: &Params) -> Result<Reply> {
    match route {
        Route::GetSettings => Ok(Reply::of(current(&t.settings, default_settings()))),
        Route::SetSettings => set_fields(&mut t.settings, &default_settings(), p).map(Reply::of),
        Route::GetAllowedAuthMethods => Ok(Reply::of(current(
            &t.allowed_auth_methods,
            default_allowed_auth_methods(),
        ))),
        Route::SetAllowedAuthMethods => set_fields(
            &mut t.allowed_auth_methods,
            &default_allowed_auth_methods(),
            p,
        )
        .map(Reply::of),
        Route::InfoSummary => Ok(Reply::of(json!({
            "admin_count": t.admins.len(),
            "integration_count": t.integrations.len(),
            "user_count": t.users.len(),
            "user_pending_deletion_count": t.users.values().filter(|u| u.status == "pending deletion").count(),
            "telephony_credits_remaining": 1000,
        }))),
        Route::BillingEdition => Ok(Reply::of(json!({"edition": "ENTERPRISE"}))),
        Route::ListAdmins
        | Route::CreateAdmin
        | Route::GetAdmin(_)
        | Route::ModifyAdmin(_)
        | Route::DeleteAdmin(_) => admins(t, route, p),
        _ => handle_units(t, route, p),
    }
}

pub fn admin_unit_json(u: &store::AdminUnit) -> Value {
    json!({
        "admin_unit_id": u.admin_unit_id,
        "name": u.name,
        "description": u.description,
        "restrict_by_groups": u.restrict_by_groups,
        "restrict_by_integrations": u.restrict_by_integrations,
        "admins": u.admins,
        "groups": u.groups,
        "integrations": u.integrations,
    })
}

fn apply_unit(t: &Tenant, u: &mut store::AdminUnit, p: &Params) -> Result<()> {
    for (key, field) in [("name", &mut u.name), ("description", &mut u.description)] {
        if let Some(v) = param(p, key) {
            if v.is_empty() {
                return Err(ApiError::invalid(key));
            }
            *field = v.to_owned();
        }
    }
    for (key, field) in [
        ("restrict_by_groups", &mut u.restrict_by_groups),
        ("restrict_by_integrations", &mut u.restrict_by_integrations),
    ] {
        if let Some(v) = flag(p, key)? {
            *field = v;
        }
    }
    for kind in ["admins", "groups", "integrations"] {
        if let Some(ids) = list_param(p, kind)? {
            for id in &ids {
                member_exists(t, kind.trim_end_matches('s'), id)?;
            }
            *members(u, kind.trim_end_matches('s')) = ids;
        }
    }
    Ok(())
}

fn member_exists(t: &Tenant, kind: &str, id: &str) -> Result<()> {
    let ok = match kind {
        "admin" => t.admins.contains_key(id),
        "group" => t.groups.contains_key(id),
        _ => t.integrations.contains_key(id),
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(&format!("{kind}_id")))
    }
}

fn members<'a>(u: &'a mut store::AdminUnit, kind: &str) -> &'a mut Vec<String> {
    match kind {
        "admin" => &mut u.admins,
        "group" => &mut u.groups,
        _ => &mut u.integrations,
    }
}

/// Administrative units and their members.
pub fn handle_units(t: &mut Tenant, route: &Route, p: &Params) -> Result<Reply> {
    match route {
        Route::ListAdminUnits => {
            let rows = t
                .admin_units
                .values()
                .filter(|u| param(p, "admin_id").is_none_or(|a| u.admins.iter().any(|x| x == a)))
                .filter(|u| param(p, "group_id").is_none_or(|g| u.groups.iter().any(|x| x == g)))
                .filter(|u| {
                    param(p, "integration_key")
                        .is_none_or(|k| u.integrations.iter().any(|x| x == k))
                })
                .map(admin_unit_json)
                .collect();
            page(rows, p, 100, 500)
        }
        Route::CreateAdminUnit => {
            param(p, "name")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ApiError::missing("name"))?;
            param(p, "description")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ApiError::missing("description"))?;
            let mut u = store::AdminUnit {
                admin_unit_id: store::new_id("AU"),
                ..store::AdminUnit::default()
            };
            apply_unit(t, &mut u, p)?;
            let json = admin_unit_json(&u);
            t.admin_units.insert(u.admin_unit_id.clone(), u);
            Ok(Reply::of(json))
        }
        Route::GetAdminUnit(id) => t
            .admin_units
            .get(id)
            .map(|u| Reply::of(admin_unit_json(u)))
            .ok_or_else(ApiError::not_found),
        Route::ModifyAdminUnit(id) => {
            let mut u = t
                .admin_units
                .get(id)
                .cloned()
                .ok_or_else(ApiError::not_found)?;
            apply_unit(t, &mut u, p)?;
            let json = admin_unit_json(&u);
            t.admin_units.insert(u.admin_unit_id.clone(), u);
            Ok(Reply::of(json))
        }
        Route::DeleteAdminUnit(id) => {
            t.admin_units.remove(id).ok_or_else(ApiError::not_found)?;
            Ok(Reply::of(json!("")))
        }
        Route::AddAdminUnitMember(id, kind, member) => {
            member_exists(t, kind, member)?;
            let u = t.admin_units.get_mut(id).ok_or_else(ApiError::not_found)?;
            let list = members(u, kind);
            if !list.contains(member) {
                list.push(member.clone());
            }
            Ok(Reply::of(json!("")))
        }
        Route::RemoveAdminUnitMember(id, kind, member) => {
            let u = t.admin_units.get_mut(id).ok_or_else(ApiError::not_found)?;
            members(u, kind).retain(|m| m != member);
            Ok(Reply::of(json!("")))
        }
        _ => Err(ApiError::not_found()),
    }
}
