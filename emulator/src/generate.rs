//! Generates a large, realistic tenant for export round trips, benchmarks and users who want
//! to try the provider on something that looks like their own account.
//!
//! Every object is made through the same Admin API handlers a client reaches over HTTP (in
//! process, without signing), so a generated tenant holds exactly what Duo's defaults, caps and
//! quirks would give. Names are deterministic (the N-th user is always the same person) and
//! include the awkward cases an exporter must cope with: punctuation, non-ASCII letters, and
//! names that differ only in characters a Terraform name cannot hold.

use serde_json::{Value, json};

use crate::api::{self, Params, Route};
use crate::store::Tenant;

/// How many objects of each kind to make: `users=5000,groups=200,memberships=5000,…`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spec {
    pub users: usize,
    pub groups: usize,
    /// Total user-in-group links; users are spread over groups in contiguous blocks, so the
    /// first groups have more members than one page when there are enough users.
    pub memberships: usize,
    pub phones: usize,
    pub tokens: usize,
    pub bypass_codes: usize,
    pub integrations: usize,
    pub policies: usize,
    pub admins: usize,
    pub admin_units: usize,
    /// Child accounts (an MSP parent's), each holding the same objects as the parent.
    pub children: usize,
}

impl std::str::FromStr for Spec {
    type Err = String;

    fn from_str(text: &str) -> Result<Spec, String> {
        let mut spec = Spec::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, n) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not KIND=COUNT"))?;
            let n: usize = n
                .trim()
                .parse()
                .map_err(|_| format!("{part:?}: the count must be a whole number"))?;
            let slot = match key.trim() {
                "users" => &mut spec.users,
                "groups" => &mut spec.groups,
                "memberships" => &mut spec.memberships,
                "phones" => &mut spec.phones,
                "tokens" => &mut spec.tokens,
                "bypass_codes" => &mut spec.bypass_codes,
                "integrations" => &mut spec.integrations,
                "policies" => &mut spec.policies,
                "admins" => &mut spec.admins,
                "admin_units" => &mut spec.admin_units,
                "children" => &mut spec.children,
                other => {
                    return Err(format!(
                        "unknown kind {other:?}; use users, groups, memberships, phones, tokens, \
                         bypass_codes, integrations, policies, admins, admin_units or children"
                    ));
                }
            };
            *slot = n;
        }
        if spec.memberships > spec.users * spec.groups {
            return Err(format!(
                "{} memberships cannot fit {} users in {} groups",
                spec.memberships, spec.users, spec.groups
            ));
        }
        if spec.memberships > 0 && spec.memberships > spec.users * 100 {
            return Err("a user can be in at most 100 groups".into());
        }
        Ok(spec)
    }
}

const FIRST: &[&str] = &[
    "ann", "bob", "chloé", "dev", "eve", "farah", "gus", "hiro", "ines", "jon", "kai", "lena",
    "mo", "nia", "omar", "pia", "quinn", "raj", "sam", "tess",
];
const LAST: &[&str] = &[
    "lee", "o'neil", "smith", "nguyen", "garcía", "khan", "müller", "rossi", "kim", "dubois",
    "silva", "cohen", "ito", "novak", "park", "weber", "ali", "moreau", "berg", "costa",
];
const TEAMS: &[&str] = &[
    "Engineering",
    "Sales & Marketing",
    "IT / Ops",
    "Finance",
    "Support (EU)",
    "Support – US",
    "R&D",
    "Legal",
];
const APP_TYPES: &[&str] = &[
    "websdk",
    "rdp",
    "sso-generic",
    "adminapi",
    "authapi",
    "ldap",
];

/// Runs one Admin API call against the tenant.
fn call(t: &mut Tenant, method: &str, path: &str, params: Params) -> Result<Value, String> {
    let route = Route::parse(method, path).ok_or_else(|| format!("no route {method} {path}"))?;
    api::handle(t, &route, &params)
        .map(|r| r.response)
        .map_err(|e| format!("{method} {path}: {} {}", e.code, e.message))
}

