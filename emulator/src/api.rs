//! The Admin API endpoints the emulator serves: routing, parameter checks, Duo's envelope
//! contents, paging metadata and caps. Authentication, limits and faults happen before this.

use serde_json::{Value, json};

use crate::store::{self, Group, MAX_GROUPS_PER_USER, Tenant, User};

/// Decoded request parameters (query, form body or JSON body, as strings).
pub type Params = Vec<(String, String)>;

/// A successful answer: `response` and, for lists, `metadata`.
pub struct Reply {
    pub response: Value,
    pub metadata: Option<Value>,
}

impl Reply {
    pub fn of(response: Value) -> Reply {
        Reply {
            response,
            metadata: None,
        }
    }
}

/// A FAIL answer; the HTTP status is the code's first three digits.
#[derive(Debug)]
pub struct ApiError {
    pub code: u32,
    pub message: String,
    pub detail: Option<String>,
}

impl ApiError {
    pub fn new(code: u32, message: &str, detail: Option<&str>) -> ApiError {
        ApiError {
            code,
            message: message.to_owned(),
            detail: detail.map(str::to_owned),
        }
    }

    pub fn status(&self) -> u16 {
        (self.code / 100) as u16
    }

    pub fn not_found() -> ApiError {
        ApiError::new(40401, "Resource not found", None)
    }

    pub fn invalid(param: &str) -> ApiError {
        ApiError::new(40002, "Invalid request parameters", Some(param))
    }

    pub fn missing(param: &str) -> ApiError {
        ApiError::new(40001, "Missing required request parameters", Some(param))
    }
}

pub type Result<T> = std::result::Result<T, ApiError>;

/// Every endpoint served, with the IDs from its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    ListGroups,
    CreateGroup,
    GetGroupV1(String),
    GetGroup(String),
    ModifyGroup(String),
    DeleteGroup(String),
    GroupMembers(String),
    ListUsers,
    CreateUser,
    GetUser(String),
    ModifyUser(String),
    DeleteUser(String),
    UserGroups(String),
    AddUserGroup(String),
    RemoveUserGroup(String, String),
    ListPhones,
    CreatePhone,
    GetPhone(String),
    ModifyPhone(String),
    DeletePhone(String),
    UserPhones(String),
    AddUserPhone(String),
    RemoveUserPhone(String, String),
    ListTokens,
    CreateToken,
    GetToken(String),
    ModifyToken(String),
    DeleteToken(String),
    UserTokens(String),
    AddUserToken(String),
    RemoveUserToken(String, String),
    BulkCreateUsers,
    Bulk,
    ListIntegrations,
    ListIntegrationsV1,
    CreateIntegration,
    GetIntegration(String),
    ModifyIntegration(String),
    DeleteIntegration(String),
    IntegrationSecretKey(String),
    ListAdmins,
    CreateAdmin,
    GetAdmin(String),
    ModifyAdmin(String),
    DeleteAdmin(String),
    GetAllowedAuthMethods,
    SetAllowedAuthMethods,
    GetSettings,
    SetSettings,
    InfoSummary,
    BillingEdition,
    SetBillingEdition,
    TelephonyCredits,
    SetTelephonyCredits,
    ListAccounts,
    CreateAccount,
    DeleteAccount,
    ListPolicies,
    CreatePolicy,
    GetPolicy(String),
    UpdatePolicy(String),
    DeletePolicy(String),
    PolicySummary,
    CalculatePolicy,
    ListAdminUnits,
    CreateAdminUnit,
    GetAdminUnit(String),
    ModifyAdminUnit(String),
    DeleteAdminUnit(String),
    /// Unit, member kind (`admin`, `group`, `integration`), member ID.
    AddAdminUnitMember(String, String, String),
    RemoveAdminUnitMember(String, String, String),
    CreateBypassCodes(String),
    UserBypassCodes(String),
    ListBypassCodes,
    GetBypassCode(String),
    DeleteBypassCode(String),
}

/// One endpoint of the route table: how it is matched, what `/_emulator/stats` calls it, and
/// Duo's rules for it. Everything the emulator knows about a route comes from its row.
pub struct Endpoint {
    /// `METHOD /path` with `{name}` for each ID: the matching pattern and the stats name.
    pub name: &'static str,
    /// Duo's rate class: `modify`, `get_object`, `list` or `bulk`.
    pub rate_class: &'static str,
    /// The Admin API permission it needs.
    pub grant: &'static str,
    /// Refuses v2 signatures (integrations v3, policies v2).
    pub v5_only: bool,
    make: Make,
}

/// How a row turns the IDs captured from the path into a [`Route`].
enum Make {
    Zero(Route),
    One(fn(String) -> Route),
    Two(fn(String, String) -> Route),
    Three(fn(String, String, String) -> Route),
}

