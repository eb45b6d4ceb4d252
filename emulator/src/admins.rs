//! Administrators: Duo's role names, the checks Duo makes on create and modify (a unique email,
//! Owners that cannot be disabled or restricted), and the JSON Duo answers with.

use serde_json::{Value, json};

use crate::api::{ApiError, Params, Reply, Result, Route, flag, page, param};
use crate::store::{self, Tenant};

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

/// Administrators.
pub fn handle(t: &mut Tenant, route: &Route, p: &Params) -> Result<Reply> {
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
