//! Bypass codes of a user: generated (and shown) once, listed afterwards by metadata only.

use serde::Deserialize;

use super::client::{Client, Params, segment, some_params};
use super::error::Error;
use super::lenient;
use super::reads::Listed;

/// A bypass code as Duo lists it: never the code itself.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BypassCode {
    pub bypass_code_id: String,
    #[serde(default, deserialize_with = "lenient::int")]
    pub created: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub expiration: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub reuse_count: Option<i64>,
    /// The owner, in the account-wide list.
    #[serde(default)]
    pub user: Option<super::UserRef>,
}

/// How to generate codes: `count` random ones or the given `codes`.
#[derive(Clone, Default, PartialEq)]
pub struct BypassParams {
    pub count: Option<i64>,
    pub codes: Option<Vec<String>>,
    /// 0 = unlimited uses.
    pub reuse_count: i64,
    /// 0 = never expire.
    pub valid_secs: i64,
    /// Keep the user's other codes (Duo clears them by default).
    pub preserve_existing: bool,
}

impl std::fmt::Debug for BypassParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BypassParams")
            .field("count", &self.count)
            .field("reuse_count", &self.reuse_count)
            .finish_non_exhaustive()
    }
}

impl Listed for BypassCode {
    const LIST: &'static str = "/admin/v1/bypass_codes";
    const PAGE: u32 = 500;
    fn id(&self) -> &str {
        &self.bypass_code_id
    }
    fn path(id: &str) -> String {
        format!("{}/{}", Self::LIST, segment(id))
    }
}

impl Client {
    /// Generates codes and returns them: the only time Duo shows them.
    pub async fn create_bypass_codes(
        &self,
        user_id: &str,
        p: &BypassParams,
    ) -> Result<Vec<String>, Error> {
        let params = some_params([
            ("count", p.count.map(|c| c.to_string())),
            ("codes", p.codes.as_ref().map(|c| c.join(","))),
            ("reuse_count", Some(p.reuse_count.to_string())),
            ("valid_secs", Some(p.valid_secs.to_string())),
            ("preserve_existing", Some(p.preserve_existing.to_string())),
        ]);
        self.reads.codes_changed(user_id);
        self.post(
            &format!("/admin/v1/users/{}/bypass_codes", segment(user_id)),
            params,
        )
        .await
    }

    /// A user's codes: with reads gathered from the account's listing once this run's reads
    /// of users' codes have cost as much (see `reads`), else from the user's list.
    pub async fn user_bypass_codes(&self, user_id: &str) -> Result<Vec<BypassCode>, Error> {
        let path = format!("/admin/v1/users/{}/bypass_codes", segment(user_id));
        if self.coalesce {
            return self
                .bypass_codes_of(user_id, &path)
                .await?
                .ok_or_else(|| Error::not_found("GET", &path));
        }
        self.list_all(&path, Params::new(), BypassCode::PAGE).await
    }

    /// Every bypass code of the account, each naming its user.
    pub async fn list_bypass_codes(&self) -> Result<Vec<BypassCode>, Error> {
        self.list_listed(&self.reads.bypass_codes).await
    }

    pub async fn delete_bypass_code(&self, bypass_code_id: &str) -> Result<(), Error> {
        self.reads.code_deleted(bypass_code_id);
        self.delete(&BypassCode::path(bypass_code_id)).await
    }
}
