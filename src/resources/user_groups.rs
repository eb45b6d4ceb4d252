//! `duo_user_groups`: every group of one user, authoritative for that user. Also defines the
//! user → group link that `duo_group_member` manages one at a time.
//!
//! How the membership resources interact: use `duo_group_member` for single links from
//! anywhere; `duo_user_groups` when one user's groups are all in one place; `duo_group_members`
//! when one group's members are. An authoritative resource removes links it does not list, so
//! do not combine it with other membership resources for the same user (here) or group.

use async_trait::async_trait;

use super::Hint;
use super::link::{LinkKind, Set, SetKind};
use crate::duo;
use crate::kinds::Kind;

/// What `duo_user_groups` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind::link(
    "duo_user_groups",
    "group membership",
    "group memberships",
    None,
);

/// A user's membership in a group, listed from the user's side (at most 100 groups).
pub struct UserGroupLink;

#[async_trait]
impl LinkKind for UserGroupLink {
    const OWNER: &'static str = "user_id";
    const OWNER_TYPE: &'static str = "duo_user";
    const ITEM: &'static str = "group_id";
    const ITEM_TYPE: &'static str = "duo_group";
    const MAX: Option<usize> = Some(100);
    const HINTS: &'static [Hint] = &[Hint {
        field: "group_id",
        attr: Self::ITEM,
        advice: "Duo refuses a group that does not exist, and allows a user in at most 100 groups: check the \
                 group ID, or remove the user from another group first.",
    }];

    async fn list(duo: &duo::Client, owner: &str) -> Result<Option<Vec<String>>, duo::Error> {
        let groups = duo::gone_is_none(duo.user_groups(owner).await)?;
        Ok(groups.map(|g| g.into_iter().map(|g| g.group_id).collect()))
    }

    async fn link(duo: &duo::Client, owner: &str, item: &str) -> Result<(), duo::Error> {
        duo.add_user_to_group(owner, item).await
    }

    async fn unlink(duo: &duo::Client, owner: &str, item: &str) -> Result<(), duo::Error> {
        duo.remove_user_from_group(owner, item).await
    }

    async fn change_all(
        duo: &duo::Client,
        owner: &str,
        items: &[&String],
        add: bool,
    ) -> Vec<Result<(), duo::Error>> {
        change_memberships(duo, items.iter().map(|g| (owner, g.as_str())), add).await
    }

    async fn all(
        duo: &duo::Client,
        more: &mut (dyn FnMut(Vec<(String, String)>) -> bool + Send),
    ) -> Result<(), duo::Error> {
        memberships(duo, more).await
    }
}

impl SetKind for UserGroupLink {
    const ITEMS: &'static str = "group_ids";
}

pub const RESOURCE: Set<UserGroupLink> = Set::new(
    &KIND,
    "All the groups of one Duo user, authoritatively: groups the user is in that are not listed \
     are left. Do not combine with `duo_group_member` or `duo_group_members` for the same user's \
     groups. Import with the user ID.",
);

/// Every membership as `(user, group)`, from the users listing (users list their groups: one
/// paged scan instead of one per group), handed to `more` a page at a time until it says it
/// has enough.
pub(super) async fn memberships(
    duo: &duo::Client,
    more: &mut (dyn FnMut(Vec<(String, String)>) -> bool + Send),
) -> Result<(), duo::Error> {
    duo.list_while(|users: Vec<duo::User>| {
        more(
            users
                .iter()
                .flat_map(|u| {
                    u.groups
                        .iter()
                        .map(|g| (u.user_id.clone(), g.group_id.clone()))
                })
                .collect(),
        )
    })
    .await
}

/// Many membership changes, as `(user, group)` pairs, sent to Duo together (in bulk when
/// batching is on): a set of members or of groups changes many at once.
pub(super) async fn change_memberships<'a>(
    duo: &duo::Client,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
    add: bool,
) -> Vec<Result<(), duo::Error>> {
    let changes: Vec<duo::Membership> = pairs
        .map(|(user, group)| duo::Membership {
            user_id: user.to_owned(),
            group_id: group.to_owned(),
            add,
        })
        .collect();
    duo.change_memberships(&changes).await
}
