//! `duo_user` data source: one user, found by `user_id`, `username`, `alias` or `email`.

use async_trait::async_trait;

use super::{exactly_one_of, single};
use crate::duo;
use crate::plugin::{Attribute, DataSource, Diagnostics, Obj, Schema};
use crate::resources::user::{User, to_state};
use crate::resources::{Action, Op, diagnose};

pub struct UserLookup;

const KEYS: &[&str] = &["user_id", "username", "alias", "email"];

#[async_trait]
impl DataSource<duo::Client> for UserLookup {
    fn type_name(&self) -> &'static str {
        "duo_user"
    }

    fn schema(&self) -> Schema {
        User::schema()
            .as_data_source(
                "Looks up one Duo user by `user_id`, `username`, `alias` or `email`.",
                &["username", "email"],
            )
            .attr(
                Attribute::string("user_id")
                    .optional_computed()
                    .describe("The user's Duo ID."),
            )
            .attr(Attribute::string("alias").optional().describe(
                "Find the user that has this alias (any of `alias1`…`alias4`), ignoring case.",
            ))
    }

    fn validate(&self, config: &Obj) -> Diagnostics {
        exactly_one_of(config, KEYS)
    }

    async fn read(&self, duo: &duo::Client, config: &Obj) -> Result<Obj, Diagnostics> {
        let fail =
            |e: duo::Error| diagnose(Op::new(Action::Read, &crate::resources::user::KIND), &e);
        let (key, value) = KEYS
            .iter()
            .find_map(|k| Some((*k, config.str(k)?.to_owned())))
            .unwrap_or(("user_id", String::new()));
        let matches: Vec<duo::User> = match key {
            "user_id" => duo::gone_is_none(duo.get_user(&value).await)
                .map_err(fail)?
                .into_iter()
                .collect(),
            "email" => duo.find_users_by_email(&value).await.map_err(fail)?,
            // Duo's username filter matches usernames and aliases; keep the kind asked for.
            "alias" => duo
                .find_users_by_username(&value)
                .await
                .map_err(fail)?
                .into_iter()
                .filter(|u| {
                    [&u.alias1, &u.alias2, &u.alias3, &u.alias4]
                        .iter()
                        .any(|a| a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(&value)))
                })
                .collect(),
            _ => duo
                .find_users_by_username(&value)
                .await
                .map_err(fail)?
                .into_iter()
                .filter(|u| u.username.eq_ignore_ascii_case(&value))
                .collect(),
        };
        let what = format!("user with {} {value:?}", key.replace('_', " "));
        let user = single(matches, |u: &duo::User| &u.user_id, &what, key)?;
        let id = user.user_id.clone();
        Ok(to_state(&user)
            .with("user_id", id)
            .with("alias", config.get("alias").clone()))
    }
}
