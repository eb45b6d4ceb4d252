//! `duo_group_member`: one user in one group. Read from the user's side (at most 100 groups,
//! one call), never by paging through a large group. See `user_groups.rs` for how the
//! membership resources interact.

use super::link::Single;
use super::user_groups::UserGroupLink;

pub const RESOURCE: Single<UserGroupLink> = Single::new(
    "duo_group_member",
    "One user's membership in one Duo group. Other members of the group are left alone. \
     Requires \"Grant read resource\" and \"Grant write resource\". Import with \
     `<user_id>/<group_id>`.",
);
