//! Administrative units: the admins they scope and the groups and integrations in them, each
//! member checked to exist, with Duo's list filters.

use serde_json::{Value, json};

use crate::api::{ApiError, Params, Reply, Result, Route, flag, list_param, page, param};
use crate::store::{self, Tenant};

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
pub fn handle(t: &mut Tenant, route: &Route, p: &Params) -> Result<Reply> {
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