const MODIFY: &str = "modify";
const OBJECT: &str = "get_object";
const LIST: &str = "list";
const BULK: &str = "bulk";
const READ: &str = "read_resource";
const WRITE: &str = "write_resource";
const APPS: &str = "applications";
const ADMINS: &str = "administrators";
const SETTINGS: &str = "settings";
const INFO: &str = "read_information";
/// What only the parent's Accounts API application may do.
pub const ACCOUNTS: &str = "accounts";
/// What only the parent's Accounts API application may do on a child (`account_id`).
pub const BILLING: &str = "billing";

const fn e(
    name: &'static str,
    rate_class: &'static str,
    grant: &'static str,
    v5_only: bool,
    make: Make,
) -> Endpoint {
    Endpoint {
        name,
        rate_class,
        grant,
        v5_only,
        make,
    }
}

/// Every endpoint served. The first row that matches wins, so a literal segment
/// (`users/bulk_create`, `admins/allowed_auth_methods`, `policies/summary`) comes before the
/// row that would capture it as an ID.
#[rustfmt::skip]
static ENDPOINTS: &[Endpoint] = &[
    e("POST /admin/v1/users/bulk_create", BULK, WRITE, false, Make::Zero(Route::BulkCreateUsers)),
    e("GET /admin/v1/groups", LIST, READ, false, Make::Zero(Route::ListGroups)),
    e("POST /admin/v1/groups", MODIFY, WRITE, false, Make::Zero(Route::CreateGroup)),
    e("GET /admin/v1/groups/{group_id}", OBJECT, READ, false, Make::One(Route::GetGroupV1)),
    e("GET /admin/v2/groups/{group_id}", OBJECT, READ, false, Make::One(Route::GetGroup)),
    e("POST /admin/v1/groups/{group_id}", MODIFY, WRITE, false, Make::One(Route::ModifyGroup)),
    e("DELETE /admin/v1/groups/{group_id}", MODIFY, WRITE, false, Make::One(Route::DeleteGroup)),
    e("GET /admin/v2/groups/{group_id}/users", LIST, READ, false, Make::One(Route::GroupMembers)),
    e("GET /admin/v1/users", LIST, READ, false, Make::Zero(Route::ListUsers)),
    e("POST /admin/v1/users", MODIFY, WRITE, false, Make::Zero(Route::CreateUser)),
    e("GET /admin/v1/users/{user_id}", OBJECT, READ, false, Make::One(Route::GetUser)),
    e("POST /admin/v1/users/{user_id}", MODIFY, WRITE, false, Make::One(Route::ModifyUser)),
    e("DELETE /admin/v1/users/{user_id}", MODIFY, WRITE, false, Make::One(Route::DeleteUser)),
    e("GET /admin/v1/users/{user_id}/groups", LIST, READ, false, Make::One(Route::UserGroups)),
    e("POST /admin/v1/users/{user_id}/groups", MODIFY, WRITE, false, Make::One(Route::AddUserGroup)),
    e("GET /admin/v1/phones", LIST, READ, false, Make::Zero(Route::ListPhones)),
    e("POST /admin/v1/phones", MODIFY, WRITE, false, Make::Zero(Route::CreatePhone)),
    e("GET /admin/v1/phones/{phone_id}", OBJECT, READ, false, Make::One(Route::GetPhone)),
    e("POST /admin/v1/phones/{phone_id}", MODIFY, WRITE, false, Make::One(Route::ModifyPhone)),
    e("DELETE /admin/v1/phones/{phone_id}", MODIFY, WRITE, false, Make::One(Route::DeletePhone)),
    e("GET /admin/v1/users/{user_id}/phones", LIST, READ, false, Make::One(Route::UserPhones)),
    e("POST /admin/v1/users/{user_id}/phones", MODIFY, WRITE, false, Make::One(Route::AddUserPhone)),
    e("DELETE /admin/v1/users/{user_id}/phones/{phone_id}", MODIFY, WRITE, false, Make::Two(Route::RemoveUserPhone)),
    e("GET /admin/v1/tokens", LIST, READ, false, Make::Zero(Route::ListTokens)),
    e("POST /admin/v1/tokens", MODIFY, WRITE, false, Make::Zero(Route::CreateToken)),
    e("GET /admin/v1/tokens/{token_id}", OBJECT, READ, false, Make::One(Route::GetToken)),
    e("POST /admin/v1/tokens/{token_id}", MODIFY, WRITE, false, Make::One(Route::ModifyToken)),
    e("DELETE /admin/v1/tokens/{token_id}", MODIFY, WRITE, false, Make::One(Route::DeleteToken)),
    e("GET /admin/v1/users/{user_id}/tokens", LIST, READ, false, Make::One(Route::UserTokens)),
    e("POST /admin/v1/users/{user_id}/tokens", MODIFY, WRITE, false, Make::One(Route::AddUserToken)),
    e("DELETE /admin/v1/users/{user_id}/tokens/{token_id}", MODIFY, WRITE, false, Make::Two(Route::RemoveUserToken)),
    e("POST /admin/v1/bulk", BULK, WRITE, false, Make::Zero(Route::Bulk)),
    e("GET /admin/v1/admins/allowed_auth_methods", OBJECT, ADMINS, false, Make::Zero(Route::GetAllowedAuthMethods)),
    e("POST /admin/v1/admins/allowed_auth_methods", MODIFY, ADMINS, false, Make::Zero(Route::SetAllowedAuthMethods)),
    e("GET /admin/v1/admins", LIST, ADMINS, false, Make::Zero(Route::ListAdmins)),
    e("POST /admin/v1/admins", MODIFY, ADMINS, false, Make::Zero(Route::CreateAdmin)),
    e("GET /admin/v1/admins/{admin_id}", OBJECT, ADMINS, false, Make::One(Route::GetAdmin)),
    e("POST /admin/v1/admins/{admin_id}", MODIFY, ADMINS, false, Make::One(Route::ModifyAdmin)),
    e("DELETE /admin/v1/admins/{admin_id}", MODIFY, ADMINS, false, Make::One(Route::DeleteAdmin)),
    e("GET /admin/v1/settings", OBJECT, SETTINGS, false, Make::Zero(Route::GetSettings)),
    e("POST /admin/v1/settings", MODIFY, SETTINGS, false, Make::Zero(Route::SetSettings)),
    e("GET /admin/v1/info/summary", OBJECT, INFO, false, Make::Zero(Route::InfoSummary)),
    e("GET /admin/v2/policies", LIST, APPS, true, Make::Zero(Route::ListPolicies)),
    e("POST /admin/v2/policies", MODIFY, APPS, true, Make::Zero(Route::CreatePolicy)),
    e("GET /admin/v2/policies/summary", OBJECT, APPS, true, Make::Zero(Route::PolicySummary)),
    e("GET /admin/v2/policies/calculate", OBJECT, APPS, true, Make::Zero(Route::CalculatePolicy)),
    e("GET /admin/v2/policies/{policy_key}", OBJECT, APPS, true, Make::One(Route::GetPolicy)),
    e("PUT /admin/v2/policies/{policy_key}", MODIFY, APPS, true, Make::One(Route::UpdatePolicy)),
    e("DELETE /admin/v2/policies/{policy_key}", MODIFY, APPS, true, Make::One(Route::DeletePolicy)),
    e("GET /admin/v1/administrative_units", LIST, ADMINS, false, Make::Zero(Route::ListAdminUnits)),
    e("POST /admin/v1/administrative_units", MODIFY, ADMINS, false, Make::Zero(Route::CreateAdminUnit)),
    e("GET /admin/v1/administrative_units/{admin_unit_id}", OBJECT, ADMINS, false, Make::One(Route::GetAdminUnit)),
    e("POST /admin/v1/administrative_units/{admin_unit_id}", MODIFY, ADMINS, false, Make::One(Route::ModifyAdminUnit)),
    e("DELETE /admin/v1/administrative_units/{admin_unit_id}", MODIFY, ADMINS, false, Make::One(Route::DeleteAdminUnit)),
    e("POST /admin/v1/administrative_units/{admin_unit_id}/{kind}/{id}", MODIFY, ADMINS, false, Make::Three(Route::AddAdminUnitMember)),
    e("DELETE /admin/v1/administrative_units/{admin_unit_id}/{kind}/{id}", MODIFY, ADMINS, false, Make::Three(Route::RemoveAdminUnitMember)),
    e("GET /admin/v1/billing/edition", OBJECT, INFO, false, Make::Zero(Route::BillingEdition)),
    e("POST /admin/v1/billing/edition", MODIFY, BILLING, false, Make::Zero(Route::SetBillingEdition)),
    e("GET /admin/v1/billing/telephony_credits", OBJECT, INFO, false, Make::Zero(Route::TelephonyCredits)),
    e("POST /admin/v1/billing/telephony_credits", MODIFY, BILLING, false, Make::Zero(Route::SetTelephonyCredits)),
    e("POST /accounts/v1/account/list", ACCOUNTS, ACCOUNTS, false, Make::Zero(Route::ListAccounts)),
    e("POST /accounts/v1/account/create", ACCOUNTS, ACCOUNTS, false, Make::Zero(Route::CreateAccount)),
    e("POST /accounts/v1/account/delete", ACCOUNTS, ACCOUNTS, false, Make::Zero(Route::DeleteAccount)),
    e("GET /admin/v3/integrations", LIST, APPS, true, Make::Zero(Route::ListIntegrations)),
    e("POST /admin/v3/integrations", MODIFY, APPS, true, Make::Zero(Route::CreateIntegration)),
    e("GET /admin/v3/integrations/{integration_key}", OBJECT, APPS, true, Make::One(Route::GetIntegration)),
    e("POST /admin/v3/integrations/{integration_key}", MODIFY, APPS, true, Make::One(Route::ModifyIntegration)),
    e("DELETE /admin/v3/integrations/{integration_key}", MODIFY, APPS, true, Make::One(Route::DeleteIntegration)),
    e("GET /admin/v1/integrations", LIST, APPS, false, Make::Zero(Route::ListIntegrationsV1)),
    e("GET /admin/v1/integrations/{integration_key}/skey", OBJECT, APPS, false, Make::One(Route::IntegrationSecretKey)),
    e("POST /admin/v1/users/{user_id}/bypass_codes", MODIFY, WRITE, false, Make::One(Route::CreateBypassCodes)),
    e("GET /admin/v1/users/{user_id}/bypass_codes", LIST, READ, false, Make::One(Route::UserBypassCodes)),
    e("GET /admin/v1/bypass_codes", LIST, READ, false, Make::Zero(Route::ListBypassCodes)),
    e("GET /admin/v1/bypass_codes/{bypass_code_id}", OBJECT, READ, false, Make::One(Route::GetBypassCode)),
    e("DELETE /admin/v1/bypass_codes/{bypass_code_id}", MODIFY, WRITE, false, Make::One(Route::DeleteBypassCode)),
    e("DELETE /admin/v1/users/{user_id}/groups/{group_id}", MODIFY, WRITE, false, Make::Two(Route::RemoveUserGroup)),
];

