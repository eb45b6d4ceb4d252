//! An MSP parent's child accounts (`duo-admin-api.md` §6.12): the Accounts API (list, create,
//! delete), the Admin API on a child (the parent's Accounts API key pair sent to the child's
//! API hostname with `account_id` on every request, as Duo's official clients do), and the
//! billing endpoints only a parent may change.
//!
//! Each child is reached through a client of its own ([`Client::for_account`]), made once per
//! run and kept: its own pacing per rate class (Duo keeps limits per account, so a large child
//! does not slow the others), its own read caches and gathering, and the parent's stop signal.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Deserialize;

use super::client::{Client, Config};
use super::error::Error;
use super::retry::RateClass;

/// A child account, as the Accounts API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChildAccount {
    pub account_id: String,
    pub name: String,
    /// The host its Admin API is called on.
    pub api_hostname: String,
}

#[derive(Deserialize)]
struct Edition {
    edition: String,
}

#[derive(Deserialize)]
struct Credits {
    #[serde(deserialize_with = "super::lenient::int")]
    credits: Option<i64>,
}

/// What a client knows of its account's children: the run's listing (where each child's host
/// comes from), kept up to date by the client's own creations and deletions, and the clients
/// made for them.
#[derive(Default)]
pub(super) struct Children {
    listing: Mutex<Option<Vec<ChildAccount>>>,
    clients: Mutex<HashMap<String, Arc<Client>>>,
}

impl Children {
    fn listing(&self) -> std::sync::MutexGuard<'_, Option<Vec<ChildAccount>>> {
        self.listing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn clients(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Client>>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn host(&self, id: &str) -> Option<String> {
        self.listing()
            .as_ref()?
            .iter()
            .find(|a| a.account_id == id)
            .map(|a| a.api_hostname.clone())
    }

    /// A child made by this client joins the listing, once there is one.
    fn made(&self, child: &ChildAccount) {
        if let Some(known) = self.listing().as_mut() {
            known.push(child.clone());
        }
    }

    fn forget(&self, id: &str) {
        if let Some(known) = self.listing().as_mut() {
            known.retain(|a| a.account_id != id);
        }
        self.clients().remove(id);
    }

    /// Every child client made so far, e.g. to stop them.
    pub(super) fn each(&self, f: impl Fn(&Client)) {
        self.clients().values().for_each(|c| f(c));
    }
}

const LIST: &str = "/accounts/v1/account/list";
const CREATE: &str = "/accounts/v1/account/create";
const DELETE: &str = "/accounts/v1/account/delete";
const EDITION: &str = "/admin/v1/billing/edition";
const CREDITS: &str = "/admin/v1/billing/telephony_credits";

impl Client {
    /// Every child account of this key pair's account (an Accounts API key pair's), listed
    /// once per client; its own creations and deletions keep the listing current.
    pub async fn child_accounts(&self) -> Result<Vec<ChildAccount>, Error> {
        if let Some(known) = self.children.listing().clone() {
            return Ok(known);
        }
        self.list_children().await
    }

    async fn list_children(&self) -> Result<Vec<ChildAccount>, Error> {
        let all: Vec<ChildAccount> = self.set_as(RateClass::Accounts, LIST, Vec::new()).await?;
        *self.children.listing() = Some(all.clone());
        Ok(all)
    }

    /// One child account; `None` when this account has no child with that ID.
    pub async fn child_account(&self, id: &str) -> Result<Option<ChildAccount>, Error> {
        Ok(self
            .child_accounts()
            .await?
            .into_iter()
            .find(|a| a.account_id == id))
    }

    pub async fn create_child_account(&self, name: &str) -> Result<ChildAccount, Error> {
        let made: ChildAccount = self
            .post_as(
                RateClass::Accounts,
                CREATE,
                vec![("name".into(), name.to_owned())],
            )
            .await?;
        self.children.made(&made);
        Ok(made)
    }

    /// Deletes a child account and everything in it.
    pub async fn delete_child_account(&self, id: &str) -> Result<(), Error> {
        self.set_as::<serde_json::Value>(
            RateClass::Accounts,
            DELETE,
            vec![("account_id".into(), id.to_owned())],
        )
        .await?;
        self.children.forget(id);
        Ok(())
    }

    /// The client that acts on child account `id`: the same key pair, sent to the child's API
    /// hostname with `account_id`. Made once and kept; the host comes from the Accounts API's
    /// listing (read once, and again for a child it did not hold yet).
    pub async fn for_account(&self, id: &str) -> Result<Arc<Client>, Error> {
        if let Some(c) = self
            .children
            .clients
            .lock()
            .ok()
            .and_then(|c| c.get(id).cloned())
        {
            return Ok(c);
        }
        let host = match self.children.host(id) {
            Some(h) => h,
            None => {
                self.list_children().await?;
                self.children.host(id).ok_or_else(|| Error::NoSuchAccount {
                    account_id: id.to_owned(),
                })?
            }
        };
        let config = Config {
            // The parent's scheme: plain HTTP stays possible only for a loopback emulator.
            api_host: format!("{}://{host}", self.endpoint().scheme()),
            // A child has no children: it acts on itself only.
            account_id: None,
            ..self.config.clone()
        };
        let child = Arc::new(Client::for_child(&config, id).map_err(|e| Error::Decode {
            route: format!("POST {LIST}"),
            reason: format!("child account {id}'s api_hostname {host:?}: {e}"),
        })?);
        Ok(self
            .children
            .clients()
            .entry(id.to_owned())
            .or_insert(child)
            .clone())
    }

    /// The account's edition (`ENTERPRISE`, `PLATFORM` or `BEYOND`).
    pub async fn edition(&self) -> Result<String, Error> {
        let e: Edition = self.get(RateClass::GetObject, EDITION, Vec::new()).await?;
        Ok(e.edition)
    }

    /// Changes a child account's edition (a parent's call, through [`Client::for_account`]).
    pub async fn set_edition(&self, edition: &str) -> Result<(), Error> {
        self.set::<serde_json::Value>(EDITION, vec![("edition".into(), edition.to_owned())])
            .await
            .map(drop)
    }

    pub async fn telephony_credits(&self) -> Result<i64, Error> {
        let c: Credits = self.get(RateClass::GetObject, CREDITS, Vec::new()).await?;
        Ok(c.credits.unwrap_or_default())
    }

    /// Sets a child account's telephony credits; the parent's pay the difference.
    pub async fn set_telephony_credits(&self, credits: i64) -> Result<(), Error> {
        self.set::<serde_json::Value>(CREDITS, vec![("credits".into(), credits.to_string())])
            .await
            .map(drop)
    }
}