fn params<const N: usize>(pairs: [(&str, String); N]) -> Params {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn id_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

/// Adds `spec`'s objects to `t`.
pub fn generate(t: &mut Tenant, spec: &Spec) -> Result<(), String> {
    for i in 0..spec.children {
        let mut child = crate::store::Child {
            account_id: crate::store::new_id("DA"),
            name: format!("Customer {}", i + 1),
            ..Default::default()
        };
        let each = Spec {
            children: 0,
            ..spec.clone()
        };
        generate(&mut child.tenant, &each)?;
        t.children.insert(child.account_id.clone(), child);
    }
    let mut groups = Vec::new();
    for i in 0..spec.groups {
        let team = TEAMS[i % TEAMS.len()];
        let name = if i < TEAMS.len() {
            team.to_owned()
        } else {
            format!("{team} {}", i / TEAMS.len() + 1)
        };
        let g = call(
            t,
            "POST",
            "/admin/v1/groups",
            params([("name", name), ("desc", format!("Generated team {i}"))]),
        )?;
        groups.push(id_of(&g, "group_id"));
    }
    let mut users = Vec::new();
    for i in 0..spec.users {
        // Every 50th user takes its neighbour's name with a dash where the neighbour has a dot:
        // both become the same Terraform name, which an exporter must make unique.
        let (n, sep) = if i % 50 == 49 { (i - 1, "-") } else { (i, ".") };
        let first = FIRST[n % FIRST.len()];
        let last = LAST[(n / FIRST.len()) % LAST.len()];
        let round = n / (FIRST.len() * LAST.len());
        let mut username = format!("{first}{sep}{last}");
        if round > 0 {
            username.push_str(&round.to_string());
        }
        let u = call(
            t,
            "POST",
            "/admin/v1/users",
            params([
                ("username", username.clone()),
                ("realname", format!("{} {}", capital(first), capital(last))),
                (
                    "email",
                    format!("{}@example.com", username.replace('\'', "")),
                ),
                (
                    "notes",
                    if i % 7 == 0 {
                        "contractor".into()
                    } else {
                        String::new()
                    },
                ),
            ]),
        )?;
        users.push(id_of(&u, "user_id"));
    }
    if !groups.is_empty() {
        let per = users.len().div_ceil(groups.len()).max(1);
        for k in 0..spec.memberships {
            let (u, round) = (k % users.len(), k / users.len());
            let g = (u / per + round) % groups.len();
            call(
                t,
                "POST",
                &format!("/admin/v1/users/{}/groups", users[u]),
                params([("group_id", groups[g].clone())]),
            )?;
        }
    }
    for i in 0..spec.phones {
        let p = call(
            t,
            "POST",
            "/admin/v1/phones",
            params([
                ("number", format!("+1555{:07}", i)),
                ("type", "mobile".into()),
                (
                    "platform",
                    if i % 2 == 0 {
                        "apple ios"
                    } else {
                        "google android"
                    }
                    .into(),
                ),
                ("name", format!("phone {i}")),
            ]),
        )?;
        if let Some(user) = users.get(i) {
            call(
                t,
                "POST",
                &format!("/admin/v1/users/{user}/phones"),
                params([("phone_id", id_of(&p, "phone_id"))]),
            )?;
        }
    }
    for i in 0..spec.tokens {
        let k = call(
            t,
            "POST",
            "/admin/v1/tokens",
            params([
                ("type", "h6".into()),
                ("serial", format!("HW{i:06}")),
                ("secret", format!("{:040x}", i + 1)),
            ]),
        )?;
        if let Some(user) = users.get(users.len().saturating_sub(1 + i)) {
            call(
                t,
                "POST",
                &format!("/admin/v1/users/{user}/tokens"),
                params([("token_id", id_of(&k, "token_id"))]),
            )?;
        }
    }
    for user in users.iter().take(spec.bypass_codes) {
        call(
            t,
            "POST",
            &format!("/admin/v1/users/{user}/bypass_codes"),
            params([("count", "2".into())]),
        )?;
    }
    let mut apps = Vec::new();
    for i in 0..spec.integrations {
        let kind = APP_TYPES[i % APP_TYPES.len()];
        let mut p = params([
            ("name", format!("{} app {i}", kind.to_uppercase())),
            ("type", kind.into()),
            ("notes", format!("generated application {i}")),
        ]);
        if i % 3 == 0 && !groups.is_empty() {
            p.push(("user_access".into(), "PERMITTED_GROUPS".into()));
            p.push((
                "groups_allowed".into(),
                json!(groups.iter().take(2).collect::<Vec<_>>()).to_string(),
            ));
        }
        if kind == "adminapi" {
            p.push(("adminapi_read_resource".into(), "1".into()));
        }
        let a = call(t, "POST", "/admin/v3/integrations", p)?;
        apps.push(id_of(&a, "integration_key"));
    }
    for i in 0..spec.policies {
        let mut body = params([
            ("policy_name", format!("Policy {i}: strict")),
            (
                "sections",
                json!({"authentication_methods": {"blocked_auth_list": ["sms"]}}).to_string(),
            ),
        ]);
        if let Some(app) = apps.get(i) {
            if i % 2 == 0 {
                body.push((
                    "apply_to_apps".into(),
                    json!({"apply_list": [app]}).to_string(),
                ));
            } else if let Some(g) = groups.first() {
                body.push((
                    "apply_to_groups_in_apps".into(),
                    json!({"apply_group_policies_list": [{"app_integration_key": app, "group_id_list": [g]}]})
                        .to_string(),
                ));
            }
        }
        call(t, "POST", "/admin/v2/policies", body)?;
    }
    let mut admins = Vec::new();
    const ROLES: &[&str] = &[
        "Help Desk",
        "User Manager",
        "Read-only",
        "Application Manager",
    ];
    for i in 0..spec.admins {
        let a = call(
            t,
            "POST",
            "/admin/v1/admins",
            params([
                ("email", format!("admin{i}@example.com")),
                ("name", format!("Admin {i}")),
                ("role", ROLES[i % ROLES.len()].into()),
            ]),
        )?;
        admins.push(id_of(&a, "admin_id"));
    }
    for i in 0..spec.admin_units {
        let pick = |ids: &[String]| json!(ids.get(i).into_iter().collect::<Vec<_>>()).to_string();
        call(
            t,
            "POST",
            "/admin/v1/administrative_units",
            params([
                ("name", format!("Unit {i}")),
                ("description", format!("Generated unit {i}")),
                ("restrict_by_groups", "1".into()),
                ("admins", pick(&admins)),
                ("groups", pick(&groups)),
                ("integrations", pick(&apps)),
            ]),
        )?;
    }
    Ok(())
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_is_parsed_and_bad_ones_are_explained() {
        let s: Spec = "users=10, groups=2,memberships=15".parse().unwrap();
        assert_eq!((s.users, s.groups, s.memberships), (10, 2, 15));
        assert!(
            "users=x"
                .parse::<Spec>()
                .unwrap_err()
                .contains("whole number")
        );
        assert!(
            "people=1"
                .parse::<Spec>()
                .unwrap_err()
                .contains("unknown kind")
        );
        assert!("users=1,groups=1,memberships=2".parse::<Spec>().is_err());
    }

    #[test]
    fn every_kind_is_generated_through_the_api() {
        let mut t = Tenant::default();
        let spec: Spec = "users=220,groups=2,memberships=230,phones=3,tokens=2,bypass_codes=2,\
                          integrations=6,policies=2,admins=2,admin_units=1"
            .parse()
            .unwrap();
        generate(&mut t, &spec).unwrap();
        assert_eq!(t.users.len(), 220);
        let members = |gid: &str| {
            t.users
                .values()
                .filter(|u| u.groups.iter().any(|g| g == gid))
                .count()
        };
        let first = t.groups.values().find(|g| g.name == "Engineering").unwrap();
        assert!(
            members(&first.group_id) > 100,
            "the first group spans pages"
        );
        assert_eq!(t.users.values().map(|u| u.groups.len()).sum::<usize>(), 230);
        assert_eq!(t.phones.len(), 3);
        assert_eq!(t.tokens.len(), 2);
        assert_eq!(t.bypass_codes.len(), 4);
        assert_eq!(t.integrations.len(), 6);
        assert_eq!(t.admins.len(), 2);
        assert_eq!(t.admin_units.len(), 1);
        // The dashed spelling of a dotted name exists.
        let names: Vec<&str> = t.users.values().map(|u| u.username.as_str()).collect();
        assert!(names.contains(&"ines.smith") && names.contains(&"ines-smith"));
    }
}