/// The member kinds an administrative unit's `{kind}` segment may name.
const UNIT_MEMBER_KINDS: &[&str] = &["admin", "group", "integration"];

impl Endpoint {
    /// The route for `method` and `path` when this row matches them.
    fn matches(&self, method: &str, segs: &[&str]) -> Option<Route> {
        let (m, pattern) = self.name.split_once(' ')?;
        let pattern: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
        if m != method || pattern.len() != segs.len() {
            return None;
        }
        let mut ids = Vec::new();
        for (want, got) in pattern.iter().zip(segs) {
            match want.strip_prefix('{') {
                Some("kind}") if !UNIT_MEMBER_KINDS.contains(got) => return None,
                Some(_) => ids.push((*got).to_owned()),
                None if want != got => return None,
                None => {}
            }
        }
        let mut ids = ids.into_iter();
        let mut next = || ids.next().unwrap_or_default();
        Some(match &self.make {
            Make::Zero(r) => r.clone(),
            Make::One(f) => f(next()),
            Make::Two(f) => {
                let a = next();
                f(a, next())
            }
            Make::Three(f) => {
                let (a, b) = (next(), next());
                f(a, b, next())
            }
        })
    }
}

/// The route a request asks for, and its row.
pub fn route(method: &str, path: &str) -> Option<(Route, &'static Endpoint)> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    ENDPOINTS
        .iter()
        .find_map(|e| e.matches(method, &segs).map(|r| (r, e)))
}

