//! `duo_user`: one Duo user.
//!
//! Text fields Duo leaves unset read as `""`, so an omitted attribute and an empty one mean
//! the same and import plans clean. Group membership, phones and tokens are separate
//! resources, each the single owner of its fact. A username can be changed in place; import
//! takes a user ID or `username:<name>`.

use async_trait::async_trait;

use super::{Action, Hint, Op, create_once, deleted, diagnose, found, holds, id, written};
use crate::duo;
use crate::kinds::{Grant, ImportId, Kind, Naming};
use crate::plugin::{
    Diagnostic, Diagnostics, Failed, Managed, Obj, Resource, Schema, State, Take, Validator,
    import_by_id,
};

/// What `duo_user` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_user",
    noun: "user",
    plural: "users",
    read: Grant::ReadResource,
    write: Some(Grant::WriteResource),
    read_by: &["duo_user", "duo_users"],
    natural_key: &[UserState::username],
    unique_in_duo: true,
    import: ImportId::Prefixed("username"),
    export: Some(Naming {
        from: &[UserState::username],
        prefix: "",
        user_side: true,
    }),
};

pub struct User;

pub const STATUSES: &[&str] = &["active", "bypass", "disabled"];
const USERNAME_TAKEN: &str = "Another Duo user already has this username or alias (they are unique, ignoring case). \
     Choose another, or bring the existing user under Terraform with `terraform import duo_user.NAME username:<name>`.";

const HINTS: &[Hint] = &[
    Hint {
        field: "username",
        attr: UserState::username,
        advice: USERNAME_TAKEN,
    },
    Hint {
        field: "alias1",
        attr: UserState::alias1,
        advice: USERNAME_TAKEN,
    },
    Hint {
        field: "alias2",
        attr: UserState::alias2,
        advice: USERNAME_TAKEN,
    },
    Hint {
        field: "alias3",
        attr: UserState::alias3,
        advice: USERNAME_TAKEN,
    },
    Hint {
        field: "alias4",
        attr: UserState::alias4,
        advice: USERNAME_TAKEN,
    },
    Hint {
        field: "email",
        attr: UserState::email,
        advice: "Give a valid email address, or leave it out.",
    },
];

crate::plugin::state! {
    /// A `duo_user`'s state, plan and configuration. Text fields Duo leaves unset are `""`.
    pub struct UserState {
        id: Option<String> {
            .computed()
            .use_state_for_unknown()
            .describe("The user's Duo ID (`user_id`), e.g. `DUXXXXXXXXXXXXXXXXXX`.")
        },
        username: Option<String> {
            .required()
            .validate(Validator::length_between(1, 255))
            .describe("The username; unique across usernames and aliases, ignoring case. Changing it renames the user in place.")
        },
        realname: Option<String> { .default("").describe("The user's full name.") },
        firstname: Option<String> { .default("").describe("The user's given name.") },
        lastname: Option<String> { .default("").describe("The user's surname.") },
        email: Option<String> {
            .default("").describe("The user's email address.").validate(Validator::email())
        },
        notes: Option<String> {
            .default("").describe("Notes about the user, shown in the Duo Admin Panel.")
        },
        alias1: Option<String> {
            .default("")
            .describe("The first username alias. Aliases are unique across usernames and aliases, ignoring case.")
        },
        alias2: Option<String> { .default("").describe("The second username alias.") },
        alias3: Option<String> { .default("").describe("The third username alias.") },
        alias4: Option<String> { .default("").describe("The fourth username alias.") },
        status: Option<String> {
            .default("active")
            .validate(Validator::one_of(STATUSES))
            .describe(
                "`active` (normal), `bypass` (skips two-factor authentication) or `disabled`. Duo \
                 itself may set `locked out`; planning `active` unlocks the user.",
            )
        },
        is_enrolled: Option<bool> {
            .computed().describe("Whether the user has enrolled an authentication device.")
        },
        created: Option<i64> {
            .computed().use_state_for_unknown().describe("When the user was created (Unix seconds).")
        },
        last_login: Option<i64> {
            .computed().describe("When the user last logged in (Unix seconds); null if never.")
        },
        last_directory_sync: Option<i64> {
            .computed()
            .describe("When a directory sync last updated the user (Unix seconds); null if never.")
        },
    }
}

impl User {
    pub fn schema() -> Schema {
        Schema::new(
            "A Duo user. Deleting a user through the API is immediate and permanent (it does not go \
             to Duo's trash); the user's phones and tokens are kept.",
        )
        .attrs(UserState::attributes())
    }
}

/// The only place `duo_user` values and Duo's user meet.
pub fn to_state(u: &duo::User) -> UserState {
    let text = |v: &Option<String>| Some(v.clone().unwrap_or_default());
    UserState {
        id: Some(u.user_id.clone()),
        username: Some(u.username.clone()),
        realname: text(&u.realname),
        firstname: text(&u.firstname),
        lastname: text(&u.lastname),
        email: text(&u.email),
        notes: text(&u.notes),
        alias1: text(&u.alias1),
        alias2: text(&u.alias2),
        alias3: text(&u.alias3),
        alias4: text(&u.alias4),
        status: u.status.clone(),
        is_enrolled: u.is_enrolled,
        created: u.created,
        last_login: u.last_login,
        last_directory_sync: u.last_directory_sync,
    }
}

