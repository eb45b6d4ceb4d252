//! Groups: `/admin/v1/groups` for list, create, modify, delete; `/admin/v2/groups/{id}` to get.

use serde::Deserialize;

use super::client::{Client, Params, segment, some_params};
use super::error::Error;
use super::lenient;
use super::reads::{Filtered, Listed};
use super::retry::RateClass;

/// A Duo group as Duo returns it. `status` is lowercased: Duo answers `Active` in some
/// responses and `active` in others.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Group {
    pub group_id: String,
    pub name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub desc: Option<String>,
    #[serde(default, deserialize_with = "lenient::lowercase")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub push_enabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub sms_enabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub voice_enabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub mobile_otp_enabled: Option<bool>,
}

/// Fields to set on create or modify; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupParams {
    pub name: Option<String>,
    pub desc: Option<String>,
    pub status: Option<String>,
    pub push_enabled: Option<bool>,
    pub sms_enabled: Option<bool>,
    pub voice_enabled: Option<bool>,
    pub mobile_otp_enabled: Option<bool>,
}

impl GroupParams {
    fn to_params(&self) -> Params {
        let flag = |b: Option<bool>| b.map(|b| if b { "1" } else { "0" }.to_owned());
        some_params([
            ("name", self.name.clone()),
            ("desc", self.desc.clone()),
            ("status", self.status.clone()),
            ("push_enabled", flag(self.push_enabled)),
            ("sms_enabled", flag(self.sms_enabled)),
            ("voice_enabled", flag(self.voice_enabled)),
            ("mobile_otp_enabled", flag(self.mobile_otp_enabled)),
        ])
    }
}

/// Duo's largest page for the groups list.
const PAGE: u32 = 500;

impl Listed for Group {
    const LIST: &'static str = "/admin/v1/groups";
    const PAGE: u32 = PAGE;
    fn id(&self) -> &str {
        &self.group_id
    }
    fn path(id: &str) -> String {
        format!("/admin/v2/groups/{}", segment(id))
    }
}

impl Filtered for Group {
    const FILTER: &'static str = "group_id_list";
}

impl Client {
    /// The groups `keep` picks, from this run's one listing of them: what a
    /// creation guard looks for an existing group in.
    pub async fn existing_groups(
        &self,
        keep: impl Fn(&Group) -> bool,
    ) -> Result<Vec<Group>, Error> {
        self.existing(&self.reads.groups, keep).await
    }

    pub async fn list_groups(&self) -> Result<Vec<Group>, Error> {
        let groups = self
            .list_all("/admin/v1/groups", Params::new(), PAGE)
            .await?;
        self.reads.groups.offer(&groups);
        Ok(groups)
    }

    pub async fn get_group(&self, group_id: &str) -> Result<Group, Error> {
        let path = <Group as Listed>::path(group_id);
        if self.coalesce {
            let found = self.read(&self.reads.groups, group_id).await?;
            return found.ok_or_else(|| Error::not_found("GET", &path));
        }
        self.get(RateClass::GetObject, &path, Params::new()).await
    }

    pub async fn create_group(&self, params: &GroupParams) -> Result<Group, Error> {
        let group: Group = self.post("/admin/v1/groups", params.to_params()).await?;
        self.reads.groups.written(&group.group_id);
        Ok(group)
    }

    pub async fn modify_group(&self, group_id: &str, params: &GroupParams) -> Result<Group, Error> {
        self.reads.group_modified(group_id);
        self.set(
            &format!("/admin/v1/groups/{}", segment(group_id)),
            params.to_params(),
        )
        .await
    }

    pub async fn delete_group(&self, group_id: &str) -> Result<(), Error> {
        self.reads.group_deleted(group_id);
        self.delete(&format!("/admin/v1/groups/{}", segment(group_id)))
            .await
    }

    /// Proves the host, key pair and signature work: the cheapest signed call there is.
    /// A 403 still proves the credentials (the key lacks a grant, which matters later).
    pub async fn check_credentials(&self) -> Result<(), Error> {
        let params = vec![
            ("limit".to_owned(), "1".to_owned()),
            ("offset".to_owned(), "0".to_owned()),
        ];
        match self
            .get::<serde_json::Value>(RateClass::ListPage, "/admin/v1/groups", params)
            .await
        {
            Ok(_) => Ok(()),
            // A missing permission is named by the first call that needs it; an Accounts API
            // key pair (an MSP parent's) reaches the Accounts API instead.
            Err(e) if e.status() == Some(403) => {
                if self.child_accounts().await.is_ok() {
                    self.accounts_key
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}
