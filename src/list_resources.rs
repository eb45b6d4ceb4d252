//! List resources (Terraform 1.14 and later): `list "duo_user" "…" { provider = duo }` blocks
//! in `*.tfquery.hcl` files, which `terraform query` runs and `-generate-config-out` turns
//! into import blocks and configuration. Older Terraform never asks for them.
//!
//! One per resource type whose objects Duo lists, each [`Lister`] a row of [`all`]: the
//! resource's own listing (the one `export` reads, `Resource::list`), narrowed by filters on
//! the states it gives and cut at the query's `limit` without reading pages past it. So every
//! object found is exactly what importing it gives (configuration generated from it plans
//! clean), and its identity is the one every other RPC gives it. The account-wide objects
//! (settings, the global policy, administrators' authentication methods) are one each, so
//! there is nothing to list.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;

use crate::duo;
use crate::plugin::{
    Attribute, Diagnostic, Diagnostics, Found, ListResource, Obj, Resource, Schema, Take,
};
use crate::resources::{
    admin, admin_unit, bypass_codes, child_account, group, group_member, group_members,
    hardware_token, integration, phone, policy, policy_assignment, user, user_groups,
    user_hardware_token, user_phone,
};

/// Whether a listed object (its state) is one a query asked for.
pub type Keep = Box<dyn Fn(&Obj) -> bool + Send + Sync>;

/// Reads a configuration's filters into what they keep.
pub type Select = for<'c> fn(&'c duo::Client, &'c Obj) -> SelectFuture<'c>;

pub type SelectFuture<'c> = Pin<Box<dyn Future<Output = Result<Keep, Diagnostics>> + Send + 'c>>;

/// Filters of a type's own, beyond attributes matched exactly (users: a group's members, a
/// last login before a time), shared with its list data source.
pub struct OwnFilters {
    pub attributes: fn() -> Vec<Attribute>,
    pub validate: fn(&Obj) -> Diagnostics,
    /// What a configuration's filters keep; may read Duo first (a group's members).
    pub select: Select,
}

/// The list resource of one resource type.
pub struct Lister {
    pub resource: &'static (dyn Resource<duo::Client> + 'static),
    /// State attributes a query can match exactly; each is optional in `config`.
    pub by: &'static [&'static str],
    pub own: Option<&'static OwnFilters>,
    /// What a person calls an object (its name, username, number…).
    pub display: fn(&Obj) -> String,
}

/// Every list resource the provider serves.
pub fn all() -> Vec<Box<dyn ListResource<duo::Client>>> {
    let rows = [
        Lister {
            resource: &user::User,
            by: &[],
            own: Some(&crate::data_sources::users::FILTERS),
            display: |o| first_of(o, &["username"]),
        },
        Lister {
            resource: &group::Group,
            by: &["name", "status"],
            own: None,
            display: |o| first_of(o, &["name"]),
        },
        Lister {
            resource: &phone::Phone,
            by: &["number", "type", "platform"],
            own: None,
            display: |o| first_of(o, &["number", "name"]),
        },
        Lister {
            resource: &hardware_token::HardwareToken,
            by: &["type", "serial"],
            own: None,
            display: |o| joined(o, &["type", "serial"], " "),
        },
        Lister {
            resource: &integration::Integration,
            by: &["type", "name"],
            own: None,
            display: |o| first_of(o, &["name"]),
        },
        Lister {
            resource: &policy::Policy,
            by: &["policy_name"],
            own: None,
            display: |o| first_of(o, &["policy_name"]),
        },
        Lister {
            resource: &admin::Admin,
            by: &["role", "status", "email"],
            own: None,
            display: |o| first_of(o, &["name", "email"]),
        },
        Lister {
            resource: &admin_unit::AdminUnit,
            by: &["name"],
            own: None,
            display: |o| first_of(o, &["name"]),
        },
        Lister {
            resource: &bypass_codes::BypassCodes,
            by: &["user_id"],
            own: None,
            display: |o| first_of(o, &["user_id"]),
        },
        Lister {
            resource: &group_member::RESOURCE,
            by: &["user_id", "group_id"],
            own: None,
            display: |o| joined(o, &["user_id", "group_id"], " / "),
        },
        Lister {
            resource: &group_members::RESOURCE,
            by: &["group_id"],
            own: None,
            display: |o| first_of(o, &["group_id"]),
        },
        Lister {
            resource: &user_groups::RESOURCE,
            by: &["user_id"],
            own: None,
            display: |o| first_of(o, &["user_id"]),
        },
        Lister {
            resource: &user_phone::RESOURCE,
            by: &["user_id", "phone_id"],
            own: None,
            display: |o| joined(o, &["user_id", "phone_id"], " / "),
        },
        Lister {
            resource: &user_hardware_token::RESOURCE,
            by: &["user_id", "token_id"],
            own: None,
            display: |o| joined(o, &["user_id", "token_id"], " / "),
        },
        Lister {
            resource: &policy_assignment::PolicyAssignment,
            by: &["policy_key", "integration_key"],
            own: None,
            display: |o| joined(o, &["policy_key", "integration_key"], " / "),
        },
        Lister {
            resource: &child_account::ChildAccount,
            by: &["name", "edition"],
            own: None,
            display: |o| first_of(o, &["name"]),
        },
    ];
    rows.into_iter()
        .map(|l| Box::new(l) as Box<dyn ListResource<duo::Client>>)
        .collect()
}

