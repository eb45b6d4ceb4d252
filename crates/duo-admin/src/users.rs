//! Users and their group memberships: `/admin/v1/users…`, and the members of a group
//! (`/admin/v2/groups/{id}/users`).

use serde::Deserialize;

use super::bulk::{MIN_BULK, Membership, Op, gathered};
use super::client::{Client, Params, segment, some_params};
use super::error::Error;
use super::gather::Batched;
use super::groups::Group;
use super::lenient;
use super::reads::{Filtered, GATHERED_READS, Listed};
use super::retry::RateClass;

/// A Duo user as Duo returns it. Unset text fields come back as `null` or `""` depending on
/// the endpoint; both read as `None` here. `status` is lowercased.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct User {
    pub user_id: String,
    pub username: String,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub realname: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub firstname: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub lastname: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub notes: Option<String>,
    #[serde(default, deserialize_with = "lenient::lowercase")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub alias1: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub alias2: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub alias3: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub alias4: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub is_enrolled: Option<bool>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub created: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub last_login: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub last_directory_sync: Option<i64>,
    #[serde(default)]
    pub groups: Vec<Group>,
    /// The user's phones and tokens (Duo lists them with the user), by ID.
    #[serde(default)]
    pub phones: Vec<PhoneRef>,
    #[serde(default)]
    pub tokens: Vec<TokenRef>,
}

impl User {
    /// Whether the user has `name` as username or alias, ignoring case, as Duo compares them.
    pub fn answers_to(&self, name: &str) -> bool {
        std::iter::once(Some(&self.username))
            .chain([&self.alias1, &self.alias2, &self.alias3, &self.alias4].map(Option::as_ref))
            .flatten()
            .any(|n| n.eq_ignore_ascii_case(name))
    }
}

/// A phone as a user lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PhoneRef {
    pub phone_id: String,
}

/// A hardware token as a user lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TokenRef {
    pub token_id: String,
}

/// Fields to set on create or modify; `None` leaves a field as it is, `Some("")` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserParams {
    pub username: Option<String>,
    pub realname: Option<String>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub email: Option<String>,
    pub status: Option<String>,
    pub notes: Option<String>,
    pub alias1: Option<String>,
    pub alias2: Option<String>,
    pub alias3: Option<String>,
    pub alias4: Option<String>,
}

impl UserParams {
    fn to_params(&self) -> Params {
        some_params([
            ("username", self.username.clone()),
            ("realname", self.realname.clone()),
            ("firstname", self.firstname.clone()),
            ("lastname", self.lastname.clone()),
            ("email", self.email.clone()),
            ("status", self.status.clone()),
            ("notes", self.notes.clone()),
            ("alias1", self.alias1.clone()),
            ("alias2", self.alias2.clone()),
            ("alias3", self.alias3.clone()),
            ("alias4", self.alias4.clone()),
        ])
    }
}

/// A user as a phone, token or bypass code names its owners.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UserRef {
    pub user_id: String,
}

/// A member of a group, as the members endpoint lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Member {
    pub user_id: String,
    pub username: String,
}

/// Duo's cap on users per `bulk_create`.
const MAX_BULK: usize = 100;

/// Duo's largest pages: users 300, a user's groups and a group's members 500.
const USERS_PAGE: u32 = 300;
const PAGE: u32 = 500;

fn user_path(user_id: &str) -> String {
    format!("/admin/v1/users/{}", segment(user_id))
}

impl Listed for User {
    const LIST: &'static str = "/admin/v1/users";
    const PAGE: u32 = USERS_PAGE;
    fn id(&self) -> &str {
        &self.user_id
    }
    fn path(id: &str) -> String {
        user_path(id)
    }
}

impl Filtered for User {
    const FILTER: &'static str = "user_id_list";
}

impl Client {
    pub async fn list_users(&self) -> Result<Vec<User>, Error> {
        let users = self
            .list_all("/admin/v1/users", Params::new(), USERS_PAGE)
            .await?;
        self.reads.users.offer(&users);
        Ok(users)
    }

    /// Users whose username or alias is `name` (Duo matches both): zero or one.
    pub async fn find_users_by_username(&self, name: &str) -> Result<Vec<User>, Error> {
        self.get(
            RateClass::ListPage,
            "/admin/v1/users",
            vec![("username".into(), name.into())],
        )
        .await
    }