fn to_params(plan: &UserState) -> duo::UserParams {
    duo::UserParams {
        username: plan.username.clone(),
        realname: plan.realname.clone(),
        firstname: plan.firstname.clone(),
        lastname: plan.lastname.clone(),
        email: plan.email.clone(),
        status: plan.status.clone(),
        notes: plan.notes.clone(),
        alias1: plan.alias1.clone(),
        alias2: plan.alias2.clone(),
        alias3: plan.alias3.clone(),
        alias4: plan.alias4.clone(),
    }
}

#[async_trait]
impl Resource<duo::Client> for User {
    fn type_name(&self) -> &'static str {
        KIND.type_name
    }

    fn schema(&self) -> Schema {
        User::schema()
    }

    /// Duo refuses a taken username; the plan says so first, with the import block, for
    /// every such user at once.
    async fn check_create(
        &self,
        duo: &duo::Client,
        planned: &Obj,
        managed: Managed<'_>,
    ) -> Diagnostics {
        super::unique_name(
            &KIND,
            planned,
            managed,
            UserState::username,
            None,
            |name| async move { duo.existing_users_named(&name).await },
            |u| &u.user_id,
        )
        .await
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let params = to_params(&UserState::from_obj(plan)?);
        let username = params.username.as_deref().unwrap_or_default();
        let user = create_once(
            Op::new(Action::Create, &KIND),
            HINTS,
            &KIND.key_text(&[username]),
            || duo.create_user(&params),
            || duo.find_users_by_username(username),
            |u: &duo::User| {
                u.username.eq_ignore_ascii_case(username)
                    && holds(params.email.as_deref(), u.email.as_deref())
                    && holds(params.realname.as_deref(), u.realname.as_deref())
            },
            |u| &u.user_id,
        )
        .await?;
        Ok(to_state(&user).to_obj())
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        found(&KIND, duo.get_user(id(state)), to_state).await
    }

    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        super::listed(&KIND, duo, take, duo.list_users(), to_state).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        written(
            Op::new(Action::Update, &KIND),
            HINTS,
            duo.modify_user(id(prior), &to_params(&UserState::from_obj(plan)?)),
            to_state,
        )
        .await
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        match deleted(&KIND, duo.delete_user(id(state))).await {
            Err(mut diags) if !state.get(UserState::last_directory_sync).is_null() => {
                for d in &mut diags.0 {
                    d.detail.push_str(
                        " This user is managed by a Duo directory sync, which keeps it: remove the user from \
                         the synced directory groups (the next sync moves it to Duo's trash), or stop managing \
                         it here with `terraform state rm`.",
                    );
                }
                Err(diags)
            }
            other => other,
        }
    }

    /// A user ID, or `username:<name>` (which also matches aliases, as Duo does).
    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        let Some(name) = KIND.import_key(id).and_then(|key| key.first().copied()) else {
            return import_by_id(self, duo, id).await;
        };
        let mut found = duo
            .find_users_by_username(name)
            .await
            .map_err(|e| diagnose(Op::new(Action::Import, &KIND), &e))?;
        match found.len() {
            1 => Ok(to_state(&found.remove(0)).to_obj()),
            0 => Err(Diagnostic::error(
                "Cannot import a missing user",
                format!("Duo has no user with username or alias {name:?}. Check the name, or import by user ID."),
            )
            .into()),
            n => Err(Diagnostic::error(
                "Ambiguous username",
                format!(
                    "{n} users answer to {name:?}: {}. Import by user ID instead.",
                    found.iter().map(|u| u.user_id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_text_reads_as_empty_and_round_trips_to_params() {
        let u: duo::User = serde_json::from_value(serde_json::json!({
            "user_id": "DU1", "username": "ann", "realname": null, "firstname": "", "email": "a@example.com",
            "status": "Active", "alias2": "annie", "created": 5, "last_login": null, "is_enrolled": true
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let s = to_state(&u);
        assert_eq!(
            (
                s.realname.as_deref(),
                s.firstname.as_deref(),
                s.alias1.as_deref()
            ),
            (Some(""), Some(""), Some(""))
        );
        assert_eq!(
            (s.status.as_deref(), s.alias2.as_deref()),
            (Some("active"), Some("annie"))
        );
        assert_eq!((s.created, s.last_login), (Some(5), None));
        let stored = UserState::from_obj(&s.to_obj()).unwrap_or_default();
        assert_eq!(stored, s);
        let p = to_params(&stored);
        assert_eq!(
            (
                p.email.as_deref(),
                p.alias1.as_deref(),
                p.username.as_deref()
            ),
            (Some("a@example.com"), Some(""), Some("ann"))
        );
    }
}
