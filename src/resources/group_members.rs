//! `duo_group_members`: every member of one group, authoritative for that group. Members are
//! read from every page of the group's member list, so drift in large groups is seen. See
//! `user_groups.rs` for how the membership resources interact.

use async_trait::async_trait;

use super::Hint;
use super::link::{LinkKind, Set, SetKind};
use super::user_groups::{change_memberships, memberships};
use crate::duo;
use crate::kinds::{Kind, Naming};

/// What `duo_group_members` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind::link(
    "duo_group_members",
    "group members",
    "group members",
    Some(Naming {
        from: &[<GroupMemberLink as LinkKind>::OWNER],
        prefix: "",
        user_side: true,
    }),
);

/// A group's members, listed from the group's side.
pub struct GroupMemberLink;

#[async_trait]
impl LinkKind for GroupMemberLink {
    const OWNER: &'static str = "group_id";
    const OWNER_TYPE: &'static str = "duo_group";
    const ITEM: &'static str = "user_id";
    const ITEM_TYPE: &'static str = "duo_user";
    const HINTS: &'static [Hint] = &[Hint {
        field: "group_id",
        attr: Self::ITEM,
        advice: "Duo allows a user in at most 100 groups: one of the users listed is already in 100, or does not exist.",
    }];

    async fn list(duo: &duo::Client, owner: &str) -> Result<Option<Vec<String>>, duo::Error> {
        let members = duo::gone_is_none(duo.group_members(owner).await)?;
        Ok(members.map(|m| m.into_iter().map(|m| m.user_id).collect()))
    }

    async fn link(duo: &duo::Client, owner: &str, item: &str) -> Result<(), duo::Error> {
        duo.add_user_to_group(item, owner).await
    }

    async fn unlink(duo: &duo::Client, owner: &str, item: &str) -> Result<(), duo::Error> {
        duo.remove_user_from_group(item, owner).await
    }

    async fn change_all(
        duo: &duo::Client,
        owner: &str,
        items: &[&String],
        add: bool,
    ) -> Vec<Result<(), duo::Error>> {
        change_memberships(duo, items.iter().map(|u| (u.as_str(), owner)), add).await
    }

    async fn all(
        duo: &duo::Client,
        more: &mut (dyn FnMut(Vec<(String, String)>) -> bool + Send),
    ) -> Result<(), duo::Error> {
        // The same memberships, owned by their groups.
        memberships(duo, &mut |pairs| {
            more(
                pairs
                    .into_iter()
                    .map(|(user, group)| (group, user))
                    .collect(),
            )
        })
        .await
    }
}

impl SetKind for GroupMemberLink {
    const ITEMS: &'static str = "user_ids";
}

pub const RESOURCE: Set<GroupMemberLink> = Set::new(
    &KIND,
    "All the members of one Duo group, authoritatively: members not listed are removed from the \
     group. Do not combine with `duo_group_member` or `duo_user_groups` for the same group. Import with the group ID.",
);
