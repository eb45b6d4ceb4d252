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
    Attribute, Diagnostic, Diagnostics, Failed, Obj, Resource, Schema, Validator, Value,
    import_by_id,
};

/// What `duo_user` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind {
    type_name: "duo_user",
    noun: "user",
    plural: "users",
    read: Grant::ReadResource,
    write: Some(Grant::WriteResource),
    data_sources: &["duo_user", "duo_users"],
    natural_key: &["username"],
    import: ImportId::Prefixed("username"),
    export: Some(Naming {
        from: &["username"],
        prefix: "",
        user_side: true,
    }),
};

pub struct User;

pub const STATUSES: &[&str] = &["active", "bypass", "disabled"];
/// Optional text fields, all `""` when unset.
const TEXT: [(&str, &str); 9] = [
    ("realname", "The user's full name."),
    ("firstname", "The user's given name."),
    ("lastname", "The user's surname."),
    ("email", "The user's email address."),
    (
        "notes",
        "Notes about the user, shown in the Duo Admin Panel.",
    ),
    (
        "alias1",
        "The first username alias. Aliases are unique across usernames and aliases, ignoring case.",
    ),
    ("alias2", "The second username alias."),
    ("alias3", "The third username alias."),
    ("alias4", "The fourth username alias."),
];

const USERNAME_TAKEN: &str = "Another Duo user already has this username or alias (they are unique, ignoring case). \
     Choose another, or bring the existing user under Terraform with `terraform import duo_user.NAME username:<name>`.";

const HINTS: &[Hint] = &[
    Hint {
        field: "username",
        attr: "username",
        advice: USERNAME_TAKEN,
    },
    Hint {
        field: "alias1",
        attr: "alias1",
        advice: USERNAME_TAKEN,
    },
    Hint {
        field: "alias2",
        attr: "alias2",
        advice: USERNAME_TAKEN,
    },
    Hint {
        field: "alias3",
        attr: "alias3",
        advice: USERNAME_TAKEN,
    },
    Hint {
        field: "alias4",
        attr: "alias4",
        advice: USERNAME_TAKEN,
    },
    Hint {
        field: "email",
        attr: "email",
        advice: "Give a valid email address, or leave it out.",
    },
];

impl User {
    pub fn schema() -> Schema {
        let mut s = Schema::new(
            "A Duo user. Deleting a user through the API is immediate and permanent (it does not go \
             to Duo's trash); the user's phones and tokens are kept.",
        )
        .attr(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .describe("The user's Duo ID (`user_id`), e.g. `DUXXXXXXXXXXXXXXXXXX`."),
        )
        .attr(
            Attribute::string("username")
                .required()
                .validate(Validator::length_between(1, 255))
                .describe("The username; unique across usernames and aliases, ignoring case. Changing it renames the user in place."),
        );
        for (name, description) in TEXT {
            let mut a = Attribute::string(name).default("").describe(description);
            if name == "email" {
                a = a.validate(Validator::email());
            }
            s = s.attr(a);
        }
        s.attr(
            Attribute::string("status")
                .default("active")
                .validate(Validator::one_of(STATUSES))
                .describe(
                    "`active` (normal), `bypass` (skips two-factor authentication) or `disabled`. Duo \
                     itself may set `locked out`; planning `active` unlocks the user.",
                ),
        )
        .attr(Attribute::bool("is_enrolled").computed().describe("Whether the user has enrolled an authentication device."))
        .attr(Attribute::number("created").computed().use_state_for_unknown().describe("When the user was created (Unix seconds)."))
        .attr(Attribute::number("last_login").computed().describe("When the user last logged in (Unix seconds); null if never."))
        .attr(
            Attribute::number("last_directory_sync")
                .computed()
                .describe("When a directory sync last updated the user (Unix seconds); null if never."),
        )
    }
}

/// The only place `duo_user` values and Duo's user meet.
pub fn to_state(u: &duo::User) -> Obj {
    let text = [
        &u.realname,
        &u.firstname,
        &u.lastname,
        &u.email,
        &u.notes,
        &u.alias1,
        &u.alias2,
        &u.alias3,
        &u.alias4,
    ];
    let mut o = Obj::default()
        .with("id", u.user_id.as_str())
        .with("username", u.username.as_str());
    for ((name, _), value) in TEXT.iter().zip(text) {
        o.set(name, value.clone().unwrap_or_default());
    }
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::from);
    o.with("status", Value::opt_string(u.status.clone()))
        .with(
            "is_enrolled",
            u.is_enrolled.map_or(Value::Null, Value::Bool),
        )
        .with("created", int(u.created))
        .with("last_login", int(u.last_login))
        .with("last_directory_sync", int(u.last_directory_sync))
}

fn to_params(plan: &Obj) -> duo::UserParams {
    let s = |k: &str| plan.str(k).map(str::to_owned);
    duo::UserParams {
        username: s("username"),
        realname: s("realname"),
        firstname: s("firstname"),
        lastname: s("lastname"),
        email: s("email"),
        status: s("status"),
        notes: s("notes"),
        alias1: s("alias1"),
        alias2: s("alias2"),
        alias3: s("alias3"),
        alias4: s("alias4"),
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

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let params = to_params(plan);
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
        Ok(to_state(&user))
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        found(&KIND, duo.get_user(id(state)), to_state).await
    }

    async fn list(&self, duo: &duo::Client) -> Result<Vec<Obj>, Diagnostics> {
        super::listed(&KIND, duo.list_users(), to_state).await
    }

    async fn update(&self, duo: &duo::Client, prior: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        written(
            Op::new(Action::Update, &KIND),
            HINTS,
            duo.modify_user(id(prior), &to_params(plan)),
            to_state,
        )
        .await
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        match deleted(&KIND, duo.delete_user(id(state))).await {
            Err(mut diags) if !state.get("last_directory_sync").is_null() => {
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
            1 => Ok(to_state(&found.remove(0))),
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
            (s.str("realname"), s.str("firstname"), s.str("alias1")),
            (Some(""), Some(""), Some(""))
        );
        assert_eq!(
            (s.str("status"), s.str("alias2")),
            (Some("active"), Some("annie"))
        );
        assert_eq!(
            (s.i64("created"), s.get("last_login")),
            (Some(5), &Value::Null)
        );
        let p = to_params(&s);
        assert_eq!(
            (p.email.as_deref(), p.alias1.as_deref()),
            (Some("a@example.com"), Some(""))
        );
    }
}