/// The first of `attrs` the state has, else its `id`.
fn first_of(o: &Obj, attrs: &[&str]) -> String {
    attrs
        .iter()
        .find_map(|a| o.str(a).filter(|s| !s.is_empty()))
        .or_else(|| o.str(crate::plugin::ID))
        .unwrap_or_default()
        .to_owned()
}

/// The values of `attrs` the state has, joined with `sep` (`h6 123456`).
fn joined(o: &Obj, attrs: &[&str], sep: &str) -> String {
    let parts: Vec<&str> = attrs.iter().filter_map(|a| o.str(a)).collect();
    parts.join(sep)
}

#[async_trait]
impl ListResource<duo::Client> for Lister {
    fn type_name(&self) -> &'static str {
        self.resource.type_name()
    }

    fn schema(&self) -> Schema {
        let resource = self.resource.schema();
        let mut schema = Schema::new(&format!(
            "Finds {} objects for `terraform query` (Terraform 1.14 and later). Every filter is \
             optional; objects match all that are given.",
            self.type_name()
        ));
        // A type outside the provider's scope is found outside it too.
        if resource.unscoped {
            schema = schema.unscoped();
        }
        for name in self.by {
            // The resource's own checks of the value (the statuses Duo knows…).
            let mut filter = Attribute::string(name)
                .optional()
                .describe(&format!("Only objects whose `{name}` is this."));
            if let Some(a) = resource.attribute(name) {
                filter.validators = a.validators.clone();
            }
            schema = schema.attr(filter);
        }
        if let Some(own) = self.own {
            schema = schema.attrs((own.attributes)());
        }
        schema
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        self.own.map(|o| (o.validate)(config)).unwrap_or_default()
    }

    async fn list(
        &self,
        duo: &duo::Client,
        config: &Obj,
        limit: usize,
    ) -> Result<Vec<Found>, Diagnostics> {
        let own = match self.own {
            Some(own) => Some((own.select)(duo, config).await?),
            None => None,
        };
        let wanted: Vec<(&str, &crate::plugin::Value)> = self
            .by
            .iter()
            .map(|&a| (a, config.get(a)))
            .filter(|(_, v)| !v.is_null())
            .collect();
        if wanted.iter().any(|(_, v)| v.contains_unknown()) {
            return Err(Diagnostic::error(
                "Filter not known",
                "A list block's filters must be known when the query runs.",
            )
            .into());
        }
        let keep = |o: &Obj| {
            wanted.iter().all(|(a, v)| o.get(a) == *v) && own.as_ref().is_none_or(|k| k(o))
        };
        let filtered = !wanted.is_empty() || own.is_some();
        let take = Take {
            limit: Some(limit),
            keep: filtered.then_some(&keep as &(dyn Fn(&Obj) -> bool + Send + Sync)),
        };
        let found = self.resource.list(duo, &take).await?;
        Ok(found
            .into_iter()
            .take(limit)
            .map(|state| Found {
                display_name: (self.display)(&state),
                state,
            })
            .collect())
    }
}
