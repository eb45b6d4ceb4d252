//! Administrators (`/admin/v1/admins…`), the account's settings, the authentication methods
//! administrators may use, and account information: the account-level endpoints.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::{Client, Params, segment, some_params};
use super::error::Error;
use super::lenient;
use super::reads::Listed;
use super::retry::RateClass;

/// An administrator as Duo returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Admin {
    pub admin_id: String,
    pub email: String,
    pub name: String,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub role: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub restricted_by_admin_units: Option<bool>,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub password_change_required: Option<bool>,
    #[serde(default)]
    pub hardtoken: Option<HardToken>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub created: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub last_login: Option<i64>,
}

/// The hardware token an administrator logs in with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HardToken {
    pub token_id: String,
}

/// Fields to set; `None` leaves a field as it is. `email` and `send_email` only apply to
/// create; `status` and `password_change_required` only to modify.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdminParams {
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub restricted_by_admin_units: Option<bool>,
    pub password_change_required: Option<bool>,
    pub token_id: Option<String>,
    pub send_email: Option<bool>,
}

impl AdminParams {
    fn to_params(&self) -> Params {
        let flag = |b: Option<bool>| b.map(|b| if b { "1" } else { "0" }.to_owned());
        some_params([
            ("email", self.email.clone()),
            ("name", self.name.clone()),
            ("phone", self.phone.clone()),
            ("role", self.role.clone()),
            ("status", self.status.clone()),
            (
                "restricted_by_admin_units",
                flag(self.restricted_by_admin_units),
            ),
            (
                "password_change_required",
                flag(self.password_change_required),
            ),
            ("token_id", self.token_id.clone()),
            ("send_email", flag(self.send_email)),
        ])
    }
}

fn admin_path(admin_id: &str) -> String {
    format!("/admin/v1/admins/{}", segment(admin_id))
}

impl Listed for Admin {
    const LIST: &'static str = "/admin/v1/admins";
    const PAGE: u32 = 500;
    fn id(&self) -> &str {
        &self.admin_id
    }
    fn path(id: &str) -> String {
        admin_path(id)
    }
}

/// An account-wide object with a GET and a POST (settings, admin authentication methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Singleton {
    Settings,
    AdminAuthMethods,
}

impl Singleton {
    fn path(self) -> &'static str {
        match self {
            Singleton::Settings => "/admin/v1/settings",
            Singleton::AdminAuthMethods => "/admin/v1/admins/allowed_auth_methods",
        }
    }
}

impl Client {
    /// The administrators `keep` picks, from this run's one listing of them: what a creation
    /// guard compares a new administrator's email with.
    pub async fn existing_admins(
        &self,
        keep: impl Fn(&Admin) -> bool,
    ) -> Result<Vec<Admin>, Error> {
        self.existing(&self.reads.admins, keep).await
    }

    pub async fn list_admins(&self) -> Result<Vec<Admin>, Error> {
        self.list_listed(&self.reads.admins).await
    }

    pub async fn get_admin(&self, admin_id: &str) -> Result<Admin, Error> {
        self.get_listed(&self.reads.admins, admin_id).await
    }

    pub async fn create_admin(&self, params: &AdminParams) -> Result<Admin, Error> {
        let made: Admin = self.post(Admin::LIST, params.to_params()).await?;
        self.reads.admins.written(&made.admin_id);
        Ok(made)
    }

    pub async fn modify_admin(&self, admin_id: &str, params: &AdminParams) -> Result<Admin, Error> {
        self.reads.admins.written(admin_id);
        self.set(&admin_path(admin_id), params.to_params()).await
    }

    /// Deleting an administrator also takes it out of its administrative units.
    pub async fn delete_admin(&self, admin_id: &str) -> Result<(), Error> {
        self.reads.admin_deleted(admin_id);
        self.delete(&admin_path(admin_id)).await
    }

    pub async fn get_singleton(&self, which: Singleton) -> Result<Map<String, Value>, Error> {
        self.get(RateClass::GetObject, which.path(), Params::new())
            .await
    }

    /// Sets the given fields; Duo answers the whole object.
    pub async fn set_singleton(
        &self,
        which: Singleton,
        params: Params,
    ) -> Result<Map<String, Value>, Error> {
        self.set(which.path(), params).await
    }

    /// `/admin/v1/info/summary` merged with `/admin/v1/billing/edition`.
    pub async fn account_info(&self) -> Result<Map<String, Value>, Error> {
        let mut info: Map<String, Value> = self
            .get(
                RateClass::GetObject,
                "/admin/v1/info/summary",
                Params::new(),
            )
            .await?;
        let edition: Map<String, Value> = self
            .get(
                RateClass::GetObject,
                "/admin/v1/billing/edition",
                Params::new(),
            )
            .await?;
        info.extend(edition);
        Ok(info)
    }
}