impl Route {
    pub fn parse(method: &str, path: &str) -> Option<Route> {
        route(method, path).map(|(r, _)| r)
    }
}

pub fn param<'a>(p: &'a Params, key: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// A list parameter: a JSON array (v5 bodies) or comma-separated values (forms).
pub fn list_param(p: &Params, key: &str) -> Result<Option<Vec<String>>> {
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

/// A boolean parameter as Duo's forms send it (`1`/`0`, `true`/`false`).
pub fn flag(p: &Params, key: &str) -> Result<Option<bool>> {
    match param(p, key).map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("1" | "true") => Ok(Some(true)),
        Some("0" | "false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid(key)),
    }
}

fn status_param(p: &Params) -> Result<Option<String>> {
    match param(p, "status") {
        None => Ok(None),
        Some(s) if ["active", "bypass", "disabled"].contains(&s.to_ascii_lowercase().as_str()) => {
            Ok(Some(s.to_ascii_lowercase()))
        }
        Some(_) => Err(ApiError::invalid("status")),
    }
}

/// One page of `items` per `limit`/`offset`, with Duo's metadata (`next_offset` only when
/// more remain, `prev_offset` only past the first page). Limits above `max` are clamped.
pub fn page(items: Vec<Value>, p: &Params, default: usize, max: usize) -> Result<Reply> {
    page_of(items, p, default, max, |v| v)
}

/// [`page`] for items turned into JSON only once they are on the page: a user's JSON carries
/// its groups, phones and tokens, and making it for all 20,000 users to answer 300 made each
/// page of a large tenant take most of a second.
pub fn page_of<T>(
    items: Vec<T>,
    p: &Params,
    default: usize,
    max: usize,
    json: impl Fn(T) -> Value,
) -> Result<Reply> {
    let number = |key: &str, fallback: usize| -> Result<usize> {
        param(p, key).map_or(Ok(fallback), |v| {
            v.parse::<usize>().map_err(|_| ApiError::invalid(key))
        })
    };
    let limit = number("limit", default)?.clamp(1, max);
    let offset = number("offset", 0)?;
    let total = items.len();
    let rows: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(json)
        .collect();
    let mut metadata = json!({ "total_objects": total });
    if offset.saturating_add(limit) < total {
        metadata["next_offset"] = json!(offset + limit);
    }
    if offset > 0 {
        metadata["prev_offset"] = json!(offset.saturating_sub(limit));
    }
    Ok(Reply {
        response: Value::Array(rows),
        metadata: Some(metadata),
    })
}

/// Answers one authenticated request.
pub fn handle(t: &mut Tenant, route: &Route, p: &Params) -> Result<Reply> {
    match route {
        Route::ListGroups => {
            let mut groups: Vec<&Group> = t.groups.values().collect();
            if let Some(list) = param(p, "group_id_list") {
                let ids: Vec<String> =
                    serde_json::from_str(list).map_err(|_| ApiError::invalid("group_id_list"))?;
                groups.retain(|g| ids.contains(&g.group_id));
            }
            page(
                groups.into_iter().map(Tenant::group_list_json).collect(),
                p,
                100,
                500,
            )
        }
        Route::CreateGroup => {
            let name = param(p, "name")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ApiError::missing("name"))?;
            let mut g = Group {
                group_id: store::new_id("DG"),
                name: name.to_owned(),
                desc: String::new(),
                status: "active".into(),
                push_enabled: false,
                sms_enabled: false,
                voice_enabled: false,
                mobile_otp_enabled: false,
            };
            apply_group_params(&mut g, p)?;
            let json = Tenant::group_json(&g);
            t.groups.insert(g.group_id.clone(), g);
            Ok(Reply::of(json))
        }
        Route::GetGroupV1(id) | Route::GetGroup(id) => t
            .groups
            .get(id)
            .map(|g| Reply::of(Tenant::group_json(g)))
            .ok_or_else(ApiError::not_found),
        Route::ModifyGroup(id) => {
            let g = t.groups.get_mut(id).ok_or_else(ApiError::not_found)?;
            let mut changed = g.clone();
            if let Some(name) = param(p, "name") {
                if name.is_empty() {
                    return Err(ApiError::invalid("name"));
                }
                changed.name = name.to_owned();
            }
            apply_group_params(&mut changed, p)?;
            *g = changed;
            Ok(Reply::of(Tenant::group_json(g)))
        }
        Route::DeleteGroup(id) => {
            t.groups.remove(id).ok_or_else(ApiError::not_found)?;
            for u in t.users.values_mut() {
                u.groups.retain(|g| g != id);
            }
            Ok(Reply::of(json!("")))
        }
        Route::GroupMembers(id) => {
            if !t.groups.contains_key(id) {
                return Err(ApiError::not_found());
            }
            let members = t
                .users
                .values()
                .filter(|u| u.groups.contains(id))
                .map(|u| json!({"user_id": u.user_id, "username": u.username}))
                .collect();
            page(members, p, 100, 500)
        }
        Route::ListUsers => {
            let mut users: Vec<&User> = t.users.values().collect();
            if let Some(name) = param(p, "username") {
                users.retain(|u| u.answers_to(name));
            }
            if let Some(email) = param(p, "email") {
                users.retain(|u| u.email.eq_ignore_ascii_case(email));
            }
            for (key, field) in [("username_list", 0), ("user_id_list", 1)] {
                if let Some(list) = param(p, key) {
                    let wanted: Vec<String> =
                        serde_json::from_str(list).map_err(|_| ApiError::invalid(key))?;
                    users.retain(|u| {
                        wanted.iter().any(|w| {
                            if field == 0 {
                                u.answers_to(w)
                            } else {
                                &u.user_id == w
                            }
                        })
                    });
                }
            }
            page_of(users, p, 100, 300, |u| t.user_json(u))
        }
        Route::CreateUser => {
            let username = param(p, "username")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ApiError::missing("username"))?;
            let mut u = User {
                user_id: store::new_id("DU"),
                username: username.to_owned(),
                status: "active".into(),
                created: now(),
                ..User::default()
            };
            apply_user_params(t, &mut u, p)?;
            let json = t.user_json(&u);
            t.users.insert(u.user_id.clone(), u);
            Ok(Reply::of(json))
        }
        Route::GetUser(id) => t
            .users
            .get(id)
            .map(|u| Reply::of(t.user_json(u)))
            .ok_or_else(ApiError::not_found),
        Route::ModifyUser(id) => {
            let mut u = t.users.get(id).cloned().ok_or_else(ApiError::not_found)?;
            apply_user_params(t, &mut u, p)?;
            let json = t.user_json(&u);
            t.users.insert(u.user_id.clone(), u);
            Ok(Reply::of(json))
        }
        // `/admin/v1/bulk` depends on `--bulk-answers`; the server sends it to `bulk` itself.
        Route::BulkCreateUsers => crate::bulk::create_users(t, p),
        Route::DeleteUser(id) => {
            if t.users.get(id).is_some_and(|u| u.directory_key.is_some()) {
                return Err(ApiError::new(
                    40003,
                    "Cannot delete a user managed by directory sync",
                    Some("user_id"),
                ));
            }
            t.users.remove(id);
            t.bypass_codes.retain(|_, b| &b.user_id != id);
            Ok(Reply::of(json!("")))
        }
        Route::UserGroups(id) => {
            let u = t.users.get(id).ok_or_else(ApiError::not_found)?;
            let rows = u
                .groups
                .iter()
                .filter_map(|g| t.groups.get(g))
                .map(Tenant::group_json)
                .collect();
            page(rows, p, 100, 500)
        }
        Route::AddUserGroup(id) => {
            let gid = param(p, "group_id").ok_or_else(|| ApiError::missing("group_id"))?;
            if !t.groups.contains_key(gid) {
                return Err(ApiError::invalid("group_id"));
            }
            let u = t.users.get_mut(id).ok_or_else(ApiError::not_found)?;
            if !u.groups.iter().any(|g| g == gid) {
                if u.groups.len() >= MAX_GROUPS_PER_USER {
                    return Err(ApiError::new(
                        40002,
                        "User cannot be in more than 100 groups",
                        Some("group_id"),
                    ));
                }
                u.groups.push(gid.to_owned());
            }
            Ok(Reply::of(json!("")))
        }
        Route::RemoveUserGroup(id, gid) => {
            let u = t.users.get_mut(id).ok_or_else(ApiError::not_found)?;
            u.groups.retain(|g| g != gid);
            Ok(Reply::of(json!("")))
        }
        Route::ListIntegrations
        | Route::ListIntegrationsV1
        | Route::CreateIntegration
        | Route::GetIntegration(_)
        | Route::ModifyIntegration(_)
        | Route::DeleteIntegration(_)
        | Route::IntegrationSecretKey(_) => crate::integrations::handle(t, route, p),
        Route::ListAdmins
        | Route::CreateAdmin
        | Route::GetAdmin(_)
        | Route::ModifyAdmin(_)
        | Route::DeleteAdmin(_) => crate::admins::handle(t, route, p),
        Route::GetAllowedAuthMethods
        | Route::SetAllowedAuthMethods
        | Route::GetSettings
        | Route::SetSettings
        | Route::InfoSummary
        | Route::BillingEdition
        | Route::TelephonyCredits => crate::account::handle(t, route, p),
        Route::ListAdminUnits
        | Route::CreateAdminUnit
        | Route::GetAdminUnit(_)
        | Route::ModifyAdminUnit(_)
        | Route::DeleteAdminUnit(_)
        | Route::AddAdminUnitMember(..)
        | Route::RemoveAdminUnitMember(..) => crate::admin_units::handle(t, route, p),
        Route::ListPolicies
        | Route::CreatePolicy
        | Route::GetPolicy(_)
        | Route::UpdatePolicy(_)
        | Route::DeletePolicy(_)
        | Route::PolicySummary
        | Route::CalculatePolicy => crate::policies::handle(t, route, p),
        _ => crate::devices::handle(t, route, p),
    }
}

