//! `duo_user_hardware_token`: one hardware token linked to one user.

use async_trait::async_trait;

use super::Hint;
use super::link::{LinkKind, Single};
use crate::duo;
use crate::kinds::{Kind, Naming};

/// What `duo_user_hardware_token` is, for the registry ([`crate::kinds`]).
pub const KIND: Kind = Kind::link(
    "duo_user_hardware_token",
    "hardware token link",
    "hardware token links",
    Some(Naming {
        from: &[
            <UserTokenLink as LinkKind>::OWNER,
            <UserTokenLink as LinkKind>::ITEM,
        ],
        prefix: "",
        user_side: true,
    }),
);

/// A user's hardware token, listed from the user's side.
pub struct UserTokenLink;

#[async_trait]
impl LinkKind for UserTokenLink {
    const OWNER: &'static str = "user_id";
    const OWNER_TYPE: &'static str = "duo_user";
    const ITEM: &'static str = "token_id";
    const ITEM_TYPE: &'static str = "duo_hardware_token";
    const HINTS: &'static [Hint] = &[Hint {
        field: "token_id",
        attr: Self::ITEM,
        advice: "Duo has no such token: check the token ID.",
    }];

    async fn list(duo: &duo::Client, owner: &str) -> Result<Option<Vec<String>>, duo::Error> {
        duo::gone_is_none(duo.user_token_ids(owner).await)
    }

    async fn link(duo: &duo::Client, owner: &str, item: &str) -> Result<(), duo::Error> {
        duo.add_user_token(owner, item).await
    }

    async fn unlink(duo: &duo::Client, owner: &str, item: &str) -> Result<(), duo::Error> {
        duo.remove_user_token(owner, item).await
    }

    async fn all(
        duo: &duo::Client,
        more: &mut (dyn FnMut(Vec<(String, String)>) -> bool + Send),
    ) -> Result<(), duo::Error> {
        duo.list_while(|tokens: Vec<duo::Token>| {
            more(
                tokens
                    .iter()
                    .flat_map(|t| {
                        t.users
                            .iter()
                            .map(|u| (u.user_id.clone(), t.token_id.clone()))
                    })
                    .collect(),
            )
        })
        .await
    }
}

pub const RESOURCE: Single<UserTokenLink> = Single::new(
    &KIND,
    "Links a hardware token to a user, who can then authenticate with its passcodes. Import with `<user_id>/<token_id>`.",
);
