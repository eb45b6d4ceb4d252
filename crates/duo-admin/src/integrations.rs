//! Applications (integrations) on the v3 API, which Duo signs with v5 only, plus the real
//! secret key from `/admin/v1/integrations/{ikey}/skey` (v3 answers an obfuscated one), or,
//! when many are read, from the legacy v1 listing, which shows them in the clear.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::{Client, Params, Write, segment};
use super::error::Error;
use super::lenient;
use super::reads::Listed;
use super::retry::RateClass;

/// An integration as v3 returns it (`secret_key` is obfuscated there; see
/// [`Client::integration_secret_key`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Integration {
    pub integration_key: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub notes: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub greeting: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub user_access: Option<String>,
    #[serde(default)]
    pub groups_allowed: Vec<String>,
    /// Comma-separated, or a list, depending on the endpoint.
    #[serde(default)]
    pub networks_for_api_access: Value,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub self_service_allowed: Option<bool>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub username_normalization_policy: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub policy_key: Option<String>,
    /// The secret key as v3 shows it: masked but for its last characters.
    #[serde(
        default,
        rename = "secret_key",
        deserialize_with = "lenient::non_empty"
    )]
    pub secret_key_masked: Option<String>,
    /// SSO settings of `sso-*` integrations.
    #[serde(default)]
    pub sso: Option<Value>,
    /// Every other field, for the `adminapi_*` flags (0/1).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Integration {
    /// An `adminapi_*` flag (Duo answers 0/1).
    pub fn flag(&self, name: &str) -> bool {
        match self.other.get(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            Some(Value::String(s)) => s == "1" || s == "true",
            _ => false,
        }
    }

    /// `networks_for_api_access` as a list, however Duo answered it.
    pub fn networks(&self) -> Vec<String> {
        match &self.networks_for_api_access {
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            Value::String(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Integration {
    /// Whether `key` may be this integration's secret key, as far as the masked key Duo shows
    /// tells: the characters it leaves visible end `key`. Without a masked key nothing tells.
    pub fn may_have_secret_key(&self, key: &str) -> bool {
        let Some(masked) = &self.secret_key_masked else {
            return true;
        };
        let visible = masked.trim_start_matches('*');
        key.ends_with(visible)
    }
}

/// An integration's secret key, as `/skey` answers it or the v1 listing shows it.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct SecretKey {
    /// Only in the listing.
    #[serde(default)]
    integration_key: String,
    #[serde(default)]
    secret_key: String,
}

impl SecretKey {
    /// The key itself, unless the listing masked it (Duo may stop showing it in the clear)
    /// or left it out.
    fn clear(&self) -> Option<&str> {
        let k = self.secret_key.as_str();
        (!k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric())).then_some(k)
    }
}

/// The legacy v1 listing shows each integration's secret key in the clear, except Duo SSO
/// applications, which it leaves out; `/skey` answers one at a time.
impl Listed for SecretKey {
    const LIST: &'static str = "/admin/v1/integrations";
    const PAGE: u32 = PAGE;
    fn id(&self) -> &str {
        &self.integration_key
    }
    fn path(id: &str) -> String {
        format!("/admin/v1/integrations/{}/skey", segment(id))
    }
}

const PAGE: u32 = 300;

fn v3_path(ikey: &str) -> String {
    format!("/admin/v3/integrations/{}", segment(ikey))
}

impl Listed for Integration {
    const LIST: &'static str = "/admin/v3/integrations";
    const PAGE: u32 = PAGE;
    fn id(&self) -> &str {
        &self.integration_key
    }
    fn path(id: &str) -> String {
        v3_path(id)
    }
}

impl Client {
    /// The integrations `keep` picks, from this run's one listing of them: what a
    /// creation guard looks for an existing integration in.
    pub async fn existing_integrations(
        &self,
        keep: impl Fn(&Integration) -> bool,
    ) -> Result<Vec<Integration>, Error> {
        self.existing(&self.reads.integrations, keep).await
    }

    pub async fn list_integrations(&self) -> Result<Vec<Integration>, Error> {
        self.list_listed(&self.reads.integrations).await
    }

    pub async fn get_integration(&self, ikey: &str) -> Result<Integration, Error> {
        self.get_listed(&self.reads.integrations, ikey).await
    }

    /// `fields` is the JSON body: `name`, `type` and whatever else is set.
    pub async fn create_integration(
        &self,
        fields: &Map<String, Value>,
    ) -> Result<Integration, Error> {
        let made: Integration = self
            .send_json(
                "POST",
                Write::Create,
                Integration::LIST,
                &Value::Object(fields.clone()),
            )
            .await?;
        self.reads.integrations.written(&made.integration_key);
        Ok(made)
    }

    pub async fn modify_integration(
        &self,
        ikey: &str,
        fields: &Map<String, Value>,
    ) -> Result<Integration, Error> {
        // Also marks the key: a modification may rotate it (`reset_secret_key`).
        self.reads.integration_written(ikey);
        self.send_json(
            "POST",
            Write::Set,
            &v3_path(ikey),
            &Value::Object(fields.clone()),
        )
        .await
    }

    pub async fn delete_integration(&self, ikey: &str) -> Result<(), Error> {
        self.reads.integration_deleted(ikey);
        self.delete(&v3_path(ikey)).await
    }

    /// The integration's real secret key. Never log it. With reads gathered, many keys come
    /// from the v1 listing once it is cheaper than their single reads (rent or buy, as for
    /// every type); a key the listing does not show in the clear is read on its own.
    pub async fn integration_secret_key(&self, ikey: &str) -> Result<String, Error> {
        if self.coalesce
            && let Some(key) = self.listed_secret_key(ikey).await?
        {
            return Ok(key);
        }
        let kind = &self.reads.secret_keys;
        kind.spend(1);
        let s: SecretKey = self
            .get(RateClass::GetObject, &SecretKey::path(ikey), Params::new())
            .await?;
        if s.secret_key.is_empty() {
            return Err(Error::Decode {
                route: format!("GET {}", SecretKey::path(ikey)),
                reason: "Duo's answer holds no secret key".to_owned(),
            });
        }
        Ok(s.secret_key)
    }

    /// `ikey`'s secret key from the v1 listing, if this run has one (or its reads have now
    /// paid for one) and it shows that key in the clear.
    async fn listed_secret_key(&self, ikey: &str) -> Result<Option<String>, Error> {
        let kind = &self.reads.secret_keys;
        match self.scan_if_paid(kind).await {
            Ok(_) => {}
            // A legacy endpoint Duo may retire: without it, every key is read on its own.
            Err(e) if e.is_refusal() => {
                tracing::debug!(error = %e, "no v1 integration listing; reading secret keys one by one");
                kind.offer(&[]);
            }
            Err(e) => return Err(e),
        }
        Ok(kind
            .cached(ikey)
            .flatten()
            .and_then(|s| s.clear().map(str::to_owned)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(masked: Option<&str>) -> Integration {
        let mut v = serde_json::json!({"integration_key": "DI1", "name": "a", "type": "authapi"});
        if let Some(m) = masked {
            v["secret_key"] = m.into();
        }
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_listed_key_counts_only_in_the_clear() {
        let listed = |k: &str| SecretKey {
            integration_key: "DI1".into(),
            secret_key: k.into(),
        };
        let clear = "abcdefghij0123456789abcdefghij0123456789";
        assert_eq!(listed(clear).clear(), Some(clear));
        assert_eq!(
            listed("************************************6789").clear(),
            None
        );
        assert_eq!(listed("").clear(), None);
    }

    #[test]
    fn a_masked_key_tells_a_rotated_secret_from_the_same_one() {
        let i = shown(Some("************************************wxyz"));
        assert!(i.may_have_secret_key("abcdefwxyz"));
        assert!(!i.may_have_secret_key("abcdefwxy0"));
        // Nothing shown, or all masked: nothing tells, so the key in state stands.
        assert!(shown(None).may_have_secret_key("anything"));
        assert!(shown(Some("****")).may_have_secret_key("anything"));
    }
}