/// Sets a user's fields from create or modify parameters, keeping usernames and aliases
/// unique across users (case-insensitively, as Duo matches them).
fn apply_user_params(t: &Tenant, u: &mut User, p: &Params) -> Result<()> {
    let taken = |name: &str| {
        t.users
            .values()
            .any(|o| o.user_id != u.user_id && o.answers_to(name))
    };
    if let Some(name) = param(p, "username") {
        if name.is_empty() || taken(name) {
            return Err(ApiError::invalid("username"));
        }
        u.username = name.to_owned();
    }
    for (i, key) in ["alias1", "alias2", "alias3", "alias4"].iter().enumerate() {
        if let Some(alias) = param(p, key) {
            if !alias.is_empty() && (taken(alias) || alias.eq_ignore_ascii_case(&u.username)) {
                return Err(ApiError::invalid(key));
            }
            u.aliases[i] = Some(alias.to_owned()).filter(|a| !a.is_empty());
        }
    }
    let optional = [
        ("realname", &mut u.realname),
        ("firstname", &mut u.firstname),
        ("lastname", &mut u.lastname),
    ];
    for (key, field) in optional {
        if let Some(v) = param(p, key) {
            *field = Some(v.to_owned());
        }
    }
    if let Some(email) = param(p, "email") {
        if !email.is_empty() && !email.contains('@') {
            return Err(ApiError::invalid("email"));
        }
        u.email = email.to_owned();
    }
    if let Some(notes) = param(p, "notes") {
        u.notes = notes.to_owned();
    }
    if let Some(s) = status_param(p)? {
        u.status = s;
    }
    Ok(())
}

