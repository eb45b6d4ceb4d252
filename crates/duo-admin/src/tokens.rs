//! Hardware tokens (`/admin/v1/tokens…`) and the tokens of a user.
//!
//! Read like phones (see `phones.rs`): one GET each until a listing is cheaper, and a user's
//! tokens from the user object.

use serde::Deserialize;

use super::client::{Client, segment, some_params};
use super::error::Error;
use super::lenient;
use super::reads::Listed;

/// A hardware token as Duo returns it. Duo never returns a token's secrets.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Token {
    pub token_id: String,
    #[serde(rename = "type", deserialize_with = "lenient::lowercase", default)]
    pub kind: Option<String>,
    pub serial: String,
    #[serde(default, deserialize_with = "lenient::int")]
    pub totp_step: Option<i64>,
    /// The users the token is linked to, where Duo lists them.
    #[serde(default)]
    pub users: Vec<super::UserRef>,
}

/// What a token is created with. Secrets go to Duo once and are never read back.
#[derive(Clone, Default, PartialEq)]
pub struct TokenParams {
    pub kind: String,
    pub serial: String,
    /// Hex secret of HOTP and TOTP tokens.
    pub secret: Option<String>,
    /// HOTP only.
    pub counter: Option<i64>,
    /// TOTP only.
    pub totp_step: Option<i64>,
    /// YubiKey AES only.
    pub private_id: Option<String>,
    pub aes_key: Option<String>,
}

impl std::fmt::Debug for TokenParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenParams")
            .field("kind", &self.kind)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

const PAGE: u32 = 500;

fn token_path(token_id: &str) -> String {
    format!("/admin/v1/tokens/{}", segment(token_id))
}

impl Listed for Token {
    const LIST: &'static str = "/admin/v1/tokens";
    const PAGE: u32 = PAGE;
    fn id(&self) -> &str {
        &self.token_id
    }
    fn path(id: &str) -> String {
        token_path(id)
    }
}

impl Client {
    /// The tokens `keep` picks, from this run's one listing of them: what a creation guard
    /// compares a new token's type and serial with.
    pub async fn existing_tokens(
        &self,
        keep: impl Fn(&Token) -> bool,
    ) -> Result<Vec<Token>, Error> {
        self.existing(&self.reads.tokens, keep).await
    }

    pub async fn list_tokens(&self) -> Result<Vec<Token>, Error> {
        self.list_listed(&self.reads.tokens).await
    }

    pub async fn get_token(&self, token_id: &str) -> Result<Token, Error> {
        self.get_listed(&self.reads.tokens, token_id).await
    }

    pub async fn create_token(&self, p: &TokenParams) -> Result<Token, Error> {
        let params = some_params([
            ("type", Some(p.kind.clone())),
            ("serial", Some(p.serial.clone())),
            ("secret", p.secret.clone()),
            ("counter", p.counter.map(|c| c.to_string())),
            ("totp_step", p.totp_step.map(|s| s.to_string())),
            ("private_id", p.private_id.clone()),
            ("aes_key", p.aes_key.clone()),
        ]);
        let token: Token = self.post(Token::LIST, params).await?;
        self.reads.tokens.written(&token.token_id);
        Ok(token)
    }

    /// The only thing Duo lets change on a token: a TOTP token's time step.
    pub async fn set_token_totp_step(
        &self,
        token_id: &str,
        totp_step: i64,
    ) -> Result<Token, Error> {
        self.reads.tokens.written(token_id);
        self.set(
            &token_path(token_id),
            vec![("totp_step".into(), totp_step.to_string())],
        )
        .await
    }

    /// Deleting a token also unlinks it from its users.
    pub async fn delete_token(&self, token_id: &str) -> Result<(), Error> {
        self.reads.token_deleted(token_id);
        self.delete(&token_path(token_id)).await
    }

    /// The IDs of a user's tokens: from the user object when reads are gathered, else from
    /// the user's token list.
    pub async fn user_token_ids(&self, user_id: &str) -> Result<Vec<String>, Error> {
        self.user_devices::<Token>(user_id, "tokens", |u| {
            u.tokens.into_iter().map(|t| t.token_id).collect()
        })
        .await
    }

    pub async fn add_user_token(&self, user_id: &str, token_id: &str) -> Result<(), Error> {
        self.reads.linked(user_id, &self.reads.tokens, token_id);
        let path = format!("/admin/v1/users/{}/tokens", segment(user_id));
        self.set::<serde_json::Value>(&path, vec![("token_id".into(), token_id.into())])
            .await
            .map(drop)
    }

    pub async fn remove_user_token(&self, user_id: &str, token_id: &str) -> Result<(), Error> {
        self.reads.linked(user_id, &self.reads.tokens, token_id);
        self.delete(&format!(
            "/admin/v1/users/{}/tokens/{}",
            segment(user_id),
            segment(token_id)
        ))
        .await
    }
}
