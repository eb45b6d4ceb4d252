//! Administrative units (`/admin/v1/administrative_units…`): which admins manage which groups
//! and integrations.

use serde::Deserialize;

use super::client::{Client, Params, segment, some_params};
use super::error::Error;
use super::lenient;
use super::reads::Listed;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AdminUnit {
    pub admin_unit_id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub restrict_by_groups: Option<bool>,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub restrict_by_integrations: Option<bool>,
    #[serde(default)]
    pub admins: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub integrations: Vec<String>,
}

/// The kinds of member a unit has, as its member endpoints name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitMember {
    Admin,
    Group,
    Integration,
}

impl UnitMember {
    fn segment(self) -> &'static str {
        match self {
            UnitMember::Admin => "admin",
            UnitMember::Group => "group",
            UnitMember::Integration => "integration",
        }
    }
}

fn unit_params(name: &str, description: &str, by_groups: bool, by_integrations: bool) -> Params {
    some_params([
        ("name", Some(name.to_owned())),
        ("description", Some(description.to_owned())),
        ("restrict_by_groups", Some(by_groups.to_string())),
        (
            "restrict_by_integrations",
            Some(by_integrations.to_string()),
        ),
    ])
}

fn unit_path(id: &str) -> String {
    format!("/admin/v1/administrative_units/{}", segment(id))
}

impl Listed for AdminUnit {
    const LIST: &'static str = "/admin/v1/administrative_units";
    const PAGE: u32 = 500;
    fn id(&self) -> &str {
        &self.admin_unit_id
    }
    fn path(id: &str) -> String {
        unit_path(id)
    }
}

impl Client {
    /// The admin units `keep` picks, from this run's one listing of them: what a
    /// creation guard looks for an existing administrative unit in.
    pub async fn existing_admin_units(
        &self,
        keep: impl Fn(&AdminUnit) -> bool,
    ) -> Result<Vec<AdminUnit>, Error> {
        self.existing(&self.reads.admin_units, keep).await
    }

    pub async fn list_admin_units(&self) -> Result<Vec<AdminUnit>, Error> {
        self.list_listed(&self.reads.admin_units).await
    }

    pub async fn get_admin_unit(&self, id: &str) -> Result<AdminUnit, Error> {
        self.get_listed(&self.reads.admin_units, id).await
    }

    /// Creates a unit without members (add them with [`Client::admin_unit_member`]).
    pub async fn create_admin_unit(
        &self,
        name: &str,
        description: &str,
        by_groups: bool,
        by_integrations: bool,
    ) -> Result<AdminUnit, Error> {
        let params = unit_params(name, description, by_groups, by_integrations);
        let made: AdminUnit = self.post(AdminUnit::LIST, params).await?;
        self.reads.admin_units.written(&made.admin_unit_id);
        Ok(made)
    }

    pub async fn modify_admin_unit(
        &self,
        id: &str,
        name: &str,
        description: &str,
        by_groups: bool,
        by_integrations: bool,
    ) -> Result<AdminUnit, Error> {
        let params = unit_params(name, description, by_groups, by_integrations);
        self.reads.admin_units.written(id);
        self.set(&unit_path(id), params).await
    }

    /// Deleting a unit frees its administrators from it.
    pub async fn delete_admin_unit(&self, id: &str) -> Result<(), Error> {
        self.reads.unit_deleted(id);
        self.delete(&unit_path(id)).await
    }

    /// Adds (`add`) or removes a member of a unit.
    pub async fn admin_unit_member(
        &self,
        id: &str,
        kind: UnitMember,
        member: &str,
        add: bool,
    ) -> Result<(), Error> {
        let path = format!("{}/{}/{}", unit_path(id), kind.segment(), segment(member));
        self.reads.unit_member_changed(id, kind, member);
        if add {
            self.set::<serde_json::Value>(&path, Params::new())
                .await
                .map(drop)
        } else {
            self.delete(&path).await
        }
    }
}
