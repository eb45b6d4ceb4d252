//! `duo_user` data source: one user, found by `user_id`, `username`, `alias` or `email`.

use super::lookup::{Added, Key, Lookup, by_id};
use crate::duo;
use crate::plugin::State;
use crate::resources::user::{KIND, User, UserState, to_state};

/// Duo's username filter matches usernames and aliases; each key keeps the kind it asks for.
fn named(users: Vec<duo::User>, keep: impl Fn(&duo::User) -> bool) -> Vec<duo::User> {
    users.into_iter().filter(|u| keep(u)).collect()
}

pub fn data_source() -> Lookup<duo::User> {
    Lookup {
        type_name: KIND.type_name,
        description: "Looks up one Duo user by `user_id`, `username`, `alias` or `email`.",
        kind: &KIND,
        resource: User::schema,
        omit: &[],
        keys: &[
            Key {
                attr: "user_id",
                added: Some(Added::Text("The user's Duo ID.")),
                what: |id| format!("user with user id {id:?}"),
                find: |duo, id| Box::pin(by_id(duo.get_user(id))),
            },
            Key {
                attr: UserState::username,
                added: None,
                what: |name| format!("user with username {name:?}"),
                find: |duo, name| {
                    Box::pin(async move {
                        let found = duo.find_users_by_username(name).await?;
                        Ok(named(found, |u| u.username.eq_ignore_ascii_case(name)))
                    })
                },
            },
            Key {
                attr: "alias",
                added: Some(Added::Text(
                    "Find the user that has this alias (any of `alias1`…`alias4`), ignoring case.",
                )),
                what: |alias| format!("user with alias {alias:?}"),
                find: |duo, alias| {
                    Box::pin(async move {
                        let found = duo.find_users_by_username(alias).await?;
                        Ok(named(found, |u| {
                            [&u.alias1, &u.alias2, &u.alias3, &u.alias4]
                                .iter()
                                .any(|a| {
                                    a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(alias))
                                })
                        }))
                    })
                },
            },
            Key {
                attr: UserState::email,
                added: None,
                what: |email| format!("user with email {email:?}"),
                find: |duo, email| Box::pin(duo.find_users_by_email(email)),
            },
        ],
        id_of: |u| &u.user_id,
        to_state: |u| to_state(u).to_obj(),
    }
}