fn apply_group_params(g: &mut Group, p: &Params) -> Result<()> {
    if let Some(desc) = param(p, "desc") {
        g.desc = desc.to_owned();
    }
    if let Some(s) = status_param(p)? {
        g.status = s;
    }
    let switches = [
        ("push_enabled", &mut g.push_enabled),
        ("sms_enabled", &mut g.sms_enabled),
        ("voice_enabled", &mut g.voice_enabled),
        ("mobile_otp_enabled", &mut g.mobile_otp_enabled),
    ];
    for (key, field) in switches {
        if let Some(v) = flag(p, key)? {
            *field = v;
        }
    }
    Ok(())
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request path for a row, with a made-up value for each ID.
    fn sample(endpoint: &Endpoint) -> (&'static str, String) {
        let (method, pattern) = endpoint.name.split_once(' ').unwrap_or_default();
        let path = pattern
            .split('/')
            .map(|s| match s {
                "{kind}" => "group",
                s if s.starts_with('{') => "DXID0000000000000001",
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/");
        (method, path)
    }

    #[test]
    fn every_row_is_reached_by_its_own_paths_and_named_once() {
        let mut names = std::collections::BTreeSet::new();
        for endpoint in ENDPOINTS {
            assert!(names.insert(endpoint.name), "{} twice", endpoint.name);
            let (method, path) = sample(endpoint);
            let found = route(method, &path).map(|(_, e)| e.name);
            assert_eq!(found, Some(endpoint.name), "{method} {path}");
        }
    }

    #[test]
    fn literal_segments_win_over_ids_and_ids_are_captured_in_order() {
        let r = |m: &str, p: &str| Route::parse(m, p);
        assert_eq!(
            r("POST", "/admin/v1/users/bulk_create"),
            Some(Route::BulkCreateUsers)
        );
        assert_eq!(
            r("POST", "/admin/v1/users/DU1"),
            Some(Route::ModifyUser("DU1".into()))
        );
        assert_eq!(
            r("GET", "/admin/v2/policies/summary"),
            Some(Route::PolicySummary)
        );
        assert_eq!(
            r("GET", "/admin/v1/admins/allowed_auth_methods"),
            Some(Route::GetAllowedAuthMethods)
        );
        assert_eq!(
            r("DELETE", "/admin/v1/users/DU1/groups/DG2"),
            Some(Route::RemoveUserGroup("DU1".into(), "DG2".into()))
        );
        assert_eq!(
            r("POST", "/admin/v1/administrative_units/DA1/integration/DI2"),
            Some(Route::AddAdminUnitMember(
                "DA1".into(),
                "integration".into(),
                "DI2".into()
            ))
        );
        assert_eq!(
            r("POST", "/admin/v1/administrative_units/DA1/phone/DP2"),
            None
        );
        assert_eq!(r("PATCH", "/admin/v1/groups"), None);
        assert_eq!(r("GET", "/admin/v1/nothing"), None);
    }

    #[test]
    fn rows_carry_duos_rate_class_permission_and_signature_rules() {
        let of = |m: &str, p: &str| route(m, p).map(|(_, e)| (e.rate_class, e.grant, e.v5_only));
        assert_eq!(
            of("GET", "/admin/v1/users"),
            Some(("list", "read_resource", false))
        );
        assert_eq!(
            of("GET", "/admin/v1/users/DU1"),
            Some(("get_object", "read_resource", false))
        );
        assert_eq!(
            of("POST", "/admin/v1/users/DU1"),
            Some(("modify", "write_resource", false))
        );
        assert_eq!(
            of("POST", "/admin/v1/bulk"),
            Some(("bulk", "write_resource", false))
        );
        assert_eq!(
            of("GET", "/admin/v3/integrations"),
            Some(("list", "applications", true))
        );
        assert_eq!(
            of("GET", "/admin/v1/integrations/DI1/skey"),
            Some(("get_object", "applications", false))
        );
        assert_eq!(
            of("PUT", "/admin/v2/policies/PK"),
            Some(("modify", "applications", true))
        );
        assert_eq!(
            of("GET", "/admin/v1/settings"),
            Some(("get_object", "settings", false))
        );
        assert_eq!(
            of("GET", "/admin/v1/info/summary"),
            Some(("get_object", "read_information", false))
        );
        assert_eq!(
            of("DELETE", "/admin/v1/administrative_units/DA1"),
            Some(("modify", "administrators", false))
        );
    }

    fn p(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn tenant_with_groups(n: usize) -> Tenant {
        let mut t = Tenant::default();
        for i in 0..n {
            let r = handle(
                &mut t,
                &Route::CreateGroup,
                &p(&[("name", &format!("g{i}"))]),
            );
            assert!(r.is_ok());
        }
        t
    }

    #[test]
    fn paging_reports_next_offset_until_the_last_page() {
        let mut t = tenant_with_groups(5);
        let first = handle(&mut t, &Route::ListGroups, &p(&[("limit", "2")]))
            .ok()
            .and_then(|r| r.metadata);
        assert_eq!(first, Some(json!({"total_objects": 5, "next_offset": 2})));
        let last = handle(
            &mut t,
            &Route::ListGroups,
            &p(&[("limit", "2"), ("offset", "4")]),
        )
        .ok()
        .and_then(|r| r.metadata);
        assert_eq!(last, Some(json!({"total_objects": 5, "prev_offset": 2})));
        assert!(handle(&mut t, &Route::ListGroups, &p(&[("limit", "x")])).is_err());
    }

    #[test]
    fn lists_say_active_in_title_case_and_get_in_lower_case() {
        let mut t = tenant_with_groups(1);
        let list = handle(&mut t, &Route::ListGroups, &p(&[]))
            .ok()
            .map(|r| r.response);
        assert_eq!(
            list.as_ref().map(|l| l[0]["status"].clone()),
            Some(json!("Active"))
        );
        let id = list
            .map(|l| l[0]["group_id"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let got = handle(&mut t, &Route::GetGroup(id), &p(&[]))
            .ok()
            .map(|r| r.response["status"].clone());
        assert_eq!(got, Some(json!("active")));
    }

    #[test]
    fn the_101st_group_of_a_user_is_refused() {
        let mut t = tenant_with_groups(101);
        let user = handle(&mut t, &Route::CreateUser, &p(&[("username", "u")]))
            .ok()
            .map(|r| r.response["user_id"].clone());
        let uid = user
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let ids: Vec<String> = t.groups.keys().cloned().collect();
        for gid in &ids[..100] {
            assert!(
                handle(
                    &mut t,
                    &Route::AddUserGroup(uid.clone()),
                    &p(&[("group_id", gid)])
                )
                .is_ok()
            );
        }
        let err = handle(
            &mut t,
            &Route::AddUserGroup(uid),
            &p(&[("group_id", &ids[100])]),
        )
        .err();
        assert_eq!(err.map(|e| (e.status(), e.code)), Some((400, 40002)));
    }

    #[test]
    fn bad_status_and_missing_name_are_400s_naming_the_parameter() {
        let mut t = Tenant::default();
        let e = handle(
            &mut t,
            &Route::CreateGroup,
            &p(&[("name", "g"), ("status", "gone")]),
        )
        .err();
        assert_eq!(
            e.map(|e| (e.code, e.detail)),
            Some((40002, Some("status".to_owned())))
        );
        let e = handle(&mut t, &Route::CreateGroup, &p(&[])).err();
        assert_eq!(
            e.map(|e| (e.code, e.detail)),
            Some((40001, Some("name".to_owned())))
        );
    }

    #[test]
    fn deleting_a_group_removes_it_from_its_members() {
        let mut t = tenant_with_groups(1);
        let gid = t.groups.keys().next().cloned().unwrap_or_default();
        let uid = handle(&mut t, &Route::CreateUser, &p(&[("username", "u")]))
            .ok()
            .and_then(|r| r.response["user_id"].as_str().map(str::to_owned))
            .unwrap_or_default();
        assert!(
            handle(
                &mut t,
                &Route::AddUserGroup(uid.clone()),
                &p(&[("group_id", &gid)])
            )
            .is_ok()
        );
        assert!(handle(&mut t, &Route::DeleteGroup(gid), &p(&[])).is_ok());
        assert!(t.users.get(&uid).is_some_and(|u| u.groups.is_empty()));
    }
}
