//! Policies v2 (`/admin/v2/policies…`): JSON bodies, v5 signatures only.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::{Client, Params, Write, segment};
use super::error::Error;
use super::reads::Listed;
use super::retry::RateClass;

/// A policy as Duo returns it: `sections` keyed by section name, each a map of settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Policy {
    pub policy_key: String,
    pub policy_name: String,
    #[serde(default)]
    pub is_global_policy: bool,
    #[serde(default)]
    pub sections: Map<String, Value>,
    #[serde(default)]
    pub policy_applies_to: Vec<Value>,
}

fn policy_path(key: &str) -> String {
    format!("/admin/v2/policies/{}", segment(key))
}

/// The key Duo takes for the global policy, whatever its real key.
pub(super) const GLOBAL: &str = "global";

impl Listed for Policy {
    const LIST: &'static str = "/admin/v2/policies";
    const PAGE: u32 = 100;
    fn id(&self) -> &str {
        &self.policy_key
    }
    fn path(id: &str) -> String {
        policy_path(id)
    }
}

impl Client {
    /// The policies `keep` picks, from this run's one listing of them: what a
    /// creation guard looks for an existing policy in.
    pub async fn existing_policies(
        &self,
        keep: impl Fn(&Policy) -> bool,
    ) -> Result<Vec<Policy>, Error> {
        self.existing(&self.reads.policies, keep).await
    }

    pub async fn list_policies(&self) -> Result<Vec<Policy>, Error> {
        self.list_listed(&self.reads.policies).await
    }

    /// `key` may be `global` for the global policy, which is then always one GET: a listing
    /// knows it only by its real key.
    pub async fn get_policy(&self, key: &str) -> Result<Policy, Error> {
        if key == GLOBAL {
            return self
                .get(RateClass::GetObject, &policy_path(key), Params::new())
                .await;
        }
        self.get_listed(&self.reads.policies, key).await
    }

    pub async fn create_policy(&self, body: &Value) -> Result<Policy, Error> {
        let made: Policy = self
            .send_json("POST", Write::Create, Policy::LIST, body)
            .await?;
        self.reads.policies.written(&made.policy_key);
        Ok(made)
    }

    /// A partial update: `policy_name`, `sections` (merged per section), `sections_to_delete`,
    /// `apply_to_apps`, `apply_to_groups_in_apps`.
    pub async fn update_policy(&self, key: &str, body: &Value) -> Result<Policy, Error> {
        self.reads.policy_written(key);
        self.send_json("PUT", Write::Set, &policy_path(key), body)
            .await
    }

    pub async fn delete_policy(&self, key: &str) -> Result<(), Error> {
        self.reads.policy_written(key);
        self.delete(&policy_path(key)).await
    }

    /// The policy in effect for a user signing in to an application.
    pub async fn calculate_policy(
        &self,
        integration_key: &str,
        user_id: &str,
    ) -> Result<Map<String, Value>, Error> {
        let params = vec![
            ("integration_key".to_owned(), integration_key.to_owned()),
            ("user_id".to_owned(), user_id.to_owned()),
        ];
        self.get(RateClass::GetObject, "/admin/v2/policies/calculate", params)
            .await
    }
}
