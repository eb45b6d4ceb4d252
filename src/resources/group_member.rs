//! `duo_group_member`: one user in one group. Read from the user's side (at most 100 groups,
//! one call), never by paging through a large group. See `user_groups.rs` for how the
//! membership resources interact.

use super::link::Single;
use super::user_groups::UserGroupLink;
use crate::kinds::Kind;

/// What `duo_group_member` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind::link(
    "duo_group_member",
    "group membership",
    "group memberships",
    None,
);

pub const RESOURCE: Single<UserGroupLink> = Single::new(
    &KIND,
    "One user's membership in one Duo group. Other members of the group are left alone. Import with \
     `<user_id>/<group_id>`.",
);
