//! `duo_user_phone`: one phone linked to one user.

use async_trait::async_trait;

use super::Hint;
use super::link::{LinkKind, Single};
use crate::duo;
use crate::kinds::{Kind, Naming};

/// What `duo_user_phone` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind::link(
    "duo_user_phone",
    "phone link",
    "phone links",
    Some(Naming {
        from: &[
            <UserPhoneLink as LinkKind>::OWNER,
            <UserPhoneLink as LinkKind>::ITEM,
        ],
        prefix: "",
        user_side: true,
    }),
);

/// A user's phone, listed from the user's side.
pub struct UserPhoneLink;

#[async_trait]
impl LinkKind for UserPhoneLink {
    const OWNER: &'static str = "user_id";
    const OWNER_TYPE: &'static str = "duo_user";
    const ITEM: &'static str = "phone_id";
    const ITEM_TYPE: &'static str = "duo_phone";
    const HINTS: &'static [Hint] = &[Hint {
        field: "phone_id",
        attr: Self::ITEM,
        advice: "Duo has no such phone: check the phone ID.",
    }];

    async fn list(duo: &duo::Client, owner: &str) -> Result<Option<Vec<String>>, duo::Error> {
        duo::gone_is_none(duo.user_phone_ids(owner).await)
    }

    async fn link(duo: &duo::Client, owner: &str, item: &str) -> Result<(), duo::Error> {
        duo.add_user_phone(owner, item).await
    }

    async fn unlink(duo: &duo::Client, owner: &str, item: &str) -> Result<(), duo::Error> {
        duo.remove_user_phone(owner, item).await
    }

    async fn all(
        duo: &duo::Client,
        more: &mut (dyn FnMut(Vec<(String, String)>) -> bool + Send),
    ) -> Result<(), duo::Error> {
        duo.list_while(|phones: Vec<duo::Phone>| {
            more(
                phones
                    .iter()
                    .flat_map(|p| {
                        p.users
                            .iter()
                            .map(|u| (u.user_id.clone(), p.phone_id.clone()))
                    })
                    .collect(),
            )
        })
        .await
    }
}

pub const RESOURCE: Single<UserPhoneLink> = Single::new(
    &KIND,
    "Links a phone to a user, who can then authenticate with it. A phone may be linked to \
     several users. Import with \
     `<user_id>/<phone_id>`.",
);