    /// The users that answer to `name` (as username or alias, ignoring case, as Duo matches
    /// them, and refuses a new user's name): what a creation guard compares a new user with.
    /// From this run's users listing when there is one, else gathered with the other guards'
    /// names into `username_list` calls of up to 100, which count towards a listing: once they
    /// have cost as much as one, the users are listed, so a plan creating many users (ten at
    /// a time, as Terraform plans them) costs at most about two listings.
    pub async fn existing_users_named(&self, name: &str) -> Result<Vec<User>, Error> {
        self.scan_if_paid(&self.reads.users).await?;
        if let Some(found) = self.reads.users.picked(|u| u.answers_to(name)) {
            return Ok(found);
        }
        // A leader that was cancelled releases its batch unanswered; ask again.
        for _ in 0..3 {
            let answer = self
                .reads
                .named
                .submit(name.to_owned(), GATHERED_READS, |names| {
                    self.users_named(names)
                })
                .await;
            if let Some(answer) = answer {
                return answer;
            }
        }
        Err(Error::Stopped {
            route: format!("GET {}", User::LIST),
        })
    }

    async fn users_named(&self, names: Vec<String>) -> Vec<Result<Vec<User>, Error>> {
        let filter = serde_json::to_string(&names).unwrap_or_default();
        let params = vec![("username_list".to_owned(), filter)];
        match self
            .list_counted::<User>(User::LIST, params, User::PAGE)
            .await
        {
            Ok((users, calls)) => {
                self.reads.users.spend(calls);
                names
                    .iter()
                    .map(|n| Ok(users.iter().filter(|u| u.answers_to(n)).cloned().collect()))
                    .collect()
            }
            Err(e) => names.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    /// Users whose email is `email`.
    pub async fn find_users_by_email(&self, email: &str) -> Result<Vec<User>, Error> {
        self.list_all(
            "/admin/v1/users",
            vec![("email".into(), email.into())],
            USERS_PAGE,
        )
        .await
    }

    pub async fn get_user(&self, user_id: &str) -> Result<User, Error> {
        let path = user_path(user_id);
        if self.coalesce {
            let found = self.read(&self.reads.users, user_id).await?;
            return found.ok_or_else(|| Error::not_found("GET", &path));
        }
        self.get(RateClass::GetObject, &path, Params::new()).await
    }

    /// Creates a user. With batching on, creations made at the same time go to Duo together
    /// as `bulk_create` calls of up to 100 users.
    pub async fn create_user(&self, params: &UserParams) -> Result<User, Error> {
        let user = if self.coalesce {
            self.create_gathered(params).await?
        } else {
            self.create_one(params).await?
        };
        self.reads.users.written(&user.user_id);
        Ok(user)
    }

    async fn create_one(&self, params: &UserParams) -> Result<User, Error> {
        self.post("/admin/v1/users", params.to_params()).await
    }

    async fn create_gathered(&self, params: &UserParams) -> Result<User, Error> {
        let answer = self
            .user_creates
            .submit_batched(vec![params.clone()], gathered(MAX_BULK), |batch| {
                self.create_batch(batch)
            })
            .await
            .pop()
            .flatten();
        match answer {
            Some(Batched::Done(result)) => result,
            Some(Batched::Alone) => self.create_one(params).await,
            None => Err(Error::Stopped {
                route: "POST /admin/v1/users/bulk_create".to_owned(),
            }),
        }
    }

    /// One `bulk_create` for the batch, if it is large enough to pay: Duo allows a sixth as
    /// many bulk calls as single writes, so smaller batches are created one by one, side by
    /// side. Duo creates all of a batch or none; when it refuses the batch, each user is
    /// created on its own, so that one bad user fails only itself, with Duo's own message. A
    /// batch whose outcome is unknown (lost answer, server error) is not resent: each caller
    /// gets the error.
    async fn create_batch(&self, batch: Vec<UserParams>) -> Vec<Batched<Result<User, Error>>> {
        if batch.len() < MIN_BULK {
            return batch.iter().map(|_| Batched::Alone).collect();
        }
        let entries: Vec<serde_json::Map<String, serde_json::Value>> = batch
            .iter()
            .map(|p| {
                p.to_params()
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::String(v)))
                    .collect()
            })
            .collect();
        let users = serde_json::Value::from(entries).to_string();
        let created = self
            .post_as::<Vec<User>>(
                RateClass::Bulk,
                "/admin/v1/users/bulk_create",
                vec![("users".into(), users)],
            )
            .await;
        match created {
            Ok(created) => batch
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let name = p.username.as_deref().unwrap_or_default();
                    let same = |u: &&User| u.username.eq_ignore_ascii_case(name);
                    Batched::Done(
                        created
                            .get(i)
                            .filter(same)
                            .or_else(|| created.iter().find(same))
                            .cloned()
                            .ok_or_else(|| Error::Decode {
                                route: "POST /admin/v1/users/bulk_create".to_owned(),
                                reason: format!("Duo's answer does not list the user {name:?}"),
                            }),
                    )
                })
                .collect(),
            Err(e) if e.is_refusal() => {
                tracing::debug!(error = %e, users = batch.len(), "bulk_create refused; creating one by one");
                batch.iter().map(|_| Batched::Alone).collect()
            }
            Err(e) => batch
                .iter()
                .map(|_| Batched::Done(Err(e.clone())))
                .collect(),
        }
    }

    /// Modifies a user; with batching on, modifications made at the same time go to Duo
    /// together (see `bulk`).
    pub async fn modify_user(&self, user_id: &str, params: &UserParams) -> Result<User, Error> {
        self.reads.users.written(user_id);
        let op = Op::ModifyUser {
            user_id: user_id.to_owned(),
            params: params.to_params(),
        };
        let answer = self.write(op).await?;
        match serde_json::from_value(answer) {
            Ok(user) => Ok(user),
            // Duo's bulk answer did not carry the user: read it.
            Err(_) => self.get_user(user_id).await,
        }
    }

    /// Deleting a user is immediate and permanent; Duo answers OK for a missing user too.
    pub async fn delete_user(&self, user_id: &str) -> Result<(), Error> {
        self.reads.user_deleted(user_id);
        let op = Op::DeleteUser {
            user_id: user_id.to_owned(),
        };
        self.write(op).await.map(drop)
    }

    /// The groups a user is in: from the user object when reads are coalesced (Duo lists a
    /// user's groups with it), else from the user's group list.
    pub async fn user_groups(&self, user_id: &str) -> Result<Vec<Group>, Error> {
        if self.coalesce {
            return self.get_user(user_id).await.map(|u| u.groups);
        }
        self.list_all(
            &format!("{}/groups", user_path(user_id)),
            Params::new(),
            PAGE,
        )
        .await
    }

    pub async fn add_user_to_group(&self, user_id: &str, group_id: &str) -> Result<(), Error> {
        self.change_membership(user_id, group_id, true).await
    }

    pub async fn remove_user_from_group(&self, user_id: &str, group_id: &str) -> Result<(), Error> {
        self.change_membership(user_id, group_id, false).await
    }

    async fn change_membership(
        &self,
        user_id: &str,
        group_id: &str,
        add: bool,
    ) -> Result<(), Error> {
        self.reads.users.written(user_id);
        self.reads.members_changed(group_id);
        let change = Membership {
            user_id: user_id.to_owned(),
            group_id: group_id.to_owned(),
            add,
        };
        self.write(change.op()).await.map(drop)
    }

    /// A group's members (by the cheapest means when reads are coalesced, see `reads`).
    pub async fn group_members(&self, group_id: &str) -> Result<Vec<Member>, Error> {
        if self.coalesce {
            return self.members_of(group_id).await?.ok_or_else(|| {
                Error::not_found(
                    "GET",
                    &format!("/admin/v2/groups/{}/users", segment(group_id)),
                )
            });
        }
        self.fetch_members(group_id).await.map(|(m, _)| m)
    }

    /// A group's member list from Duo, and how many page reads it took.
    pub(super) async fn fetch_members(&self, group_id: &str) -> Result<(Vec<Member>, u64), Error> {
        self.list_counted(
            &format!("/admin/v2/groups/{}/users", segment(group_id)),
            Params::new(),
            PAGE,
        )
        .await
    }
}
