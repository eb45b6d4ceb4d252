//! The Accounts API of an MSP parent (`duo-admin-api.md` §6.12): its child accounts (list,
//! create, delete), and what only the parent may change on a child through the billing
//! endpoints (the edition, and telephony credits, whose difference the parent pays).

use serde_json::json;

use crate::api::{ApiError, Params, Reply, Result, Route, param};
use crate::store::{self, Child, EDITIONS, Tenant};

/// `/accounts/v1/account/*`; `host` is the API hostname every account is served on (one
/// listener serves them all).
pub fn handle(parent: &mut Tenant, route: &Route, p: &Params, host: &str) -> Result<Reply> {
    match route {
        Route::ListAccounts => Ok(Reply::of(json!(
            parent
                .children
                .values()
                .map(|c| Tenant::child_json(c, host))
                .collect::<Vec<_>>()
        ))),
        Route::CreateAccount => {
            let name = param(p, "name")
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| ApiError::missing("name"))?;
            let child = Child {
                account_id: store::new_id("DA"),
                name: name.to_owned(),
                ..Child::default()
            };
            let answer = Tenant::child_json(&child, host);
            parent.children.insert(child.account_id.clone(), child);
            Ok(Reply::of(answer))
        }
        Route::DeleteAccount => {
            let id = param(p, "account_id").ok_or_else(|| ApiError::missing("account_id"))?;
            parent
                .children
                .remove(id)
                .map(|_| Reply::of(json!("")))
                .ok_or_else(unknown_account)
        }
        _ => Err(ApiError::not_found()),
    }
}

/// How Duo refuses an `account_id` that names no child of the caller's account, or a child it
/// cannot reach (one on another deployment).
pub fn unknown_account() -> ApiError {
    ApiError::invalid("account_id")
}

/// The billing changes a parent makes on its child `id`.
pub fn billing(parent: &mut Tenant, id: &str, route: &Route, p: &Params) -> Result<Reply> {
    let available = parent.credits();
    let child = parent.children.get_mut(id).ok_or_else(unknown_account)?;
    match route {
        Route::SetBillingEdition => {
            let edition = param(p, "edition").ok_or_else(|| ApiError::missing("edition"))?;
            if !EDITIONS.contains(&edition) {
                return Err(ApiError::invalid("edition"));
            }
            child.tenant.edition = Some(edition.to_owned());
            Ok(Reply::of(json!({"edition": edition})))
        }
        Route::SetTelephonyCredits => {
            let credits = param(p, "credits")
                .ok_or_else(|| ApiError::missing("credits"))?
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|c| *c >= 0)
                .ok_or_else(|| ApiError::invalid("credits"))?;
            let more = credits - child.tenant.credits();
            if more > available {
                return Err(ApiError::new(
                    40002,
                    "The parent account does not have enough telephony credits",
                    Some("credits"),
                ));
            }
            child.tenant.telephony_credits = Some(credits);
            parent.telephony_credits = Some(available - more);
            Ok(Reply::of(json!({"credits": credits})))
        }
        _ => Err(ApiError::not_found()),
    }
}
